//! SQL for lists. Elements live in `pgredis_list_items` at positions `list_head ..
//! list_head + size - 1` of the keyspace row, so an index is a position and a push or pop is one
//! index lookup at either end (see `migrations/0006_lists.sql`).
//!
//! Reads are single statements joining the live keyspace row with its items; a row that is not
//! a list comes back with `is_list` false, which is WRONGTYPE. Writes are one call of a
//! server-side function from the migration, which locks the keyspace row first.
//!
//! `pop` (on several keys, returning the key it popped from) and `lmove` are what the blocking
//! commands will call too.

use bytes::Bytes;
use tokio_postgres::Row;

use super::Store;
use crate::cmd::CmdError;
use crate::cmd::errors::{NOT_INTEGER, WRONGTYPE};

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

impl End {
    fn is_left(self) -> bool {
        self == End::Left
    }
}

fn bytes(v: Vec<u8>) -> Bytes {
    Bytes::from(v)
}

/// WRONGTYPE unless the first column says the row is a list.
fn check_list(row: &Row) -> Result<(), CmdError> {
    if row.get::<_, bool>(0) {
        Ok(())
    } else {
        Err(WRONGTYPE.into())
    }
}

/// LPUSH, RPUSH, LPUSHX, RPUSHX: the new length; 0 when `only_existing` found no list.
pub async fn push(
    store: &Store,
    db: i32,
    key: &[u8],
    values: &[Bytes],
    end: End,
    only_existing: bool,
) -> Result<i64, CmdError> {
    if let [value] = values {
        const SQL: &str = "SELECT pgredis_list_push_one($1, $2, $3, $4, $5)";
        let row = store
            .write(db, key)
            .query_one(
                SQL,
                &[&db, &key, &&value[..], &end.is_left(), &only_existing],
            )
            .await?;
        return Ok(row.get(0));
    }
    const SQL: &str = "SELECT pgredis_list_push($1, $2, $3, $4, $5)";
    let values: Vec<&[u8]> = values.iter().map(|v| &v[..]).collect();
    let row = store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &values, &end.is_left(), &only_existing])
        .await?;
    Ok(row.get(0))
}

/// Pops up to `count` elements from the first of `keys` holding a list: that key and the
/// elements in popping order, or `None` when no key holds a list.
pub async fn pop(
    store: &Store,
    db: i32,
    keys: &[Bytes],
    end: End,
    count: i64,
) -> Result<Option<(Bytes, Vec<Bytes>)>, CmdError> {
    if let ([key], 1) = (keys, count) {
        const SQL: &str = "SELECT pgredis_list_pop_one($1, $2, $3)";
        let row = store
            .write(db, key)
            .query_one(SQL, &[&db, &&key[..], &end.is_left()])
            .await?;
        let popped: Option<Vec<u8>> = row.get(0);
        return Ok(popped.map(|value| (key.clone(), vec![bytes(value)])));
    }
    const SQL: &str = "SELECT popped_key, popped FROM pgredis_list_pop($1, $2, $3, $4)";
    let slices: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    let row = store
        .write_keys(db, keys)
        .query_one(SQL, &[&db, &slices, &end.is_left(), &count])
        .await?;
    let Some(key) = row.get::<_, Option<Vec<u8>>>(0) else {
        return Ok(None);
    };
    let values: Vec<Vec<u8>> = row.get(1);
    Ok(Some((bytes(key), values.into_iter().map(bytes).collect())))
}

/// LMOVE and RPOPLPUSH: the element moved, `None` when the source is absent.
pub async fn lmove(
    store: &Store,
    db: i32,
    source: &[u8],
    destination: &[u8],
    from: End,
    to: End,
) -> Result<Option<Bytes>, CmdError> {
    const SQL: &str = "SELECT pgredis_list_move($1, $2, $3, $4, $5)";
    let row = store
        .query_one(
            SQL,
            &[&db, &source, &destination, &from.is_left(), &to.is_left()],
        )
        .await?;
    Ok(row.get::<_, Option<Vec<u8>>>(0).map(bytes))
}

/// LLEN: the length, 0 for an absent key.
pub async fn len(store: &Store, db: i32, key: &[u8]) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT type = 'list', size FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    match store.query_opt(SQL, &[&db, &key]).await? {
        None => Ok(0),
        Some(row) => {
            check_list(&row)?;
            Ok(row.get(1))
        }
    }
}

/// LRANGE: the elements from `start` to `stop`, Redis's index rules (negative from the end,
/// clamped to the list). The bounds are clamped before list_head is added, so no index overflows.
pub async fn range(
    store: &Store,
    db: i32,
    key: &[u8],
    start: i64,
    stop: i64,
) -> Result<Vec<Bytes>, CmdError> {
    const SQL: &str = "SELECT k.type = 'list', i.value
                         FROM pgredis_keys k
                        CROSS JOIN LATERAL (
                              SELECT GREATEST(CASE WHEN $3::bigint < 0 THEN k.size + $3
                                                   ELSE LEAST($3, k.size) END, 0) AS first,
                                     LEAST(CASE WHEN $4::bigint < 0 THEN GREATEST(k.size + $4, -1)
                                                ELSE $4 END, k.size - 1) AS last) r
                         LEFT JOIN pgredis_list_items i
                           ON k.type = 'list' AND i.key_id = k.key_id
                          AND i.pos BETWEEN k.list_head + r.first AND k.list_head + r.last
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())
                        ORDER BY i.pos";
    let rows = store.query(SQL, &[&db, &key, &start, &stop]).await?;
    if let Some(row) = rows.first() {
        check_list(row)?;
    }
    Ok(rows
        .into_iter()
        .filter_map(|r| r.get::<_, Option<Vec<u8>>>(1).map(bytes))
        .collect())
}

