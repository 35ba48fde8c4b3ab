-- LPUSH/RPUSH of one value, LPOP/RPOP without a count and HSET of one field try one UPDATE of the
-- key's row first: it finds the row, checks its type and expiry, locks it and writes the new
-- length in one step, where SELECT ... FOR UPDATE and then UPDATE wrote the row twice (a lock,
-- then a new version) and looked it up twice. Only when that finds nothing to update (no such
-- key, an expired one, another type, or a pop that empties the list) do they take 0013's way,
-- unchanged. HSET counts the field as new; when it was not, a second UPDATE takes the count back
-- (under the lock the first one took, so no other client sees the difference).
-- Under READ COMMITTED the UPDATE re-checks its conditions on the newest row version once it
-- holds the lock, so a concurrent change of the key is seen as FOR UPDATE saw it.

CREATE OR REPLACE FUNCTION pgredis_list_push_one(
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
    UPDATE pgredis_keys
       SET size = size + 1, list_head = CASE WHEN p_left THEN list_head - 1 ELSE list_head END,
           version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key AND type = 'list'
       AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())
    RETURNING key_id, list_head, size INTO kid, head, len;
    IF FOUND THEN
        INSERT INTO pgredis_list_items (key_id, pos, value)
        VALUES (kid, CASE WHEN p_left THEN head ELSE head + len - 1 END, p_value);
        RETURN len;
    END IF;
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

CREATE OR REPLACE FUNCTION pgredis_list_pop_one(p_db integer, p_key bytea, p_left boolean)
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
    -- A list that keeps at least one element: the new head and length give the popped position.
    UPDATE pgredis_keys
       SET size = size - 1, list_head = CASE WHEN p_left THEN list_head + 1 ELSE list_head END,
           version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key AND type = 'list' AND size > 1
       AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())
    RETURNING key_id, list_head, size INTO kid, head, len;
    IF FOUND THEN
        at := CASE WHEN p_left THEN head - 1 ELSE head + len END;
        DELETE FROM pgredis_list_items WHERE key_id = kid AND pos = at RETURNING value INTO popped;
        RETURN popped;
    END IF;
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

CREATE OR REPLACE FUNCTION pgredis_hset_one(p_db integer, p_key bytea, p_field bytea, p_value bytea)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    kid bigint;
    kind pgredis_type;
    expires bigint;
    added bigint;
BEGIN
    UPDATE pgredis_keys SET size = size + 1, version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key AND type = 'hash'
       AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())
    RETURNING key_id INTO kid;
    IF FOUND THEN
        -- xmax = 0 tells an inserted row from an updated one.
        INSERT INTO pgredis_hash_fields (key_id, field, value) VALUES (kid, p_field, p_value)
        ON CONFLICT (key_id, field) DO UPDATE SET value = EXCLUDED.value
        RETURNING CASE WHEN xmax = 0 THEN 1 ELSE 0 END INTO added;
        IF added = 0 THEN
            UPDATE pgredis_keys SET size = size - 1 WHERE db = p_db AND key = p_key;
        END IF;
        RETURN added;
    END IF;
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
    INSERT INTO pgredis_hash_fields (key_id, field, value) VALUES (kid, p_field, p_value)
    ON CONFLICT (key_id, field) DO UPDATE SET value = EXCLUDED.value
    RETURNING CASE WHEN xmax = 0 THEN 1 ELSE 0 END INTO added;
    UPDATE pgredis_keys SET size = size + added, version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key;
    RETURN added;
END
$$;
