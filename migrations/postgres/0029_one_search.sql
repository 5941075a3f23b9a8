-- The one search takes over the news' own index, and finds pages and meetings too.
--
-- Each document carries tokens for its kind and for who may find it (`tags`; on SQLite they
-- narrow the full-text ranking to what the reader may open). PostgreSQL keeps the column for
-- the same schema and filters by `kind` and `search_admits!` as before.
ALTER TABLE search_docs ADD COLUMN tags TEXT NOT NULL DEFAULT '';
-- Newest first walks the documents by date.
CREATE INDEX search_docs_at ON search_docs (at, id);

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
    SELECT string_agg(CASE a.scope WHEN 'public' THEN ' zpublic' WHEN 'members' THEN ' zmembers'
        ELSE ' z' || a.scope || a.scope_id END, '')
    FROM search_access a WHERE a.doc_id = search_docs.id), '');

DROP TABLE post_search;
