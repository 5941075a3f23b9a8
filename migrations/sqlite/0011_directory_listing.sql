-- The members' directory: whether a person is listed there (not unless they choose it), and
-- which email it shows: 'account' (their account's address, as it is when read), 'other'
-- (`shown_email`) or 'none'.
ALTER TABLE people ADD COLUMN listed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN shown_email_kind TEXT NOT NULL DEFAULT 'none';
ALTER TABLE people ADD COLUMN shown_email TEXT NOT NULL DEFAULT '';
