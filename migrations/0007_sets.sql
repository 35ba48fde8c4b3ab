-- Server-side functions for sets. Members live in pgredis_set_members (key_id, member); the
-- keyspace row's size is SCARD. Every write locks the keyspace row first (pgredis_lock_key), then
-- touches member rows, then updates size and version in the same function.

-- A member's place in "hash order": a 60-bit number from its MD5, plus one so that 0 stays free
-- for the SSCAN cursor that means "start" and "done". SSCAN walks sets in this order (a cursor
-- is the last hash returned), and SPOP and SRANDMEMBER probe it at random points, both through
-- the index below, so neither sorts a whole set.
CREATE FUNCTION pgredis_set_member_hash(p_member bytea) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT ('x' || left(md5(p_member), 15))::bit(60)::bigint + 1 $$;

CREATE INDEX pgredis_set_members_by_hash
    ON pgredis_set_members (key_id, pgredis_set_member_hash(member));

-- SADD key member [member ...]: returns how many members were new. Duplicates within one call
-- count once (the second insert of a member meets the first and does nothing).
CREATE FUNCTION pgredis_sadd(p_db integer, p_key bytea, p_members bytea[]) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    added bigint;
BEGIN
    LOOP
        cur := pgredis_lock_key(p_db, p_key);
        IF cur.key IS NULL THEN
            INSERT INTO pgredis_keys (db, key, type, size) VALUES (p_db, p_key, 'set', 0)
            ON CONFLICT DO NOTHING
            RETURNING * INTO cur;
            -- Another client created the key meanwhile: lock it and look again.
            CONTINUE WHEN cur.key IS NULL;
        ELSIF cur.type <> 'set' THEN
            PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
        END IF;
        INSERT INTO pgredis_set_members (key_id, member)
        SELECT cur.key_id, m FROM unnest(p_members) AS m
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS added = ROW_COUNT;
        IF added > 0 THEN
            UPDATE pgredis_keys SET size = size + added, version = nextval('pgredis_version')
             WHERE db = p_db AND key = p_key;
        END IF;
        RETURN added;
    END LOOP;
END
$$;

-- SREM key member [member ...]: returns how many members were removed; the last one removes
-- the key.
CREATE FUNCTION pgredis_srem(p_db integer, p_key bytea, p_members bytea[]) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    removed bigint;
BEGIN
    cur := pgredis_lock_key(p_db, p_key);
    IF cur.key IS NULL THEN
        RETURN 0;
    ELSIF cur.type <> 'set' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
    DELETE FROM pgredis_set_members WHERE key_id = cur.key_id AND member = ANY (p_members);
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM pgredis_set_shrink(cur, removed);
    RETURN removed;
END
$$;

-- Records that `removed` members left a locked set: a smaller size and a new version, or no key
-- at all when none are left.
CREATE FUNCTION pgredis_set_shrink(cur pgredis_keys, removed bigint) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF removed = 0 THEN
        RETURN;
    ELSIF removed >= cur.size THEN
        DELETE FROM pgredis_keys WHERE db = cur.db AND key = cur.key;
    ELSE
        UPDATE pgredis_keys SET size = size - removed, version = nextval('pgredis_version')
         WHERE db = cur.db AND key = cur.key;
    END IF;
END
$$;

-- The first member at or after a point of the hash order, wrapping round to the first member.
CREATE FUNCTION pgredis_set_member_at(p_key_id bigint, p_point bigint) RETURNS bytea
LANGUAGE sql STABLE
AS $$
SELECT coalesce(
    (SELECT member FROM pgredis_set_members
      WHERE key_id = p_key_id AND pgredis_set_member_hash(member) >= p_point
      ORDER BY pgredis_set_member_hash(member) LIMIT 1),
    (SELECT member FROM pgredis_set_members
      WHERE key_id = p_key_id
      ORDER BY pgredis_set_member_hash(member) LIMIT 1))
$$;

