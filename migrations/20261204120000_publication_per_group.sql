-- Publication recorded once per group. A group is the changes of one write transaction in
-- one room scope, published as one JetStream message; its sync queue rows are inserted
-- together, so they sit between its first and last ids (other clients' rows may fall
-- between them where the server interleaves ids). The group's row is what the relay claims
-- and what is marked published: one row and its two index entries per group, where every
-- change had them before (and was updated again once published). `id` is the group's first
-- sync queue id, its `Nats-Msg-Id`. `sync_queue` keeps per change only what retries and
-- the relay need, under its primary key and `sync_queue_by_record`.
CREATE TABLE sync_groups (
    id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    last_id BIGINT UNSIGNED NOT NULL,
    client_id BIGINT UNSIGNED NOT NULL,
    branch_scope BIGINT UNSIGNED NOT NULL,
    change_count SMALLINT UNSIGNED NOT NULL,
    created_at DATETIME(6) NOT NULL,
    published_at DATETIME(6) NULL,
    KEY sync_groups_by_publication (published_at, id),
    KEY sync_groups_pending_in_scope (client_id, branch_scope, published_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- The groups of the rows already queued: a client's rows of one group position, or a row
-- alone where it has none. A group is published once all of its rows were.
INSERT INTO sync_groups (id, last_id, client_id, branch_scope, change_count, created_at, published_at)
    SELECT MIN(id), MAX(id), client_id, MIN(branch_scope), COUNT(*), MIN(created_at),
           IF(COUNT(published_at) = COUNT(*), MAX(published_at), NULL)
    FROM sync_queue
    GROUP BY client_id, COALESCE(group_position, 0), IF(group_position IS NULL, id, 0);
ALTER TABLE sync_queue
    DROP KEY sync_queue_by_publication,
    DROP KEY sync_queue_pending_in_scope,
    DROP COLUMN published_at,
    DROP COLUMN group_position,
    DROP COLUMN group_size;
