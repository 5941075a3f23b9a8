-- Member cities, their people, invitations, password resets, email changes, the outbox, the audit log.
-- Calendar dates are TEXT 'YYYY-MM-DD'; instants are BIGINT Unix seconds.

CREATE TABLE cities (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    population   BIGINT  NOT NULL,
    website      TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL CHECK (status IN ('active', 'lapsed')),
    member_since TEXT    NOT NULL,
    renewal_date TEXT,
    created_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX cities_name_state ON cities (lower(name), state);

ALTER TABLE people ADD COLUMN city_id BIGINT REFERENCES cities (id);
CREATE INDEX people_city ON people (city_id);
-- One mayor per city at a time.
CREATE UNIQUE INDEX people_one_mayor_per_city ON people (city_id) WHERE role = 'mayor' AND active = 1;

CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT    NOT NULL UNIQUE,
    email       TEXT    NOT NULL,
    email_norm  TEXT    NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    role        TEXT    NOT NULL CHECK (role IN ('staff', 'mayor', 'advisor')),
    city_id     BIGINT  REFERENCES cities (id),
    invited_by  BIGINT  NOT NULL REFERENCES people (id),
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    accepted_at BIGINT,
    revoked_at  BIGINT,
    person_id   BIGINT  REFERENCES people (id)
);
CREATE INDEX invitations_email ON invitations (email_norm);
CREATE INDEX invitations_city ON invitations (city_id);

CREATE TABLE password_resets (
    token_hash TEXT   PRIMARY KEY,
    person_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE email_changes (
    token_hash     TEXT   PRIMARY KEY,
    person_id      BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    new_email      TEXT   NOT NULL,
    new_email_norm TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);

-- Every email, written in the transaction of the change that causes it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,
    to_addr         TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    text_body       TEXT    NOT NULL,
    html_body       TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    claimed_at      BIGINT,
    claimed_by      TEXT,
    last_error      TEXT,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Who did what to whom: staff and mayors' actions on people, cities and invitations.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         BIGINT  NOT NULL,
    actor_id   BIGINT  REFERENCES people (id),
    action     TEXT    NOT NULL,
    person_id  BIGINT  REFERENCES people (id),
    city_id    BIGINT  REFERENCES cities (id),
    detail     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
