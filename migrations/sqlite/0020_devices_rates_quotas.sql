-- Log-in attempts from known devices, attempts in flight, posting rates, coalesced emails.

-- The device an attempt came from, when it carried a valid device cookie for the account
-- (the cookie's random id); NULL for an unknown device. A known device is limited by its own
-- failures, an unknown one by the account's, the address's and both together.
ALTER TABLE login_failures ADD COLUMN device TEXT;
-- 1 while the attempt's password is being verified: counted, and waited for by an attempt
-- that would be over a limit only because of it (a right password is then forgiven).
ALTER TABLE login_failures ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;
CREATE INDEX login_failures_device ON login_failures (device, at);

-- A person's posts of the last hour, counted before each new one.
CREATE INDEX cohort_posts_author ON cohort_posts (author_id, created_at);

-- What an email is about ("cohort-thread:12"), for coalescing: while one about it to the same
-- person is unsent, the next one takes its place and `merged` counts those it stands for.
ALTER TABLE outbox ADD COLUMN about TEXT;
ALTER TABLE outbox ADD COLUMN merged BIGINT NOT NULL DEFAULT 0;
CREATE INDEX outbox_about ON outbox (to_addr, about, status);
