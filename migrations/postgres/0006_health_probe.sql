-- One row that /healthz updates in a transaction it rolls back, to learn whether the
-- database takes writes (not read-only, not locked, disk not full) without writing anything.
CREATE TABLE health_probe (
    id         BIGINT PRIMARY KEY,
    checked_at BIGINT NOT NULL
);
INSERT INTO health_probe (id, checked_at) VALUES (1, 0);
