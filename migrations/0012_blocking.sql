-- Blocking commands (BLPOP, BLMOVE, BZPOPMIN, ...) across instances; see src/cmd/blocking/mod.rs.
--
-- A client that finds nothing registers the keys it waits for in pgredis_blocked, then waits on
-- its instance, holding no connection, lock or transaction. A write that makes a list or a sorted
-- set appear under a registered key NOTIFYs it (pgredis_key_ready, migration 11), in the same
-- transaction as the data, so the notification arrives only once the data is visible.
--
-- Who notifies: one trigger on the keyspace row, not every writer. A waiter waits only for keys
-- that are absent (a key holding a list or a sorted set would have been popped, one of another
-- type is WRONGTYPE at once), so the only writes that can serve it are those that make a list or
-- a sorted set appear under its name: a keyspace row inserted (a push, LMOVE's destination,
-- ZADD, ZUNIONSTORE, SORT STORE, COPY, RESTORE, an expired or overwritten key recreated), or
-- updated to another name, database or key_id (RENAME, MOVE, a type change). Pushes to a list
-- that already exists need no notification: its waiters are already being served (see the
-- waiter queues in src/notify/waiters.rs). LSET and LINSERT never create a key. The trigger
-- fires only for list and sorted-set rows, so other types' writes pay nothing.
--
-- The race between registering and writing: a writer whose check ran before a registration
-- committed, and whose data is not yet committed when the waiter first looks, would go unseen
-- by both. So the check takes a shared transaction-level advisory lock on the key (held until
-- the writer commits), and the waiter, after its registration has committed, takes and at once
-- releases the same lock exclusively before it looks (pgredis_block_barrier): writers that
-- checked too early have committed by then, and writers that check later see the registration.
-- The waiter never holds one of these locks while waiting for another, so it cannot deadlock. A
-- writer inside a transaction that is not READ COMMITTED (EXEC) checks against a snapshot that
-- may predate the registration, so it notifies without checking.
--
-- Rows of an instance that died stay until another instance sweeps them (pgredis_block_tick),
-- they only cost a needless NOTIFY. Each instance also looks again at its waited keys every few
-- seconds, so a lost notification delays a waiter, never strands it.

CREATE TABLE pgredis_blocked (
    db     integer NOT NULL,
    key    bytea   NOT NULL,
    -- The waiting instance (its Pub/Sub origin) and its waiter.
    origin text    NOT NULL,
    waiter bigint  NOT NULL,
    since_ms bigint NOT NULL DEFAULT pgredis_now_ms(),
    PRIMARY KEY (db, key, origin, waiter)
);

CREATE INDEX pgredis_blocked_by_waiter ON pgredis_blocked (origin, waiter);

-- Instances that have waiters, and when they last said they were alive.
CREATE TABLE pgredis_instances (
    origin  text   PRIMARY KEY,
    seen_ms bigint NOT NULL
);

-- The advisory lock (two-key form, class 'blk' + a 32-bit hash) that orders writers of a key
-- against a waiter registering for it. Two keys sharing a hash only wait for each other a little.
CREATE FUNCTION pgredis_block_lock_id(p_db integer, p_key bytea) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ('x' || left(md5(int4send(p_db) || p_key), 8))::bit(32)::integer $$;

-- Waits until every writer that may have checked pgredis_blocked for these keys before the
-- caller's registration committed has committed too. Locks one key at a time, never two.
CREATE FUNCTION pgredis_block_barrier(p_db integer, p_keys bytea[]) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    k bytea;
    id integer;
BEGIN
    FOREACH k IN ARRAY p_keys LOOP
        id := pgredis_block_lock_id(p_db, k);
        PERFORM pg_advisory_lock(7627883, id);
        PERFORM pg_advisory_unlock(7627883, id);
    END LOOP;
END
$$;

-- The trigger: a list or a sorted set appeared under (NEW.db, NEW.key).
CREATE FUNCTION pgredis_block_appeared() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM pgredis_key_ready(NEW.db, NEW.key);
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(7627883, pgredis_block_lock_id(NEW.db, NEW.key));
    IF EXISTS (SELECT 1 FROM pgredis_blocked WHERE db = NEW.db AND key = NEW.key) THEN
        PERFORM pgredis_key_ready(NEW.db, NEW.key);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER pgredis_block_inserted
AFTER INSERT ON pgredis_keys
FOR EACH ROW
WHEN (NEW.type IN ('list', 'zset') AND NEW.db >= 0)
EXECUTE FUNCTION pgredis_block_appeared();

-- SWAPDB parks rows under negative databases, which no client selects; it notifies by itself.
CREATE TRIGGER pgredis_block_updated
AFTER UPDATE OF db, key, key_id, type ON pgredis_keys
FOR EACH ROW
WHEN (NEW.type IN ('list', 'zset') AND NEW.db >= 0 AND OLD.db >= 0
      AND (NEW.db, NEW.key, NEW.key_id, NEW.type) IS DISTINCT FROM
          (OLD.db, OLD.key, OLD.key_id, OLD.type))
EXECUTE FUNCTION pgredis_block_appeared();

