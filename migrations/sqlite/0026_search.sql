-- The portal's one search index: a document per searchable thing (a news post, a page, a
-- cohort thread, reply or resource, a meeting, a publication, a city's assistance request),
-- written in the transaction of the change that makes it, and who may find it.
CREATE TABLE search_docs (
    id      INTEGER PRIMARY KEY,
    kind    TEXT    NOT NULL,
    ref_id  BIGINT  NOT NULL,
    title   TEXT    NOT NULL,
    body    TEXT    NOT NULL,
    url     TEXT    NOT NULL,
    context TEXT    NOT NULL DEFAULT '',
    at      BIGINT  NOT NULL,
    -- Found only from this instant (a post scheduled for later: its publication time).
    visible_from BIGINT NOT NULL DEFAULT 0,
    UNIQUE (kind, ref_id)
);

-- Who may find a document: any row that admits the reader does. Staff find every document.
-- scope: 'public' (everyone), 'members' (people of active member cities), 'cohort' (its
-- members, scope_id the cohort), 'city' (the city's people, scope_id the city).
CREATE TABLE search_access (
    doc_id   BIGINT NOT NULL REFERENCES search_docs (id) ON DELETE CASCADE,
    scope    TEXT   NOT NULL CHECK (scope IN ('public', 'members', 'cohort', 'city')),
    scope_id BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (doc_id, scope, scope_id)
);
CREATE INDEX search_access_scope ON search_access (scope, scope_id);

-- The full-text index over the documents' titles and bodies (FTS5, the content kept in
-- search_docs), in step with them by triggers: every write of a document writes its index
-- entry in the same transaction.
CREATE VIRTUAL TABLE search_fts USING fts5 (title, body, content = 'search_docs', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 0');
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO search_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
