-- The write path learns its outbox ids from LAST_INSERT_ID() (and, where a server hands out
-- interleaved ids, by reading from that id on), so the index by position is not needed.
ALTER TABLE sync_queue DROP INDEX sync_queue_by_position;
