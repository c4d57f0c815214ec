-- One batch of deterministic reviews: ids $1 to $2, skewed like the sales (popular products have thousands).
-- Each product leans its own way (x^a with a between 0.5 and 2 by product), so their averages differ.
INSERT INTO reviews (id, product_id, rating, body, created_at)
SELECT g,
       p.id,
       1 + floor(5 * power(((g * 17) % 100) / 100.0, 0.5 + (p.id % 7) / 4.0))::int,
       (ARRAY['Does what it says.', 'Better than I expected.', 'Arrived late, works fine.', 'Would buy again.',
              'Not for me.', 'Great value for the price.', 'The colour is off.', 'My second one.'])[1 + (g * 3 % 8)::int],
       timestamptz '2026-06-01 00:00:00+00' - ((g * 104729) % (365 * 86400)) * interval '1 second'
FROM generate_series($1::bigint, $2::bigint) AS g
CROSS JOIN LATERAL (SELECT 1 + floor(20000 * power(((g * 40503) % 65536) / 65536.0, 3))::bigint AS id) AS p
ON CONFLICT (id) DO NOTHING;
