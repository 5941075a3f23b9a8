-- The portal's one search index: a document per searchable thing (a news post, a page, a
-- cohort thread, reply or resource, a meeting, a publication, a city's assistance request),
-- written in the transaction of the change that makes it, and who may find it.
CREATE TABLE search_docs (
    id      BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind    TEXT    NOT NULL,
    ref_id  BIGINT  NOT NULL,
    title   TEXT    NOT NULL,
    body    TEXT    NOT NULL,
    url     TEXT    NOT NULL,
    context TEXT    NOT NULL DEFAULT '',
    at      BIGINT  NOT NULL,
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
