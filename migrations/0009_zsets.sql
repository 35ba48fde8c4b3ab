-- Server-side functions for sorted sets.
--
-- Members live in pgredis_zset_members (key_id, member, score), indexed by (key_id, member) and by
-- (key_id, score, member), which is Redis's order: score, then member bytes (bytea compares with
-- memcmp, as Redis does). The keyspace row's size is ZCARD. Every write locks the keyspace row
-- first (pgredis_lock_key), so writers of one key queue up and a read-then-write of child rows
-- inside one of these functions is safe.
--
-- Scores are float8, as Redis's doubles. PostgreSQL raises errors where C arithmetic overflows to
-- infinity or underflows to zero; pgredis_fadd and pgredis_fmul give C's answers instead. Redis
-- stores -0 from ZADD as 0 in small sets (their scores are kept as text in a listpack); pgredis
-- always stores 0.

-- a + b as C computes it: overflow gives an infinity, never an error.
CREATE FUNCTION pgredis_fadd_slow(a float8, b float8) RETURNS float8
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RETURN a + b;
EXCEPTION WHEN numeric_value_out_of_range THEN
    RETURN CASE WHEN a > 0 THEN 'Infinity'::float8 ELSE '-Infinity'::float8 END;
END
$$;

CREATE FUNCTION pgredis_fadd(a float8, b float8) RETURNS float8
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE WHEN abs(a) < 1e300 AND abs(b) < 1e300 THEN a + b ELSE pgredis_fadd_slow(a, b) END
$$;

-- a * b as C computes it: overflow gives an infinity, underflow a zero.
CREATE FUNCTION pgredis_fmul_slow(a float8, b float8) RETURNS float8
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RETURN a * b;
EXCEPTION WHEN numeric_value_out_of_range THEN
    IF abs(a) > 1 OR abs(b) > 1 THEN
        RETURN CASE WHEN (a < 0) <> (b < 0) THEN '-Infinity'::float8 ELSE 'Infinity'::float8 END;
    END IF;
    RETURN CASE WHEN (a < 0) <> (b < 0) THEN '-0'::float8 ELSE 0::float8 END;
END
$$;

CREATE FUNCTION pgredis_fmul(a float8, b float8) RETURNS float8
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE WHEN a = 0 OR b = 0
              OR (abs(a) BETWEEN 1e-150 AND 1e150 AND abs(b) BETWEEN 1e-150 AND 1e150)
            THEN a * b ELSE pgredis_fmul_slow(a, b) END
$$;

-- AGGREGATE SUM of ZUNION and ZINTER, folded in Redis's order: a NaN (inf + -inf) becomes 0.
CREATE FUNCTION pgredis_zsum_step(acc float8, v float8) RETURNS float8
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE WHEN acc IS NULL THEN v
            WHEN pgredis_fadd(acc, v) = 'NaN'::float8 THEN 0
            ELSE pgredis_fadd(acc, v) END
$$;

CREATE AGGREGATE pgredis_zsum(float8) (SFUNC = pgredis_zsum_step, STYPE = float8);

-- After a write removed members: the key's new size, or no key at all when it reached 0.
CREATE FUNCTION pgredis_zset_resize(p_db integer, p_key bytea, p_size bigint) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_size <= 0 THEN
        DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
    ELSE
        UPDATE pgredis_keys SET size = p_size, version = nextval('pgredis_version')
         WHERE db = p_db AND key = p_key;
    END IF;
END
$$;

-- One score-member pair of ZADD, applied the way Redis's zsetAdd applies it. Returns 0 when
-- nothing was done, 1 when the member was added, 2 when its score changed, 3 when the score was
-- already the same; new_score is the member's score after the pair (NULL when nothing was done).
CREATE FUNCTION pgredis_zadd_one(
    p_key_id bigint, p_member bytea, p_score float8,
    p_nx boolean, p_xx boolean, p_gt boolean, p_lt boolean, p_incr boolean,
    OUT outcome integer, OUT new_score float8)
LANGUAGE plpgsql
AS $$
DECLARE
    old float8;
    s float8 := p_score;
