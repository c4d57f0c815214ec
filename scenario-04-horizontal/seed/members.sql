-- One batch of members: ids $1 to $2 (100,000 in total), all with the password 'pancakes'.
-- One member in 100 asked for the daily digest.
INSERT INTO members (id, email, display_name, password_salt, password_hash, wants_digest, joined_at)
SELECT g,
       'cook' || g || '@example.com',
       'Cook ' || g,
       salt,
       encode(sha256(convert_to(salt || 'pancakes', 'UTF8')), 'hex'),
       g % 100 = 0,
       timestamptz '2024-01-01 00:00:00+00' + (g * 7919 % 700) * interval '1 day'
FROM generate_series($1::bigint, $2::bigint) AS g,
     LATERAL (SELECT substr(md5('salt' || g), 1, 16) AS salt) AS s
ON CONFLICT (id) DO NOTHING;
