//! SQL for sorted sets. Members live in `pgredis_zset_members` (key_id, member, score), indexed
//! by member and by (score, member), Redis's order; the keyspace row's `size` is ZCARD. Writes
//! are server-side functions from `migrations/0009_zsets.sql` that lock the keyspace row first.
//!
//! - `mod.rs`: single-key reads (ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK).
//! - `range`: ranges by rank, score or lex (ZRANGE and relatives, ZCOUNT, ZLEXCOUNT,
//!   ZRANGESTORE, ZREMRANGEBY*), as one `pgredis_zrange` value the SQL functions take.
//! - `write`: ZADD, ZINCRBY, ZREM and the pops (ZPOPMIN, ZPOPMAX, ZMPOP).
//! - `setops`: ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD.
//! - `random`: ZRANDMEMBER and ZSCAN.

mod random;
mod range;
mod setops;
mod write;

pub use random::*;
pub use range::*;
pub use setops::*;
pub use write::*;

use bytes::Bytes;
use tokio_postgres::Row;

use super::Store;
use crate::cmd::CmdError;
use crate::cmd::errors::WRONGTYPE;

/// Redis's `zset-max-listpack-entries` and `zset-max-listpack-value` defaults: a sorted set this
/// small is a listpack in Redis, which shows in OBJECT ENCODING and ZSCAN.
pub const LISTPACK_ENTRIES: i64 = 128;
pub const LISTPACK_VALUE: i32 = 64;

/// The live key's type check: `Ok(false)` when absent, WRONGTYPE when not a sorted set.
fn is_zset(row: Option<&Row>) -> Result<bool, CmdError> {
    match row {
        None => Ok(false),
        Some(row) if row.get::<_, &str>(0) == "zset" => Ok(true),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// ZCARD: the size of the sorted set, 0 when absent.
pub async fn card(store: &Store, db: i32, key: &[u8]) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT type::text, size FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    let row = store.query_opt(SQL, &[&db, &key]).await?;
    Ok(if is_zset(row.as_ref())? {
        row.unwrap().get(1)
    } else {
        0
    })
}

/// ZSCORE: a member's score, `None` when the key or member is absent. One index lookup.
pub async fn score(
    store: &Store,
    db: i32,
    key: &[u8],
    member: &[u8],
) -> Result<Option<f64>, CmdError> {
    const SQL: &str = "SELECT k.type::text, z.score FROM pgredis_keys k
                         LEFT JOIN pgredis_zset_members z ON z.key_id = k.key_id AND z.member = $3
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    let row = store.query_opt(SQL, &[&db, &key, &member]).await?;
    Ok(if is_zset(row.as_ref())? {
        row.unwrap().get(1)
    } else {
        None
    })
}

/// ZMSCORE: the scores of several members, in order, `None` for absent ones. One primary-key
/// probe per member: a scalar subquery, since a join lets a cached generic plan (key_id and the
/// array's length unknown) hash every member of a big set instead.
pub async fn mscore(
    store: &Store,
    db: i32,
    key: &[u8],
    members: &[Bytes],
) -> Result<Vec<Option<f64>>, CmdError> {
    const SQL: &str = "SELECT k.type::text,
                              ARRAY(SELECT (SELECT z.score FROM pgredis_zset_members z
                                             WHERE z.key_id = k.key_id AND z.member = w.m)
                                      FROM unnest($3::bytea[]) WITH ORDINALITY AS w(m, n)
                                     ORDER BY w.n)
                         FROM pgredis_keys k
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    let wanted: Vec<&[u8]> = members.iter().map(|m| &m[..]).collect();
    let row = store.query_opt(SQL, &[&db, &key, &wanted]).await?;
    Ok(if is_zset(row.as_ref())? {
        row.unwrap().get(1)
    } else {
        vec![None; members.len()]
    })
}

/// ZRANK and ZREVRANK: a member's 0-based position, `None` when the key or member is absent.
/// Counting the members before it walks the (score, member) index up to it.
pub async fn rank(
    store: &Store,
    db: i32,
    key: &[u8],
    member: &[u8],
    rev: bool,
) -> Result<Option<i64>, CmdError> {
    const SQL: &str = "SELECT k.type::text, k.size, z.score IS NOT NULL,
                              (SELECT count(*) FROM pgredis_zset_members y
                                WHERE y.key_id = k.key_id
                                  AND (y.score, y.member) < (z.score, z.member))
                         FROM pgredis_keys k
                         LEFT JOIN pgredis_zset_members z ON z.key_id = k.key_id AND z.member = $3
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    let row = store.query_opt(SQL, &[&db, &key, &member]).await?;
    if !is_zset(row.as_ref())? {
        return Ok(None);
    }
    let row = row.unwrap();
    if !row.get::<_, bool>(2) {
        return Ok(None);
    }
    let (size, before): (i64, i64) = (row.get(1), row.get(3));
    Ok(Some(if rev { size - 1 - before } else { before }))
}

/// Whether Redis would hold this sorted set as a listpack (OBJECT ENCODING); `None` when the
/// key is absent or not a sorted set.
pub async fn is_listpack(store: &Store, db: i32, key: &[u8]) -> Result<Option<bool>, CmdError> {
    const SQL: &str = "SELECT CASE WHEN k.size <= $3
                                   THEN NOT EXISTS (SELECT 1 FROM pgredis_zset_members z
                                                     WHERE z.key_id = k.key_id
                                                       AND length(z.member) > $4)
                                   ELSE false END
                         FROM pgredis_keys k
                        WHERE k.db = $1 AND k.key = $2 AND k.type = 'zset'
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    let row = store
        .query_opt(SQL, &[&db, &key, &LISTPACK_ENTRIES, &LISTPACK_VALUE])
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Members and scores from rows whose columns `first` and `first + 1` are a member and a score
/// (NULL for none, as a LEFT JOIN gives).
fn scored_rows(rows: &[Row], first: usize) -> Vec<(Bytes, f64)> {
    rows.iter()
        .filter_map(|r| {
            let member: Option<Vec<u8>> = r.get(first);
            member.map(|m| (Bytes::from(m), r.get::<_, f64>(first + 1)))
        })
        .collect()
}