BEGIN
    SELECT score INTO old FROM pgredis_zset_members WHERE key_id = p_key_id AND member = p_member;
    IF FOUND THEN
        IF p_nx THEN
            outcome := 0;
            RETURN;
        END IF;
        IF p_incr THEN
            s := pgredis_fadd(old, s);
            IF s = 'NaN'::float8 THEN
                PERFORM pgredis_fail('ERR resulting score is not a number (NaN)');
            END IF;
        END IF;
        IF (p_gt AND s <= old) OR (p_lt AND s >= old) THEN
            outcome := 0;
            RETURN;
        END IF;
        new_score := s;
        IF s = old THEN
            outcome := 3;
            RETURN;
        END IF;
        UPDATE pgredis_zset_members SET score = s + 0::float8
         WHERE key_id = p_key_id AND member = p_member;
        outcome := 2;
        RETURN;
    END IF;
    IF p_xx THEN
        outcome := 0;
        RETURN;
    END IF;
    INSERT INTO pgredis_zset_members (key_id, member, score) VALUES (p_key_id, p_member, s + 0::float8);
    new_score := s;
    outcome := 1;
END
$$;

-- ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and ZINCRBY.
-- Distinct members are applied by one statement; a member given twice makes the pairs apply one
-- by one in order, as Redis does (the counts then depend on the order). Returns how many members
-- were added and changed, and, for INCR, the new score (NULL when nothing was done).
CREATE FUNCTION pgredis_zadd(
    p_db integer, p_key bytea, p_members bytea[], p_scores float8[],
    p_nx boolean, p_xx boolean, p_gt boolean, p_lt boolean, p_incr boolean,
    OUT added bigint, OUT changed bigint, OUT new_score float8)
LANGUAGE plpgsql
-- Its statements have the same good plan for every argument; left to choose, PostgreSQL kept
-- planning the member CTE afresh on every call (its custom plan, knowing the array's length,
-- looks cheaper than the generic one), which cost more than running it.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    cur pgredis_keys;
    kid bigint;
    one record;
BEGIN
    added := 0;
    changed := 0;
    LOOP
        cur := pgredis_lock_key(p_db, p_key);
        IF cur.key IS NOT NULL THEN
            IF cur.type <> 'zset' THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            END IF;
            kid := cur.key_id;
            EXIT;
        END IF;
        IF p_xx THEN
            RETURN;
        END IF;
        INSERT INTO pgredis_keys (db, key, type, size) VALUES (p_db, p_key, 'zset', 0)
        ON CONFLICT DO NOTHING
        RETURNING key_id INTO kid;
        IF FOUND THEN
            EXIT;
        END IF;
    END LOOP;

    IF p_incr OR cardinality(p_members) <> (SELECT count(DISTINCT m) FROM unnest(p_members) m) THEN
        FOR i IN 1 .. cardinality(p_members) LOOP
            one := pgredis_zadd_one(kid, p_members[i], p_scores[i], p_nx, p_xx, p_gt, p_lt, p_incr);
            IF one.outcome = 1 THEN
                added := added + 1;
            ELSIF one.outcome = 2 THEN
                changed := changed + 1;
            END IF;
            new_score := one.new_score;
        END LOOP;
    ELSE
        -- Each member's old score is a scalar subquery, so one primary-key lookup per member
        -- whatever the plan: as a join, a cached generic plan (kid unknown, the array's length
        -- guessed) may hash all the key's members and cost O(size) per call.
        WITH cmp AS (
            SELECT i.m, i.s + 0::float8 AS s,
                   (SELECT z.score FROM pgredis_zset_members z
                     WHERE z.key_id = kid AND z.member = i.m) AS old
              FROM unnest(p_members, p_scores) AS i(m, s)
        ), todo AS (
            SELECT m, s, old IS NULL AS is_new FROM cmp
             WHERE CASE WHEN old IS NULL THEN NOT p_xx
                        ELSE NOT p_nx AND s <> old
                             AND NOT (p_gt AND s <= old) AND NOT (p_lt AND s >= old) END
        ), written AS (
            INSERT INTO pgredis_zset_members (key_id, member, score)
            SELECT kid, m, s FROM todo
            ON CONFLICT (key_id, member) DO UPDATE SET score = EXCLUDED.score
            RETURNING 1
        )
        SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new)
          INTO added, changed
          FROM todo;
    END IF;

    IF added > 0 OR changed > 0 THEN
        UPDATE pgredis_keys SET size = size + added, version = nextval('pgredis_version')
         WHERE db = p_db AND key = p_key;
    ELSIF cur.key IS NULL THEN
        -- Created for nothing (cannot happen without XX, kept for safety).
        DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
    END IF;
