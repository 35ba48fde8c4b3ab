-- Server-side functions for hashes, and SORT (which reads lists, sets and sorted sets, and looks
-- values up in strings and hashes).
--
-- A hash's fields are rows of pgredis_hash_fields under the key's key_id; the keyspace row holds
-- HLEN in size. Writers lock the keyspace row first (pgredis_lock_key), so writers of one hash
-- queue up there, then touch field rows by primary key: HSET and HGET cost the same at any size.

-- Insertion order. Redis keeps a small hash as a listpack in insertion order (a field updated in
-- place keeps its place, a deleted and re-added one goes to the end), and HGETALL, HKEYS, HVALS
-- and HSCAN answer in that order; seq lets pgredis answer the same way, and is HSCAN's cursor:
-- it only grows, so a field present for a whole HSCAN is returned exactly once.
CREATE SEQUENCE pgredis_hash_field_seq;
ALTER TABLE pgredis_hash_fields
    ADD COLUMN seq bigint NOT NULL DEFAULT nextval('pgredis_hash_field_seq');
CREATE INDEX pgredis_hash_fields_by_seq ON pgredis_hash_fields (key_id, seq);

-- Locks the hash at p_key for a write, creating it (empty, size 0) when absent or expired, and
-- returns its key_id; WRONGTYPE for a key of another type. The caller adds at least one field.
CREATE FUNCTION pgredis_hash_for_write(p_db integer, p_key bytea) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    id bigint;
BEGIN
    LOOP
        cur := pgredis_lock_key(p_db, p_key);
        IF cur.key IS NOT NULL THEN
            IF cur.type <> 'hash' THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            END IF;
            RETURN cur.key_id;
        END IF;
        INSERT INTO pgredis_keys (db, key, type, size) VALUES (p_db, p_key, 'hash', 0)
        ON CONFLICT DO NOTHING
        RETURNING key_id INTO id;
        IF id IS NOT NULL THEN
            RETURN id;
        END IF;
    END LOOP;
END
$$;

-- HSET, HMSET (p_nx false) and HSETNX (p_nx true): sets the fields, a field given twice taking
-- its last value. Returns how many fields are new. HSETNX leaves the key untouched (no version
-- bump) when its field exists.
CREATE FUNCTION pgredis_hset(
    p_db integer, p_key bytea, p_fields bytea[], p_values bytea[], p_nx boolean)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    id bigint := pgredis_hash_for_write(p_db, p_key);
    added bigint;
BEGIN
    IF p_nx THEN
        INSERT INTO pgredis_hash_fields (key_id, field, value)
        VALUES (id, p_fields[1], p_values[1])
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS added = ROW_COUNT;
        IF added = 0 THEN
            RETURN 0;
        END IF;
    ELSIF cardinality(p_fields) = 1 THEN
        -- One field, the common case: a plain upsert, without the grouping below.
        INSERT INTO pgredis_hash_fields (key_id, field, value)
        VALUES (id, p_fields[1], p_values[1])
        ON CONFLICT (key_id, field) DO UPDATE SET value = EXCLUDED.value
        RETURNING CASE WHEN xmax = 0 THEN 1 ELSE 0 END INTO added;
    ELSE
        -- xmax = 0 tells an inserted row from an updated one.
        -- A field given twice keeps its first place and takes its last value, as in Redis.
        WITH pairs AS (
            SELECT f, (array_agg(v ORDER BY n DESC))[1] AS v, min(n) AS first
              FROM unnest(p_fields, p_values) WITH ORDINALITY AS t(f, v, n)
             GROUP BY f),
        written AS (
            INSERT INTO pgredis_hash_fields (key_id, field, value)
            SELECT id, f, v FROM pairs ORDER BY first
            ON CONFLICT (key_id, field) DO UPDATE SET value = EXCLUDED.value
            RETURNING xmax = 0 AS inserted)
        SELECT count(*) FILTER (WHERE inserted) INTO added FROM written;
    END IF;
    UPDATE pgredis_keys SET size = size + added, version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key;
    RETURN added;
END
$$;

-- HDEL key field...: returns how many fields were removed; the last one removes the key.
CREATE FUNCTION pgredis_hdel(p_db integer, p_key bytea, p_fields bytea[]) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys := pgredis_lock_key(p_db, p_key);
    removed bigint;
BEGIN
    IF cur.key IS NULL THEN
        RETURN 0;
    END IF;
    IF cur.type <> 'hash' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
    DELETE FROM pgredis_hash_fields WHERE key_id = cur.key_id AND field = ANY (p_fields);
    GET DIAGNOSTICS removed = ROW_COUNT;
    IF removed = 0 THEN
        RETURN 0;
    END IF;
    IF cur.size <= removed THEN
        DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
    ELSE
        UPDATE pgredis_keys SET size = size - removed, version = nextval('pgredis_version')
         WHERE db = p_db AND key = p_key;
    END IF;
    RETURN removed;
