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

CREATE FUNCTION cohort_search_unfold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_text := NULL;
    RETURN NEW;
END
$$;

CREATE TRIGGER cohort_threads_unfold BEFORE UPDATE OF title ON cohort_threads
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION cohort_search_unfold();

CREATE TRIGGER cohort_posts_unfold BEFORE UPDATE OF body ON cohort_posts
    FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body)
    EXECUTE FUNCTION cohort_search_unfold();

CREATE TRIGGER cohort_resources_unfold BEFORE UPDATE OF title, note ON cohort_resources
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.note IS DISTINCT FROM NEW.note)
    EXECUTE FUNCTION cohort_search_unfold();