/// LINDEX: the element at `index`, `None` when the key is absent or the index out of range.
/// `index` is `None` when the argument is not an integer, an error Redis gives only for a list.
pub async fn index(
    store: &Store,
    db: i32,
    key: &[u8],
    index: Option<i64>,
) -> Result<Option<Bytes>, CmdError> {
    const SQL: &str = "SELECT k.type = 'list', i.value
                         FROM pgredis_keys k
                         LEFT JOIN pgredis_list_items i
                           ON k.type = 'list' AND i.key_id = k.key_id
                          AND i.pos = CASE WHEN $3::bigint >= k.size OR $3 < -k.size THEN NULL
                                           WHEN $3 < 0 THEN k.list_head + k.size + $3
                                           ELSE k.list_head + $3 END
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    let Some(row) = store.query_opt(SQL, &[&db, &key, &index]).await? else {
        return Ok(None);
    };
    check_list(&row)?;
    if index.is_none() {
        return Err(NOT_INTEGER.into());
    }
    Ok(row.get::<_, Option<Vec<u8>>>(1).map(bytes))
}

/// LSET; `index` is `None` when the argument is not an integer.
pub async fn set(
    store: &Store,
    db: i32,
    key: &[u8],
    index: Option<i64>,
    value: &[u8],
) -> Result<(), CmdError> {
    const SQL: &str = "SELECT pgredis_list_set($1, $2, $3, $4)";
    store
        .write(db, key)
        .execute(SQL, &[&db, &key, &index, &value])
        .await?;
    Ok(())
}

/// LINSERT: the new length, -1 without the pivot, 0 for an absent key.
pub async fn insert(
    store: &Store,
    db: i32,
    key: &[u8],
    before: bool,
    pivot: &[u8],
    value: &[u8],
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_list_insert($1, $2, $3, $4, $5)";
    let row = store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &before, &pivot, &value])
        .await?;
    Ok(row.get(0))
}

/// LREM: removes up to `limit` elements equal to `value` (all when `None`), from the tail when
/// `from` is `Right`; how many went.
pub async fn remove(
    store: &Store,
    db: i32,
    key: &[u8],
    limit: Option<i64>,
    from: End,
    value: &[u8],
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_list_remove($1, $2, $3, $4, $5)";
    let from_tail = from == End::Right;
    let row = store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &limit, &from_tail, &value])
        .await?;
    Ok(row.get(0))
}

/// LTRIM.
pub async fn trim(
    store: &Store,
    db: i32,
    key: &[u8],
    start: i64,
    stop: i64,
) -> Result<(), CmdError> {
    const SQL: &str = "SELECT pgredis_list_trim($1, $2, $3, $4)";
    store
        .write(db, key)
        .execute(SQL, &[&db, &key, &start, &stop])
        .await?;
    Ok(())
}

/// What LPOS looks for: matches are counted from `from`'s end, the first `skip` are passed over,
/// at most `limit` are returned (all when `None`), among the first `maxlen` elements (all when
/// `None`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PosQuery {
    pub from: End,
    pub skip: i64,
    pub limit: Option<i64>,
    pub maxlen: Option<i64>,
}

/// LPOS: indexes (from the head) of matching elements, in the order found; `None` for an absent
/// key.
pub async fn pos(
    store: &Store,
    db: i32,
    key: &[u8],
    element: &[u8],
    query: PosQuery,
) -> Result<Option<Vec<i64>>, CmdError> {
    // One statement per direction, so the index is scanned in the order matches are counted.
    const FROM_HEAD: &str = "SELECT k.type = 'list', m.idx
                               FROM pgredis_keys k
                               LEFT JOIN LATERAL (
                                    SELECT i.pos - k.list_head AS idx
                                      FROM pgredis_list_items i
                                     WHERE k.type = 'list' AND i.key_id = k.key_id
                                       AND i.pos < k.list_head + LEAST($6::bigint, k.size)
                                       AND i.value = $3
                                     ORDER BY i.pos
                                    OFFSET $4 LIMIT $5) m ON true
                              WHERE k.db = $1 AND k.key = $2
                                AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())
                              ORDER BY m.idx";
    const FROM_TAIL: &str = "SELECT k.type = 'list', m.idx
                               FROM pgredis_keys k
                               LEFT JOIN LATERAL (
                                    SELECT i.pos - k.list_head AS idx
                                      FROM pgredis_list_items i
                                     WHERE k.type = 'list' AND i.key_id = k.key_id
                                       AND i.pos >= k.list_head + k.size - LEAST($6::bigint, k.size)
                                       AND i.value = $3
                                     ORDER BY i.pos DESC
                                    OFFSET $4 LIMIT $5) m ON true
                              WHERE k.db = $1 AND k.key = $2
                                AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())
                              ORDER BY m.idx DESC";
    let sql = match query.from {
        End::Left => FROM_HEAD,
        End::Right => FROM_TAIL,
    };
    let rows = store
        .query(
            sql,
            &[
                &db,
                &key,
                &element,
                &query.skip,
                &query.limit,
                &query.maxlen,
            ],
        )
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    check_list(first)?;
    Ok(Some(
        rows.iter()
            .filter_map(|r| r.get::<_, Option<i64>>(1))
            .collect(),
    ))
}
