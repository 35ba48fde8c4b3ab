-- Collections: one child table per type, rows keyed by the key_id of their keyspace row.
--
-- The keyspace row of a collection holds its size (and, for lists, list_head) and version; every
-- write to a collection updates that row in the same statement or function, so writers of one key
-- queue on its row lock and WATCH sees the change.

-- A list's elements at consecutive positions list_head .. list_head + size - 1. Pushing at either
-- end takes the next position below the head or past the tail: O(1) at any length.
CREATE TABLE pgredis_list_items (
    key_id bigint NOT NULL,
    pos    bigint NOT NULL,
    value  bytea  NOT NULL,
    PRIMARY KEY (key_id, pos)
);

CREATE TABLE pgredis_set_members (
    key_id bigint NOT NULL,
    member bytea  NOT NULL,
    PRIMARY KEY (key_id, member)
);

CREATE TABLE pgredis_hash_fields (
    key_id bigint NOT NULL,
    field  bytea  NOT NULL,
    value  bytea  NOT NULL,
    PRIMARY KEY (key_id, field)
);

-- Sorted-set members; the second index serves score ranges and ranks in Redis's order (score,
-- then member bytes).
CREATE TABLE pgredis_zset_members (
    key_id bigint NOT NULL,
    member bytea  NOT NULL,
    score  float8 NOT NULL,
    PRIMARY KEY (key_id, member)
);
CREATE INDEX pgredis_zset_by_score ON pgredis_zset_members (key_id, score, member);

-- Orphans: collections whose keyspace row was deleted, or given a new key_id, and whose child rows
-- are still there. Deleting a key of a million members is then O(1) on the request path; the
-- sweeper deletes the children in bounded batches. Triggers note every orphan, whatever path
-- removed the row (DEL, overwrite, expiry, FLUSHDB, RENAME onto it, ...).
CREATE TABLE pgredis_orphans (
    key_id bigint       PRIMARY KEY,
    type   pgredis_type NOT NULL
);

CREATE FUNCTION pgredis_note_orphan() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO pgredis_orphans (key_id, type) VALUES (OLD.key_id, OLD.type) ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER pgredis_keys_orphan_on_delete
AFTER DELETE ON pgredis_keys
FOR EACH ROW WHEN (OLD.type <> 'string')
EXECUTE FUNCTION pgredis_note_orphan();

CREATE TRIGGER pgredis_keys_orphan_on_new_id
AFTER UPDATE OF key_id ON pgredis_keys
FOR EACH ROW WHEN (OLD.type <> 'string' AND OLD.key_id <> NEW.key_id)
EXECUTE FUNCTION pgredis_note_orphan();

-- The child table of a collection type.
CREATE FUNCTION pgredis_child_table(p_type pgredis_type) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE p_type
           WHEN 'list' THEN 'pgredis_list_items'
           WHEN 'set'  THEN 'pgredis_set_members'
           WHEN 'hash' THEN 'pgredis_hash_fields'
           WHEN 'zset' THEN 'pgredis_zset_members'
       END
$$;

-- Deletes at most p_batch orphaned child rows; an orphan with no children left is forgotten.
-- Returns how many rows were deleted.
CREATE FUNCTION pgredis_sweep_orphans(p_batch integer) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    orphan record;
    deleted bigint := 0;
    n bigint;
BEGIN
    FOR orphan IN
        SELECT key_id, type FROM pgredis_orphans ORDER BY key_id LIMIT 100 FOR UPDATE SKIP LOCKED
    LOOP
        EXECUTE format(
            'DELETE FROM %1$I WHERE key_id = $1 AND ctid = ANY (ARRAY(
                 SELECT ctid FROM %1$I WHERE key_id = $1 LIMIT $2))',
            pgredis_child_table(orphan.type))
        USING orphan.key_id, p_batch - deleted;
        GET DIAGNOSTICS n = ROW_COUNT;
        deleted := deleted + n;
        IF deleted < p_batch THEN
            DELETE FROM pgredis_orphans WHERE key_id = orphan.key_id;
        ELSE
            EXIT;
        END IF;
    END LOOP;
    RETURN deleted;
END
$$;

-- Readable views of the collections, live keys only.
CREATE VIEW redis_lists AS
SELECT k.db, k.key, i.pos - k.list_head AS index, i.value
  FROM pgredis_keys k JOIN pgredis_list_items i USING (key_id)
 WHERE k.type = 'list' AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms());

CREATE VIEW redis_sets AS
SELECT k.db, k.key, m.member
  FROM pgredis_keys k JOIN pgredis_set_members m USING (key_id)
 WHERE k.type = 'set' AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms());

CREATE VIEW redis_hashes AS
SELECT k.db, k.key, f.field, f.value
  FROM pgredis_keys k JOIN pgredis_hash_fields f USING (key_id)
 WHERE k.type = 'hash' AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms());

CREATE VIEW redis_zsets AS
SELECT k.db, k.key, z.member, z.score
  FROM pgredis_keys k JOIN pgredis_zset_members z USING (key_id)
 WHERE k.type = 'zset' AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms());
