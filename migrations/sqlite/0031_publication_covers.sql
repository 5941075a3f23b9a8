-- A publication's optional cover picture: an image of the one picture store (the news'),
-- with its text alternative.
ALTER TABLE publications ADD COLUMN cover_image_id BIGINT REFERENCES images (id);
ALTER TABLE publications ADD COLUMN cover_alt TEXT NOT NULL DEFAULT '';
CREATE INDEX publications_cover ON publications (cover_image_id);
