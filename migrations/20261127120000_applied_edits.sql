-- The ids of edits applied (a push record's `edit_id`, a PATCH's `Idempotency-Key`), so that
-- a retried or replayed edit is applied once. The janitor deletes ids older than
-- JANITOR_EDIT_RETENTION_SECS (30 days by default).
CREATE TABLE applied_edits (
    client_id BIGINT UNSIGNED NOT NULL,
    edit_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    applied_at DATETIME(6) NOT NULL,
    PRIMARY KEY (client_id, edit_id),
    KEY applied_edits_by_time (applied_at)
) ENGINE=InnoDB;
