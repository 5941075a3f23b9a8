-- What the facilitator who declined a request to join told the person (optional).
ALTER TABLE cohort_requests ADD COLUMN decision_note TEXT NOT NULL DEFAULT '';
