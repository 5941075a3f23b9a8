-- A publication's topics: the organization's one list of topics, the same as the news'.
CREATE TABLE publication_topics (
    publication_id BIGINT NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    topic_id       BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (publication_id, topic_id)
);
CREATE INDEX publication_topics_topic ON publication_topics (topic_id);
