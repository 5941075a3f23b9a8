-- Simple pages staff write in Markdown (About us, Contact, Privacy, …): a slug, a place in
-- the header or footer (or neither), and a draft state.

CREATE TABLE pages (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    placement  TEXT    NOT NULL DEFAULT 'none',
    position   INTEGER NOT NULL DEFAULT 0,
    status     TEXT    NOT NULL DEFAULT 'draft',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
