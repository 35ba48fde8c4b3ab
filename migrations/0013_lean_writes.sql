-- Lean forms of the commonest collection writes, for one element and no options: ZADD key score
-- member, HSET key field value, SADD key member, LPUSH/RPUSH key value, LPOP/RPOP key. The general
-- functions (pgredis_zadd, pgredis_hset, pgredis_sadd, pgredis_list_push, pgredis_list_pop)
-- handle every option and any number of members or keys with nested helpers and array
-- statements; for one element that machinery cost up to twice the work itself (auto/bench).
-- These do the same steps with one statement each, and the same locking: the key's row first,
-- then its elements. Each writes out the "lock the key, drop it if expired, check its type,
-- create it if absent" steps instead of calling pgredis_lock_key: fewer nested calls are part of
-- what makes them cheaper (measured as a whole, not apart).

-- ZADD key score member without flags: OUT added (1 when the member is new), OUT changed (1 when
-- an existing member's score changed). Only a change bumps the version, as only a change signals
-- the key in Redis.
CREATE FUNCTION pgredis_zadd_plain(
    p_db integer, p_key bytea, p_member bytea, p_score float8,
    OUT added bigint, OUT changed bigint)
LANGUAGE plpgsql
AS $$
DECLARE
    kid bigint;
    kind pgredis_type;
    expires bigint;
    old float8;
BEGIN
    added := 0;
    changed := 0;
    LOOP
        SELECT key_id, type, expires_at_ms INTO kid, kind, expires
          FROM pgredis_keys WHERE db = p_db AND key = p_key FOR UPDATE;
        IF FOUND AND expires IS NOT NULL AND expires <= pgredis_now_ms() THEN
            DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
        ELSIF FOUND THEN
            IF kind <> 'zset' THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            END IF;
            EXIT;
        END IF;
        INSERT INTO pgredis_keys (db, key, type, size) VALUES (p_db, p_key, 'zset', 1)
        ON CONFLICT DO NOTHING
        RETURNING key_id INTO kid;
        IF FOUND THEN
            INSERT INTO pgredis_zset_members (key_id, member, score) VALUES (kid, p_member, p_score);
            added := 1;
            RETURN;
        END IF;
        -- Another client created the key meanwhile: lock it and go again.
    END LOOP;
    SELECT score INTO old FROM pgredis_zset_members WHERE key_id = kid AND member = p_member;
    IF NOT FOUND THEN
        INSERT INTO pgredis_zset_members (key_id, member, score) VALUES (kid, p_member, p_score);
        added := 1;
    ELSIF old <> p_score THEN
        UPDATE pgredis_zset_members SET score = p_score WHERE key_id = kid AND member = p_member;
        changed := 1;
    ELSE
        RETURN;
    END IF;
    UPDATE pgredis_keys SET size = size + added, version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key;
END
$$;

-- LPUSH/RPUSH (and the X forms when p_only_existing) of one value: the new length, 0 when
-- p_only_existing and there is no list.
CREATE FUNCTION pgredis_list_push_one(
    p_db integer, p_key bytea, p_value bytea, p_left boolean, p_only_existing boolean)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    kid bigint;
    kind pgredis_type;
    expires bigint;
    head bigint;
    len bigint;
BEGIN
    LOOP
        SELECT key_id, type, expires_at_ms, list_head, size INTO kid, kind, expires, head, len
          FROM pgredis_keys WHERE db = p_db AND key = p_key FOR UPDATE;
        IF FOUND AND expires IS NOT NULL AND expires <= pgredis_now_ms() THEN
            DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
        ELSIF FOUND THEN
            IF kind <> 'list' THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            END IF;
            UPDATE pgredis_keys
               SET size = len + 1, list_head = CASE WHEN p_left THEN head - 1 ELSE head END,
                   version = nextval('pgredis_version')
             WHERE db = p_db AND key = p_key;
            INSERT INTO pgredis_list_items (key_id, pos, value)
            VALUES (kid, CASE WHEN p_left THEN head - 1 ELSE head + len END, p_value);
            RETURN len + 1;
        END IF;
        IF p_only_existing THEN
            RETURN 0;
        END IF;
        INSERT INTO pgredis_keys (db, key, type, size, list_head) VALUES (p_db, p_key, 'list', 1, 0)
        ON CONFLICT DO NOTHING
        RETURNING key_id INTO kid;
        IF FOUND THEN
            INSERT INTO pgredis_list_items (key_id, pos, value) VALUES (kid, 0, p_value);
            RETURN 1;
        END IF;
        -- Another client created the key meanwhile: lock it and go again.
    END LOOP;
END
$$;

-- LPOP/RPOP key (no count): the element, NULL when there is no list. An emptied list loses its key.
CREATE FUNCTION pgredis_list_pop_one(p_db integer, p_key bytea, p_left boolean)
RETURNS bytea
LANGUAGE plpgsql
AS $$
DECLARE
    kid bigint;
    kind pgredis_type;
    expires bigint;
    head bigint;
    len bigint;
    at bigint;
    popped bytea;
BEGIN
    SELECT key_id, type, expires_at_ms, list_head, size INTO kid, kind, expires, head, len
      FROM pgredis_keys WHERE db = p_db AND key = p_key FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF expires IS NOT NULL AND expires <= pgredis_now_ms() THEN
        DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
        RETURN NULL;
    END IF;
    IF kind <> 'list' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
    at := CASE WHEN p_left THEN head ELSE head + len - 1 END;
    DELETE FROM pgredis_list_items WHERE key_id = kid AND pos = at RETURNING value INTO popped;
    IF len = 1 THEN
        DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
    ELSE
        UPDATE pgredis_keys
           SET size = len - 1, list_head = CASE WHEN p_left THEN head + 1 ELSE head END,
               version = nextval('pgredis_version')
         WHERE db = p_db AND key = p_key;
    END IF;
    RETURN popped;
END
$$;

-- HSET key field value with one pair: 1 when the field is new, else 0.
CREATE FUNCTION pgredis_hset_one(p_db integer, p_key bytea, p_field bytea, p_value bytea)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    kid bigint;
    kind pgredis_type;
    expires bigint;
    added bigint;
BEGIN
    LOOP
        SELECT key_id, type, expires_at_ms INTO kid, kind, expires
          FROM pgredis_keys WHERE db = p_db AND key = p_key FOR UPDATE;
        IF FOUND AND expires IS NOT NULL AND expires <= pgredis_now_ms() THEN
            DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
        ELSIF FOUND THEN
            IF kind <> 'hash' THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            END IF;
            EXIT;
        END IF;
        INSERT INTO pgredis_keys (db, key, type, size) VALUES (p_db, p_key, 'hash', 1)
        ON CONFLICT DO NOTHING
        RETURNING key_id INTO kid;
        IF FOUND THEN
            INSERT INTO pgredis_hash_fields (key_id, field, value) VALUES (kid, p_field, p_value);
            RETURN 1;
        END IF;
        -- Another client created the key meanwhile: lock it and go again.
    END LOOP;
    -- xmax = 0 tells an inserted row from an updated one.
    INSERT INTO pgredis_hash_fields (key_id, field, value) VALUES (kid, p_field, p_value)
    ON CONFLICT (key_id, field) DO UPDATE SET value = EXCLUDED.value
    RETURNING CASE WHEN xmax = 0 THEN 1 ELSE 0 END INTO added;
    UPDATE pgredis_keys SET size = size + added, version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key;
    RETURN added;
END
$$;

-- SADD key member with one member: 1 when it is new, else 0 (and nothing changes).
CREATE FUNCTION pgredis_sadd_one(p_db integer, p_key bytea, p_member bytea)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    kid bigint;
    kind pgredis_type;
    expires bigint;
BEGIN
    LOOP
        SELECT key_id, type, expires_at_ms INTO kid, kind, expires
          FROM pgredis_keys WHERE db = p_db AND key = p_key FOR UPDATE;
        IF FOUND AND expires IS NOT NULL AND expires <= pgredis_now_ms() THEN
            DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
        ELSIF FOUND THEN
            IF kind <> 'set' THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            END IF;
            EXIT;
        END IF;
        INSERT INTO pgredis_keys (db, key, type, size) VALUES (p_db, p_key, 'set', 1)
        ON CONFLICT DO NOTHING
        RETURNING key_id INTO kid;
        IF FOUND THEN
            INSERT INTO pgredis_set_members (key_id, member) VALUES (kid, p_member);
            RETURN 1;
        END IF;
        -- Another client created the key meanwhile: lock it and go again.
    END LOOP;
    INSERT INTO pgredis_set_members (key_id, member) VALUES (kid, p_member) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    UPDATE pgredis_keys SET size = size + 1, version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key;
    RETURN 1;
END
$$;