-- p_count random members of a set of p_size members: distinct ones (SPOP, SRANDMEMBER with a
-- positive count) or independent draws that may repeat (SRANDMEMBER with a negative count).
--
-- A small set (up to 1000 members), or one of which a quarter or more is wanted, is read whole
-- and drawn from uniformly. Otherwise each draw is an index probe at a random point of the hash
-- order, taking the member at or after it, so the cost follows p_count and not the set's size.
-- Those draws are uniform only approximately: a member's chance is the gap in hash order before
-- it, which varies around 1/p_size as MD5 spreads members.
CREATE FUNCTION pgredis_set_random(
    p_key_id bigint, p_size bigint, p_count bigint, p_distinct boolean)
RETURNS SETOF bytea
LANGUAGE plpgsql
AS $$
DECLARE
    members bytea[];
    picked bytea[] := '{}';
BEGIN
    IF p_count <= 0 OR p_size <= 0 THEN
        RETURN;
    ELSIF p_distinct AND p_count >= p_size THEN
        RETURN QUERY SELECT member FROM pgredis_set_members WHERE key_id = p_key_id;
    ELSIF p_distinct AND (p_size <= 1000 OR p_count * 4 >= p_size) THEN
        RETURN QUERY SELECT member FROM pgredis_set_members WHERE key_id = p_key_id
                      ORDER BY random() LIMIT p_count;
    ELSIF p_size <= 1000 THEN
        members := ARRAY(SELECT member FROM pgredis_set_members WHERE key_id = p_key_id);
        RETURN QUERY SELECT members[1 + floor(random() * cardinality(members))::integer]
                       FROM generate_series(1, p_count);
    ELSIF NOT p_distinct THEN
        RETURN QUERY SELECT pgredis_set_member_at(p_key_id, pgredis_set_random_point())
                       FROM generate_series(1, p_count);
    ELSE
        -- Few distinct members of a big set: draw a few more than still needed, drop repeats,
        -- and go again in the rare case that repeats left too few.
        LOOP
            picked := ARRAY(
                SELECT m FROM (
                    SELECT unnest(picked) AS m
                    UNION
                    SELECT pgredis_set_member_at(p_key_id, pgredis_set_random_point())
                      FROM generate_series(1, p_count - cardinality(picked) + 8)) AS draws
                LIMIT p_count);
            EXIT WHEN cardinality(picked) >= p_count;
        END LOOP;
        RETURN QUERY SELECT unnest(picked);
    END IF;
END
$$;

-- A random point of the hash order (1 .. 2^60).
CREATE FUNCTION pgredis_set_random_point() RETURNS bigint
LANGUAGE sql VOLATILE
AS $$ SELECT 1 + floor(random() * 1152921504606846976)::bigint $$;

-- SPOP key [count]: removes and returns up to p_count random members; the whole set (and the
-- key) when p_count reaches its size.
CREATE FUNCTION pgredis_spop(p_db integer, p_key bytea, p_count bigint) RETURNS SETOF bytea
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    popped bytea[];
BEGIN
    cur := pgredis_lock_key(p_db, p_key);
    IF cur.key IS NULL THEN
        RETURN;
    ELSIF cur.type <> 'set' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    ELSIF p_count <= 0 THEN
        RETURN;
    ELSIF p_count >= cur.size THEN
        -- Deleting the key row is enough: its members become orphans for the sweeper.
        RETURN QUERY SELECT member FROM pgredis_set_members WHERE key_id = cur.key_id;
        DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
        RETURN;
    END IF;
    popped := ARRAY(SELECT pgredis_set_random(cur.key_id, cur.size, p_count, true));
    DELETE FROM pgredis_set_members WHERE key_id = cur.key_id AND member = ANY (popped);
    PERFORM pgredis_set_shrink(cur, cardinality(popped));
    RETURN QUERY SELECT unnest(popped);
END
$$;

-- SRANDMEMBER key [count]: reads only; an absent or expired key has no members.
CREATE FUNCTION pgredis_srandmember(
    p_db integer, p_key bytea, p_count bigint, p_distinct boolean)
RETURNS SETOF bytea
LANGUAGE plpgsql
AS $$
DECLARE
    cur record;
