-- Scenario 03 schema: a ticket shop. Every query the server runs is already indexed and takes well
-- under a millisecond: the database is not this scenario's problem, the way the server borrows
-- connections from its pool is.

CREATE TABLE IF NOT EXISTS events (
    id          bigint      PRIMARY KEY,
    name        text        NOT NULL,
    venue       text        NOT NULL,
    starts_at   timestamptz NOT NULL,
    price_cents integer     NOT NULL
);

-- 500 seats per event. order_id is NULL while the seat is free.
CREATE TABLE IF NOT EXISTS seats (
    id       bigint  PRIMARY KEY,
    event_id bigint  NOT NULL REFERENCES events (id),
    label    text    NOT NULL,
    order_id bigint
);

-- The free seats of one event, in seat order: what "seats left" counts and what checkout claims from.
CREATE INDEX IF NOT EXISTS seats_free_by_event_idx ON seats (event_id, id) WHERE order_id IS NULL;

-- Orders are created by checkouts (none are seeded). status: pending while the card is being charged,
-- then paid (or failed).
CREATE TABLE IF NOT EXISTS orders (
    id          bigserial   PRIMARY KEY,
    event_id    bigint      NOT NULL REFERENCES events (id),
    seat_id     bigint      NOT NULL REFERENCES seats (id),
    email       text        NOT NULL,
    status      text        NOT NULL,
    payment_id  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
