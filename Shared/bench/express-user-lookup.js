// Scenario 01's fixed lookup written the way most Node.js teams would: Express + node-postgres, one pool of
// 10 connections, the same named (prepared) query and the same JSON. It is the yardstick of
// server-vs-pgbench-and-express.sh, not part of any scenario.
//
// Usage: PORT=8091 DATABASE_URL=postgres://lab:lab@127.0.0.1:54329/scenario_01 node express-user-lookup.js
// Needs Debian's node-express and node-pg (their folders on NODE_PATH if Node.js is not Debian's own).
'use strict';
const express = require('express');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = express();
app.disable('x-powered-by');
app.disable('etag');

app.get('/health', (req, res) => res.type('text/plain').send('ok\n'));

app.get('/users/by-email', async (req, res) => {
  const email = req.query.email;
  if (typeof email !== 'string') return res.status(400).json({ error: { message: 'email is required' } });
  try {
    const result = await pool.query({
      name: 'user_by_email',
      text: 'SELECT id, email, full_name, city, signed_up_at FROM users WHERE email = $1',
      values: [email],
    });
    const row = result.rows[0];
    if (!row) return res.status(404).json({ error: { message: `no user with email ${email}` } });
    res.json({ id: Number(row.id), email: row.email, fullName: row.full_name, city: row.city, signedUpAt: row.signed_up_at });
  } catch (error) {
    res.status(503).json({ error: { message: error.message } });
  }
});

const port = Number(process.env.PORT || 8091);
app.listen(port, '127.0.0.1', () => console.log(`express listening on http://127.0.0.1:${port}`));
