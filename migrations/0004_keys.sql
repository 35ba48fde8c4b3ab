-- Server-side functions for generic key commands: the EXPIRE family, and the commands that move
-- or copy keys (RENAME, RENAMENX, COPY, MOVE, SWAPDB).
--
-- Commands that touch two keys lock both rows in the order of (db, key), so that two instances
-- running, say, RENAME a b and RENAME b a cannot deadlock. A destination seen absent holds no
-- lock, so another client may create it before we write it: the write then fails with
-- unique_violation, and the attempt runs again from the start. Each attempt is a plpgsql
-- block with an EXCEPTION clause, that is a subtransaction: rolling it back also releases the
-- row locks it took, so the retry locks in order again instead of waiting while holding a lock.

-- EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT key time [NX | XX | GT | LT].
-- p_when is in milliseconds, relative to now when p_relative. Returns 1 when the expiry was set
-- (or the key deleted because the time is already past), 0 when the key is absent or a
-- condition failed. A key without an expiry counts as an infinite TTL for GT and LT.
CREATE FUNCTION pgredis_expire(
    p_db integer, p_key bytea, p_when bigint, p_relative boolean,
    p_nx boolean, p_xx boolean, p_gt boolean, p_lt boolean, p_command text)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    now_ms bigint := pgredis_now_ms();
    expires bigint := p_when;
    cur pgredis_keys;
BEGIN
    IF p_relative THEN
        -- Redis checks the overflow before it looks the key up, so a missing key errs too.
        IF p_when > 9223372036854775807 - now_ms THEN
            PERFORM pgredis_fail(format('ERR invalid expire time in ''%s'' command', p_command));
        END IF;
        expires := p_when + now_ms;
    END IF;
    cur := pgredis_lock_key(p_db, p_key);
    IF cur.key IS NULL
       OR (p_nx AND cur.expires_at_ms IS NOT NULL)
       OR (p_xx AND cur.expires_at_ms IS NULL)
       OR (p_gt AND (cur.expires_at_ms IS NULL OR expires <= cur.expires_at_ms))
       OR (p_lt AND cur.expires_at_ms IS NOT NULL AND expires >= cur.expires_at_ms) THEN
        RETURN 0;
    END IF;
    IF expires <= now_ms THEN
        DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
    ELSE
        UPDATE pgredis_keys
           SET expires_at_ms = expires, version = nextval('pgredis_version')
         WHERE db = p_db AND key = p_key;
    END IF;
    RETURN 1;
END
$$;

-- Locks two keys' rows in the order of (db, key) and returns them; absent or expired ones come
-- back as NULL (expired ones are deleted), as from pgredis_lock_key. The same key twice is
-- harmless: a transaction may lock its own row again.
CREATE FUNCTION pgredis_lock_pair(
    p_db integer, p_key bytea, p_other_db integer, p_other_key bytea,
    OUT cur pgredis_keys, OUT other pgredis_keys)
LANGUAGE plpgsql
AS $$
BEGIN
    IF (p_db, p_key) <= (p_other_db, p_other_key) THEN
        cur := pgredis_lock_key(p_db, p_key);
        other := pgredis_lock_key(p_other_db, p_other_key);
    ELSE
        other := pgredis_lock_key(p_other_db, p_other_key);
        cur := pgredis_lock_key(p_db, p_key);
    END IF;
END
$$;

-- RENAME and RENAMENX key newkey. The row itself is renamed, so the key keeps its key_id, its
-- expiry and (for collections) its child rows. Returns 1 when renamed, 0 when RENAMENX found the
-- destination taken; 'ERR no such key' when the source is absent, even when both names are the
-- same (Redis looks the source up first and then does nothing).
CREATE FUNCTION pgredis_rename(p_db integer, p_src bytea, p_dst bytea, p_nx boolean)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    pair record;
BEGIN
    LOOP
        BEGIN
            pair := pgredis_lock_pair(p_db, p_src, p_db, p_dst);
            IF (pair.cur).key IS NULL THEN
                PERFORM pgredis_fail('ERR no such key');
            END IF;
            IF p_src = p_dst THEN
                RETURN CASE WHEN p_nx THEN 0 ELSE 1 END;
            END IF;
            IF (pair.other).key IS NOT NULL THEN
                IF p_nx THEN
                    RETURN 0;
                END IF;
                -- The old destination's key_id dies with it; a collection's child rows become
                -- orphans for the sweeper, so overwriting stays O(1) here.
                DELETE FROM pgredis_keys WHERE db = p_db AND key = p_dst;
            END IF;
            UPDATE pgredis_keys SET key = p_dst, version = nextval('pgredis_version')
             WHERE db = p_db AND key = p_src;
            RETURN 1;
        EXCEPTION WHEN unique_violation THEN
            -- Another client created the destination after we saw it absent: go again.
        END;
    END LOOP;
