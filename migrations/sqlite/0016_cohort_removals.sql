-- People removed from a cohort by staff: a state, not only a deleted membership, so that
-- nobody removed joins again at once. Staff lift it by adding the person again; a
-- facilitator's invitation, once accepted, lifts it too.
CREATE TABLE cohort_removals (
    cohort_id   INTEGER NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    removed_at  INTEGER NOT NULL,
    removed_by  INTEGER NOT NULL REFERENCES people (id),
    PRIMARY KEY (cohort_id, person_id)
);
