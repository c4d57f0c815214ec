-- One batch of deterministic sales: ids $1 to $2 over the 28 days before 2026-06-01. Popularity is skewed
-- the way real shops are: the product id is 20,000 × u³ for a u spread evenly by the id, so the first
-- hundred products sell about a fifth of everything and most of the catalogue sells a little.
INSERT INTO order_items (id, product_id, quantity, created_at)
SELECT g,
       1 + floor(20000 * power(((g * 2654435761) % 4294967296) / 4294967296.0, 3))::bigint,
       1 + (g * 31 % 3)::int,
       timestamptz '2026-06-01 00:00:00+00' - ((g * 7919) % (28 * 86400)) * interval '1 second'
FROM generate_series($1::bigint, $2::bigint) AS g
ON CONFLICT (id) DO NOTHING;