BEGIN
    SELECT type, key_id, size INTO cur FROM pgredis_keys
     WHERE db = p_db AND key = p_key
       AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms());
    IF NOT FOUND THEN
        RETURN;
    ELSIF cur.type <> 'set' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
    RETURN QUERY SELECT pgredis_set_random(cur.key_id, cur.size, p_count, p_distinct);
END
$$;

-- SMOVE source destination member. Locks both keys in (db, key) order; a destination created
-- by another client after it was seen absent makes the attempt run again (see 0004_keys.sql).
CREATE FUNCTION pgredis_smove(p_db integer, p_src bytea, p_dst bytea, p_member bytea)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    pair record;
    src pgredis_keys;
    dst pgredis_keys;
    added boolean;
BEGIN
    LOOP
        BEGIN
            pair := pgredis_lock_pair(p_db, p_src, p_db, p_dst);
            src := pair.cur;
            dst := pair.other;
            IF src.key IS NULL THEN
                RETURN 0;
            ELSIF src.type <> 'set' OR (dst.key IS NOT NULL AND dst.type <> 'set') THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            ELSIF p_src = p_dst THEN
                RETURN (EXISTS (SELECT 1 FROM pgredis_set_members
                                 WHERE key_id = src.key_id AND member = p_member))::integer;
            END IF;
            DELETE FROM pgredis_set_members WHERE key_id = src.key_id AND member = p_member;
            IF NOT FOUND THEN
                RETURN 0;
            END IF;
            PERFORM pgredis_set_shrink(src, 1);
            IF dst.key IS NULL THEN
                INSERT INTO pgredis_keys (db, key, type, size) VALUES (p_db, p_dst, 'set', 1)
                RETURNING * INTO dst;
                INSERT INTO pgredis_set_members (key_id, member) VALUES (dst.key_id, p_member);
            ELSE
                INSERT INTO pgredis_set_members (key_id, member) VALUES (dst.key_id, p_member)
                ON CONFLICT DO NOTHING;
                added := FOUND;
                -- Redis signals the destination as modified even when it had the member.
                UPDATE pgredis_keys
                   SET size = size + added::integer, version = nextval('pgredis_version')
                 WHERE db = p_db AND key = p_dst;
            END IF;
            RETURN 1;
        EXCEPTION WHEN unique_violation THEN
            -- Another client created the destination after we saw it absent: go again.
        END;
    END LOOP;
END
$$;

-- The live keys of SINTER, SUNION, SDIFF and their relatives, in argument order: key_id and
-- size, both NULL for an absent key. Any key of another type is WRONGTYPE, as Redis checks every
-- key before it looks at any member.
CREATE FUNCTION pgredis_set_sources(
    p_db integer, p_keys bytea[], OUT ids bigint[], OUT sizes bigint[])
LANGUAGE plpgsql
AS $$
DECLARE
    wrong boolean;
BEGIN
    SELECT array_agg(k.key_id ORDER BY w.n), array_agg(k.size ORDER BY w.n),
           coalesce(bool_or(k.type <> 'set'), false)
      INTO ids, sizes, wrong
      FROM unnest(p_keys) WITH ORDINALITY AS w(key, n)
      LEFT JOIN pgredis_keys k
        ON k.db = p_db AND k.key = w.key
       AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms());
    IF wrong THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
END
$$;

-- The members of the intersection ('inter'), union ('union') or difference ('diff') of the sets
-- with these key_ids (NULL for an absent key, an empty set), at most p_limit of them when given.
-- The intersection walks the smallest set and probes the others' primary keys, as Redis does;
-- the difference walks the first set and probes the rest.
CREATE FUNCTION pgredis_set_op(p_op text, p_ids bigint[], p_sizes bigint[], p_limit bigint)
RETURNS SETOF bytea
LANGUAGE plpgsql
AS $$
DECLARE
    smallest bigint;
    others bigint[];
