-- An outbox row keeps the edit time its device sent, so a retry that arrives after another
-- device's edit is recognised as already applied (not a conflict) while the row is kept.
ALTER TABLE sync_queue
    ADD COLUMN local_updated_at DATETIME(6) NULL AFTER source_device_id,
    ADD KEY sync_queue_by_record (client_id, table_name, record_id);
