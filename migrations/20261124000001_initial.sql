-- possync's storage: tenants, users, devices, the record store of the 31 synced tables, the
-- per-client change order and the outbox. Why it is laid out this way: docs/design.md.
-- Ids and record data use binary collations (exact bytes); names of people and shops do not.
-- MySQL 8 dialect; runs unchanged on MariaDB 10.11. All times are UTC.

-- One row; `epoch` is new for every database, so a cursor from another database (or from
-- before a restore into a fresh one) is recognised and answered with "resync required".
CREATE TABLE server_meta (
    id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    epoch CHAR(36) NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO server_meta (id, epoch) VALUES (1, UUID());

CREATE TABLE clients (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE branches (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    client_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(200) NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY branches_by_client (client_id),
    CONSTRAINT branches_client FOREIGN KEY (client_id) REFERENCES clients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- `password_hash` is an argon2 PHC string; usernames compare case-insensitively. A user belongs to one client and has a home
-- branch; a super_admin's scope is still its whole client.
CREATE TABLE users (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    client_id BIGINT UNSIGNED NOT NULL,
    branch_id BIGINT UNSIGNED NOT NULL,
    username VARCHAR(100) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role ENUM('super_admin', 'admin', 'cashier') NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY users_by_name (username),
    CONSTRAINT users_client FOREIGN KEY (client_id) REFERENCES clients (id),
    CONSTRAINT users_branch FOREIGN KEY (branch_id) REFERENCES branches (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Refresh tokens are stored as SHA-256 of the token; each is good for one exchange.
CREATE TABLE refresh_tokens (
    token_hash BINARY(32) NOT NULL PRIMARY KEY,
    user_id BIGINT UNSIGNED NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY refresh_tokens_by_user (user_id),
    KEY refresh_tokens_by_expiry (expires_at),
    CONSTRAINT refresh_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A device id is bound to one client and branch on first use.
CREATE TABLE devices (
    device_id VARCHAR(64) NOT NULL PRIMARY KEY,
    client_id BIGINT UNSIGNED NOT NULL,
    branch_id BIGINT UNSIGNED NOT NULL,
    first_seen_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    last_seen_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    last_sync_at DATETIME(6) NULL,
    KEY devices_by_branch (client_id, branch_id),
    CONSTRAINT devices_client FOREIGN KEY (client_id) REFERENCES clients (id),
    CONSTRAINT devices_branch FOREIGN KEY (branch_id) REFERENCES branches (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The client's change order. A write locks its client's row, takes the next positions and
-- keeps the lock until commit, so positions become visible in commit order. Positions up to
-- `retained_from` may have been compacted away; a cursor below it must resync.
CREATE TABLE change_counters (
    client_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    last_position BIGINT UNSIGNED NOT NULL DEFAULT 0,
    retained_from BIGINT UNSIGNED NOT NULL DEFAULT 0,
    CONSTRAINT change_counters_client FOREIGN KEY (client_id) REFERENCES clients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The 31 synced tables in one store keyed by (client, table, record). Each row is the
-- record's latest state and sits at the position of its latest change, so the store is
-- also the change log that pulls page through. `branch_scope` is the branch for branch
-- tables and 0 for tables shared by every branch of the client.
CREATE TABLE records (
    client_id BIGINT UNSIGNED NOT NULL,
    table_name VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    record_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    branch_scope BIGINT UNSIGNED NOT NULL,
    origin_branch_id BIGINT UNSIGNED NOT NULL,
    data JSON NOT NULL,
    is_deleted BOOLEAN NOT NULL DEFAULT FALSE,
    sync_version BIGINT UNSIGNED NOT NULL,
    position BIGINT UNSIGNED NOT NULL,
    local_updated_at DATETIME(6) NOT NULL,
    server_updated_at DATETIME(6) NOT NULL,
    updated_by_device VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (client_id, table_name, record_id),
    UNIQUE KEY records_in_client_order (client_id, position),
    KEY records_in_scope_order (client_id, branch_scope, position),
    KEY records_in_table_order (client_id, branch_scope, table_name, position),
    CONSTRAINT records_client FOREIGN KEY (client_id) REFERENCES clients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Live (not deleted) records per table and scope, kept in the write transaction for stats.
CREATE TABLE record_counts (
    client_id BIGINT UNSIGNED NOT NULL,
    branch_scope BIGINT UNSIGNED NOT NULL,
    table_name VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    live_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, branch_scope, table_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The outbox: one row per accepted write, committed with it. Published rows get
-- `published_at`; the janitor relays rows left unpublished and deletes old published ones.
CREATE TABLE sync_queue (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    client_id BIGINT UNSIGNED NOT NULL,
    branch_id BIGINT UNSIGNED NOT NULL,
    branch_scope BIGINT UNSIGNED NOT NULL,
    table_name VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    record_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    operation ENUM('create', 'update', 'delete') NOT NULL,
    source_device_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
    sync_version BIGINT UNSIGNED NOT NULL,
    position BIGINT UNSIGNED NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    published_at DATETIME(6) NULL,
    KEY sync_queue_by_publication (published_at, id),
    KEY sync_queue_pending_in_scope (client_id, branch_scope, published_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
