-- The public front: settings, topics, posts with cover images, search, testimonials,
-- applications to become a member city.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE topics (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL UNIQUE,
    created_at BIGINT  NOT NULL
);

-- Uploaded images, stored as resized JPEG files named <hash>-<width>.jpg under <data-dir>/images.
CREATE TABLE images (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash       TEXT    NOT NULL UNIQUE,
    width      BIGINT  NOT NULL,
    height     BIGINT  NOT NULL,
    widths     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);

-- A post is published when status = 'published' and publish_at has come; before that it
-- is scheduled. Instants are Unix seconds.
CREATE TABLE posts (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug           TEXT    NOT NULL UNIQUE,
    title          TEXT    NOT NULL,
    excerpt        TEXT    NOT NULL DEFAULT '',
    body_md        TEXT    NOT NULL DEFAULT '',
    body_html      TEXT    NOT NULL DEFAULT '',
    body_text      TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL CHECK (status IN ('draft', 'published')),
    publish_at     BIGINT,
    members_only   BIGINT  NOT NULL DEFAULT 0,
    author_id      BIGINT  REFERENCES people (id),
    guest_byline   TEXT    NOT NULL DEFAULT '',
    cover_image_id BIGINT  REFERENCES images (id),
    cover_alt      TEXT    NOT NULL DEFAULT '',
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);
CREATE INDEX posts_published ON posts (status, publish_at DESC, id DESC);

-- Topics of a post; publish_at and status are copied here so that a topic's page is read
-- from one index without scanning what it skips.
CREATE TABLE post_topics (
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    topic_id   BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    status     TEXT   NOT NULL,
    publish_at BIGINT,
    PRIMARY KEY (post_id, topic_id)
);
CREATE INDEX post_topics_listing ON post_topics (topic_id, status, publish_at DESC, post_id DESC);

-- Old slugs answer with a 301 to the post's current address.
CREATE TABLE post_redirects (
    old_slug TEXT   PRIMARY KEY,
    post_id  BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE
);

CREATE TABLE testimonials (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quote      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    title      TEXT    NOT NULL DEFAULT '',
    city       TEXT    NOT NULL DEFAULT '',
    active     BIGINT  NOT NULL DEFAULT 1,
    created_at BIGINT  NOT NULL
);

CREATE TABLE applications (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    city_name     TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    population    BIGINT  NOT NULL,
    mayor_name    TEXT    NOT NULL,
    mayor_email   TEXT    NOT NULL,
    contact_name  TEXT    NOT NULL,
    contact_title TEXT    NOT NULL,
    contact_email TEXT    NOT NULL,
    contact_phone TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
    client_ip     TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    decided_at    BIGINT,
    decided_by    BIGINT  REFERENCES people (id),
    decision_note TEXT    NOT NULL DEFAULT '',
    city_id       BIGINT  REFERENCES cities (id)
);
CREATE INDEX applications_city ON applications (state, city_name);
CREATE INDEX applications_ip ON applications (client_ip, created_at);

-- Full-text search over published news: the one backend-specific structure (tsvector here,
-- FTS5 on SQLite), kept in step by news::search.
CREATE TABLE post_search (
    post_id BIGINT   PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    vector  TSVECTOR NOT NULL
);
CREATE INDEX post_search_vector ON post_search USING GIN (vector);
