-- One batch of seats: ids $1 to $2 (1,000,000 in total), 500 per event: seat id s belongs to event
-- (s - 1) / 500 + 1 and is labelled row A-Y, number 1-20. All free (order_id NULL).
INSERT INTO seats (id, event_id, label, order_id)
SELECT s,
       (s - 1) / 500 + 1,
       chr(65 + (((s - 1) % 500) / 20)::int) || (((s - 1) % 20) + 1),
       NULL
FROM generate_series($1::bigint, $2::bigint) AS s
ON CONFLICT (id) DO NOTHING;
