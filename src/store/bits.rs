//! SQL for the bit commands. Bits live in a string's `value`, so reads fetch the value (or, for
//! GETBIT and a whole-string BITCOUNT, let PostgreSQL answer) and the handler computes.
//!
//! Writes come in two shapes:
//! - SETBIT is one call of `pgredis_setbit` (migrations/0003_bits.sql), under the key's row lock.
//! - BITFIELD and BITOP compute the new value in Rust: they read the value together with the
//!   `version` of every key involved, compute, and write only if those versions are still the
//!   same (a compare-and-set); the handler reads again and retries when the write reports a
//!   conflict. No lock is held between the round trips, so many instances cannot deadlock.
//!   BITOP checks its sources' versions in the writing statement too, without locking them: a
//!   source committed while that one statement runs can be missed, a window of one statement.
//!
//! Cost: PostgreSQL stores a value whole, so every write rewrites the whole string, and BITFIELD
//! and BITOP send it both ways. A 512 MB bitmap (the largest offset, 2^32 - 1) works but takes
//! seconds per write, where Redis changes a byte in place.

use bytes::Bytes;

use super::Store;
use crate::cmd::CmdError;
use crate::cmd::errors::WRONGTYPE;

/// GETBIT: the byte holding bit `offset`, 0 past the end or for an absent key.
pub async fn get_byte(store: &Store, db: i32, key: &[u8], offset: u64) -> Result<u8, CmdError> {
    const SQL: &str = "SELECT type = 'string',
                              CASE WHEN length(value) > $3 THEN get_byte(value, $3) ELSE 0 END
                         FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    let byte = (offset >> 3) as i32;
    match store.query_opt(SQL, &[&db, &key, &byte]).await? {
        None => Ok(0),
        Some(row) if row.get::<_, bool>(0) => Ok(row.get::<_, i32>(1) as u8),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// BITCOUNT over a whole string, counted by PostgreSQL; 0 for an absent key.
pub async fn count_all(store: &Store, db: i32, key: &[u8]) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT type = 'string', bit_count(value)
                         FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    match store.query_opt(SQL, &[&db, &key]).await? {
        None => Ok(0),
        Some(row) if row.get::<_, bool>(0) => Ok(row.get(1)),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// SETBIT: sets or clears one bit, zero-padding the string as needed; returns the old bit.
pub async fn set_bit(
    store: &Store,
    db: i32,
    key: &[u8],
    offset: u64,
    on: bool,
) -> Result<bool, CmdError> {
    const SQL: &str = "SELECT pgredis_setbit($1, $2, $3, $4)";
    let row = store
        .query_one(SQL, &[&db, &key, &(offset as i64), &on])
        .await?;
    Ok(row.get(0))
}

/// A string's value with its version, for a compare-and-set; `None` for an absent key.
pub async fn get_versioned(
    store: &Store,
    db: i32,
    key: &[u8],
) -> Result<Option<(Vec<u8>, i64)>, CmdError> {
    const SQL: &str = "SELECT type = 'string', value, version
                         FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    match store.query_opt(SQL, &[&db, &key]).await? {
        None => Ok(None),
        Some(row) if row.get::<_, bool>(0) => Ok(Some((row.get(1), row.get(2)))),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// Stores BITFIELD's new value if the key still has the version read (`None`: still absent).
/// An existing string keeps its expiry and key_id. Returns false on a conflict.
pub async fn put_if_unchanged(
    store: &Store,
    db: i32,
    key: &[u8],
    version: Option<i64>,
    value: &[u8],
) -> Result<bool, CmdError> {
    // The live version of the existing row is compared: an expired row counts as absent and
    // is replaced by a new key.
    const SQL: &str = "INSERT INTO pgredis_keys AS k (db, key, type, value)
                       VALUES ($1, $2, 'string', $3)
                       ON CONFLICT (db, key) DO UPDATE
                          SET type = 'string', value = EXCLUDED.value,
                              expires_at_ms = CASE WHEN k.expires_at_ms IS NULL
                                                     OR k.expires_at_ms > pgredis_now_ms()
                                                   THEN k.expires_at_ms END,
                              key_id = CASE WHEN k.expires_at_ms IS NULL
                                              OR k.expires_at_ms > pgredis_now_ms()
                                            THEN k.key_id ELSE nextval('pgredis_key_id') END,
                              version = nextval('pgredis_version')
                        WHERE CASE WHEN k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms()
                                   THEN k.version END IS NOT DISTINCT FROM $4";
    Ok(store.execute(SQL, &[&db, &key, &value, &version]).await? == 1)
}

/// What BITOP read, in one snapshot: the sources' values (`None` for absent keys) and the live
/// versions of the destination followed by the sources, to compare-and-set against.
pub struct BitopSnapshot {
    pub sources: Vec<Option<Bytes>>,
    pub versions: Vec<Option<i64>>,
}

/// Reads BITOP's sources and the destination's version in one statement. WRONGTYPE if a source
/// is not a string; the destination may hold any type, BITOP overwrites it.
pub async fn bitop_read(
    store: &Store,
    db: i32,
    dest: &[u8],
    sources: &[Bytes],
) -> Result<BitopSnapshot, CmdError> {
    const SQL: &str = "SELECT k.type = 'string', CASE WHEN w.n > 1 THEN k.value END, k.version
                         FROM unnest($2::bytea[]) WITH ORDINALITY AS w(key, n)
                         LEFT JOIN pgredis_keys k
                           ON k.db = $1 AND k.key = w.key
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())
                        ORDER BY w.n";
    let keys = bitop_keys(dest, sources);
    let rows = store.query(SQL, &[&db, &keys]).await?;
    let mut snapshot = BitopSnapshot {
        sources: Vec::with_capacity(sources.len()),
        versions: Vec::with_capacity(rows.len()),
    };
    for (i, row) in rows.iter().enumerate() {
        snapshot.versions.push(row.get(2));
        if i == 0 {
            continue;
        }
        match row.get::<_, Option<bool>>(0) {
            None => snapshot.sources.push(None),
            Some(true) => snapshot
                .sources
                .push(Some(Bytes::from(row.get::<_, Vec<u8>>(1)))),
            Some(false) => return Err(WRONGTYPE.into()),
        }
    }
    Ok(snapshot)
}

/// Stores BITOP's result in `dest` (a plain string, no expiry, whatever it held before) if no
/// key involved changed since `bitop_read`; an empty result deletes `dest`. Returns false on a
/// conflict.
pub async fn bitop_write(
    store: &Store,
    db: i32,
    dest: &[u8],
    sources: &[Bytes],
    versions: &[Option<i64>],
    result: &[u8],
) -> Result<bool, CmdError> {
    // Both statements first check that the live versions of all keys ($2, in `bitop_read`'s
    // order) are still those read ($5, $4); PUT then compares the destination's row itself,
    // which an INSERT's snapshot cannot see change.
    const PUT: &str = "INSERT INTO pgredis_keys AS k (db, key, type, value)
                       SELECT $1, $3, 'string', $4
                        WHERE (SELECT array_agg(CASE WHEN k.expires_at_ms IS NULL
                                                       OR k.expires_at_ms > pgredis_now_ms()
                                                     THEN k.version END ORDER BY w.n)
                                 FROM unnest($2::bytea[]) WITH ORDINALITY AS w(key, n)
                                 LEFT JOIN pgredis_keys k ON k.db = $1 AND k.key = w.key) = $5
                       ON CONFLICT (db, key) DO UPDATE
                          SET type = 'string', value = EXCLUDED.value, expires_at_ms = NULL,
                              key_id = CASE WHEN k.type = 'string'
                                             AND (k.expires_at_ms IS NULL
                                                  OR k.expires_at_ms > pgredis_now_ms())
                                            THEN k.key_id ELSE nextval('pgredis_key_id') END,
                              version = nextval('pgredis_version')
                        WHERE CASE WHEN k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms()
                                   THEN k.version END IS NOT DISTINCT FROM ($5::int8[])[1]";
    const DELETE: &str = "DELETE FROM pgredis_keys
                           WHERE db = $1 AND key = $3 AND version = ($4::int8[])[1]
                             AND (SELECT array_agg(CASE WHEN k.expires_at_ms IS NULL
                                                         OR k.expires_at_ms > pgredis_now_ms()
                                                       THEN k.version END ORDER BY w.n)
                                    FROM unnest($2::bytea[]) WITH ORDINALITY AS w(key, n)
                                    LEFT JOIN pgredis_keys k ON k.db = $1 AND k.key = w.key) = $4";
    let keys = bitop_keys(dest, sources);
    if !result.is_empty() {
        let n = store
            .execute(PUT, &[&db, &keys, &dest, &result, &versions])
            .await?;
        return Ok(n == 1);
    }
    if versions[0].is_none() {
        // Nothing to delete: the snapshot already is the answer.
        return Ok(true);
    }
    let n = store
        .execute(DELETE, &[&db, &keys, &dest, &versions])
        .await?;
    Ok(n == 1)
}

fn bitop_keys<'a>(dest: &'a [u8], sources: &'a [Bytes]) -> Vec<&'a [u8]> {
    std::iter::once(dest)
        .chain(sources.iter().map(|s| &s[..]))
        .collect()
}
