-- Server-side functions for lists.
--
-- A list's elements sit in pgredis_list_items at the consecutive positions list_head ..
-- list_head + size - 1 of its keyspace row. Pushing takes the position just below the head or
-- just past the tail, and popping removes the end one and moves list_head: both are index lookups
-- by (key_id, pos), the same cost at 10 elements as at a million. Commands that change the middle
-- (LINSERT, LREM) renumber the elements on the shorter side of the change, so positions stay
-- consecutive; Redis is O(n) there as well.
--
-- Every write locks the keyspace row first (pgredis_lock_key), so writers of one list queue on
-- that row, then changes the items and the row's size, list_head and version together. A list
-- that becomes empty is deleted: its keyspace row goes, the triggers of 0005 note the key_id as
-- an orphan, and a list emptied by LTRIM leaves its items to the sweeper.
--
-- The pops and LMOVE are functions of their own so that the blocking commands can call them.

-- Renumbers the items of a list between positions p_lo and p_hi (both included) so that they
-- are consecutive again, keeping their order: packed against p_lo when p_toward_lo, else against
-- p_hi. The callers have left gaps in that range (LREM) or a free position at one end of it
-- (LINSERT). The items are taken out and put back, because an UPDATE of pos would check the
-- primary key row by row and collide with neighbours not moved yet.
CREATE FUNCTION pgredis_list_pack(p_key_id bigint, p_lo bigint, p_hi bigint, p_toward_lo boolean)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    vals bytea[];
BEGIN
    IF p_lo > p_hi THEN
        RETURN;
    END IF;
    WITH moved AS (
        DELETE FROM pgredis_list_items
         WHERE key_id = p_key_id AND pos BETWEEN p_lo AND p_hi
        RETURNING pos, value)
    SELECT array_agg(value ORDER BY pos) INTO vals FROM moved;
    INSERT INTO pgredis_list_items (key_id, pos, value)
    SELECT p_key_id,
           CASE WHEN p_toward_lo THEN p_lo + n - 1 ELSE p_hi - cardinality(vals) + n END,
           v
      FROM unnest(vals) WITH ORDINALITY AS u(v, n);
END
$$;

-- LPUSH, RPUSH, LPUSHX, RPUSHX key element [element ...]: pushes the elements one after the
-- other at the head (p_left) or the tail, creating the list unless p_only_existing. Returns the
-- new length, 0 when p_only_existing found no list.
CREATE FUNCTION pgredis_list_push(
    p_db integer, p_key bytea, p_values bytea[], p_left boolean, p_only_existing boolean)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    n bigint := cardinality(p_values);
    id bigint;
    head bigint := 0;
    len bigint := 0;
    new_head bigint;
BEGIN
    LOOP
        cur := pgredis_lock_key(p_db, p_key);
        IF cur.key IS NOT NULL THEN
            IF cur.type <> 'list' THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            END IF;
            id := cur.key_id;
            head := cur.list_head;
            len := cur.size;
            new_head := CASE WHEN p_left THEN head - n ELSE head END;
            UPDATE pgredis_keys
               SET size = len + n, list_head = new_head, version = nextval('pgredis_version')
             WHERE db = p_db AND key = p_key;
            EXIT;
        END IF;
        IF p_only_existing THEN
            RETURN 0;
        END IF;
        new_head := CASE WHEN p_left THEN -n ELSE 0 END;
        INSERT INTO pgredis_keys (db, key, type, size, list_head)
        VALUES (p_db, p_key, 'list', n, new_head)
        ON CONFLICT DO NOTHING
        RETURNING key_id INTO id;
        EXIT WHEN FOUND;
        -- Another client created the key meanwhile: lock it and go again.
    END LOOP;
    INSERT INTO pgredis_list_items (key_id, pos, value)
    SELECT id, CASE WHEN p_left THEN head - i ELSE head + len + i - 1 END, v
      FROM unnest(p_values) WITH ORDINALITY AS u(v, i);
    RETURN len + n;
END
$$;

-- Removes up to p_count elements from the head (p_left) or the tail of a locked list and returns
-- them in the order they were popped; deletes the key when it becomes empty.
CREATE FUNCTION pgredis_list_take(cur pgredis_keys, p_left boolean, p_count bigint)
RETURNS bytea[]
LANGUAGE plpgsql
AS $$
DECLARE
    n bigint := LEAST(p_count, cur.size);
    lo bigint := CASE WHEN p_left THEN cur.list_head ELSE cur.list_head + cur.size - n END;
    vals bytea[];
