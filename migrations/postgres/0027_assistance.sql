-- Technical assistance: a member city asks the staff for help, and both follow the request to
-- its end. A request belongs to its city; its public conversation is `assistance_replies`
-- with internal = 0. Internal notes (internal = 1) are the staff's alone: every query a city
-- person's page, email, list, count or search reads asks `internal = 0`.
CREATE TABLE assistance_topics (
    id       BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name     TEXT    NOT NULL UNIQUE,
    retired  BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE assistance_requests (
    id                 BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    city_id            BIGINT  NOT NULL REFERENCES cities (id),
    opened_by          BIGINT  NOT NULL REFERENCES people (id),
    topic_id           BIGINT  NOT NULL REFERENCES assistance_topics (id),
    title              TEXT    NOT NULL,
    description        TEXT    NOT NULL,
    description_html   TEXT    NOT NULL,
    urgency            TEXT    NOT NULL CHECK (urgency IN ('low', 'normal', 'high')),
    needed_by          TEXT    NOT NULL DEFAULT '',
    status             TEXT    NOT NULL CHECK (status IN ('new', 'triaged', 'in_progress', 'waiting', 'resolved', 'closed')),
    owner_id           BIGINT  REFERENCES people (id),
    follows            BIGINT  REFERENCES assistance_requests (id),
    created_at         BIGINT  NOT NULL,
    response_due       BIGINT  NOT NULL,
    responded_at       BIGINT,
    last_activity_at   BIGINT  NOT NULL,
    waiting_on         TEXT    NOT NULL DEFAULT 'staff' CHECK (waiting_on IN ('staff', 'city', 'nobody')),
    resolved_at        BIGINT,
    closed_at          BIGINT,
    -- Who last moved the status (NULL: the portal), for the guarded transition.
    moved_by           BIGINT REFERENCES people(id),
    submission         TEXT    NOT NULL,
    UNIQUE (opened_by, submission)
);
CREATE INDEX assistance_requests_city ON assistance_requests (city_id, last_activity_at);
CREATE INDEX assistance_requests_status ON assistance_requests (status, response_due);

CREATE TABLE assistance_replies (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id  BIGINT  NOT NULL REFERENCES assistance_requests (id) ON DELETE CASCADE,
    author_id   BIGINT  NOT NULL REFERENCES people (id),
    internal    BIGINT  NOT NULL DEFAULT 0,
    body        TEXT    NOT NULL,
    body_html   TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    submission  TEXT    NOT NULL,
    UNIQUE (request_id, author_id, submission)
);
CREATE INDEX assistance_replies_request ON assistance_replies (request_id, internal, created_at);

-- Files: of the request itself (reply_id NULL) or of a reply or note, which says whether the
-- city may see it.
CREATE TABLE assistance_files (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id  BIGINT  NOT NULL REFERENCES assistance_requests (id) ON DELETE CASCADE,
    reply_id    BIGINT  REFERENCES assistance_replies (id) ON DELETE CASCADE,
    internal    BIGINT  NOT NULL DEFAULT 0,
    file_id     BIGINT  NOT NULL REFERENCES files (id),
    added_by    BIGINT  NOT NULL REFERENCES people (id),
    created_at  BIGINT  NOT NULL
);
CREATE INDEX assistance_files_request ON assistance_files (request_id, internal);

-- What happened to a request, in words the city may read (internal notes are never named).
CREATE TABLE assistance_history (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id  BIGINT  NOT NULL REFERENCES assistance_requests (id) ON DELETE CASCADE,
    actor_id    BIGINT  REFERENCES people (id),
    what        TEXT    NOT NULL,
    at          BIGINT  NOT NULL
);
CREATE INDEX assistance_history_request ON assistance_history (request_id, at);

-- Whether the answer helped: asked once after resolution.
CREATE TABLE assistance_feedback (
    request_id  BIGINT  PRIMARY KEY REFERENCES assistance_requests (id) ON DELETE CASCADE,
    person_id   BIGINT  NOT NULL REFERENCES people (id),
    helped      TEXT    NOT NULL CHECK (helped IN ('yes', 'partly', 'no')),
    comment     TEXT    NOT NULL DEFAULT '',
    at          BIGINT  NOT NULL
);

-- The staff who are told of each new request.
CREATE TABLE assistance_triagers (
    person_id   BIGINT  PRIMARY KEY REFERENCES people (id)
);

-- A mayor who follows every request of the city (emails of all of them).
CREATE TABLE assistance_followers (
    person_id   BIGINT  PRIMARY KEY REFERENCES people (id)
);

INSERT INTO assistance_topics (name) VALUES ('Policy question'), ('Data and evidence'), ('Grants and funding'), ('Program design'), ('Something else');