END
$$;

-- HINCRBY key field increment, with Redis's integer rules for the stored value and its overflow
-- check. Returns the new value.
CREATE FUNCTION pgredis_hincrby(p_db integer, p_key bytea, p_field bytea, p_by bigint)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    id bigint := pgredis_hash_for_write(p_db, p_key);
    old bytea;
    sum numeric;
BEGIN
    SELECT value INTO old FROM pgredis_hash_fields WHERE key_id = id AND field = p_field;
    IF FOUND AND NOT pgredis_is_integer(old) THEN
        PERFORM pgredis_fail('ERR hash value is not an integer');
    END IF;
    sum := coalesce(encode(old, 'escape')::numeric, 0) + p_by;
    IF sum NOT BETWEEN -9223372036854775808 AND 9223372036854775807 THEN
        PERFORM pgredis_fail('ERR increment or decrement would overflow');
    END IF;
    INSERT INTO pgredis_hash_fields (key_id, field, value)
    VALUES (id, p_field, convert_to(sum::text, 'UTF8'))
    ON CONFLICT (key_id, field) DO UPDATE SET value = EXCLUDED.value;
    UPDATE pgredis_keys
       SET size = size + CASE WHEN old IS NULL THEN 1 ELSE 0 END,
           version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key;
    RETURN sum::bigint;
END
$$;

-- HINCRBYFLOAT's write: sets one field if the key is still as the caller read it, at p_version,
-- or still absent (p_version NULL). False when another client wrote first; the caller reads and
-- computes again. (The sum is computed in Rust: Redis adds in long double and formats with %Lg
-- rules that only C can reproduce.)
CREATE FUNCTION pgredis_hset_if_version(
    p_db integer, p_key bytea, p_version bigint, p_field bytea, p_value bytea)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys := pgredis_lock_key(p_db, p_key);
    id bigint;
    inserted boolean;
BEGIN
    IF p_version IS NULL THEN
        IF cur.key IS NOT NULL THEN
            RETURN false;
        END IF;
        INSERT INTO pgredis_keys (db, key, type, size) VALUES (p_db, p_key, 'hash', 1)
        ON CONFLICT DO NOTHING
        RETURNING key_id INTO id;
        IF id IS NULL THEN
            RETURN false;
        END IF;
        INSERT INTO pgredis_hash_fields (key_id, field, value) VALUES (id, p_field, p_value);
        RETURN true;
    END IF;
    IF cur.key IS NULL OR cur.version <> p_version THEN
        RETURN false;
    END IF;
    INSERT INTO pgredis_hash_fields (key_id, field, value)
    VALUES (cur.key_id, p_field, p_value)
    ON CONFLICT (key_id, field) DO UPDATE SET value = EXCLUDED.value
    RETURNING xmax = 0 INTO inserted;
    UPDATE pgredis_keys
       SET size = size + CASE WHEN inserted THEN 1 ELSE 0 END,
           version = nextval('pgredis_version')
     WHERE db = p_db AND key = p_key;
    RETURN true;
END
$$;

-- COPY of a hash: the same fields in the same order (seq values are copied; they only need to
-- order the fields of one key).
CREATE FUNCTION pgredis_copy_hash_children(p_from bigint, p_to bigint) RETURNS void
LANGUAGE sql
AS $$
INSERT INTO pgredis_hash_fields (key_id, field, value, seq)
SELECT p_to, field, value, seq FROM pgredis_hash_fields WHERE key_id = p_from
$$;

-- The key_id of the live hash at p_key, NULL when absent; WRONGTYPE for another type. For reads
-- that select field rows by key_id (HRANDFIELD, HSCAN).
CREATE FUNCTION pgredis_hash_id(p_db integer, p_key bytea) RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    cur record;
BEGIN
    SELECT key_id, type INTO cur FROM pgredis_keys
     WHERE db = p_db AND key = p_key
       AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms());
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF cur.type <> 'hash' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
    RETURN cur.key_id;
END
$$;

