-- One batch of deterministic products: ids $1 to $2, every value computed from the id.
INSERT INTO products (id, name, category, price_cents, updated_at)
SELECT g,
       (ARRAY['Trail', 'Urban', 'Classic', 'Nordic', 'Studio', 'Pocket', 'Everyday', 'Summit', 'Harbor', 'Desert',
              'Aurora', 'Cedar'])[1 + (g * 7 % 12)::int] || ' ' ||
       (ARRAY['Backpack', 'Kettle', 'Lamp', 'Jacket', 'Notebook', 'Headphones', 'Mug', 'Sneakers', 'Tent', 'Scarf',
              'Bottle', 'Chair', 'Blender', 'Watch', 'Umbrella', 'Desk'])[1 + (g * 13 % 16)::int] || ' ' || g,
       (ARRAY['outdoor', 'kitchen', 'home', 'clothing', 'office', 'audio', 'travel', 'sport', 'garden', 'toys', 'books',
              'beauty'])[1 + (g * 5 % 12)::int],
       499 + (g * 7919 % 30000)::int,
       timestamptz '2026-06-01 00:00:00+00' - ((g * 104729) % (90 * 86400)) * interval '1 second'
FROM generate_series($1::bigint, $2::bigint) AS g
ON CONFLICT (id) DO NOTHING;
