-- One batch of deterministic parcels: ids $1 to $2, codes PP00000001..., spread over the 40 depots.
INSERT INTO parcels (id, code, recipient, depot_id, created_at)
SELECT g,
       'PP' || lpad(g::text, 8, '0'),
       (ARRAY['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken'])[1 + (g % 8)::int]
           || ' ' || (ARRAY['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson'])[1 + ((g / 8) % 8)::int],
       1 + ((g * 7919) % 40)::int,
       timestamptz '2026-06-01 00:00:00+00' - ((g * 104729) % (30 * 86400)) * interval '1 second'
FROM generate_series($1::bigint, $2::bigint) AS g
ON CONFLICT (id) DO NOTHING;
