//! SQL for the hash commands. Fields are rows of `pgredis_hash_fields` under the key's key_id;
//! the keyspace row holds HLEN in `size`. Writes are server-side functions from
//! `migrations/0008_hashes.sql` that lock the keyspace row first; reads join the keyspace row
//! (live and type checks) with the field rows in one statement. Whole-hash replies come in `seq`
//! order, which is insertion order, as Redis answers for the small hashes it keeps as listpacks.

use bytes::Bytes;
use tokio_postgres::Row;

use super::Store;
use crate::cmd::CmdError;
use crate::cmd::errors::WRONGTYPE;

fn bytes(row: &Row, i: usize) -> Bytes {
    Bytes::from(row.get::<_, Vec<u8>>(i))
}

/// WRONGTYPE unless the first column (`type = 'hash'`) says the key is a hash.
fn check_hash(row: &Row) -> Result<(), CmdError> {
    if row.get::<_, bool>(0) {
        Ok(())
    } else {
        Err(WRONGTYPE.into())
    }
}

/// HSET, HMSET (`nx` false) and HSETNX (`nx` true, one pair): returns how many fields are new.
pub async fn hset(
    store: &Store,
    db: i32,
    key: &[u8],
    fields: &[&[u8]],
    values: &[&[u8]],
    nx: bool,
) -> Result<i64, CmdError> {
    if let ([field], [value], false) = (fields, values, nx) {
        const SQL: &str = "SELECT pgredis_hset_one($1, $2, $3, $4)";
        let row = store
            .write(db, key)
            .query_one(SQL, &[&db, &key, field, value])
            .await?;
        return Ok(row.get(0));
    }
    const SQL: &str = "SELECT pgredis_hset($1, $2, $3, $4, $5)";
    let row = store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &fields, &values, &nx])
        .await?;
    Ok(row.get(0))
}

/// HDEL: how many of `fields` were removed.
pub async fn hdel(store: &Store, db: i32, key: &[u8], fields: &[&[u8]]) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_hdel($1, $2, $3)";
    Ok(store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &fields])
        .await?
        .get(0))
}

/// HGET: a field's value, `None` when the field or the key is absent.
pub async fn hget(
    store: &Store,
    db: i32,
    key: &[u8],
    field: &[u8],
) -> Result<Option<Bytes>, CmdError> {
    const SQL: &str = "SELECT k.type = 'hash', f.value
                         FROM pgredis_keys k
                         LEFT JOIN pgredis_hash_fields f
                                ON k.type = 'hash' AND f.key_id = k.key_id AND f.field = $3
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    let Some(row) = store.query_opt(SQL, &[&db, &key, &field]).await? else {
        return Ok(None);
    };
    check_hash(&row)?;
    Ok(row.get::<_, Option<Vec<u8>>>(1).map(Bytes::from))
}

/// HSTRLEN and HEXISTS: a field's value length, `None` when the field or the key is absent.
pub async fn field_len(
    store: &Store,
    db: i32,
    key: &[u8],
    field: &[u8],
) -> Result<Option<i64>, CmdError> {
    const SQL: &str = "SELECT k.type = 'hash', octet_length(f.value)::bigint
                         FROM pgredis_keys k
                         LEFT JOIN pgredis_hash_fields f
                                ON k.type = 'hash' AND f.key_id = k.key_id AND f.field = $3
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    let Some(row) = store.query_opt(SQL, &[&db, &key, &field]).await? else {
        return Ok(None);
    };
    check_hash(&row)?;
    Ok(row.get(1))
}

/// HMGET: each field's value, in the order asked, `None` for absent ones. One primary-key probe
/// per field: a scalar subquery, since a join lets a cached generic plan (key_id and the array's
/// length unknown) hash every field of a big hash instead.
pub async fn hmget(
    store: &Store,
    db: i32,
    key: &[u8],
    fields: &[&[u8]],
) -> Result<Vec<Option<Bytes>>, CmdError> {
    const SQL: &str = "SELECT k.type = 'hash',
                              ARRAY(SELECT (SELECT f.value FROM pgredis_hash_fields f
                                             WHERE k.type = 'hash' AND f.key_id = k.key_id
                                               AND f.field = w.field)
                                      FROM unnest($3::bytea[]) WITH ORDINALITY AS w(field, n)
                                     ORDER BY w.n)
                         FROM pgredis_keys k
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    let Some(row) = store.query_opt(SQL, &[&db, &key, &fields]).await? else {
        return Ok(vec![None; fields.len()]);
    };
    check_hash(&row)?;
    let values: Vec<Option<Vec<u8>>> = row.get(1);
    Ok(values.into_iter().map(|v| v.map(Bytes::from)).collect())
}

/// HGETALL, HKEYS, HVALS: every (field, value) in insertion order; empty when the key is absent.
pub async fn hgetall(store: &Store, db: i32, key: &[u8]) -> Result<Vec<(Bytes, Bytes)>, CmdError> {
    const SQL: &str = "SELECT k.type = 'hash', f.field, f.value
                         FROM pgredis_keys k
                         LEFT JOIN pgredis_hash_fields f ON k.type = 'hash' AND f.key_id = k.key_id
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())
                        ORDER BY f.seq";
    let rows = store.query(SQL, &[&db, &key]).await?;
    let mut pairs = Vec::with_capacity(rows.len());
    for row in &rows {
        check_hash(row)?;
        if row.get::<_, Option<&[u8]>>(1).is_some() {
            pairs.push((bytes(row, 1), bytes(row, 2)));
        }
    }
    Ok(pairs)
}

