-- The relay re-publishes an outbox row with the scope number its event had.
ALTER TABLE sync_queue ADD COLUMN scope_seq BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER position;
