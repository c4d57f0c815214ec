-- One batch of recipes: ids $1 to $2 (200,000 in total), each by one of the 100,000 members.
INSERT INTO recipes (id, author_id, title, minutes, created_at)
SELECT g,
       1 + (g * 7919) % 100000,
       (ARRAY['Crispy', 'Slow-cooked', 'Weeknight', 'Grandma''s', 'Smoky', 'Lemony', 'Five-minute', 'Spicy'])[1 + g % 8]
         || ' ' ||
       (ARRAY['pancakes', 'lentil soup', 'fried rice', 'banana bread', 'tacos', 'ramen', 'shakshuka', 'risotto',
              'apple pie', 'curry'])[1 + (g / 8) % 10],
       5 + (g * 31) % 120,
       timestamptz '2024-06-01 00:00:00+00' + (g * 104729 % 500) * interval '1 day'
FROM generate_series($1::bigint, $2::bigint) AS g
ON CONFLICT (id) DO NOTHING;
