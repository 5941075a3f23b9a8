-- The parts of an email beside its text and HTML: a file, a calendar alternative, a picture
-- the HTML shows by Content-ID; in their order, gone with their email.
CREATE TABLE outbox_parts (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id    BIGINT  NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    position     BIGINT  NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('file', 'alternative', 'inline')),
    content_id   TEXT    NOT NULL DEFAULT '',
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    body         BYTEA   NOT NULL,
    UNIQUE (outbox_id, position)
);
