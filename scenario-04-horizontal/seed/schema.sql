-- Scenario 04 schema: Potluck, a recipe-sharing site. Members log in, change their display name, upload
-- an avatar, and get a daily digest email. Every query is indexed: this scenario is not about the
-- database being slow, it is about what happens when a second server runs beside the first.

-- Every member's password is 'pancakes' (salted and hashed: never store a password itself).
CREATE TABLE IF NOT EXISTS members (
    id            bigint      PRIMARY KEY,
    email         text        NOT NULL UNIQUE,
    display_name  text        NOT NULL,
    password_salt text        NOT NULL,
    password_hash text        NOT NULL,
    wants_digest  boolean     NOT NULL,
    joined_at     timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS recipes (
    id         bigint      PRIMARY KEY,
    author_id  bigint      NOT NULL REFERENCES members (id),
    title      text        NOT NULL,
    minutes    integer     NOT NULL,
    created_at timestamptz NOT NULL
);
-- A member's recipes, counted on their profile page.
CREATE INDEX IF NOT EXISTS recipes_author_idx ON recipes (author_id);

-- The daily digest: one row per email sent. sent_by is the server instance that sent it.
CREATE TABLE IF NOT EXISTS digest_emails (
    id        bigserial   PRIMARY KEY,
    day       bigint      NOT NULL,
    member_id bigint      NOT NULL REFERENCES members (id),
    subject   text        NOT NULL,
    sent_by   text        NOT NULL,
    sent_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS digest_emails_day_idx ON digest_emails (day);

-- The tables below are empty at the start. The naive server keeps this state in its own memory or on
-- its own disk instead; they are here for when you move it somewhere every instance can see.

-- Who is logged in: one row per session (the value of the session cookie).
CREATE TABLE IF NOT EXISTS sessions (
    id         text        PRIMARY KEY,
    member_id  bigint      NOT NULL REFERENCES members (id),
    expires_at timestamptz NOT NULL
);

-- Failed logins per email, counted over a one-minute window (to stop password guessing).
CREATE TABLE IF NOT EXISTS login_limits (
    email        text        PRIMARY KEY,
    window_start timestamptz NOT NULL,
    failures     integer     NOT NULL
);

-- Uploaded avatars.
CREATE TABLE IF NOT EXISTS avatars (
    member_id    bigint      PRIMARY KEY REFERENCES members (id),
    content_type text        NOT NULL,
    image        bytea       NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Scheduled jobs that have run: one row per job and day.
CREATE TABLE IF NOT EXISTS job_runs (
    job     text        NOT NULL,
    day     bigint      NOT NULL,
    ran_by  text        NOT NULL,
    ran_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job, day)
);
