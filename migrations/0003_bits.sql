-- Server-side functions for bit commands.

-- SETBIT key offset value: sets or clears one bit and returns the old one. Redis numbers bits
-- from the most significant bit of the first byte; PostgreSQL's set_bit numbers them from the
-- least significant bit of each byte, hence the flip within the byte. A string too short is
-- padded with zero bytes, an absent key becomes a string of zeros. The row is written (and its
-- version bumped) only when something changes, as Redis signals a change only then.
CREATE FUNCTION pgredis_setbit(p_db integer, p_key bytea, p_offset bigint, p_on boolean)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    cur pgredis_keys;
    byte_index bigint := p_offset >> 3;
    pg_bit bigint := (p_offset & ~7::bigint) | (7 - (p_offset & 7));
    new_bit integer := CASE WHEN p_on THEN 1 ELSE 0 END;
    old_bit integer := 0;
    new_value bytea;
BEGIN
    LOOP
        cur := pgredis_lock_key(p_db, p_key);
        IF cur.key IS NOT NULL THEN
            IF cur.type <> 'string' THEN
                PERFORM pgredis_fail('WRONGTYPE Operation against a key holding the wrong kind of value');
            END IF;
            IF length(cur.value) > byte_index THEN
                old_bit := get_bit(cur.value, pg_bit);
                IF old_bit = new_bit THEN
                    RETURN p_on;
                END IF;
                new_value := set_bit(cur.value, pg_bit, new_bit);
            ELSE
                new_value := set_bit(cur.value || pgredis_zeros(byte_index + 1 - length(cur.value)),
                                     pg_bit, new_bit);
            END IF;
            UPDATE pgredis_keys
               SET value = new_value, version = nextval('pgredis_version')
             WHERE db = p_db AND key = p_key;
            RETURN old_bit = 1;
        END IF;
        INSERT INTO pgredis_keys (db, key, type, value)
        VALUES (p_db, p_key, 'string', set_bit(pgredis_zeros(byte_index + 1), pg_bit, new_bit))
        ON CONFLICT DO NOTHING;
        IF FOUND THEN
            RETURN false;
        END IF;
    END LOOP;
END
$$;