-- Whether Redis 7.0 would hold this hash as a listpack: at most hash-max-listpack-entries (512)
-- fields, and no field or value longer than hash-max-listpack-value (64) bytes. (Redis never
-- converts a hash back once it outgrew these; pgredis judges by the hash as it is now.) Reads at
-- most 512 rows.
CREATE FUNCTION pgredis_hash_is_listpack(p_id bigint, p_size bigint) RETURNS boolean
LANGUAGE sql STABLE
AS $$
SELECT p_size <= 512 AND NOT EXISTS (
    SELECT 1 FROM pgredis_hash_fields
     WHERE key_id = p_id AND (octet_length(field) > 64 OR octet_length(value) > 64))
$$;

-- HSCAN's step: a hash Redis would hold as a listpack comes back whole (whole = true), whatever
-- the cursor, as Redis does; a larger one in seq order, p_count fields after the cursor p_after.
CREATE FUNCTION pgredis_hscan(p_db integer, p_key bytea, p_after bigint, p_count bigint)
RETURNS TABLE (field bytea, value bytea, seq bigint, whole boolean)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    id bigint := pgredis_hash_id(p_db, p_key);
    n bigint;
BEGIN
    IF id IS NULL THEN
        RETURN;
    END IF;
    SELECT size INTO n FROM pgredis_keys WHERE db = p_db AND key = p_key;
    IF pgredis_hash_is_listpack(id, n) THEN
        RETURN QUERY SELECT f.field, f.value, f.seq, true FROM pgredis_hash_fields f
                      WHERE f.key_id = id ORDER BY f.seq;
    ELSE
        RETURN QUERY SELECT f.field, f.value, f.seq, false FROM pgredis_hash_fields f
                      WHERE f.key_id = id AND f.seq > p_after ORDER BY f.seq LIMIT p_count;
    END IF;
END
$$;

-- SORT and SORT_RO.
--
-- The Rust side parses the options and splits every BY and GET pattern as Redis's
-- lookupKeyByPattern does: kind 0 is "#" (the element itself), 1 a pattern that finds nothing
-- (no '*'), 2 a lookup of prefix || element || postfix, in a string, or in a hash's field when
-- field is not NULL. The sorting itself happens here, so SORT ... STORE reads and writes under
-- one set of locks.

-- The value a pattern finds for one element, NULL when nothing is there.
CREATE FUNCTION pgredis_sort_lookup(
    p_db integer, p_elem bytea, p_kind integer, p_prefix bytea, p_postfix bytea, p_field bytea)
RETURNS bytea
LANGUAGE sql STABLE
AS $$
SELECT CASE p_kind
    WHEN 0 THEN p_elem
    WHEN 2 THEN (
        SELECT CASE
                   WHEN p_field IS NULL THEN CASE WHEN k.type = 'string' THEN k.value END
                   WHEN k.type = 'hash' THEN (SELECT f.value FROM pgredis_hash_fields f
                                               WHERE f.key_id = k.key_id AND f.field = p_field)
               END
          FROM pgredis_keys k
         WHERE k.db = p_db AND k.key = p_prefix || p_elem || p_postfix
           AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms()))
END
$$;

-- The bytes before the first NUL: what C's string functions see.
CREATE FUNCTION pgredis_cstr(v bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN position('\x00'::bytea IN v) = 0 THEN v
            ELSE substring(v FROM 1 FOR position('\x00'::bytea IN v) - 1) END
$$;

-- A SORT score as Redis reads it: C's strtod over the value as a C string, which must consume it
-- all and give neither NaN nor a range error; the empty string is 0. NULL when Redis would fail
-- with "One or more scores can't be converted into double". float8in calls strtod itself, after a
-- regular expression has let through only what strtod reads completely; subnormal results count
-- as range errors, as glibc reports them for inexact ones.
CREATE FUNCTION pgredis_strtod(v bytea) RETURNS float8
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    t text;
    d float8;
BEGIN
    v := pgredis_cstr(v);
    IF octet_length(v) = 0 THEN
        RETURN 0;
    END IF;
    t := encode(v, 'escape');
    -- The common case, which cannot overflow, without a subtransaction.
    IF t ~ '^[[:space:]]*[+-]?[0-9]{1,15}(\.[0-9]*)?$' THEN
        RETURN t::float8;
    END IF;
    IF t !~* ('^[[:space:]]*[+-]?(([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?'
              '|0x([0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(p[+-]?[0-9]+)?|inf|infinity)$') THEN
        RETURN NULL;
    END IF;
    BEGIN
        d := t::float8;
    EXCEPTION WHEN others THEN
        RETURN NULL;
    END;
    IF d = 'NaN'::float8 OR (d <> 0 AND abs(d) < 2.2250738585072014e-308) THEN
        RETURN NULL;
    END IF;
    RETURN d;
END
$$;

-- SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA], as Redis's
-- sortCommandGeneric does it: the elements in the window, or for each of them what every GET
-- pattern finds (NULL for nothing). p_store says the result is for STORE, which changes how
-- Redis compares strings (bytes rather than C strings) and sorts a set even under BY nosort.
CREATE FUNCTION pgredis_sort(
    p_db integer, p_key bytea,
    p_by_kind integer, p_by_prefix bytea, p_by_postfix bytea, p_by_field bytea,
    p_dontsort boolean, p_alpha boolean, p_desc boolean, p_store boolean,
    p_offset bigint, p_count bigint,
    p_get_kinds integer[], p_get_prefixes bytea[], p_get_postfixes bytea[], p_get_fields bytea[])
