-- Scenario 01 schema: one table of users. Only the primary key is indexed - on purpose.
CREATE TABLE IF NOT EXISTS users (
    id           bigint      PRIMARY KEY,
    email        text        NOT NULL,
    full_name    text        NOT NULL,
    city         text        NOT NULL,
    signed_up_at timestamptz NOT NULL
);