END
$$;

-- ZREM key member [member ...]. Returns how many members were removed.
CREATE FUNCTION pgredis_zrem(p_db integer, p_key bytea, p_members bytea[]) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    n bigint;
BEGIN
    cur := pgredis_lock_key(p_db, p_key);
    IF cur.key IS NULL THEN
        RETURN 0;
    END IF;
    IF cur.type <> 'zset' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
    DELETE FROM pgredis_zset_members WHERE key_id = cur.key_id AND member = ANY (p_members);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM pgredis_zset_resize(p_db, p_key, cur.size - n);
    END IF;
    RETURN n;
END
$$;

-- A range of a sorted set, as ZRANGE and its relatives take it. kind is 'rank' (start, stop,
-- negative from the end), 'score' (min, max, each inclusive or exclusive) or 'lex' (lmin, lmax,
-- NULL for - and +). rev walks from the highest member down. offset and limit are LIMIT's for
-- score and lex ranges (limit NULL: no limit).
CREATE TYPE pgredis_zrange AS (
    kind text, rev boolean,
    start bigint, stop bigint,
    min float8, minex boolean, max float8, maxex boolean,
    lmin bytea, lminex boolean, lmax bytea, lmaxex boolean,
    "offset" bigint, "limit" bigint);

-- The members of the sorted set p_key_id (of p_size members) within range r, in order.
-- Each branch is an index range scan that stops after what it returns.
-- Generic plans always: every branch is an index range scan whatever the arguments, and a plan
-- made for the arguments (which PostgreSQL may prefer, depending on the statistics) costs a
-- planning per call, more than the scan.
CREATE FUNCTION pgredis_zrange_rows(p_key_id bigint, p_size bigint, r pgredis_zrange)
RETURNS TABLE (member bytea, score float8)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    s bigint := r.start;
    e bigint := r.stop;
    lo bytea := coalesce(r.lmin, '\x'::bytea);
BEGIN
    IF r.kind = 'rank' THEN
        IF s < 0 THEN s := p_size + s; END IF;
        IF e < 0 THEN e := p_size + e; END IF;
        IF s < 0 THEN s := 0; END IF;
        IF s > e OR s >= p_size THEN
            RETURN;
        END IF;
        IF e >= p_size THEN e := p_size - 1; END IF;
        IF r.rev THEN
            RETURN QUERY SELECT z.member, z.score FROM pgredis_zset_members z
                          WHERE z.key_id = p_key_id
                          ORDER BY z.score DESC, z.member DESC OFFSET s LIMIT e - s + 1;
        ELSE
            RETURN QUERY SELECT z.member, z.score FROM pgredis_zset_members z
                          WHERE z.key_id = p_key_id
                          ORDER BY z.score, z.member OFFSET s LIMIT e - s + 1;
        END IF;
    ELSIF r.kind = 'score' THEN
        IF r.rev THEN
            RETURN QUERY SELECT z.member, z.score FROM pgredis_zset_members z
                          WHERE z.key_id = p_key_id AND z.score >= r.min AND z.score <= r.max
                            AND (NOT r.minex OR z.score > r.min) AND (NOT r.maxex OR z.score < r.max)
                          ORDER BY z.score DESC, z.member DESC OFFSET r."offset" LIMIT r."limit";
        ELSE
            RETURN QUERY SELECT z.member, z.score FROM pgredis_zset_members z
                          WHERE z.key_id = p_key_id AND z.score >= r.min AND z.score <= r.max
                            AND (NOT r.minex OR z.score > r.min) AND (NOT r.maxex OR z.score < r.max)
                          ORDER BY z.score, z.member OFFSET r."offset" LIMIT r."limit";
        END IF;
    ELSE
        -- Lex ranges assume equal scores (Redis leaves other cases undefined): member order.
        IF r.lmax IS NULL AND r.rev THEN
            RETURN QUERY SELECT z.member, z.score FROM pgredis_zset_members z
                          WHERE z.key_id = p_key_id AND z.member >= lo
                            AND (NOT r.lminex OR z.member > lo)
                          ORDER BY z.member DESC OFFSET r."offset" LIMIT r."limit";
        ELSIF r.lmax IS NULL THEN
            RETURN QUERY SELECT z.member, z.score FROM pgredis_zset_members z
                          WHERE z.key_id = p_key_id AND z.member >= lo
                            AND (NOT r.lminex OR z.member > lo)
                          ORDER BY z.member OFFSET r."offset" LIMIT r."limit";
        ELSIF r.rev THEN
            RETURN QUERY SELECT z.member, z.score FROM pgredis_zset_members z
                          WHERE z.key_id = p_key_id AND z.member >= lo AND z.member <= r.lmax
                            AND (NOT r.lminex OR z.member > lo) AND (NOT r.lmaxex OR z.member < r.lmax)
                          ORDER BY z.member DESC OFFSET r."offset" LIMIT r."limit";
        ELSE
            RETURN QUERY SELECT z.member, z.score FROM pgredis_zset_members z
                          WHERE z.key_id = p_key_id AND z.member >= lo AND z.member <= r.lmax
                            AND (NOT r.lminex OR z.member > lo) AND (NOT r.lmaxex OR z.member < r.lmax)
                          ORDER BY z.member OFFSET r."offset" LIMIT r."limit";
        END IF;
    END IF;
