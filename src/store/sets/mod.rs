//! SQL for sets. Members are rows of `pgredis_set_members (key_id, member)`; the keyspace row's
//! `size` is SCARD, so SCARD reads one row and SISMEMBER one index entry. Writes and the
//! multi-key operations are server-side functions in `migrations/0007_sets.sql`.
//!
//! - `mod.rs`: reads of one set (SCARD, SISMEMBER, SMISMEMBER, SMEMBERS, SSCAN) and what OBJECT
//!   ENCODING needs.
//! - `algebra`: SINTER, SUNION, SDIFF, SINTERCARD and their STORE forms.
//! - `write`: SADD, SREM, SMOVE, SPOP and SRANDMEMBER (which shares SPOP's sampling).

mod algebra;
mod write;

pub use algebra::*;
pub use write::*;

use bytes::Bytes;
use tokio_postgres::Row;

use super::Store;
use crate::cmd::CmdError;
use crate::cmd::errors::WRONGTYPE;

/// Rows of `(type = 'set', member)` for one key: no rows for an absent key, WRONGTYPE for a key of
/// another type (whose single row has no member), else the members.
fn members_of(rows: Vec<Row>) -> Result<Vec<Bytes>, CmdError> {
    let mut members = Vec::with_capacity(rows.len());
    for row in rows {
        if !row.get::<_, bool>(0) {
            return Err(WRONGTYPE.into());
        }
        if let Some(member) = row.get::<_, Option<Vec<u8>>>(1) {
            members.push(Bytes::from(member));
        }
    }
    Ok(members)
}

/// SCARD: the live set's size, 0 for an absent key.
pub async fn scard(store: &Store, db: i32, key: &[u8]) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT type = 'set', size FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    match store.query_opt(SQL, &[&db, &key]).await? {
        None => Ok(0),
        Some(row) if row.get::<_, bool>(0) => Ok(row.get(1)),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// SISMEMBER and SMISMEMBER: for each member, whether the set holds it (all false for an absent
/// key). One primary-key probe per member: a scalar subquery, since PostgreSQL may turn an
/// EXISTS into a hashed subplan that reads every member of a big set (a cached generic plan
/// did, at 1,000,000 members: 4,400 buffers a call).
pub async fn smismember(
    store: &Store,
    db: i32,
    key: &[u8],
    members: &[Bytes],
) -> Result<Vec<bool>, CmdError> {
    const SQL: &str = "SELECT k.type = 'set',
                              ARRAY(SELECT coalesce((SELECT true FROM pgredis_set_members m
                                                      WHERE m.key_id = k.key_id
                                                        AND m.member = w.member), false)
                                      FROM unnest($3::bytea[]) WITH ORDINALITY AS w(member, n)
                                     ORDER BY w.n)
                         FROM pgredis_keys k
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    let wanted: Vec<&[u8]> = members.iter().map(|m| &m[..]).collect();
    match store.query_opt(SQL, &[&db, &key, &wanted]).await? {
        None => Ok(vec![false; members.len()]),
        Some(row) if row.get::<_, bool>(0) => Ok(row.get(1)),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// SMEMBERS: every member of the live set, in no particular order.
pub async fn smembers(store: &Store, db: i32, key: &[u8]) -> Result<Vec<Bytes>, CmdError> {
    const SQL: &str = "SELECT k.type = 'set', m.member
                         FROM pgredis_keys k
                         LEFT JOIN pgredis_set_members m ON m.key_id = k.key_id
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    members_of(store.query(SQL, &[&db, &key]).await?)
}

/// One SSCAN step over a live set.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanPage {
    /// Whether the page holds the whole set (it had at most `whole_up_to` members).
    pub whole: bool,
    /// Members with their place in hash order (`pgredis_set_member_hash`), in that order.
    pub members: Vec<(i64, Bytes)>,
}

/// SSCAN: a set of at most `whole_up_to` members comes back whole; a bigger one in hash order,
/// the members after `after` up to the `count`-th, plus any sharing that last member's hash, so
/// that a cursor (the last hash returned) never splits members of equal hash. `None` for an
/// absent key.
pub async fn sscan(
    store: &Store,
    db: i32,
    key: &[u8],
    after: i64,
    count: i64,
    whole_up_to: i64,
) -> Result<Option<ScanPage>, CmdError> {
    const SQL: &str = "SELECT k.type = 'set', k.size <= $5, m.hash, m.member
                         FROM pgredis_keys k
                         LEFT JOIN LATERAL (
                              SELECT pgredis_set_member_hash(member) AS hash, member
                                FROM pgredis_set_members
                               WHERE key_id = k.key_id AND k.size <= $5
                              UNION ALL
                              SELECT pgredis_set_member_hash(member), member
                                FROM pgredis_set_members
                               WHERE key_id = k.key_id AND k.size > $5
                                 AND pgredis_set_member_hash(member) > $3
                                 AND pgredis_set_member_hash(member) <= (
                                     SELECT max(hash) FROM (
                                         SELECT pgredis_set_member_hash(member) AS hash
                                           FROM pgredis_set_members
                                          WHERE key_id = k.key_id
                                            AND pgredis_set_member_hash(member) > $3
                                          ORDER BY 1 LIMIT $4) AS page)
                         ) m ON true
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    let rows = store
        .query(SQL, &[&db, &key, &after, &count, &whole_up_to])
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    if !first.get::<_, bool>(0) {
        return Err(WRONGTYPE.into());
    }
    let whole = first.get(1);
    let mut members: Vec<(i64, Bytes)> = rows
        .iter()
        .filter_map(|r| {
            let hash: Option<i64> = r.get(2);
            hash.map(|h| (h, Bytes::from(r.get::<_, Vec<u8>>(3))))
        })
        .collect();
    members.sort();
    Ok(Some(ScanPage { whole, members }))
}

/// What OBJECT ENCODING needs of a live set: its size, and its members when it has at most
/// `up_to` (more cannot be an intset whatever they are). `None` when the key is absent or no
/// longer a set.
pub async fn encoding_facts(
    store: &Store,
    db: i32,
    key: &[u8],
    up_to: i64,
) -> Result<Option<(i64, Vec<Bytes>)>, CmdError> {
    const SQL: &str = "SELECT k.size,
                              ARRAY(SELECT member FROM pgredis_set_members m
                                     WHERE m.key_id = k.key_id AND k.size <= $3)
                         FROM pgredis_keys k
                        WHERE k.db = $1 AND k.key = $2 AND k.type = 'set'
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    Ok(store
        .query_opt(SQL, &[&db, &key, &up_to])
        .await?
        .map(|row| {
            let members: Vec<Vec<u8>> = row.get(1);
            (row.get(0), members.into_iter().map(Bytes::from).collect())
        }))
}
