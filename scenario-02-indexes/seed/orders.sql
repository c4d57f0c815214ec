-- One batch of deterministic orders: ids $1 to $2 (2,000,000 in total).
-- order_number: 'ORD-' + 8 digits, a bijection of the id (48271 is coprime to 10^8), so unique and non-sequential.
-- customer_id: half of the orders belong to 500 "heavy" customers (1% of 50,000), skewed again inside that
--   group (index = floor(500 * u^2)): the biggest customer has ~45,000 orders, the 500th ~1,000;
--   the other half is spread uniformly over all 50,000 customers (~20 orders each).
-- status: 90% delivered, 5% shipped, 3% pending, 2% cancelled.
-- created_at: follows the id over 3 years (2022-01-01 .. 2024-12-31), plus up to an hour of jitter.
INSERT INTO orders (id, order_number, customer_id, status, created_at, total_cents)
SELECT g,
       'ORD-' || lpad(((g * 48271 + 12345678) % 100000000)::text, 8, '0'),
       CASE WHEN h1 % 100 < 50
            THEN 1 + ((floor(500 * power((h2 % 1000000) / 1000000.0, 2))::bigint * 9973 + 4242) % 50000)
            ELSE 1 + (h3 % 50000)
       END,
       CASE WHEN h4 % 100 < 90 THEN 'delivered'
            WHEN h4 % 100 < 95 THEN 'shipped'
            WHEN h4 % 100 < 98 THEN 'pending'
            ELSE 'cancelled'
       END,
       timestamptz '2022-01-01 00:00:00+00' + (g * 47 + h5 % 3600) * interval '1 second',
       500 + (h5 % 49500)::int
FROM generate_series($1::bigint, $2::bigint) AS g,
     LATERAL (SELECT abs(hashint8extended(g, 1)) AS h1, abs(hashint8extended(g, 2)) AS h2,
                     abs(hashint8extended(g, 3)) AS h3, abs(hashint8extended(g, 4)) AS h4,
                     abs(hashint8extended(g, 5)) AS h5) AS h
ON CONFLICT (id) DO NOTHING;
