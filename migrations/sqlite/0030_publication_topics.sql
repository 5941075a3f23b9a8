-- A publication's topics: the organization's one list of topics, the same as the news'.
CREATE TABLE publication_topics (
    publication_id BIGINT NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    topic_id       BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (publication_id, topic_id)
);
CREATE INDEX publication_topics_topic ON publication_topics (topic_id);

-- Email about new publications: 1 when the person asked for it on /account (off by default).
ALTER TABLE people ADD COLUMN publication_news BIGINT NOT NULL DEFAULT 0;
-- When the publication was first published and its email written (NULL: not yet).
ALTER TABLE publications ADD COLUMN announced_at BIGINT;
UPDATE publications SET announced_at = updated_at WHERE status = 'published';