END
$$;

-- ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX key range. Returns how many were removed.
CREATE FUNCTION pgredis_zremrange(p_db integer, p_key bytea, r pgredis_zrange) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    n bigint;
BEGIN
    cur := pgredis_lock_key(p_db, p_key);
    IF cur.key IS NULL THEN
        RETURN 0;
    END IF;
    IF cur.type <> 'zset' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
    -- = ANY of an array, not IN: a hash semi-join could read every member of the key.
    DELETE FROM pgredis_zset_members
     WHERE key_id = cur.key_id
       AND member = ANY (ARRAY(SELECT g.member FROM pgredis_zrange_rows(cur.key_id, cur.size, r) g));
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM pgredis_zset_resize(p_db, p_key, cur.size - n);
    END IF;
    RETURN n;
END
$$;

-- Locks keys of one database in key order (the order every multi-key write uses), removing
-- expired ones.
CREATE FUNCTION pgredis_lock_keys(p_db integer, p_keys bytea[]) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    k bytea;
BEGIN
    FOREACH k IN ARRAY ARRAY(SELECT DISTINCT u FROM unnest(p_keys) u ORDER BY u) LOOP
        PERFORM pgredis_lock_key(p_db, k);
    END LOOP;
END
$$;

-- Replaces p_dst, whatever it holds, by a sorted set of the given members (no key at all when
-- there are none). The caller holds the locks. Returns the new size.
CREATE FUNCTION pgredis_zset_replace(
    p_db integer, p_dst bytea, p_members bytea[], p_scores float8[]) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    kid bigint;
    n bigint := coalesce(cardinality(p_members), 0);
BEGIN
    DELETE FROM pgredis_keys WHERE db = p_db AND key = p_dst;
    IF n = 0 THEN
        RETURN 0;
    END IF;
    INSERT INTO pgredis_keys (db, key, type, size) VALUES (p_db, p_dst, 'zset', n)
    RETURNING key_id INTO kid;
    INSERT INTO pgredis_zset_members (key_id, member, score)
    SELECT kid, m, s + 0::float8 FROM unnest(p_members, p_scores) AS u(m, s);
    RETURN n;
END
$$;

-- ZRANGESTORE dst src range. Returns the size of dst.
CREATE FUNCTION pgredis_zrangestore(p_db integer, p_dst bytea, p_src bytea, r pgredis_zrange)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    src pgredis_keys;
    ms bytea[];
    ss float8[];
