-- One batch of deterministic scans: ids $1 to $2, five per parcel, each a few hours after the previous one.
INSERT INTO scans (id, parcel_id, depot_id, note, scanned_at)
SELECT g,
       1 + (g - 1) / 5,
       1 + (((1 + (g - 1) / 5) * 7919 + (g % 5) * 13) % 40)::int,
       (ARRAY['received', 'sorted', 'in transit', 'at depot', 'out for delivery'])[1 + ((g - 1) % 5)::int],
       timestamptz '2026-06-01 00:00:00+00' - (((1 + (g - 1) / 5) * 104729) % (30 * 86400)) * interval '1 second'
           + ((g - 1) % 5) * interval '3 hours'
FROM generate_series($1::bigint, $2::bigint) AS g
ON CONFLICT (id) DO NOTHING;
