-- LPUSH/RPUSH of one value, LPOP/RPOP without a count and HSET of one field try one UPDATE of the
-- key's row first: it finds the row, checks its type and expiry, locks it and writes the new
-- length in one step, where SELECT ... FOR UPDATE and then UPDATE wrote the row twice (a lock,
-- then a new version) and looked it up twice. Only when that finds nothing to update (no such
-- key, an expired one, another type, or a pop that empties the list) do they call 0013's
-- functions, kept under new names (..._locking) and unchanged. HSET counts the field as new;
-- when it was not, a second UPDATE takes the count back (under the lock the first one took, so
-- no other client sees the difference).
-- Under READ COMMITTED the UPDATE re-checks its conditions on the newest row version once it
-- holds the lock, so a concurrent change of the key is seen as FOR UPDATE saw it.

ALTER FUNCTION pgredis_list_push_one(integer, bytea, bytea, boolean, boolean)
    RENAME TO pgredis_list_push_one_locking;
ALTER FUNCTION pgredis_list_pop_one(integer, bytea, boolean)
    RENAME TO pgredis_list_pop_one_locking;
ALTER FUNCTION pgredis_hset_one(integer, bytea, bytea, bytea)
    RENAME TO pgredis_hset_one_locking;

CREATE FUNCTION pgredis_list_push_one(
    p_db integer, p_key bytea, p_value bytea, p_left boolean, p_only_existing boolean)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    kid bigint;
    head bigint;
    len bigint;
BEGIN
    UPDATE pgredis_keys
       SET size = size + 1, list_head = CASE WHEN p_left THEN list_head - 1 ELSE list_head END,
           version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key AND type = 'list'
       AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())
    RETURNING key_id, list_head, size INTO kid, head, len;
    IF NOT FOUND THEN
        RETURN pgredis_list_push_one_locking(p_db, p_key, p_value, p_left, p_only_existing);
    END IF;
    INSERT INTO pgredis_list_items (key_id, pos, value)
    VALUES (kid, CASE WHEN p_left THEN head ELSE head + len - 1 END, p_value);
    RETURN len;
END
$$;

CREATE FUNCTION pgredis_list_pop_one(p_db integer, p_key bytea, p_left boolean)
RETURNS bytea
LANGUAGE plpgsql
AS $$
DECLARE
    kid bigint;
    head bigint;
    len bigint;
    popped bytea;
BEGIN
    -- A list that keeps at least one element: the new head and length give the popped position.
    UPDATE pgredis_keys
       SET size = size - 1, list_head = CASE WHEN p_left THEN list_head + 1 ELSE list_head END,
           version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key AND type = 'list' AND size > 1
       AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())
    RETURNING key_id, list_head, size INTO kid, head, len;
    IF NOT FOUND THEN
        RETURN pgredis_list_pop_one_locking(p_db, p_key, p_left);
    END IF;
    DELETE FROM pgredis_list_items
     WHERE key_id = kid AND pos = CASE WHEN p_left THEN head - 1 ELSE head + len END
    RETURNING value INTO popped;
    RETURN popped;
END
$$;

CREATE FUNCTION pgredis_hset_one(p_db integer, p_key bytea, p_field bytea, p_value bytea)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    kid bigint;
    added bigint;
BEGIN
    UPDATE pgredis_keys SET size = size + 1, version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key AND type = 'hash'
       AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())
    RETURNING key_id INTO kid;
    IF NOT FOUND THEN
        RETURN pgredis_hset_one_locking(p_db, p_key, p_field, p_value);
    END IF;
    -- xmax = 0 tells an inserted row from an updated one.
    INSERT INTO pgredis_hash_fields (key_id, field, value) VALUES (kid, p_field, p_value)
    ON CONFLICT (key_id, field) DO UPDATE SET value = EXCLUDED.value
    RETURNING CASE WHEN xmax = 0 THEN 1 ELSE 0 END INTO added;
    IF added = 0 THEN
        UPDATE pgredis_keys SET size = size - 1 WHERE db = p_db AND key = p_key;
    END IF;
    RETURN added;
END
$$;
