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

-- The full-text index over the documents' titles (weight A) and bodies (B): a tsvector kept
-- by a trigger in the same write as the document, with a GIN index.
ALTER TABLE search_docs ADD COLUMN vector tsvector;
CREATE INDEX search_docs_vector ON search_docs USING GIN (vector);
CREATE FUNCTION search_docs_vector() RETURNS trigger AS $$
BEGIN
    NEW.vector := setweight(to_tsvector('english', NEW.title), 'A') || setweight(to_tsvector('english', NEW.body), 'B');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER search_docs_vector BEFORE INSERT OR UPDATE ON search_docs
    FOR EACH ROW EXECUTE FUNCTION search_docs_vector();
