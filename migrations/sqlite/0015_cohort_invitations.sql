-- Invitations from a cohort's facilitators who are not staff: the person accepts (or
-- declines) before being in the cohort. Staff add people directly.
CREATE TABLE cohort_invitations (
    id          INTEGER PRIMARY KEY,
    cohort_id   INTEGER NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    invited_by  INTEGER NOT NULL REFERENCES people (id),
    -- 'pending', 'accepted', 'declined'.
    status      TEXT    NOT NULL DEFAULT 'pending',
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER
);
-- One open invitation per person and cohort.
CREATE UNIQUE INDEX cohort_invitations_pending ON cohort_invitations (cohort_id, person_id) WHERE status = 'pending';
CREATE INDEX cohort_invitations_person ON cohort_invitations (person_id, status);