BEGIN
    WITH gone AS (
        DELETE FROM pgredis_list_items
         WHERE key_id = cur.key_id AND pos BETWEEN lo AND lo + n - 1
        RETURNING pos, value)
    SELECT array_agg(value ORDER BY CASE WHEN p_left THEN pos ELSE -pos END) INTO vals FROM gone;
    IF n = cur.size THEN
        DELETE FROM pgredis_keys WHERE db = cur.db AND key = cur.key;
    ELSE
        UPDATE pgredis_keys
           SET size = cur.size - n,
               list_head = CASE WHEN p_left THEN cur.list_head + n ELSE cur.list_head END,
               version = nextval('pgredis_version')
         WHERE db = cur.db AND key = cur.key;
    END IF;
    RETURN vals;
END
$$;

-- LPOP, RPOP key [count] and LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops up to
-- p_count elements from the first of p_keys that holds a list, skipping absent keys, and
-- returns that key and the elements; both NULL when every key is absent. A key of another type
-- met before a list is WRONGTYPE, as in Redis.
--
-- Keys are looked at without a lock, and only the list that will be popped is locked (then
-- looked at again), so a pop on several keys never holds two row locks and cannot deadlock
-- with another one naming the same keys in another order.
CREATE FUNCTION pgredis_list_pop(
    p_db integer, p_keys bytea[], p_left boolean, p_count bigint,
    OUT popped_key bytea, OUT popped bytea[])
LANGUAGE plpgsql
AS $$
DECLARE
    k bytea;
    found_type pgredis_type;
    cur pgredis_keys;
BEGIN
    FOREACH k IN ARRAY p_keys LOOP
        LOOP
            SELECT type INTO found_type FROM pgredis_keys
             WHERE db = p_db AND key = k
               AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms());
            EXIT WHEN NOT FOUND;
            IF found_type <> 'list' THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            END IF;
            cur := pgredis_lock_key(p_db, k);
            IF cur.key IS NOT NULL AND cur.type = 'list' THEN
                popped_key := k;
                popped := pgredis_list_take(cur, p_left, p_count);
                RETURN;
            END IF;
            -- Deleted or retyped between the look and the lock: look again.
        END LOOP;
    END LOOP;
END
$$;

-- LMOVE source destination LEFT|RIGHT LEFT|RIGHT (and RPOPLPUSH): pops one element from one end
-- of the source and pushes it at one end of the destination; returns it, or NULL when the
-- source is absent. The same key rotates the list.
--
-- Both rows are locked in (db, key) order, so LMOVE a b and LMOVE b a on two instances cannot
-- deadlock. A destination seen absent holds no lock, and another client may create it first:
-- the insert then fails with unique_violation, and the attempt (a subtransaction, whose
-- rollback also releases its row locks) runs again.
CREATE FUNCTION pgredis_list_move(
    p_db integer, p_src bytea, p_dst bytea, p_from_left boolean, p_to_left boolean)
RETURNS bytea
LANGUAGE plpgsql
AS $$
DECLARE
    pair record;
    src pgredis_keys;
    dst pgredis_keys;
    val bytea;
    from_pos bigint;
    dst_id bigint;
    conflict text;
