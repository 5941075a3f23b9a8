-- One calendar feed per person for all the cohorts they are in: the digest of its secret
-- (never the secret), NULL until they ask for one; renewing replaces it.
ALTER TABLE people ADD COLUMN cohorts_calendar_token TEXT;
CREATE UNIQUE INDEX people_cohorts_calendar_token ON people (cohorts_calendar_token);
