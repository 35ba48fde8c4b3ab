//! SQL for walking the keyspace: KEYS, SCAN and RANDOMKEY. Glob matching happens in Rust
//! (`crate::glob`, Redis's own algorithm); the SQL narrows the rows to the pattern's literal
//! prefix through the (db, key) primary key, and SCAN walks the (db, key_id) index.

use bytes::Bytes;

use super::super::Store;
use crate::cmd::CmdError;

/// A range of keys: every key starting with a prefix is `>= from` and `< to` (no upper bound
/// when the prefix is empty or all 0xff bytes).
#[derive(Debug, Clone, Copy)]
pub struct KeyRange<'a> {
    pub from: &'a [u8],
    pub to: Option<&'a [u8]>,
}

/// The live keys of a database within `range`, in key order.
pub async fn keys(store: &Store, db: i32, range: KeyRange<'_>) -> Result<Vec<Bytes>, CmdError> {
    // Two statements rather than `($3 IS NULL OR key < $3)`, so that a generic plan still
    // uses both bounds as index conditions.
    const BOUNDED: &str = "SELECT key FROM pgredis_keys
                            WHERE db = $1 AND key >= $2 AND key < $3
                              AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    const OPEN: &str = "SELECT key FROM pgredis_keys
                         WHERE db = $1 AND key >= $2
                           AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    let rows = match range.to {
        Some(to) => store.query(BOUNDED, &[&db, &range.from, &to]).await?,
        None => store.query(OPEN, &[&db, &range.from]).await?,
    };
    Ok(rows
        .iter()
        .map(|r| Bytes::from(r.get::<_, Vec<u8>>(0)))
        .collect())
}

/// One SCAN step: up to `count` live keys with a key_id above `after`, in key_id order, within
/// `range` and of type `type_name` when given. Returns (key_id, key) pairs.
pub async fn scan(
    store: &Store,
    db: i32,
    after: i64,
    count: i64,
    range: KeyRange<'_>,
    type_name: Option<&str>,
) -> Result<Vec<(i64, Bytes)>, CmdError> {
    const SQL: &str = "SELECT key_id, key FROM pgredis_keys
                        WHERE db = $1 AND key_id > $2
                          AND key >= $3 AND ($4::bytea IS NULL OR key < $4)
                          AND ($5::text IS NULL OR type::text = $5)
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())
                        ORDER BY key_id
                        LIMIT $6";
    let rows = store
        .query(
            SQL,
            &[&db, &after, &range.from, &range.to, &type_name, &count],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), Bytes::from(r.get::<_, Vec<u8>>(1))))
        .collect())
}

/// A random live key, `None` when the database has none.
///
/// Picks a random number between the smallest and largest key_id and takes the first live key
/// at or above it, wrapping round to the first live key; both are index probes, never a sort of
/// the whole table. Keys that follow a gap in the key_ids are picked more often than others,
/// which RANDOMKEY's contract (any key) allows.
pub async fn random_key(store: &Store, db: i32) -> Result<Option<Bytes>, CmdError> {
    const SQL: &str = "WITH pick AS MATERIALIZED (
                           SELECT min(key_id)
                                  + floor(random() * (max(key_id) - min(key_id) + 1))::bigint AS id
                             FROM pgredis_keys WHERE db = $1)
                       (SELECT key FROM pgredis_keys
                         WHERE db = $1 AND key_id >= (SELECT id FROM pick)
                           AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())
                         ORDER BY key_id LIMIT 1)
                       UNION ALL
                       (SELECT key FROM pgredis_keys
                         WHERE db = $1
                           AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())
                         ORDER BY key_id LIMIT 1)
                       LIMIT 1";
    Ok(store
        .query_opt(SQL, &[&db])
        .await?
        .map(|r| Bytes::from(r.get::<_, Vec<u8>>(0))))
}
