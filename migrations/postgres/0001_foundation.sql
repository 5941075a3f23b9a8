-- People who can log in. Staff only for now; mayors and advisors come with member cities.
-- Instants are Unix seconds (BIGINT) and flags are 0/1 integers, so that sqlx `Any` decodes
-- the same rows on SQLite and PostgreSQL.
CREATE TABLE people (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT    NOT NULL,
    email_norm    TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    title         TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL CHECK (role IN ('staff', 'mayor', 'advisor')),
    password_hash TEXT    NOT NULL,
    active        BIGINT  NOT NULL DEFAULT 1,
    created_at    BIGINT  NOT NULL
);

-- tower-sessions records; person_id is copied out of the data so that every session of a
-- person can be ended at once.
CREATE TABLE sessions (
    id         TEXT   PRIMARY KEY,
    data       TEXT   NOT NULL,
    expires_at BIGINT NOT NULL,
    person_id  BIGINT REFERENCES people (id) ON DELETE CASCADE
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_person_id ON sessions (person_id);

-- One-time links that create the first staff account.
CREATE TABLE setup_tokens (
    token_hash TEXT   PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- Failed log-ins, counted per account and per client address by every instance alike.
CREATE TABLE login_failures (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email_norm TEXT    NOT NULL,
    client_ip  TEXT    NOT NULL,
    at         BIGINT  NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email_norm, at);
CREATE INDEX login_failures_ip ON login_failures (client_ip, at);