BEGIN
    LOOP
        BEGIN
            PERFORM pgredis_lock_keys(p_db, ARRAY[p_dst, p_src]);
            SELECT * INTO src FROM pgredis_keys WHERE db = p_db AND key = p_src;
            IF FOUND AND src.type <> 'zset' THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            END IF;
            IF FOUND THEN
                SELECT array_agg(g.member ORDER BY g.n), array_agg(g.score ORDER BY g.n) INTO ms, ss
                  FROM pgredis_zrange_rows(src.key_id, src.size, r) WITH ORDINALITY AS g(member, score, n);
            END IF;
            RETURN pgredis_zset_replace(p_db, p_dst, ms, ss);
        EXCEPTION WHEN unique_violation THEN
            -- Another client created dst after we saw it absent: go again.
        END;
    END LOOP;
END
$$;

-- The sources of ZUNION, ZINTER, ZDIFF (and their STORE forms, and ZINTERCARD): each key's
-- position, weight, key_id and cardinality; absent keys have no key_id and cardinality 0.
-- Sorted sets and plain sets (whose members score 1) are accepted, other types are WRONGTYPE.
CREATE FUNCTION pgredis_zsetop_sources(p_db integer, p_keys bytea[], p_weights float8[])
RETURNS TABLE (n bigint, weight float8, key_id bigint, type pgredis_type, card bigint)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN QUERY
    SELECT w.n, coalesce(p_weights[w.n], 1), k.key_id, k.type, coalesce(k.size, 0)
      FROM unnest(p_keys) WITH ORDINALITY AS w(key, n)
      LEFT JOIN pgredis_keys k
        ON k.db = p_db AND k.key = w.key
       AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms());
END
$$;

-- WRONGTYPE unless every live key among p_keys is a sorted set or a set. A statement of its own,
-- run before the set operation: inside the operation's query the planner may never read the
-- sources at all (a hash join whose other side is empty), and the check must not depend on a plan.
CREATE FUNCTION pgredis_zsetop_check(p_db integer, p_keys bytea[]) RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(p_keys) u
                 JOIN pgredis_keys k ON k.db = p_db AND k.key = u
                  AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())
                WHERE k.type NOT IN ('zset', 'set')) THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
END
$$;

-- The result of ZUNION, ZINTER or ZDIFF (p_op 'union', 'inter', 'diff') with weights and
-- aggregate 'sum', 'min' or 'max', in Redis's order (score, member). Scores are folded in the
-- order Redis folds them: sources by cardinality, then position.
CREATE FUNCTION pgredis_zsetop_rows(
    p_db integer, p_op text, p_keys bytea[], p_weights float8[], p_agg text)
RETURNS TABLE (member bytea, score float8)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    nsrc bigint := cardinality(p_keys);
BEGIN
    PERFORM pgredis_zsetop_check(p_db, p_keys);
    RETURN QUERY
    WITH src AS MATERIALIZED (
        SELECT s.*, row_number() OVER (ORDER BY s.card, s.n) AS ord
          FROM pgredis_zsetop_sources(p_db, p_keys, p_weights) s
    ), elems AS (
        SELECT src.n, src.ord, z.member,
               CASE WHEN p_op = 'diff' THEN z.score
                    ELSE (SELECT CASE WHEN w = 'NaN'::float8 THEN 0 ELSE w END
                            FROM pgredis_fmul(z.score, src.weight) w) END AS score
          FROM src JOIN pgredis_zset_members z ON z.key_id = src.key_id AND src.type = 'zset'
        UNION ALL
        SELECT src.n, src.ord, m.member,
               CASE WHEN p_op = 'diff' THEN 1
                    ELSE (SELECT CASE WHEN w = 'NaN'::float8 THEN 0 ELSE w END
                            FROM pgredis_fmul(1, src.weight) w) END
          FROM src JOIN pgredis_set_members m ON m.key_id = src.key_id AND src.type = 'set'
    ), grouped AS (
        SELECT e.member,
               CASE p_agg WHEN 'min' THEN min(e.score)
                          WHEN 'max' THEN max(e.score)
                          ELSE pgredis_zsum(e.score ORDER BY e.ord) END AS score,
               count(*) AS hits,
               bool_or(e.n = 1) AS in_first,
               min(e.score) FILTER (WHERE e.n = 1) AS first_score
          FROM elems e
         GROUP BY e.member
    )
    SELECT g.member, CASE WHEN p_op = 'diff' THEN g.first_score ELSE g.score END
      FROM grouped g
     WHERE CASE p_op WHEN 'union' THEN true
                     WHEN 'inter' THEN g.hits = nsrc
                     ELSE g.in_first AND g.hits = 1 END
     ORDER BY 2, 1;
