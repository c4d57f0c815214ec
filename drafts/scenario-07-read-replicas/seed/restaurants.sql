-- One batch of deterministic restaurants: ids $1 to $2, 500 in each of 20 cities, every value computed from
-- the id. The reviews' batches keep their running totals up to date.
INSERT INTO restaurants (id, name, city, cuisine)
SELECT g,
       (ARRAY['Golden', 'Little', 'Blue', 'Old', 'Green', 'Red', 'Corner', 'Silver', 'Happy', 'Wild', 'Lucky',
              'Royal'])[1 + (g * 7 % 12)::int] || ' ' ||
       (ARRAY['Spoon', 'Fork', 'Garden', 'Kitchen', 'Table', 'Lantern', 'Oven', 'Pepper', 'Harbor', 'Olive',
              'Bamboo', 'Barrel', 'Basil', 'Saffron', 'Anchor', 'Fig'])[1 + (g * 13 % 16)::int] || ' ' || g,
       (ARRAY['lisbon', 'porto', 'madrid', 'seville', 'paris', 'lyon', 'berlin', 'hamburg', 'vienna', 'prague',
              'warsaw', 'krakow', 'rome', 'milan', 'naples', 'athens', 'dublin', 'oslo', 'helsinki', 'tallinn'])[1 + (g % 20)::int],
       (ARRAY['pizza', 'sushi', 'tapas', 'ramen', 'curry', 'grill', 'vegan', 'bistro', 'tacos', 'dumplings'])[1 + (g * 3 % 10)::int]
FROM generate_series($1::bigint, $2::bigint) AS g
ON CONFLICT (id) DO NOTHING;