END
$$;

-- Copies a value's child rows from one key_id to another. Strings keep their value in the
-- keyspace row, so they have none. A collection type adds a function
-- pgredis_copy_<type>_children(p_from bigint, p_to bigint) in its own migration, and COPY
-- finds it here; the name comes from the pgredis_type enum, never from user data.
CREATE FUNCTION pgredis_copy_children(p_type pgredis_type, p_from bigint, p_to bigint)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_type = 'string' THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT pgredis_copy_%s_children($1, $2)', p_type) USING p_from, p_to;
END
$$;

-- COPY source destination [DB destination-db] [REPLACE]. The copy gets a new key_id, the same
-- type, value and expiry. Returns 1 when copied, 0 when the source is absent or the destination
-- exists without REPLACE. The caller rejects the same key in the same database.
CREATE FUNCTION pgredis_copy(
    p_db integer, p_src bytea, p_dst_db integer, p_dst bytea, p_replace boolean)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    pair record;
    src pgredis_keys;
    new_id bigint;
BEGIN
    LOOP
        BEGIN
            pair := pgredis_lock_pair(p_db, p_src, p_dst_db, p_dst);
            src := pair.cur;
            IF src.key IS NULL THEN
                RETURN 0;
            END IF;
            IF (pair.other).key IS NOT NULL THEN
                IF NOT p_replace THEN
                    RETURN 0;
                END IF;
                DELETE FROM pgredis_keys WHERE db = p_dst_db AND key = p_dst;
            END IF;
            INSERT INTO pgredis_keys (db, key, type, value, size, list_head, expires_at_ms)
            VALUES (p_dst_db, p_dst, src.type, src.value, src.size, src.list_head, src.expires_at_ms)
            RETURNING key_id INTO new_id;
            -- Collections: their elements live in child rows under key_id, copied here.
            PERFORM pgredis_copy_children(src.type, src.key_id, new_id);
            RETURN 1;
        EXCEPTION WHEN unique_violation THEN
            -- Another client created the destination after we saw it absent: go again.
        END;
    END LOOP;
END
$$;

-- MOVE key db. The row changes database and keeps its key_id (key_ids are unique across all
-- databases, they come from one sequence). Returns 1 when moved, 0 when the key is absent here
-- or present there. The caller rejects moving to the same database.
CREATE FUNCTION pgredis_move(p_db integer, p_key bytea, p_dst_db integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    pair record;
BEGIN
    LOOP
        BEGIN
            pair := pgredis_lock_pair(p_db, p_key, p_dst_db, p_key);
            IF (pair.cur).key IS NULL OR (pair.other).key IS NOT NULL THEN
                RETURN 0;
            END IF;
            UPDATE pgredis_keys SET db = p_dst_db, version = nextval('pgredis_version')
             WHERE db = p_db AND key = p_key;
            RETURN 1;
        EXCEPTION WHEN unique_violation THEN
            -- Another client created the key there after we saw it absent: go again.
        END;
    END LOOP;
END
$$;

-- SWAPDB index1 index2. Every key of both databases changes database at once, expired ones
-- included, as in Redis.
--
-- The EXCLUSIVE table lock keeps writers out for the moment of the swap (plain reads go on and
-- see the databases before or after it, never half-swapped); it is taken before any row lock,
-- so it cannot deadlock with a writer holding a row. Postgres checks the (db, key) primary key
-- row by row, so a one-statement swap would collide on names present in both databases: the
-- first database is parked under -1, which no client can select.
CREATE FUNCTION pgredis_swapdb(p_db1 integer, p_db2 integer)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_db1 = p_db2 THEN
        RETURN;
    END IF;
    LOCK TABLE pgredis_keys IN EXCLUSIVE MODE;
    UPDATE pgredis_keys SET db = -1 WHERE db = p_db1;
    UPDATE pgredis_keys SET db = p_db1, version = nextval('pgredis_version') WHERE db = p_db2;
    UPDATE pgredis_keys SET db = p_db2, version = nextval('pgredis_version') WHERE db = -1;
END
$$;
