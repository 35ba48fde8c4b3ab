//! SQL for strings. A string's value lives in its keyspace row, so reads are one index lookup and
//! most writes are one upsert.
//!
//! Upserts that may meet an expired row treat it as absent: they replace it whole (new value, no
//! expiry, a new `key_id`), which is what deleting it first and inserting would do. Errors inside
//! a statement are raised with `pgredis_fail` from a `CASE` branch, so they abort the statement
//! before anything is written.
//!
//! - `mod.rs`: reads of whole values (GET, MGET, LCS).
//! - `write`: SET, its options, and its relatives (SETNX, SETEX, GETSET, GETDEL, GETEX, MSET, MSETNX).
//! - `counters`: INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT.
//! - `ranges`: APPEND, STRLEN, GETRANGE and SETRANGE.

mod counters;
mod ranges;
mod write;

pub use counters::*;
pub use ranges::*;
pub use write::*;

use bytes::Bytes;

use super::Store;
use crate::cmd::CmdError;
use crate::cmd::errors::WRONGTYPE;

/// A live string value, `None` for an absent (or expired) key, WRONGTYPE for another type.
pub async fn get(store: &Store, db: i32, key: &[u8]) -> Result<Option<Bytes>, CmdError> {
    if let Some(batchers) = store.batchers() {
        let found = batchers
            .get
            .submit(vec![(db, Bytes::copy_from_slice(key))])
            .await?;
        return match found.into_iter().next().flatten() {
            None => Ok(None),
            Some((true, value)) => Ok(Some(value)),
            Some((false, _)) => Err(WRONGTYPE.into()),
        };
    }
    const SQL: &str = "SELECT type = 'string', value FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    match store.query_opt(SQL, &[&db, &key]).await? {
        None => Ok(None),
        Some(row) if row.get::<_, bool>(0) => Ok(Some(Bytes::from(row.get::<_, Vec<u8>>(1)))),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// Values of many keys in one statement; `None` for absent keys and keys of other types.
pub async fn mget(store: &Store, db: i32, keys: &[Bytes]) -> Result<Vec<Option<Bytes>>, CmdError> {
    if let Some(batchers) = store.batchers() {
        // One request of the GET batcher: its keys share a statement with other clients' GETs.
        let items = keys.iter().map(|key| (db, key.clone())).collect();
        let found = batchers.get.submit(items).await?;
        return Ok(found
            .into_iter()
            .map(|value| match value {
                Some((true, value)) => Some(value),
                _ => None,
            })
            .collect());
    }
    const SQL: &str = "SELECT k.value
                         FROM unnest($2::bytea[]) WITH ORDINALITY AS wanted(key, n)
                         LEFT JOIN pgredis_keys k
                           ON k.db = $1 AND k.key = wanted.key AND k.type = 'string'
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())
                        ORDER BY wanted.n";
    let keys: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    let rows = store.query(SQL, &[&db, &keys]).await?;
    Ok(rows
        .iter()
        .map(|r| r.get::<_, Option<Vec<u8>>>(0).map(Bytes::from))
        .collect())
}

/// What a key holds, for commands that must tell "absent" from "another type" themselves.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Absent,
    String(Bytes),
    OtherType,
}

/// Two keys read in one statement (LCS); they may be the same key.
pub async fn get_two(
    store: &Store,
    db: i32,
    a: &[u8],
    b: &[u8],
) -> Result<(Lookup, Lookup), CmdError> {
    const SQL: &str = "SELECT key, type = 'string', value FROM pgredis_keys
                        WHERE db = $1 AND key IN ($2, $3)
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    let rows = store.query(SQL, &[&db, &a, &b]).await?;
    let find = |wanted: &[u8]| {
        rows.iter()
            .find(|r| r.get::<_, &[u8]>(0) == wanted)
            .map_or(Lookup::Absent, |r| {
                if r.get::<_, bool>(1) {
                    Lookup::String(Bytes::from(r.get::<_, Vec<u8>>(2)))
                } else {
                    Lookup::OtherType
                }
            })
    };
    Ok((find(a), find(b)))
}
