-- A write transaction publishes its changes as one JetStream message per subject (a group).
-- Each outbox row names its group by the smallest change position in it and tells the
-- group's size, so the relay re-publishes exactly the groups ingest would have published.
-- Rows written before (NULL) are groups of one.
ALTER TABLE sync_queue
    ADD COLUMN group_position BIGINT UNSIGNED NULL AFTER scope_seq,
    ADD COLUMN group_size SMALLINT UNSIGNED NOT NULL DEFAULT 1 AFTER group_position;
