-- One batch of deterministic events: ids $1 to $2 (2,000 in total), one to four months ahead.
INSERT INTO events (id, name, venue, starts_at, price_cents)
SELECT g,
       (ARRAY['The Null Pointers', 'Segfault Symphony', 'Race Condition', 'The Deadlocks', 'Cache Misses',
              'Off By One', 'The Borrow Checkers', 'Stack Overflow Live', 'Garbage Collectors', 'Big O Orchestra'])[1 + g % 10]
         || ' — night ' || g,
       (ARRAY['Arena Nord', 'Hall 7', 'The Basement', 'Riverside Stage', 'Old Theatre'])[1 + g * 7 % 5],
       timestamptz '2027-01-01 20:00:00+00' + (g % 120) * interval '1 day',
       2500 + (g * 37 % 60) * 100
FROM generate_series($1::bigint, $2::bigint) AS g
ON CONFLICT (id) DO NOTHING;
