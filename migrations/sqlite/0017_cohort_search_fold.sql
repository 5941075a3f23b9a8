-- The cohorts' search compares a folded copy of the text (lower case, NFC), computed in Rust
-- (`text::fold`), instead of SQL's lower(), which folds only ASCII on SQLite: the same search
-- must find the same on both databases. The copy is NULL until the search fills it (rows
-- written since, and every row once after this migration); changing the text empties it.
ALTER TABLE cohort_threads ADD COLUMN search_text TEXT;
ALTER TABLE cohort_posts ADD COLUMN search_text TEXT;
ALTER TABLE cohort_resources ADD COLUMN search_text TEXT;

CREATE INDEX cohort_threads_unfolded ON cohort_threads (id) WHERE search_text IS NULL;
CREATE INDEX cohort_posts_unfolded ON cohort_posts (id) WHERE search_text IS NULL;
CREATE INDEX cohort_resources_unfolded ON cohort_resources (id) WHERE search_text IS NULL;

CREATE TRIGGER cohort_threads_unfold AFTER UPDATE OF title ON cohort_threads
    WHEN OLD.title IS NOT NEW.title
BEGIN
    UPDATE cohort_threads SET search_text = NULL WHERE id = NEW.id;
END;

CREATE TRIGGER cohort_posts_unfold AFTER UPDATE OF body ON cohort_posts
    WHEN OLD.body IS NOT NEW.body
BEGIN
    UPDATE cohort_posts SET search_text = NULL WHERE id = NEW.id;
END;

CREATE TRIGGER cohort_resources_unfold AFTER UPDATE OF title, note ON cohort_resources
    WHEN OLD.title IS NOT NEW.title OR OLD.note IS NOT NEW.note
BEGIN
    UPDATE cohort_resources SET search_text = NULL WHERE id = NEW.id;
END;
