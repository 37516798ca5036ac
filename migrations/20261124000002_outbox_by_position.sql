-- The write path reads back the ids of the outbox rows it just inserted by their positions.
ALTER TABLE sync_queue ADD KEY sync_queue_by_position (client_id, position);