/// HLEN: the field count; 0 when the key is absent.
pub async fn hlen(store: &Store, db: i32, key: &[u8]) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT type = 'hash', size FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    let Some(row) = store.query_opt(SQL, &[&db, &key]).await? else {
        return Ok(0);
    };
    check_hash(&row)?;
    Ok(row.get::<_, Option<i64>>(1).unwrap_or(0))
}

/// HINCRBY: the new value, computed and checked in SQL.
pub async fn hincrby(
    store: &Store,
    db: i32,
    key: &[u8],
    field: &[u8],
    by: i64,
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_hincrby($1, $2, $3, $4)";
    Ok(store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &field, &by])
        .await?
        .get(0))
}

/// A field as HINCRBYFLOAT reads it: its value (at most 5121 bytes, enough for Redis's length
/// check to reject a longer one) and the key's version to write against; `version` is `None`
/// when the key is absent.
pub struct FloatRead {
    pub version: Option<i64>,
    pub value: Option<Bytes>,
}

pub async fn read_for_float(
    store: &Store,
    db: i32,
    key: &[u8],
    field: &[u8],
) -> Result<FloatRead, CmdError> {
    const SQL: &str = "SELECT k.type = 'hash', k.version, substring(f.value FROM 1 FOR 5121)
                         FROM pgredis_keys k
                         LEFT JOIN pgredis_hash_fields f
                                ON k.type = 'hash' AND f.key_id = k.key_id AND f.field = $3
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    let Some(row) = store.query_opt(SQL, &[&db, &key, &field]).await? else {
        return Ok(FloatRead {
            version: None,
            value: None,
        });
    };
    check_hash(&row)?;
    Ok(FloatRead {
        version: Some(row.get(1)),
        value: row.get::<_, Option<Vec<u8>>>(2).map(Bytes::from),
    })
}

/// Sets one field if the key is still at `version` (or still absent for `None`); false when
/// another client wrote first.
pub async fn hset_if_version(
    store: &Store,
    db: i32,
    key: &[u8],
    version: Option<i64>,
    field: &[u8],
    value: &[u8],
) -> Result<bool, CmdError> {
    const SQL: &str = "SELECT pgredis_hset_if_version($1, $2, $3, $4, $5)";
    Ok(store
        .query_one(SQL, &[&db, &key, &version, &field, &value])
        .await?
        .get(0))
}

/// How HRANDFIELD picks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pick {
    /// Up to `n` distinct fields; the whole hash, in order, when it has no more than `n`.
    Distinct(i64),
    /// Exactly `n` fields drawn independently, repeats allowed.
    Repeating(i64),
}

/// HRANDFIELD's draw: (field, value) pairs; empty when the key is absent. `n` is at least 1.
pub async fn hrandfield(
    store: &Store,
    db: i32,
    key: &[u8],
    pick: Pick,
) -> Result<Vec<(Bytes, Bytes)>, CmdError> {
    // The keyspace row's size decides between the whole hash and a random subset.
    const DISTINCT: &str = "SELECT field, value FROM pgredis_hash_fields
                             WHERE key_id = pgredis_hash_id($1, $2)
                             ORDER BY CASE WHEN $3::bigint >= (SELECT size FROM pgredis_keys
                                                        WHERE db = $1 AND key = $2)
                                           THEN seq END,
                                      random()
                             LIMIT $3";
    // Numbers the fields once, then draws n row numbers: O(size + n).
    const REPEATING: &str = "WITH f AS MATERIALIZED (
                                 SELECT field, value, row_number() OVER (ORDER BY field) AS i
                                   FROM pgredis_hash_fields
                                  WHERE key_id = pgredis_hash_id($1, $2)),
                             draws AS (
                                 SELECT 1 + floor(random() * (SELECT count(*) FROM f))::bigint AS i
                                   FROM generate_series(1, $3::bigint) WHERE EXISTS (SELECT 1 FROM f))
                             SELECT f.field, f.value FROM draws JOIN f USING (i)";
    let rows = match pick {
        Pick::Distinct(n) => store.query(DISTINCT, &[&db, &key, &n]).await?,
        Pick::Repeating(n) => store.query(REPEATING, &[&db, &key, &n]).await?,
    };
    Ok(rows.iter().map(|r| (bytes(r, 0), bytes(r, 1))).collect())
}

/// One HSCAN step: (fields and values, next seq cursor or 0 when done).
pub async fn hscan(
    store: &Store,
    db: i32,
    key: &[u8],
    after: i64,
    count: i64,
) -> Result<(Vec<(Bytes, Bytes)>, i64), CmdError> {
    const SQL: &str = "SELECT field, value, seq, whole FROM pgredis_hscan($1, $2, $3, $4)";
    let rows = store.query(SQL, &[&db, &key, &after, &count]).await?;
    let whole = rows.first().is_none_or(|r| r.get::<_, bool>(3));
    let next = match rows.last() {
        Some(last) if !whole && rows.len() as i64 >= count => last.get(2),
        _ => 0,
    };
    Ok((
        rows.iter().map(|r| (bytes(r, 0), bytes(r, 1))).collect(),
        next,
    ))
}

/// Whether Redis would hold the hash at `key` as a listpack (see `pgredis_hash_is_listpack`).
pub async fn is_listpack(store: &Store, db: i32, key: &[u8]) -> Result<bool, CmdError> {
    const SQL: &str = "SELECT pgredis_hash_is_listpack(key_id, size) FROM pgredis_keys
                        WHERE db = $1 AND key = $2 AND type = 'hash'";
    Ok(store
        .query_opt(SQL, &[&db, &key])
        .await?
        .is_some_and(|r| r.get(0)))
}
