-- One batch of deterministic users: ids $1 to $2. Every value is computed from the id alone,
-- so the same ids always produce the same rows (and the load test can use real emails).
INSERT INTO users (id, email, full_name, city, signed_up_at)
SELECT g,
       lower(first_name) || '.' || lower(last_name) || g || '@example.com',
       first_name || ' ' || last_name,
       (ARRAY['Lisbon', 'Nairobi', 'Lagos', 'Austin', 'Manila', 'Berlin', 'Lima', 'Seoul',
              'Toronto', 'Cairo', 'Dhaka', 'Oslo', 'Recife', 'Pune', 'Accra', 'Denver'])[1 + (g * 7919 % 16)::int],
       timestamptz '2019-01-01 00:00:00+00' + ((g * 104729) % 189216000) * interval '1 second'
FROM generate_series($1::bigint, $2::bigint) AS g,
     LATERAL (SELECT (ARRAY['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Linus',
                            'Radia', 'Ken', 'Frances', 'Dennis', 'Katherine', 'Tim', 'Hedy', 'John',
                            'Sophie', 'Guido', 'Anita', 'Bjarne', 'Joan', 'Yukihiro', 'Shafi', 'Leslie'])[1 + (g * 31 % 24)::int] AS first_name,
                     (ARRAY['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Torvalds',
                            'Perlman', 'Thompson', 'Allen', 'Ritchie', 'Johnson', 'Berners-Lee', 'Lamarr', 'Backus',
                            'Wilson', 'Rossum', 'Borg', 'Stroustrup', 'Clarke', 'Matsumoto', 'Goldwasser', 'Lamport'])[1 + (g * 17 % 24)::int] AS last_name) AS names
ON CONFLICT (id) DO NOTHING;
