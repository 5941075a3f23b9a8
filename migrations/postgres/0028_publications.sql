-- Shared publications: reports, briefs, toolkits, case studies and webinar recordings, each
-- public, for members, or for chosen cohorts; a file kept in versions (the address serves the
-- newest), and who downloaded what, per city.
CREATE TABLE publications (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         TEXT    NOT NULL UNIQUE,
    title        TEXT    NOT NULL,
    summary      TEXT    NOT NULL DEFAULT '',
    summary_html TEXT    NOT NULL DEFAULT '',
    authors      TEXT    NOT NULL DEFAULT '',
    published_on TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('report', 'brief', 'toolkit', 'case_study', 'webinar')),
    external_url TEXT    NOT NULL DEFAULT '',
    visibility   TEXT    NOT NULL CHECK (visibility IN ('public', 'members', 'cohorts')),
    status       TEXT    NOT NULL CHECK (status IN ('draft', 'published')),
    created_by   BIGINT  NOT NULL REFERENCES people (id),
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX publications_listed ON publications (status, published_on, id);

CREATE TABLE publication_cohorts (
    publication_id BIGINT NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    cohort_id      BIGINT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    PRIMARY KEY (publication_id, cohort_id)
);

-- The file's versions; text_status says what search has of it.
CREATE TABLE publication_files (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    publication_id BIGINT  NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    file_id        BIGINT  NOT NULL REFERENCES files (id),
    version        BIGINT  NOT NULL,
    added_by       BIGINT  NOT NULL REFERENCES people (id),
    added_at       BIGINT  NOT NULL,
    text_status    TEXT    NOT NULL CHECK (text_status IN ('found', 'none', 'failed', 'not_pdf')),
    body_text      TEXT    NOT NULL DEFAULT '',
    UNIQUE (publication_id, version)
);

CREATE TABLE publication_downloads (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    publication_id BIGINT  NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    city_id        BIGINT  REFERENCES cities (id),
    at             BIGINT  NOT NULL
);
CREATE INDEX publication_downloads_publication ON publication_downloads (publication_id, at);
