-- Retries that outlast outages, and claims that follow their worker's life.

-- When the current run of failed attempts began (NULL when the email is not failing): an
-- email is given up after PORTAL_MAIL_GIVE_UP_HOURS of failing, however many tries that took.
ALTER TABLE outbox ADD COLUMN failing_since BIGINT;

-- Each mail worker (one per running instance) and its last sign of life. A row of the outbox
-- in 'sending' names its worker in claimed_by; when that worker's heartbeat is stale (the
-- process died, or lost the database), another worker takes the row over.
CREATE TABLE mail_workers (
    id           TEXT    PRIMARY KEY,
    started_at   BIGINT  NOT NULL,
    heartbeat_at BIGINT  NOT NULL
);
