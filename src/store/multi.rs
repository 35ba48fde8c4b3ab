//! SQL for WATCH: each watched key's row version, read when the key is watched and compared again
//! inside EXEC's transaction.
//!
//! Every write gives a key's row a new `version` from one sequence, so a version seen twice means
//! nothing wrote the key in between, also across instances, and a deleted-and-recreated key shows
//! up as a new version. Expiry changes no row, so a watch also records whether the key was live:
//! a key live when watched and expired at EXEC has changed, as in Redis.

use bytes::Bytes;

use super::Store;
use crate::cmd::CmdError;

/// A watched key and what it was when WATCH ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Watched {
    pub db: i32,
    pub key: Bytes,
    /// The row's version; `None` when there was no row.
    pub version: Option<i64>,
    /// Whether the key existed and had not expired.
    pub live: bool,
}

/// What `keys` of database `db` are now, in `keys` order.
pub async fn watch(store: &Store, db: i32, keys: &[Bytes]) -> Result<Vec<Watched>, CmdError> {
    const SQL: &str = "SELECT k.version,
                              k.version IS NOT NULL
                              AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())
                         FROM unnest($2::bytea[]) WITH ORDINALITY AS wanted(key, n)
                         LEFT JOIN pgredis_keys k ON k.db = $1 AND k.key = wanted.key
                        ORDER BY wanted.n";
    let key_refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    let rows = store.query(SQL, &[&db, &key_refs]).await?;
    Ok(rows
        .iter()
        .zip(keys)
        .map(|(row, key)| Watched {
            db,
            key: key.clone(),
            version: row.get(0),
            live: row.get(1),
        })
        .collect())
}

/// The first statement of EXEC's transaction. Locks the rows of `written` (the keys its write
/// commands name, sorted by database and key) in that order, the order every multi-key command
/// locks in, so EXEC cannot deadlock with them or with another EXEC; then says whether any
/// watched key changed since it was watched: a key that was live was written, deleted or has
/// expired; a key that was absent (or expired) was written. An expired key that was only removed
/// since is no change, as in Redis.
pub async fn prepare_exec(
    store: &Store,
    watched: &[Watched],
    written: &[(i32, Bytes)],
) -> Result<bool, CmdError> {
    const SQL: &str = "WITH locked AS (
                           SELECT 1
                             FROM unnest($5::int4[], $6::bytea[]) AS w(db, key)
                             JOIN pgredis_keys k ON k.db = w.db AND k.key = w.key
                            ORDER BY k.db, k.key
                              FOR UPDATE OF k)
                       SELECT EXISTS (
                           SELECT 1
                             FROM unnest($1::int4[], $2::bytea[], $3::int8[], $4::bool[])
                                  AS w(db, key, version, live)
                             LEFT JOIN pgredis_keys k ON k.db = w.db AND k.key = w.key
                            WHERE CASE WHEN w.live
                                       THEN k.version IS DISTINCT FROM w.version
                                            OR COALESCE(k.expires_at_ms <= pgredis_now_ms(), false)
                                       ELSE k.version IS NOT NULL
                                            AND k.version IS DISTINCT FROM w.version
                                   END),
                              (SELECT count(*) FROM locked)";
    let dbs: Vec<i32> = watched.iter().map(|w| w.db).collect();
    let keys: Vec<&[u8]> = watched.iter().map(|w| &w.key[..]).collect();
    let versions: Vec<Option<i64>> = watched.iter().map(|w| w.version).collect();
    let live: Vec<bool> = watched.iter().map(|w| w.live).collect();
    let written_dbs: Vec<i32> = written.iter().map(|(db, _)| *db).collect();
    let written_keys: Vec<&[u8]> = written.iter().map(|(_, key)| &key[..]).collect();
    let row = store
        .query_one(
            SQL,
            &[&dbs, &keys, &versions, &live, &written_dbs, &written_keys],
        )
        .await?;
    Ok(row.get(0))
}