-- SWAPDB, as in migration 4, but both databases are parked under negative numbers so that the
-- trigger stays quiet for each row; every waiter of either database is woken once instead (a
-- db-only payload of pgredis_keys).
CREATE OR REPLACE FUNCTION pgredis_swapdb(p_db1 integer, p_db2 integer)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_db1 = p_db2 THEN
        RETURN;
    END IF;
    LOCK TABLE pgredis_keys IN EXCLUSIVE MODE;
    UPDATE pgredis_keys SET db = -1 WHERE db = p_db1;
    UPDATE pgredis_keys SET db = -2 WHERE db = p_db2;
    UPDATE pgredis_keys SET db = p_db2, version = nextval('pgredis_version') WHERE db = -1;
    UPDATE pgredis_keys SET db = p_db1, version = nextval('pgredis_version') WHERE db = -2;
    PERFORM pg_notify('pgredis_keys', p_db1::text);
    PERFORM pg_notify('pgredis_keys', p_db2::text);
END
$$;

-- p_keys without those that are not live keys of type p_type, in order: what a waiter looks at
-- after it has blocked. Redis 7.0 leaves a blocked client waiting when one of its keys gets a
-- value of another type, so after blocking such a key counts as empty, not WRONGTYPE.
CREATE FUNCTION pgredis_block_keys_of(p_db integer, p_keys bytea[], p_type pgredis_type)
RETURNS bytea[]
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(array_agg(w.key ORDER BY w.i), '{}')
      FROM unnest(p_keys) WITH ORDINALITY AS w(key, i)
     WHERE EXISTS (SELECT 1 FROM pgredis_keys k
                    WHERE k.db = p_db AND k.key = w.key AND k.type = p_type
                      AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms()))
$$;

-- A blocked BLPOP, BRPOP or BLMPOP looking again; after the barrier when p_barrier (its first
-- look after registering).
CREATE FUNCTION pgredis_block_list_pop(
    p_db integer, p_keys bytea[], p_left boolean, p_count bigint, p_barrier boolean,
    OUT popped_key bytea, OUT popped bytea[])
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_barrier THEN
        PERFORM pgredis_block_barrier(p_db, p_keys);
    END IF;
    SELECT p.popped_key, p.popped INTO popped_key, popped
      FROM pgredis_list_pop(p_db, pgredis_block_keys_of(p_db, p_keys, 'list'), p_left, p_count) p;
END
$$;

-- A blocked BLMOVE or BRPOPLPUSH looking again. A destination of another type is still
-- WRONGTYPE, as in Redis, which then unblocks the client with that error.
CREATE FUNCTION pgredis_block_list_move(
    p_db integer, p_src bytea, p_dst bytea, p_from_left boolean, p_to_left boolean,
    p_barrier boolean)
RETURNS bytea
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_barrier THEN
        PERFORM pgredis_block_barrier(p_db, ARRAY[p_src]);
    END IF;
    IF cardinality(pgredis_block_keys_of(p_db, ARRAY[p_src], 'list')) = 0 THEN
        RETURN NULL;
    END IF;
    RETURN pgredis_list_move(p_db, p_src, p_dst, p_from_left, p_to_left);
END
$$;

-- A blocked BZPOPMIN, BZPOPMAX or BZMPOP looking again.
CREATE FUNCTION pgredis_block_zpop(
    p_db integer, p_keys bytea[], p_count bigint, p_max boolean, p_barrier boolean)
RETURNS TABLE (key bytea, member bytea, score float8)
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_barrier THEN
        PERFORM pgredis_block_barrier(p_db, p_keys);
    END IF;
    RETURN QUERY
    SELECT z.key, z.member, z.score
      FROM pgredis_zpop(p_db, pgredis_block_keys_of(p_db, p_keys, 'zset'), p_count, p_max) z;
END
$$;

-- An instance's periodic look: says it is alive; removes its own registrations of waiters that
-- no longer wait (p_waiters are those below p_bound that do; an unregistration that failed
-- leaves one behind, and a waiter at or above p_bound may be registering right now);
-- sweeps a batch of registrations older than p_dead_ms of instances not seen for as long (an
-- instance ticks within seconds of registering its first waiter, and then every few seconds
-- while it has any); and returns which of its waited keys (p_dbs, p_keys) hold a list or a
-- sorted set, so that their waiters look again even if a notification was lost.
CREATE FUNCTION pgredis_block_tick(
    p_origin text, p_dead_ms bigint, p_waiters bigint[], p_bound bigint,
    p_dbs integer[], p_keys bytea[])
RETURNS TABLE (db integer, key bytea)
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO pgredis_instances AS i (origin, seen_ms) VALUES (p_origin, pgredis_now_ms())
    ON CONFLICT (origin) DO UPDATE SET seen_ms = EXCLUDED.seen_ms;
    DELETE FROM pgredis_blocked b
     WHERE b.origin = p_origin AND b.waiter < p_bound AND b.waiter <> ALL (p_waiters);
    DELETE FROM pgredis_blocked
     WHERE ctid IN (SELECT b.ctid FROM pgredis_blocked b
                     WHERE b.since_ms < pgredis_now_ms() - p_dead_ms
                       AND NOT EXISTS (SELECT 1 FROM pgredis_instances i
                                        WHERE i.origin = b.origin
                                          AND i.seen_ms > pgredis_now_ms() - p_dead_ms)
                     LIMIT 1000);
    DELETE FROM pgredis_instances i WHERE i.seen_ms < pgredis_now_ms() - 10 * p_dead_ms;
    RETURN QUERY
    SELECT w.db, w.key
      FROM unnest(p_dbs, p_keys) AS w(db, key)
     WHERE EXISTS (SELECT 1 FROM pgredis_keys k
                    WHERE k.db = w.db AND k.key = w.key AND k.type IN ('list', 'zset')
                      AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms()));
END
$$;