RETURNS bytea[]
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    src record;
    n bigint := 0;
    first_i numeric;
    last_i numeric;
    dontsort boolean := p_dontsort;
    alpha boolean := p_alpha;
    by_kind integer := p_by_kind;
    ints boolean;
    bad boolean;
    elems bytea[];
    result bytea[];
BEGIN
    SELECT key_id, type, size, list_head INTO src FROM pgredis_keys
     WHERE db = p_db AND key = p_key
       AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms());
    IF FOUND THEN
        IF src.type NOT IN ('list', 'set', 'zset') THEN
            PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
        END IF;
        n := src.size;
    END IF;
    -- A set has no order of its own: for STORE, Redis sorts it anyway so the list is the same
    -- everywhere.
    IF dontsort AND src.type IS NOT DISTINCT FROM 'set' AND p_store THEN
        dontsort := false;
        alpha := true;
        by_kind := NULL;
    END IF;

    -- The window, 0-based and inclusive, with Redis's clamping.
    first_i := greatest(p_offset, 0);
    last_i := CASE WHEN p_count < 0 THEN n - 1 ELSE first_i + p_count - 1 END;
    IF first_i >= n THEN
        first_i := n - 1;
        last_i := n - 2;
    END IF;
    IF last_i >= n THEN
        last_i := n - 1;
    END IF;

    IF src.key_id IS NULL THEN
        elems := '{}';
    ELSIF src.type = 'list' AND dontsort THEN
        -- The list's own order (from the tail for DESC), only the window read.
        IF last_i >= first_i AND NOT p_desc THEN
            SELECT array_agg(value ORDER BY pos) INTO elems FROM pgredis_list_items
             WHERE key_id = src.key_id
               AND pos BETWEEN src.list_head + first_i AND src.list_head + last_i;
        ELSIF last_i >= first_i THEN
            SELECT array_agg(value ORDER BY pos DESC) INTO elems FROM pgredis_list_items
             WHERE key_id = src.key_id
               AND pos BETWEEN src.list_head + n - 1 - last_i AND src.list_head + n - 1 - first_i;
        END IF;
    ELSIF src.type = 'zset' AND dontsort THEN
        -- The sorted set's own order (reversed for DESC), only the window read.
        IF last_i >= first_i AND NOT p_desc THEN
            SELECT array_agg(member ORDER BY score, member) INTO elems FROM (
                SELECT member, score FROM pgredis_zset_members WHERE key_id = src.key_id
                 ORDER BY score, member OFFSET first_i LIMIT last_i - first_i + 1) w;
        ELSIF last_i >= first_i THEN
            SELECT array_agg(member ORDER BY score DESC, member DESC) INTO elems FROM (
                SELECT member, score FROM pgredis_zset_members WHERE key_id = src.key_id
                 ORDER BY score DESC, member DESC OFFSET first_i LIMIT last_i - first_i + 1) w;
        END IF;
    ELSIF src.type = 'list' THEN
        SELECT array_agg(value ORDER BY pos) INTO elems FROM pgredis_list_items
         WHERE key_id = src.key_id;
    ELSIF src.type = 'zset' THEN
        SELECT array_agg(member ORDER BY member) INTO elems FROM pgredis_zset_members
         WHERE key_id = src.key_id;
    ELSE
        -- A set in Redis's iteration order where it has one: a set of at most 512 integers is
        -- an intset, in numeric order. Others come in member order.
        SELECT n <= 512 AND bool_and(pgredis_is_integer(member)) INTO ints
          FROM pgredis_set_members WHERE key_id = src.key_id;
        SELECT array_agg(member ORDER BY CASE WHEN ints THEN encode(member, 'escape')::numeric END,
                                         member)
          INTO elems FROM pgredis_set_members WHERE key_id = src.key_id;
    END IF;
    elems := coalesce(elems, '{}');

    IF src.key_id IS NULL OR (dontsort AND src.type <> 'set') THEN
        -- The list and sorted set windows above are already cut.
        first_i := 0;
        last_i := coalesce(array_length(elems, 1), 0) - 1;
    END IF;

    IF NOT dontsort THEN
        -- Numbers: by score, ties by the elements' bytes, all reversed for DESC. ALPHA: by the
        -- strings (C strings unless for STORE), a missing BY value first; ties keep their order,
        -- as glibc's merge sort keeps them.
        SELECT array_agg(e ORDER BY
                   CASE WHEN NOT alpha AND NOT p_desc THEN score END,
                   CASE WHEN NOT alpha AND NOT p_desc THEN e END,
                   CASE WHEN NOT alpha AND p_desc THEN score END DESC,
                   CASE WHEN NOT alpha AND p_desc THEN e END DESC,
                   CASE WHEN alpha AND NOT p_desc THEN cmp END ASC NULLS FIRST,
                   CASE WHEN alpha AND p_desc THEN cmp END DESC NULLS LAST,
                   i),
               coalesce(bool_or(NOT alpha AND score IS NULL), false)
          INTO elems, bad
          FROM (SELECT e, i,
                       CASE WHEN NOT alpha THEN
                           CASE WHEN byval IS NULL THEN 0 ELSE pgredis_strtod(byval) END
                       END AS score,
                       CASE WHEN alpha AND p_store THEN byval
                            WHEN alpha THEN pgredis_cstr(byval) END AS cmp
                  FROM (SELECT e, i,
                               CASE WHEN by_kind IS NULL THEN e
                                    ELSE pgredis_sort_lookup(p_db, e, by_kind, p_by_prefix,
                                                             p_by_postfix, p_by_field) END AS byval
                          FROM unnest(elems) WITH ORDINALITY AS t(e, i)) looked_up) scored;
        IF bad THEN
            PERFORM pgredis_fail('ERR One or more scores can''t be converted into double');
        END IF;
        elems := coalesce(elems, '{}');
    END IF;

    elems := elems[first_i + 1 : last_i + 1];
    IF coalesce(array_length(p_get_kinds, 1), 0) = 0 THEN
        RETURN coalesce(elems, '{}');
    END IF;
    SELECT array_agg(pgredis_sort_lookup(p_db, w.e, g.kind, g.prefix, g.postfix, g.field)
                     ORDER BY w.i, g.j)
      INTO result
      FROM unnest(elems) WITH ORDINALITY AS w(e, i)
     CROSS JOIN unnest(p_get_kinds, p_get_prefixes, p_get_postfixes, p_get_fields)
                WITH ORDINALITY AS g(kind, prefix, postfix, field, j);
    RETURN coalesce(result, '{}');
