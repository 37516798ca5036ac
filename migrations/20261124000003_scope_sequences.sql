-- A sequence per (client, branch scope): every change event carries the next number of its
-- scope, so a device that follows a room can see a missed event as a gap in the numbers.
-- Written in the push transaction after the client's counter row, always in that order.
CREATE TABLE scope_counters (
    client_id BIGINT UNSIGNED NOT NULL,
    branch_scope BIGINT UNSIGNED NOT NULL,
    last_seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, branch_scope)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
