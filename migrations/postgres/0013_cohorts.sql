-- Cohorts and networks: a group of members working on one theme for a season, with its own
-- members, discussion, resources and sessions. Everything in a cohort is private to its
-- members and staff. Calendar dates are TEXT 'YYYY-MM-DD'; instants are Unix seconds.

CREATE TABLE cohorts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         TEXT    NOT NULL UNIQUE,
    name         TEXT    NOT NULL,
    topic        TEXT    NOT NULL DEFAULT '',
    description  TEXT    NOT NULL DEFAULT '',
    -- 'open' (anyone joins at once), 'request' (a facilitator approves), 'invite' (added).
    join_policy  TEXT    NOT NULL,
    -- 1: people who are not in it see that it exists (in /cohorts).
    visible      BIGINT NOT NULL DEFAULT 1,
    starts_on    TEXT,
    ends_on      TEXT,
    -- 'active' or 'archived' (read-only, still visible to its members).
    status       TEXT    NOT NULL DEFAULT 'active',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- Who is in a cohort, and how.
CREATE TABLE cohort_members (
    cohort_id      BIGINT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    person_id      BIGINT NOT NULL REFERENCES people (id),
    -- 'member' or 'facilitator'.
    role           TEXT    NOT NULL DEFAULT 'member',
    joined_at      BIGINT NOT NULL,
    -- 1: activity emails (threads, replies, sessions); 0: stopped following.
    following      BIGINT NOT NULL DEFAULT 1,
    -- NULL: the person's own listing choice; 1 or 0: a staff override (logged).
    listed_override BIGINT,
    -- The secret of this person's calendar feed of the cohort's sessions (renewable).
    calendar_token TEXT    NOT NULL UNIQUE,
    PRIMARY KEY (cohort_id, person_id)
);
CREATE INDEX cohort_members_person ON cohort_members (person_id);

-- Requests to join a cohort whose policy is 'request'.
CREATE TABLE cohort_requests (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cohort_id   BIGINT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    person_id   BIGINT NOT NULL REFERENCES people (id),
    message     TEXT    NOT NULL DEFAULT '',
    -- 'pending', 'approved', 'declined', 'withdrawn'.
    status      TEXT    NOT NULL DEFAULT 'pending',
    created_at  BIGINT NOT NULL,
    decided_at  BIGINT,
    decided_by  BIGINT REFERENCES people (id)
);
-- One pending request per person and cohort.
CREATE UNIQUE INDEX cohort_requests_pending ON cohort_requests (cohort_id, person_id) WHERE status = 'pending';

-- Discussion: threads, each opened by its first post.
CREATE TABLE cohort_threads (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cohort_id     BIGINT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    author_id     BIGINT NOT NULL REFERENCES people (id),
    title         TEXT    NOT NULL,
    created_at    BIGINT NOT NULL,
    -- The latest post's time (the thread's place in the list, and "new" marks).
    last_post_at  BIGINT NOT NULL,
    -- When a facilitator hid the thread (its opening post), or NULL.
    hidden_at     BIGINT
);
CREATE INDEX cohort_threads_list ON cohort_threads (cohort_id, last_post_at);

CREATE TABLE cohort_posts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thread_id   BIGINT NOT NULL REFERENCES cohort_threads (id) ON DELETE CASCADE,
    author_id   BIGINT NOT NULL REFERENCES people (id),
    body        TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    edited_at   BIGINT,
    hidden_at   BIGINT,
    hidden_by   BIGINT REFERENCES people (id)
);
CREATE INDEX cohort_posts_thread ON cohort_posts (thread_id, created_at);

-- When each person last read each thread ("new since your last visit").
CREATE TABLE cohort_reads (
    thread_id  BIGINT NOT NULL REFERENCES cohort_threads (id) ON DELETE CASCADE,
    person_id  BIGINT NOT NULL REFERENCES people (id),
    read_at    BIGINT NOT NULL,
    PRIMARY KEY (thread_id, person_id)
);

-- Resources: a stored file or a link, each with a title and a note.
CREATE TABLE cohort_resources (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cohort_id   BIGINT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    url         TEXT,
    file_id     BIGINT REFERENCES files (id),
    added_by    BIGINT NOT NULL REFERENCES people (id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX cohort_resources_cohort ON cohort_resources (cohort_id, created_at);

-- Sessions: a time with its own zone, a call link and notes for members.
CREATE TABLE cohort_sessions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cohort_id   BIGINT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    -- The calendar's stable identity of this session (ICS UID).
    uid         TEXT    NOT NULL UNIQUE,
    title       TEXT    NOT NULL,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    time_zone   TEXT    NOT NULL,
    call_url    TEXT    NOT NULL DEFAULT '',
    notes       TEXT    NOT NULL DEFAULT '',
    -- ICS SEQUENCE: grows with each change, so calendars update in place.
    sequence    BIGINT NOT NULL DEFAULT 0,
    cancelled   BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX cohort_sessions_cohort ON cohort_sessions (cohort_id, starts_at);