END
$$;

-- SORT ... STORE destination: the result replaces the destination as a list (an empty result
-- deletes it); missing GET values are stored as empty strings. Returns the stored length. Source
-- and destination are locked in (db, key) order first, so the source cannot change under the
-- sort; see pgredis_rename for the retry on unique_violation.
CREATE FUNCTION pgredis_sort_store(
    p_db integer, p_key bytea, p_dest bytea,
    p_by_kind integer, p_by_prefix bytea, p_by_postfix bytea, p_by_field bytea,
    p_dontsort boolean, p_alpha boolean, p_desc boolean,
    p_offset bigint, p_count bigint,
    p_get_kinds integer[], p_get_prefixes bytea[], p_get_postfixes bytea[], p_get_fields bytea[])
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    pair record;
    items bytea[];
    n bigint;
    id bigint;
BEGIN
    LOOP
        BEGIN
            pair := pgredis_lock_pair(p_db, p_key, p_db, p_dest);
            items := pgredis_sort(p_db, p_key, p_by_kind, p_by_prefix, p_by_postfix, p_by_field,
                                  p_dontsort, p_alpha, p_desc, true, p_offset, p_count,
                                  p_get_kinds, p_get_prefixes, p_get_postfixes, p_get_fields);
            n := coalesce(array_length(items, 1), 0);
            IF (pair.other).key IS NOT NULL THEN
                DELETE FROM pgredis_keys WHERE db = p_db AND key = p_dest;
            END IF;
            IF n > 0 THEN
                INSERT INTO pgredis_keys (db, key, type, size, list_head)
                VALUES (p_db, p_dest, 'list', n, 0)
                RETURNING key_id INTO id;
                INSERT INTO pgredis_list_items (key_id, pos, value)
                SELECT id, i - 1, coalesce(v, '') FROM unnest(items) WITH ORDINALITY AS t(v, i);
            END IF;
            RETURN n;
        EXCEPTION WHEN unique_violation THEN
            -- Another client created the destination after we saw it absent: go again.
        END;
    END LOOP;
END
$$;
