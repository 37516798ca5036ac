-- A `since` pull starts at the first position changed at or after `since`: this index finds
-- it by reading only the index entries from `since` on (covering: `position` is in it),
-- where the change order alone would read every row of the scope before it.
ALTER TABLE records ADD KEY records_by_update_time (client_id, server_updated_at, position);
