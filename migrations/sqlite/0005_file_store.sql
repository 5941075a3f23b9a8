-- The file store: every stored file (cover pictures now; resources, attachments and
-- publications next) lives in the database, in chunks, so that every instance serves every
-- file and SQLite needs nothing beside its own file. Files are write-once: a key always
-- names the same bytes.

CREATE TABLE files (
    id           INTEGER PRIMARY KEY,
    -- Random, for the few places that name a file by itself; access is checked all the same.
    key          TEXT    NOT NULL UNIQUE,
    -- The name it was uploaded with, cleaned of paths and control characters.
    name         TEXT    NOT NULL,
    -- Found from the bytes, never from the name or the browser's word.
    content_type TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    -- Hex SHA-256 of the content (the ETag); empty while the upload is being written.
    sha256       TEXT    NOT NULL,
    chunk_size   BIGINT  NOT NULL,
    -- 0 until a feature's row owns the file; unowned files an hour old are swept.
    attached     BIGINT  NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX files_unattached ON files (attached, created_at);

CREATE TABLE file_chunks (
    file_id BIGINT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    seq     BIGINT NOT NULL,
    data    BLOB   NOT NULL,
    PRIMARY KEY (file_id, seq)
);

-- A cover picture's files in the store: the upload as sent (width 0) and each resized JPEG.
CREATE TABLE image_files (
    image_id BIGINT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    width    BIGINT NOT NULL,
    file_id  BIGINT NOT NULL REFERENCES files (id),
    PRIMARY KEY (image_id, width)
);
CREATE INDEX image_files_file ON image_files (file_id);