BEGIN
    IF p_op = 'inter' THEN
        IF array_position(p_ids, NULL) IS NOT NULL THEN
            RETURN;
        END IF;
        SELECT id INTO smallest FROM unnest(p_ids, p_sizes) AS s(id, size) ORDER BY size LIMIT 1;
        others := ARRAY(SELECT DISTINCT id FROM unnest(p_ids) AS id WHERE id <> smallest);
        RETURN QUERY
            SELECT m.member FROM pgredis_set_members m
             WHERE m.key_id = smallest
               AND (SELECT count(*) FROM pgredis_set_members o
                     WHERE o.key_id = ANY (others) AND o.member = m.member) = cardinality(others)
             LIMIT p_limit;
    ELSIF p_op = 'union' THEN
        RETURN QUERY
            SELECT DISTINCT member FROM pgredis_set_members WHERE key_id = ANY (p_ids);
    ELSIF p_op = 'diff' THEN
        IF p_ids[1] IS NULL THEN
            RETURN;
        END IF;
        RETURN QUERY
            SELECT m.member FROM pgredis_set_members m
             WHERE m.key_id = p_ids[1]
               AND NOT EXISTS (SELECT 1 FROM pgredis_set_members o
                                WHERE o.key_id = ANY (p_ids[2:]) AND o.member = m.member);
    ELSE
        RAISE EXCEPTION 'unknown set operation %', p_op;
    END IF;
END
$$;

-- SINTER, SUNION, SDIFF (and SMEMBERS of many keys): reads only.
CREATE FUNCTION pgredis_set_read(p_db integer, p_keys bytea[], p_op text, p_limit bigint)
RETURNS SETOF bytea
LANGUAGE plpgsql
AS $$
DECLARE
    src record;
BEGIN
    src := pgredis_set_sources(p_db, p_keys);
    RETURN QUERY SELECT pgredis_set_op(p_op, src.ids, src.sizes, p_limit);
END
$$;

-- SINTERSTORE, SUNIONSTORE, SDIFFSTORE destination key [key ...]: the result replaces the
-- destination whatever it held (under a new key_id, without expiry), or deletes it when empty.
-- The destination is locked first; the sources are read, not locked. Returns the result's size.
CREATE FUNCTION pgredis_set_store(p_db integer, p_dst bytea, p_keys bytea[], p_op text)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    src record;
    new_id bigint;
    n bigint;
BEGIN
    LOOP
        cur := pgredis_lock_key(p_db, p_dst);
        src := pgredis_set_sources(p_db, p_keys);
        new_id := nextval('pgredis_key_id');
        INSERT INTO pgredis_set_members (key_id, member)
        SELECT new_id, m FROM pgredis_set_op(p_op, src.ids, src.sizes, NULL) AS m;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF cur.key IS NOT NULL THEN
            IF n = 0 THEN
                DELETE FROM pgredis_keys WHERE db = p_db AND key = p_dst;
            ELSE
                UPDATE pgredis_keys
                   SET type = 'set', value = NULL, size = n, list_head = NULL, key_id = new_id,
                       expires_at_ms = NULL, version = nextval('pgredis_version')
                 WHERE db = p_db AND key = p_dst;
            END IF;
            RETURN n;
        ELSIF n = 0 THEN
            RETURN 0;
        END IF;
        INSERT INTO pgredis_keys (db, key, key_id, type, size)
        VALUES (p_db, p_dst, new_id, 'set', n)
        ON CONFLICT DO NOTHING;
        IF FOUND THEN
            RETURN n;
        END IF;
        -- Another client created the destination meanwhile: leave these members to the
        -- sweeper and go again, now under that key's lock.
        INSERT INTO pgredis_orphans (key_id, type) VALUES (new_id, 'set');
    END LOOP;
END
$$;

-- COPY of a set: its members under the copy's key_id.
CREATE FUNCTION pgredis_copy_set_children(p_from bigint, p_to bigint) RETURNS void
LANGUAGE sql
AS $$
INSERT INTO pgredis_set_members (key_id, member)
SELECT p_to, member FROM pgredis_set_members WHERE key_id = p_from
$$;
