-- Scenario 01: the index the user lookup needs.
--
-- Without it, `WHERE email = ...` makes PostgreSQL read every one of the 1,000,000 rows
-- (a "Seq Scan"). With it, PostgreSQL walks a sorted tree of emails straight to the one row
-- (an "Index Scan"): a few page reads instead of thousands.
--
-- CONCURRENTLY builds the index without locking the table against writes, the way you would
-- do it on a production database that cannot stop. IF NOT EXISTS makes it safe to run twice.
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);
