-- The keyspace: one row per key, in every logical database.
--
-- key_id is a stable number for the key: child rows of collections point at it, and SCAN uses it
-- as its cursor. A key that is recreated with another type gets a new key_id, so the old children
-- become orphans that a sweeper reclaims in the background instead of on the request path.
-- version changes on every write, from one sequence, so WATCH sees a delete-and-recreate too.
-- A string's value lives in the row itself, so GET is one index lookup. A collection keeps its
-- element count in size (LLEN, SCARD, HLEN and ZCARD read one row), and a list the position of its
-- first element in list_head; every write to a collection updates this row, which also bumps
-- version and serialises writers of one key on its row lock.

CREATE TYPE pgredis_type AS ENUM ('string', 'list', 'set', 'zset', 'hash');

CREATE SEQUENCE pgredis_key_id;
CREATE SEQUENCE pgredis_version;

CREATE TABLE pgredis_keys (
    db            integer      NOT NULL,
    key           bytea        NOT NULL,
    key_id        bigint       NOT NULL DEFAULT nextval('pgredis_key_id'),
    type          pgredis_type NOT NULL,
    value         bytea,
    size          bigint,
    list_head     bigint,
    expires_at_ms bigint,
    version       bigint       NOT NULL DEFAULT nextval('pgredis_version'),
    PRIMARY KEY (db, key)
);

CREATE UNIQUE INDEX pgredis_keys_by_id ON pgredis_keys (db, key_id);
CREATE INDEX pgredis_keys_by_expiry ON pgredis_keys (expires_at_ms) WHERE expires_at_ms IS NOT NULL;

-- Time as Redis sees it, in Unix milliseconds, from the database's clock so that every instance
-- agrees on which keys have expired.
CREATE FUNCTION pgredis_now_ms() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT floor(extract(epoch FROM now()) * 1000)::bigint $$;

-- Raises a Redis error reply; the text reaches the client unchanged. It "returns" bigint so it can
-- stand inside any expression.
CREATE FUNCTION pgredis_fail(message text) RETURNS bigint
LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION USING MESSAGE = message; END $$;

-- Locks a key's row for a write and returns it; an expired key is deleted first and, like an absent
-- one, comes back as NULL. Callers that then insert use ON CONFLICT DO NOTHING and call again when
-- another client created the key meanwhile.
CREATE FUNCTION pgredis_lock_key(p_db integer, p_key bytea) RETURNS pgredis_keys
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
BEGIN
    SELECT * INTO cur FROM pgredis_keys WHERE db = p_db AND key = p_key FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF cur.expires_at_ms IS NOT NULL AND cur.expires_at_ms <= pgredis_now_ms() THEN
        DELETE FROM pgredis_keys WHERE db = p_db AND key = p_key;
        RETURN NULL;
    END IF;
    RETURN cur;
END
$$;

-- SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT|KEEPTTL], all options at once.
-- p_expire_ms is relative to now when p_relative, absolute otherwise; NULL means no expiry.
CREATE FUNCTION pgredis_set(
    p_db integer, p_key bytea, p_value bytea, p_expire_ms bigint, p_relative boolean,
    p_keepttl boolean, p_nx boolean, p_xx boolean, p_get boolean,
    OUT applied boolean, OUT old_value bytea)
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    expires bigint := CASE WHEN p_relative THEN pgredis_now_ms() + p_expire_ms ELSE p_expire_ms END;
BEGIN
    LOOP
        cur := pgredis_lock_key(p_db, p_key);
        IF cur.key IS NOT NULL THEN
            IF p_get THEN
                IF cur.type <> 'string' THEN
                    PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
                END IF;
                old_value := cur.value;
            END IF;
            IF p_nx THEN
                applied := false;
                RETURN;
            END IF;
            UPDATE pgredis_keys
               SET type = 'string', value = p_value,
                   expires_at_ms = CASE WHEN p_keepttl THEN cur.expires_at_ms ELSE expires END,
                   key_id = CASE WHEN cur.type = 'string' THEN cur.key_id ELSE nextval('pgredis_key_id') END,
                   version = nextval('pgredis_version')
             WHERE db = p_db AND key = p_key;
            applied := true;
            RETURN;
        END IF;
        IF p_xx THEN
            applied := false;
            RETURN;
        END IF;
        INSERT INTO pgredis_keys (db, key, type, value, expires_at_ms)
        VALUES (p_db, p_key, 'string', p_value, expires)
        ON CONFLICT DO NOTHING;
        IF FOUND THEN
            applied := true;
            RETURN;
        END IF;
    END LOOP;
END
$$;

-- Readable views for people who query the data with SQL: live keys only, keys and values as bytea.
CREATE VIEW redis_keys AS
SELECT db, key, type::text AS type,
       CASE WHEN expires_at_ms IS NULL THEN NULL
            ELSE to_timestamp(expires_at_ms / 1000.0) END AS expires_at
  FROM pgredis_keys
 WHERE expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms();

CREATE VIEW redis_strings AS
SELECT db, key, value
  FROM pgredis_keys
 WHERE type = 'string' AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms());
