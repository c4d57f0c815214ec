-- One batch of deterministic products: ids $1 to $2 (300,000 in total).
-- name = '<adjective> <material> <noun> <model code>', e.g. 'Rustic Copper Kettle QX-4821'.
-- 25 adjectives x 20 materials x 40 nouns: a material+noun pair ('copper kettle') matches ~375 products,
-- adjective+material+noun ('rustic copper kettle') ~15, a model code fragment ('QX-48') a handful.
-- hashint8extended(g, seed) gives independent, deterministic pseudo-random numbers per column.
INSERT INTO products (id, name, price_cents)
SELECT g,
       (ARRAY['Rustic', 'Modern', 'Vintage', 'Compact', 'Deluxe', 'Classic', 'Sleek', 'Sturdy', 'Elegant',
              'Handmade', 'Minimal', 'Premium', 'Portable', 'Foldable', 'Smart', 'Ergonomic', 'Industrial',
              'Nordic', 'Retro', 'Giant', 'Tiny', 'Glossy', 'Matte', 'Heavy', 'Gentle'])[1 + h1 % 25]
       || ' ' ||
       (ARRAY['Copper', 'Walnut', 'Oak', 'Steel', 'Bamboo', 'Leather', 'Linen', 'Granite', 'Ceramic', 'Glass',
              'Cotton', 'Wool', 'Brass', 'Marble', 'Cedar', 'Aluminum', 'Silk', 'Concrete', 'Velvet', 'Cork'])[1 + h2 % 20]
       || ' ' ||
       (ARRAY['Kettle', 'Lamp', 'Chair', 'Table', 'Bottle', 'Wallet', 'Backpack', 'Clock', 'Mug', 'Desk',
              'Shelf', 'Vase', 'Bowl', 'Spoon', 'Knife', 'Pan', 'Blanket', 'Pillow', 'Stool', 'Mirror',
              'Frame', 'Basket', 'Tray', 'Candle', 'Planter', 'Speaker', 'Headphones', 'Keyboard', 'Notebook', 'Pen',
              'Umbrella', 'Jacket', 'Scarf', 'Hat', 'Belt', 'Watch', 'Bench', 'Rug', 'Teapot', 'Cabinet'])[1 + h3 % 40]
       || ' ' ||
       chr(65 + (h4 % 26)::int) || chr(65 + (h4 / 26 % 26)::int) || '-' || lpad((h4 / 676 % 10000)::text, 4, '0'),
       199 + (h5 % 99800)::int
FROM generate_series($1::bigint, $2::bigint) AS g,
     LATERAL (SELECT abs(hashint8extended(g, 11)) AS h1, abs(hashint8extended(g, 12)) AS h2,
                     abs(hashint8extended(g, 13)) AS h3, abs(hashint8extended(g, 14)) AS h4,
                     abs(hashint8extended(g, 15)) AS h5) AS h
ON CONFLICT (id) DO NOTHING;
