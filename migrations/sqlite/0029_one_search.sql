-- The one search takes over the news' own index, and finds pages and meetings too.
--
-- Each document carries tokens for its kind and for who may find it (`tags`), indexed in their
-- own full-text column that no typed word reaches. A search asks the index for the reader's
-- tokens together with the words, so that ranking weighs only what the reader may open (a
-- common word no longer ranks every private match first); the SQL access check still
-- decides every result (`search_admits!`). Tokens: `zkind<kind>`, `zpublic`, `zmembers`,
-- `zcohort<id>`, `zcity<id>` (`search::tags`).
DROP TRIGGER search_docs_ai;
DROP TRIGGER search_docs_ad;
DROP TRIGGER search_docs_au;
DROP TABLE search_fts;
ALTER TABLE search_docs ADD COLUMN tags TEXT NOT NULL DEFAULT '';
-- Newest first walks the documents by date.
CREATE INDEX search_docs_at ON search_docs (at, id);

-- Published news (members-only posts for members), published pages, announced meetings.
INSERT INTO search_docs (kind, ref_id, title, body, url, context, at, visible_from)
    SELECT 'news', id, title, body_text, '/news/' || slug, '', COALESCE(publish_at, created_at), COALESCE(publish_at, 0)
    FROM posts WHERE status = 'published';
INSERT INTO search_access (doc_id, scope, scope_id)
    SELECT d.id, CASE WHEN p.members_only = 1 THEN 'members' ELSE 'public' END, 0
    FROM search_docs d JOIN posts p ON p.id = d.ref_id WHERE d.kind = 'news';
INSERT INTO search_docs (kind, ref_id, title, body, url, context, at)
    SELECT 'page', id, title, body, '/pages/' || slug, '', updated_at FROM pages WHERE status = 'published';
INSERT INTO search_docs (kind, ref_id, title, body, url, context, at)
    SELECT 'meeting', id, title, trim(host_city || ' ' || venue || ' ' || description), '/meetings/' || slug, host_city, starts_at
    FROM meetings WHERE status <> 'draft';
INSERT INTO search_access (doc_id, scope, scope_id)
    SELECT id, 'public', 0 FROM search_docs WHERE kind IN ('page', 'meeting');

UPDATE search_docs SET tags = 'zkind' || kind || COALESCE((
    SELECT group_concat(CASE a.scope WHEN 'public' THEN ' zpublic' WHEN 'members' THEN ' zmembers'
        ELSE ' z' || a.scope || a.scope_id END, '')
    FROM search_access a WHERE a.doc_id = search_docs.id), '');

CREATE VIRTUAL TABLE search_fts USING fts5 (title, body, tags, content = 'search_docs', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 0');
INSERT INTO search_fts (search_fts) VALUES ('rebuild');
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
END;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body, tags) VALUES ('delete', old.id, old.title, old.body, old.tags);
END;
CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body, tags) VALUES ('delete', old.id, old.title, old.body, old.tags);
    INSERT INTO search_fts (rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
END;

DROP TABLE post_search;
