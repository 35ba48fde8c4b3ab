-- Server-side functions for strings.
--
-- Commands that fit one statement (INCR and friends, APPEND, SETNX, SETEX, GETDEL) are upserts or
-- deletes written next to their handlers in src/store/strings/; the helpers they call here are
-- plain SQL that Postgres inlines into the statement. Commands that must look before they write
-- (GETEX, SETRANGE, MSETNX) are plpgsql functions that lock the key's row first.

-- Redis's string2ll as a test on bytes: optional '-', no '+', no leading zeros, no blanks, at most
-- 20 characters, within a signed 64-bit integer. The length test comes first so a huge value is
-- never encoded; 'escape' turns NUL and bytes >= 0x80 into backslash sequences, which never match.
CREATE FUNCTION pgredis_is_integer(v bytea) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE
    WHEN octet_length(v) NOT BETWEEN 1 AND 20 THEN false
    WHEN encode(v, 'escape') !~ '^(0|-?[1-9][0-9]*)$' THEN false
    ELSE encode(v, 'escape')::numeric BETWEEN -9223372036854775808 AND 9223372036854775807
END
$$;

-- The stored value v plus p_by, as INCRBY stores it, or Redis's error when v is not an integer or
-- the sum leaves the 64-bit range. Plain SQL with no FROM, so it is inlined into the upsert.
CREATE FUNCTION pgredis_incr(v bytea, p_by bigint) RETURNS bytea
LANGUAGE sql
AS $$
SELECT CASE
    WHEN NOT pgredis_is_integer(v) THEN
        pgredis_fail('ERR value is not an integer or out of range')::text::bytea
    WHEN encode(v, 'escape')::numeric + p_by NOT BETWEEN -9223372036854775808 AND 9223372036854775807 THEN
        pgredis_fail('ERR increment or decrement would overflow')::text::bytea
    ELSE convert_to((encode(v, 'escape')::numeric + p_by)::text, 'UTF8')
END
$$;

-- GETRANGE's index arithmetic, exactly as Redis 7.0 does it: negative indexes count from the
-- end, both ends are clamped, and an empty range gives the empty string.
CREATE FUNCTION pgredis_getrange(v bytea, p_start bigint, p_end bigint) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE
    WHEN p_start < 0 AND p_end < 0 AND p_start > p_end THEN ''::bytea
    WHEN octet_length(v) = 0 OR s > e THEN ''::bytea
    ELSE substring(v FROM (s + 1)::integer FOR (e - s + 1)::integer)
END
  FROM (SELECT greatest(CASE WHEN p_start < 0 THEN octet_length(v) + p_start ELSE p_start END, 0) AS s,
               least(greatest(CASE WHEN p_end < 0 THEN octet_length(v) + p_end ELSE p_end END, 0),
                     octet_length(v) - 1) AS e) AS r
$$;

-- n zero bytes. Built by doubling, so no intermediate text or bytea is much larger than the
-- result (a 512 MB bitmap must stay below PostgreSQL's 1 GB limit on one value).
CREATE FUNCTION pgredis_zeros(n bigint) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    zeros bytea := '\x00'::bytea;
BEGIN
    IF n <= 0 THEN
        RETURN ''::bytea;
    END IF;
    WHILE length(zeros) * 2 <= n LOOP
        zeros := zeros || zeros;
    END LOOP;
    RETURN zeros || substring(zeros FROM 1 FOR (n - length(zeros))::integer);
END
$$;

-- GETEX key [EX|PX|EXAT|PXAT|PERSIST], for the forms that write. Returns the value, or NULL for
-- an absent key. p_expire_ms is relative to now when p_relative, absolute otherwise; an absolute
-- time already past deletes the key, as Redis does. PERSIST on a key without expiry writes nothing.
CREATE FUNCTION pgredis_getex(
    p_db integer, p_key bytea, p_persist boolean, p_expire_ms bigint, p_relative boolean)
RETURNS bytea
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    now_ms bigint := pgredis_now_ms();
BEGIN
    cur := pgredis_lock_key(p_db, p_key);
    IF cur.key IS NULL THEN
        RETURN NULL;
    END IF;
    IF cur.type <> 'string' THEN
        PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
    END IF;
    IF p_persist THEN
        IF cur.expires_at_ms IS NOT NULL THEN
            UPDATE pgredis_keys SET expires_at_ms = NULL, version = nextval('pgredis_version')
             WHERE db = p_db AND key = p_key;
        END IF;
    ELSIF NOT p_relative AND p_expire_ms <= now_ms THEN
        DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
    ELSE
        UPDATE pgredis_keys
           SET expires_at_ms = CASE WHEN p_relative THEN now_ms + p_expire_ms ELSE p_expire_ms END,
               version = nextval('pgredis_version')
         WHERE db = p_db AND key = p_key;
    END IF;
    RETURN cur.value;
END
$$;

-- SETRANGE key offset value, for a non-empty value (an empty one writes nothing and is a read).
-- Returns the new length. Pads with zero bytes past the end, keeps the expiry.
CREATE FUNCTION pgredis_setrange(p_db integer, p_key bytea, p_offset bigint, p_value bytea)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    too_long boolean := p_offset > 536870912 - octet_length(p_value);
    new_len bigint;
    v bytea;
BEGIN
    LOOP
        cur := pgredis_lock_key(p_db, p_key);
        IF cur.key IS NOT NULL THEN
            IF cur.type <> 'string' THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            END IF;
            IF too_long THEN
                PERFORM pgredis_fail('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
            END IF;
            new_len := p_offset + octet_length(p_value);
            v := cur.value;
            IF octet_length(v) < new_len THEN
                v := v || pgredis_zeros(new_len - octet_length(v));
            END IF;
            v := overlay(v PLACING p_value FROM p_offset::integer + 1 FOR octet_length(p_value));
            UPDATE pgredis_keys SET value = v, version = nextval('pgredis_version')
             WHERE db = p_db AND key = p_key;
            RETURN octet_length(v);
        END IF;
        IF too_long THEN
            PERFORM pgredis_fail('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
        END IF;
        INSERT INTO pgredis_keys (db, key, type, value)
        VALUES (p_db, p_key, 'string', pgredis_zeros(p_offset) || p_value)
        ON CONFLICT DO NOTHING;
        IF FOUND THEN
            RETURN p_offset + octet_length(p_value);
        END IF;
    END LOOP;
END
$$;

-- MSETNX key value [key value ...]: sets every key, or none when any of them exists (of any
-- type). Keys come unique and sorted, so concurrent callers lock rows in the same order. A key
-- created by another client between the look and the insert makes the insert fail; the
-- subtransaction undoes this call's inserts and the loop looks again.
CREATE FUNCTION pgredis_msetnx(p_db integer, p_keys bytea[], p_values bytea[])
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    k bytea;
BEGIN
    LOOP
        FOREACH k IN ARRAY p_keys LOOP
            cur := pgredis_lock_key(p_db, k);
            IF cur.key IS NOT NULL THEN
                RETURN false;
            END IF;
        END LOOP;
        BEGIN
            INSERT INTO pgredis_keys (db, key, type, value)
            SELECT p_db, p.key, 'string', p.value
              FROM unnest(p_keys, p_values) AS p(key, value);
            RETURN true;
        EXCEPTION WHEN unique_violation THEN
            NULL;
        END;
    END LOOP;
END
$$;