BEGIN
    LOOP
        BEGIN
            pair := pgredis_lock_pair(p_db, p_src, p_db, p_dst);
            src := pair.cur;
            dst := pair.other;
            IF src.key IS NULL THEN
                RETURN NULL;
            END IF;
            IF src.type <> 'list' OR (dst.key IS NOT NULL AND dst.type <> 'list') THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            END IF;
            from_pos := CASE WHEN p_from_left THEN src.list_head ELSE src.list_head + src.size - 1 END;
            IF p_src = p_dst THEN
                IF p_from_left = p_to_left OR src.size = 1 THEN
                    -- The element goes back where it was: nothing moves, but it is a write.
                    SELECT value INTO val FROM pgredis_list_items
                     WHERE key_id = src.key_id AND pos = from_pos;
                    UPDATE pgredis_keys SET version = nextval('pgredis_version')
                     WHERE db = p_db AND key = p_src;
                    RETURN val;
                END IF;
                DELETE FROM pgredis_list_items WHERE key_id = src.key_id AND pos = from_pos
                RETURNING value INTO val;
                INSERT INTO pgredis_list_items (key_id, pos, value)
                VALUES (src.key_id,
                        CASE WHEN p_to_left THEN src.list_head - 1 ELSE src.list_head + src.size END,
                        val);
                UPDATE pgredis_keys
                   SET list_head = src.list_head + CASE WHEN p_to_left THEN -1 ELSE 1 END,
                       version = nextval('pgredis_version')
                 WHERE db = p_db AND key = p_src;
                RETURN val;
            END IF;
            val := (pgredis_list_take(src, p_from_left, 1))[1];
            IF dst.key IS NULL THEN
                INSERT INTO pgredis_keys (db, key, type, size, list_head)
                VALUES (p_db, p_dst, 'list', 1, 0)
                RETURNING key_id INTO dst_id;
                INSERT INTO pgredis_list_items (key_id, pos, value) VALUES (dst_id, 0, val);
            ELSE
                INSERT INTO pgredis_list_items (key_id, pos, value)
                VALUES (dst.key_id,
                        CASE WHEN p_to_left THEN dst.list_head - 1 ELSE dst.list_head + dst.size END,
                        val);
                UPDATE pgredis_keys
                   SET size = dst.size + 1,
                       list_head = dst.list_head - CASE WHEN p_to_left THEN 1 ELSE 0 END,
                       version = nextval('pgredis_version')
                 WHERE db = p_db AND key = p_dst;
            END IF;
            RETURN val;
        EXCEPTION WHEN unique_violation THEN
            -- Another client created the destination after we saw it absent: go again. Any
            -- other conflict is a bug, and retrying it would never end.
            GET STACKED DIAGNOSTICS conflict = CONSTRAINT_NAME;
            IF conflict <> 'pgredis_keys_pkey' THEN
                RAISE;
            END IF;
        END;
    END LOOP;
END
$$;

-- LSET key index element. p_index NULL stands for an index that is not an integer, which Redis
-- reports only once it has found the list.
CREATE FUNCTION pgredis_list_set(p_db integer, p_key bytea, p_index bigint, p_value bytea)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys := pgredis_lock_key(p_db, p_key);
BEGIN
    IF cur.key IS NULL THEN
        PERFORM pgredis_fail('ERR no such key');
    ELSIF cur.type <> 'list' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    ELSIF p_index IS NULL THEN
        PERFORM pgredis_fail('ERR value is not an integer or out of range');
    ELSIF p_index >= cur.size OR p_index < -cur.size THEN
        PERFORM pgredis_fail('ERR index out of range');
    END IF;
    UPDATE pgredis_list_items SET value = p_value
     WHERE key_id = cur.key_id
       AND pos = cur.list_head + CASE WHEN p_index < 0 THEN cur.size + p_index ELSE p_index END;
    UPDATE pgredis_keys SET version = nextval('pgredis_version') WHERE db = p_db AND key = p_key;
END
$$;

-- LINSERT key BEFORE|AFTER pivot element. Returns the new length, -1 when the pivot is not in
-- the list, 0 when the key is absent. The elements on the shorter side of the new one move.
CREATE FUNCTION pgredis_list_insert(
    p_db integer, p_key bytea, p_before boolean, p_pivot bytea, p_value bytea)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys := pgredis_lock_key(p_db, p_key);
    pivot bigint;
    at bigint;
    tail bigint;
BEGIN
    IF cur.key IS NULL THEN
        RETURN 0;
    ELSIF cur.type <> 'list' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
    SELECT pos INTO pivot FROM pgredis_list_items
     WHERE key_id = cur.key_id AND value = p_pivot
     ORDER BY pos LIMIT 1;
    IF NOT FOUND THEN
        RETURN -1;
    END IF;
    -- The new element goes between at - 1 and at.
    at := CASE WHEN p_before THEN pivot ELSE pivot + 1 END;
    tail := cur.list_head + cur.size - 1;
    IF at - cur.list_head <= tail - at + 1 THEN
        -- Move the head side one step down: at - 1 becomes free.
        PERFORM pgredis_list_pack(cur.key_id, cur.list_head - 1, at - 1, true);
        INSERT INTO pgredis_list_items (key_id, pos, value) VALUES (cur.key_id, at - 1, p_value);
        cur.list_head := cur.list_head - 1;
    ELSE
        -- Move the tail side one step up: at becomes free.
        PERFORM pgredis_list_pack(cur.key_id, at, tail + 1, false);
        INSERT INTO pgredis_list_items (key_id, pos, value) VALUES (cur.key_id, at, p_value);
    END IF;
    UPDATE pgredis_keys
       SET size = cur.size + 1, list_head = cur.list_head, version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key;
    RETURN cur.size + 1;
