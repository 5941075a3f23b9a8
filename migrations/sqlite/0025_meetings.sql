-- The annual meeting: staff create a meeting with its agenda, registration types and
-- questions; members register (or join its waitlist, in order); staff mark payment and
-- check people in.
CREATE TABLE meetings (
    id               INTEGER PRIMARY KEY,
    slug             TEXT    NOT NULL UNIQUE,
    title            TEXT    NOT NULL,
    host_city        TEXT    NOT NULL DEFAULT '',
    venue            TEXT    NOT NULL DEFAULT '',
    venue_address    TEXT    NOT NULL DEFAULT '',
    time_zone        TEXT    NOT NULL,
    starts_at        BIGINT  NOT NULL,
    ends_at          BIGINT  NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    description_html TEXT    NOT NULL DEFAULT '',
    opens_at         BIGINT  NOT NULL,
    closes_at        BIGINT  NOT NULL,
    -- NULL: no overall limit (the types' own limits still apply).
    capacity         BIGINT,
    status           TEXT    NOT NULL CHECK (status IN ('draft', 'open', 'closed', 'cancelled', 'past')),
    -- ICS SEQUENCE of the meeting's own entry: grows with each change of time or place.
    sequence         BIGINT  NOT NULL DEFAULT 0,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX meetings_starts ON meetings (starts_at);

CREATE TABLE meeting_types (
    id         INTEGER PRIMARY KEY,
    meeting_id BIGINT  NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    capacity   BIGINT,
    -- Who may choose it: 'members' (mayors and advisors), 'mayors', 'advisors', 'staff'
    -- (only staff register people with it).
    who        TEXT    NOT NULL CHECK (who IN ('members', 'mayors', 'advisors', 'staff')),
    -- Shown as written ("$250", "Free"); money is handled outside the portal.
    fee        TEXT    NOT NULL DEFAULT '',
    position   BIGINT  NOT NULL
);
CREATE INDEX meeting_types_meeting ON meeting_types (meeting_id, position);

CREATE TABLE meeting_questions (
    id         INTEGER PRIMARY KEY,
    meeting_id BIGINT  NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('text', 'choice', 'choices', 'yesno')),
    prompt     TEXT    NOT NULL,
    -- The choices of 'choice' and 'choices', one per line.
    choices    TEXT    NOT NULL DEFAULT '',
    required   BIGINT  NOT NULL DEFAULT 0,
    position   BIGINT  NOT NULL
);
CREATE INDEX meeting_questions_meeting ON meeting_questions (meeting_id, position);

CREATE TABLE meeting_agenda (
    id         INTEGER PRIMARY KEY,
    meeting_id BIGINT  NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    title      TEXT    NOT NULL,
    starts_at  BIGINT  NOT NULL,
    ends_at    BIGINT  NOT NULL,
    room       TEXT    NOT NULL DEFAULT '',
    speakers   TEXT    NOT NULL DEFAULT '',
    note       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX meeting_agenda_meeting ON meeting_agenda (meeting_id, starts_at);

CREATE TABLE meeting_registrations (
    id             INTEGER PRIMARY KEY,
    meeting_id     BIGINT  NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    type_id        BIGINT  NOT NULL REFERENCES meeting_types (id),
    -- NULL for a guest without an account (staff register them).
    person_id      BIGINT  REFERENCES people (id),
    name           TEXT    NOT NULL,
    -- The name folded (lower case, accents kept as NFC) for search and order, the same on
    -- both databases.
    name_folded    TEXT    NOT NULL,
    email          TEXT    NOT NULL,
    organization   TEXT    NOT NULL DEFAULT '',
    city_id        BIGINT  REFERENCES cities (id),
    status         TEXT    NOT NULL CHECK (status IN ('registered', 'waiting', 'cancelled')),
    -- The order of the waitlist: when the registration began to wait.
    waiting_since  BIGINT,
    listed         BIGINT  NOT NULL DEFAULT 0,
    payment        TEXT    NOT NULL DEFAULT 'due' CHECK (payment IN ('due', 'paid', 'waived')),
    checked_in_at  BIGINT,
    -- The check-in address's code (only staff can use the address).
    checkin_code   TEXT    NOT NULL UNIQUE,
    -- The calendar's identity of this person's entry, and its SEQUENCE.
    uid            TEXT    NOT NULL UNIQUE,
    sequence       BIGINT  NOT NULL DEFAULT 0,
    registered_by  BIGINT  REFERENCES people (id),
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);
-- One registration that counts per person and meeting: 20 identical submissions make one.
CREATE UNIQUE INDEX meeting_registrations_once ON meeting_registrations (meeting_id, person_id)
    WHERE person_id IS NOT NULL AND status <> 'cancelled';
CREATE UNIQUE INDEX meeting_registrations_guest_once ON meeting_registrations (meeting_id, email)
    WHERE person_id IS NULL AND status <> 'cancelled';
CREATE INDEX meeting_registrations_meeting ON meeting_registrations (meeting_id, status, type_id);
CREATE INDEX meeting_registrations_name ON meeting_registrations (meeting_id, name_folded, id);

CREATE TABLE meeting_answers (
    registration_id BIGINT NOT NULL REFERENCES meeting_registrations (id) ON DELETE CASCADE,
    question_id     BIGINT NOT NULL REFERENCES meeting_questions (id) ON DELETE CASCADE,
    value           TEXT   NOT NULL,
    PRIMARY KEY (registration_id, question_id)
);
