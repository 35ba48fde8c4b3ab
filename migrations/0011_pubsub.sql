-- Pub/Sub and keyspace notifications across instances (see src/notify/mod.rs).
--
-- Every instance LISTENs on one dedicated connection. A message travels in the NOTIFY payload when
-- it fits (PostgreSQL limits payloads to 8000 bytes); a bigger one is stored here and only its id
-- travels. Stored messages are read by every instance within moments of the NOTIFY and deleted
-- by the sweeper once they are older than a retention window (pgredis_sweep_pubsub).

CREATE TABLE pgredis_pubsub_messages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel    bytea  NOT NULL,
    message    bytea  NOT NULL,
    created_ms bigint NOT NULL DEFAULT pgredis_now_ms()
);

CREATE INDEX pgredis_pubsub_messages_by_age ON pgredis_pubsub_messages (created_ms);

-- Deletes up to p_batch stored messages older than p_retention_ms; returns how many it deleted.
CREATE FUNCTION pgredis_sweep_pubsub(p_retention_ms bigint, p_batch integer) RETURNS bigint
LANGUAGE sql
AS $$
    WITH gone AS (
        DELETE FROM pgredis_pubsub_messages
         WHERE id IN (SELECT id FROM pgredis_pubsub_messages
                       WHERE created_ms < pgredis_now_ms() - p_retention_ms
                       ORDER BY created_ms
                       LIMIT p_batch
                         FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*) FROM gone
$$;

-- Settings every instance shares. notify-keyspace-events lives here so that a write on any
-- instance emits the events a subscriber on any other instance asked for.
CREATE TABLE pgredis_settings (
    name  text PRIMARY KEY,
    value text NOT NULL
);

-- For blocking commands: tells every instance's listener that key p_key of database p_db may have
-- data now. A key too long for a NOTIFY payload wakes every waiter of its database instead.
CREATE FUNCTION pgredis_key_ready(p_db integer, p_key bytea) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF octet_length(p_key) <= 5000 THEN
        PERFORM pg_notify('pgredis_keys',
                          p_db::text || ' ' || translate(encode(p_key, 'base64'), E'\n', ''));
    ELSE
        PERFORM pg_notify('pgredis_keys', p_db::text);
    END IF;
END
$$;
