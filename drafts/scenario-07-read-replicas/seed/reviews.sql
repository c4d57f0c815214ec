-- One batch of deterministic reviews: ids $1 to $2, over the two years before 2026-06-01, popular restaurants
-- with thousands of reviews and most with a few dozen. Each restaurant leans its own way (x^a with a between
-- 0.5 and 2 by restaurant), so their averages differ. The running totals of the restaurants are brought up to
-- date at the end of each batch (this batch's reviews only).
WITH batch AS (
    INSERT INTO reviews (id, restaurant_id, reviewer_id, rating, body, created_at)
    SELECT g,
           r.id,
           1 + ((g * 2654435761) % 100000),
           1 + floor(5 * power(((g * 17) % 100) / 100.0, 0.5 + (r.id % 7) / 4.0))::int,
           (ARRAY['Lovely evening, friendly staff.', 'Portions too small for the price.', 'Best in town, again.',
                  'Waited 40 minutes for a table.', 'Solid, nothing special.', 'The dessert alone is worth it.',
                  'Too loud to talk.', 'Will come back with friends.'])[1 + (g * 3 % 8)::int],
           timestamptz '2026-06-01 00:00:00+00' - ((g * 104729) % (730 * 86400)) * interval '1 second'
    FROM generate_series($1::bigint, $2::bigint) AS g
    CROSS JOIN LATERAL (SELECT 1 + floor(10000 * power(((g * 40503) % 65536) / 65536.0, 2))::bigint AS id) AS r
    ON CONFLICT (id) DO NOTHING
    RETURNING restaurant_id, rating
)
UPDATE restaurants SET review_count = review_count + t.n, rating_total = rating_total + t.total
FROM (SELECT restaurant_id, count(*) AS n, sum(rating) AS total FROM batch GROUP BY restaurant_id) AS t
WHERE restaurants.id = t.restaurant_id;