END
$$;

-- LREM key count element: removes up to p_limit elements equal to p_value (every one when
-- p_limit is NULL), looking from the tail when p_from_tail. Returns how many went. The gaps are
-- closed from the shorter side.
CREATE FUNCTION pgredis_list_remove(
    p_db integer, p_key bytea, p_limit bigint, p_from_tail boolean, p_value bytea)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys := pgredis_lock_key(p_db, p_key);
    gone bigint[];
    removed bigint;
    lo bigint;
    hi bigint;
BEGIN
    IF cur.key IS NULL THEN
        RETURN 0;
    ELSIF cur.type <> 'list' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
    -- Two queries rather than one ORDER BY CASE, so each scans the index in its own direction
    -- and stops at the last element it needs.
    IF p_from_tail THEN
        gone := ARRAY(SELECT pos FROM pgredis_list_items
                       WHERE key_id = cur.key_id AND value = p_value
                       ORDER BY pos DESC LIMIT p_limit);
    ELSE
        gone := ARRAY(SELECT pos FROM pgredis_list_items
                       WHERE key_id = cur.key_id AND value = p_value
                       ORDER BY pos LIMIT p_limit);
    END IF;
    removed := cardinality(gone);
    lo := (SELECT min(g) FROM unnest(gone) AS g);
    hi := (SELECT max(g) FROM unnest(gone) AS g);
    DELETE FROM pgredis_list_items WHERE key_id = cur.key_id AND pos = ANY (gone);
    IF removed = 0 THEN
        RETURN 0;
    ELSIF removed = cur.size THEN
        DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
        RETURN removed;
    END IF;
    IF hi - cur.list_head <= cur.list_head + cur.size - 1 - lo THEN
        PERFORM pgredis_list_pack(cur.key_id, cur.list_head, hi, false);
        cur.list_head := cur.list_head + removed;
    ELSE
        PERFORM pgredis_list_pack(cur.key_id, lo, cur.list_head + cur.size - 1, true);
    END IF;
    UPDATE pgredis_keys
       SET size = cur.size - removed, list_head = cur.list_head,
           version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key;
    RETURN removed;
END
$$;

-- LTRIM key start stop: keeps the elements from start to stop (Redis's index rules), deleting
-- the ones outside; positions stay as they are, only list_head moves. A list trimmed to nothing
-- is deleted whole, its items left to the sweeper.
CREATE FUNCTION pgredis_list_trim(p_db integer, p_key bytea, p_start bigint, p_stop bigint)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys := pgredis_lock_key(p_db, p_key);
    first bigint := p_start;
    last bigint := p_stop;
BEGIN
    IF cur.key IS NULL THEN
        RETURN;
    ELSIF cur.type <> 'list' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
    IF first < 0 THEN
        first := cur.size + first;
    END IF;
    IF last < 0 THEN
        last := cur.size + last;
    END IF;
    first := GREATEST(first, 0);
    IF first > last OR first >= cur.size THEN
        DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
        RETURN;
    END IF;
    last := LEAST(last, cur.size - 1);
    DELETE FROM pgredis_list_items
     WHERE key_id = cur.key_id AND pos BETWEEN cur.list_head AND cur.list_head + first - 1;
    DELETE FROM pgredis_list_items
     WHERE key_id = cur.key_id
       AND pos BETWEEN cur.list_head + last + 1 AND cur.list_head + cur.size - 1;
    UPDATE pgredis_keys
       SET size = last - first + 1, list_head = cur.list_head + first,
           version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key;
END
$$;

-- COPY of a list: the same items at the same positions (the copy's row has the same list_head).
CREATE FUNCTION pgredis_copy_list_children(p_from bigint, p_to bigint)
RETURNS void
LANGUAGE sql
AS $$
INSERT INTO pgredis_list_items (key_id, pos, value)
SELECT p_to, pos, value FROM pgredis_list_items WHERE key_id = p_from
$$;
