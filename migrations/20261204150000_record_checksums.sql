-- Per-table checksums a device compares with its copy (`GET /api/sync/checksums`): for each
-- client, scope and table, the records stored (tombstones too) and the sum modulo 2^32 of
-- each record's CRC-32 of `record_id:sync_version:is_deleted` (possync-wire's `checksums`).
-- Kept in the write transaction on the row that already counts live records, so answering
-- reads at most 62 rows whatever the records.
ALTER TABLE record_counts
    ADD COLUMN stored_count BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN checksum BIGINT UNSIGNED NOT NULL DEFAULT 0;
INSERT INTO record_counts (client_id, branch_scope, table_name, live_count, stored_count, checksum)
    SELECT client_id, branch_scope, table_name, SUM(NOT is_deleted), COUNT(*),
           SUM(CRC32(CONCAT(record_id, ':', sync_version, ':', is_deleted))) % 4294967296
    FROM records
    GROUP BY client_id, branch_scope, table_name
ON DUPLICATE KEY UPDATE stored_count = VALUES(stored_count), checksum = VALUES(checksum);