END
$$;

-- ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE destination numkeys key [key ...] ... Returns the size
-- of the destination.
CREATE FUNCTION pgredis_zsetop_store(
    p_db integer, p_dst bytea, p_op text, p_keys bytea[], p_weights float8[], p_agg text)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    ms bytea[];
    ss float8[];
BEGIN
    LOOP
        BEGIN
            PERFORM pgredis_lock_keys(p_db, p_keys || p_dst);
            SELECT array_agg(g.member), array_agg(g.score) INTO ms, ss
              FROM pgredis_zsetop_rows(p_db, p_op, p_keys, p_weights, p_agg) g;
            RETURN pgredis_zset_replace(p_db, p_dst, ms, ss);
        EXCEPTION WHEN unique_violation THEN
            -- Another client created dst after we saw it absent: go again.
        END;
    END LOOP;
END
$$;

-- ZPOPMIN, ZPOPMAX and ZMPOP (and, later, their blocking forms): pops up to p_count members
-- from the first of p_keys that holds a sorted set, lowest scores first (highest with p_max).
-- A key of another type met before that is WRONGTYPE. Returns the key popped from with each
-- member and score, in pop order; no rows when every key is empty. The members to delete are an
-- array (= ANY), not an IN subquery, which a hash semi-join could answer by reading the whole key.
CREATE FUNCTION pgredis_zpop(p_db integer, p_keys bytea[], p_count bigint, p_max boolean)
RETURNS TABLE (key bytea, member bytea, score float8)
LANGUAGE plpgsql
AS $$
DECLARE
    seen pgredis_keys;
    cur pgredis_keys;
    n bigint;
BEGIN
    LOOP
        SELECT k.* INTO seen
          FROM unnest(p_keys) WITH ORDINALITY AS w(key, i)
          JOIN pgredis_keys k ON k.db = p_db AND k.key = w.key
           AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())
         ORDER BY w.i
         LIMIT 1;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        IF seen.type <> 'zset' THEN
            PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
        END IF;
        cur := pgredis_lock_key(p_db, seen.key);
        -- Changed between the look and the lock (popped empty, deleted, recreated): look again.
        CONTINUE WHEN cur.key_id IS DISTINCT FROM seen.key_id;
        IF p_max THEN
            RETURN QUERY
            WITH d AS (
                DELETE FROM pgredis_zset_members z
                 WHERE z.key_id = cur.key_id
                   AND z.member = ANY (ARRAY(SELECT y.member FROM pgredis_zset_members y
                                              WHERE y.key_id = cur.key_id
                                              ORDER BY y.score DESC, y.member DESC LIMIT p_count))
                RETURNING z.member, z.score)
            SELECT cur.key, d.member, d.score FROM d ORDER BY d.score DESC, d.member DESC;
        ELSE
            RETURN QUERY
            WITH d AS (
                DELETE FROM pgredis_zset_members z
                 WHERE z.key_id = cur.key_id
                   AND z.member = ANY (ARRAY(SELECT y.member FROM pgredis_zset_members y
                                              WHERE y.key_id = cur.key_id
                                              ORDER BY y.score, y.member LIMIT p_count))
                RETURNING z.member, z.score)
            SELECT cur.key, d.member, d.score FROM d ORDER BY d.score, d.member;
        END IF;
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM pgredis_zset_resize(p_db, cur.key, cur.size - n);
        RETURN;
    END LOOP;
END
$$;

-- COPY of a sorted set: its members under the copy's key_id.
CREATE FUNCTION pgredis_copy_zset_children(p_from bigint, p_to bigint) RETURNS void
LANGUAGE sql
AS $$
INSERT INTO pgredis_zset_members (key_id, member, score)
SELECT p_to, member, score FROM pgredis_zset_members WHERE key_id = p_from
$$;
