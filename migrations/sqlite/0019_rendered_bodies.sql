-- Markdown bodies are rendered once, when they are saved, and pages serve the stored,
-- sanitized HTML (news posts already did). NULL means not rendered yet: rows written before
-- this migration, filled once at start-up (`db::fill_rendered`), or written by hand; a page
-- renders such a body itself, within the nesting bound.
ALTER TABLE cohort_posts ADD COLUMN body_html TEXT;
ALTER TABLE cohort_resources ADD COLUMN note_html TEXT;
ALTER TABLE cohort_sessions ADD COLUMN notes_html TEXT;
ALTER TABLE cohorts ADD COLUMN description_html TEXT;
ALTER TABLE pages ADD COLUMN body_html TEXT;
