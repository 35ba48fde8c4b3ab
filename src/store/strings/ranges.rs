//! SQL for the commands that work on part of a string or its length: APPEND, STRLEN, GETRANGE,
//! SETRANGE. Ranges are cut in Postgres, so a huge value never travels for a small slice.

use bytes::Bytes;

use super::super::Store;
use crate::cmd::CmdError;
use crate::cmd::errors::WRONGTYPE;

/// APPEND in one upsert; an absent or expired key starts empty. Keeps the expiry; refuses to grow
/// a string past 512MB as Redis does. Returns the new length.
pub async fn append(store: &Store, db: i32, key: &[u8], value: &[u8]) -> Result<i64, CmdError> {
    const SQL: &str = "INSERT INTO pgredis_keys AS k (db, key, type, value)
                       VALUES ($1, $2, 'string', $3)
                       ON CONFLICT (db, key) DO UPDATE
                          SET type = 'string',
                              value = CASE
                                  WHEN k.expires_at_ms <= pgredis_now_ms() THEN EXCLUDED.value
                                  WHEN k.type <> 'string' THEN pgredis_fail(
                                      'WRONGTYPE Operation against a key holding the wrong kind of value')::text::bytea
                                  WHEN octet_length(k.value)::bigint + octet_length(EXCLUDED.value) > 536870912
                                  THEN pgredis_fail(
                                      'ERR string exceeds maximum allowed size (proto-max-bulk-len)')::text::bytea
                                  ELSE k.value || EXCLUDED.value END,
                              expires_at_ms = CASE WHEN k.expires_at_ms <= pgredis_now_ms() THEN NULL
                                                   ELSE k.expires_at_ms END,
                              key_id = CASE WHEN k.expires_at_ms <= pgredis_now_ms()
                                            THEN nextval('pgredis_key_id') ELSE k.key_id END,
                              version = nextval('pgredis_version')
                       RETURNING octet_length(value)";
    let row = store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &value])
        .await?;
    Ok(row.get::<_, i32>(0) as i64)
}

/// STRLEN: the length of a live string, 0 for an absent key.
pub async fn strlen(store: &Store, db: i32, key: &[u8]) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT type = 'string', octet_length(value) FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    match store.query_opt(SQL, &[&db, &key]).await? {
        None => Ok(0),
        Some(row) if row.get::<_, bool>(0) => Ok(row.get::<_, i32>(1) as i64),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// GETRANGE: the bytes from `start` to `end` inclusive, by Redis's index rules
/// (`pgredis_getrange`); empty for an absent key.
pub async fn getrange(
    store: &Store,
    db: i32,
    key: &[u8],
    start: i64,
    end: i64,
) -> Result<Bytes, CmdError> {
    const SQL: &str = "SELECT type = 'string', pgredis_getrange(value, $3, $4) FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    match store.query_opt(SQL, &[&db, &key, &start, &end]).await? {
        None => Ok(Bytes::new()),
        Some(row) if row.get::<_, bool>(0) => Ok(Bytes::from(row.get::<_, Vec<u8>>(1))),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// SETRANGE with a non-empty value, through `pgredis_setrange`. Returns the new length.
pub async fn setrange(
    store: &Store,
    db: i32,
    key: &[u8],
    offset: i64,
    value: &[u8],
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_setrange($1, $2, $3, $4)";
    Ok(store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &offset, &value])
        .await?
        .get(0))
}
