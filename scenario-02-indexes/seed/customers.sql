-- One batch of deterministic customers: ids $1 to $2 (50,000 in total).
INSERT INTO customers (id, email, full_name, created_at)
SELECT g,
       lower(first_name) || '.' || lower(last_name) || g || '@example.com',
       first_name || ' ' || last_name,
       timestamptz '2020-01-01 00:00:00+00' + ((g * 104729) % 63072000) * interval '1 second'
FROM generate_series($1::bigint, $2::bigint) AS g,
     LATERAL (SELECT (ARRAY['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Linus',
                            'Radia', 'Ken', 'Frances', 'Dennis', 'Katherine', 'Tim', 'Hedy', 'John',
                            'Sophie', 'Guido', 'Anita', 'Bjarne', 'Joan', 'Yukihiro', 'Shafi', 'Leslie'])[1 + (g * 31 % 24)::int] AS first_name,
                     (ARRAY['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Torvalds',
                            'Perlman', 'Thompson', 'Allen', 'Ritchie', 'Johnson', 'Berners-Lee', 'Lamarr', 'Backus',
                            'Wilson', 'Rossum', 'Borg', 'Stroustrup', 'Clarke', 'Matsumoto', 'Goldwasser', 'Lamport'])[1 + (g * 17 % 24)::int] AS last_name) AS names
ON CONFLICT (id) DO NOTHING;
