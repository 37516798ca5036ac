-- A `since` pull's start from one row per client and minute instead of one index entry per
-- record: `change_marks` holds, for each minute a client's time mark (the running maximum of
-- `server_updated_at` along its change order, on `change_counters`) reached, the first
-- position written under a mark in that minute. Marks never decrease along the order, so no
-- record changed at or after a time sits before the row of that time's minute (the pull
-- keeps only the records at or after `since`, reading at most a minute of writes before
-- it). A write adds at most one row (none when its minute is there already), where every
-- record carried a mark and an entry of `records_by_time_mark` before; a client busy every
-- minute of a year has 525,600 rows.
CREATE TABLE change_marks (
    client_id BIGINT UNSIGNED NOT NULL,
    marked_at DATETIME NOT NULL,
    position BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (client_id, marked_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO change_marks (client_id, marked_at, position)
    SELECT client_id, DATE_FORMAT(time_mark, '%Y-%m-%d %H:%i:00'), MIN(position)
    FROM records
    GROUP BY client_id, DATE_FORMAT(time_mark, '%Y-%m-%d %H:%i:00');
ALTER TABLE records
    DROP KEY records_by_time_mark,
    DROP COLUMN time_mark;
