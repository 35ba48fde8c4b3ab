//! SQL for commands that work on keys of any type: existence, deletion, types, whole databases.
//! Expiry, iteration (KEYS, SCAN, RANDOMKEY), moving and copying keys, and OBJECT have their own
//! files; the multi-step ones call server-side functions from `migrations/0004_keys.sql`.

pub mod expire;
pub mod object;
pub mod rename;
pub mod scan;

use bytes::Bytes;

use super::Store;
use crate::cmd::CmdError;

/// Deletes the live keys among `keys` and returns how many there were. Expired ones are removed
/// too but not counted, as Redis does.
pub async fn del(store: &Store, db: i32, keys: &[Bytes]) -> Result<i64, CmdError> {
    const SQL: &str = "WITH gone AS (
                           DELETE FROM pgredis_keys
                            WHERE db = $1 AND key = ANY($2::bytea[])
                        RETURNING expires_at_ms)
                       SELECT count(*) FILTER (WHERE expires_at_ms IS NULL
                                                  OR expires_at_ms > pgredis_now_ms())
                         FROM gone";
    let slices: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    let row = store
        .write_keys(db, keys)
        .query_one(SQL, &[&db, &slices])
        .await?;
    Ok(row.get(0))
}

/// How many of `keys` exist, counting a key once per mention, as EXISTS and TOUCH do.
pub async fn exists(store: &Store, db: i32, keys: &[Bytes]) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT count(*)
                         FROM unnest($2::bytea[]) AS wanted(key)
                         JOIN pgredis_keys k ON k.db = $1 AND k.key = wanted.key
                        WHERE k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms()";
    let keys: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    let row = store.query_one(SQL, &[&db, &keys]).await?;
    Ok(row.get(0))
}

/// The type name of a live key (`string`, `list`, ...), `None` when absent.
pub async fn key_type(store: &Store, db: i32, key: &[u8]) -> Result<Option<String>, CmdError> {
    const SQL: &str = "SELECT type::text FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    Ok(store.query_opt(SQL, &[&db, &key]).await?.map(|r| r.get(0)))
}

/// Number of live keys in a database.
pub async fn dbsize(store: &Store, db: i32) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT count(*) FROM pgredis_keys
                        WHERE db = $1 AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    Ok(store.query_one(SQL, &[&db]).await?.get(0))
}

/// Removes every key of one database, or of all of them when `db` is `None`.
pub async fn flush(store: &Store, db: Option<i32>) -> Result<(), CmdError> {
    const SQL: &str = "DELETE FROM pgredis_keys WHERE $1::integer IS NULL OR db = $1";
    store.execute(SQL, &[&db]).await?;
    Ok(())
}
