-- The audit log is paged by (at, id): one index serves the cursor in both directions.
DROP INDEX audit_log_at;
CREATE INDEX audit_log_at_id ON audit_log (at, id);
