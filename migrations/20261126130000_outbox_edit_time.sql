-- An outbox row keeps the edit time its device sent and a digest of what the edit wrote, so
-- a retry that arrives after another device's edit is recognised as already applied (not a
-- conflict) while the row is kept.
ALTER TABLE sync_queue
    ADD COLUMN local_updated_at DATETIME(6) NULL AFTER source_device_id,
    ADD COLUMN edit_digest BINARY(32) NULL AFTER local_updated_at,
    ADD KEY sync_queue_by_record (client_id, table_name, record_id);
