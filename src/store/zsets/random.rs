//! SQL for ZRANDMEMBER and ZSCAN, the reads whose replies are not a range.

use bytes::Bytes;

use super::super::Store;
use super::{LISTPACK_ENTRIES, LISTPACK_VALUE, is_zset, scored_rows};
use crate::cmd::CmdError;

/// ZRANDMEMBER key: one random member; `None` when the key is absent.
pub async fn random_member(store: &Store, db: i32, key: &[u8]) -> Result<Option<Bytes>, CmdError> {
    const SQL: &str = "SELECT k.type::text,
                              (SELECT z.member FROM pgredis_zset_members z
                                WHERE z.key_id = k.key_id
                                ORDER BY z.member
                               OFFSET floor(random() * k.size)::bigint LIMIT 1)
                         FROM pgredis_keys k
                        WHERE k.db = $1 AND k.key = $2
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    let row = store.query_opt(SQL, &[&db, &key]).await?;
    Ok(if is_zset(row.as_ref())? {
        row.unwrap().get::<_, Option<Vec<u8>>>(1).map(Bytes::from)
    } else {
        None
    })
}

/// ZRANDMEMBER key count: `count` distinct members (the whole set, in order, when it has no
/// more), or with a negative count, -count members that may repeat. `None` when absent.
pub async fn random_members(
    store: &Store,
    db: i32,
    key: &[u8],
    count: i64,
) -> Result<Option<Vec<(Bytes, f64)>>, CmdError> {
    const DISTINCT: &str = "SELECT k.type::text, r.member, r.score FROM pgredis_keys k
                              LEFT JOIN LATERAL (
                                  SELECT z.member, z.score FROM pgredis_zset_members z
                                   WHERE z.key_id = k.key_id
                                   ORDER BY CASE WHEN $3 >= k.size THEN 0 ELSE random() END,
                                            z.score, z.member
                                   LIMIT $3) r ON k.type = 'zset'
                             WHERE k.db = $1 AND k.key = $2
                               AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())";
    // The picks are materialized so that each row's random number is drawn once and indexes
    // both arrays alike.
    const REPEATING: &str = "WITH picks AS MATERIALIZED (
                                 SELECT random() AS r FROM generate_series(1, $3::bigint))
                             SELECT k.type::text,
                                    a.ms[1 + floor(p.r * cardinality(a.ms))::int],
                                    a.ss[1 + floor(p.r * cardinality(a.ms))::int]
                               FROM pgredis_keys k
                               LEFT JOIN LATERAL (
                                   SELECT array_agg(z.member) AS ms, array_agg(z.score) AS ss
                                     FROM pgredis_zset_members z
                                    WHERE z.key_id = k.key_id) a ON k.type = 'zset'
                               LEFT JOIN picks p ON a.ms IS NOT NULL
                              WHERE k.db = $1 AND k.key = $2
                                AND (k.expires_at_ms IS NULL
                                     OR k.expires_at_ms > pgredis_now_ms())";
    let (sql, n) = if count >= 0 {
        (DISTINCT, count)
    } else {
        (REPEATING, count.unsigned_abs().min(i64::MAX as u64) as i64)
    };
    let rows = store.query(sql, &[&db, &key, &n]).await?;
    if !is_zset(rows.first())? {
        return Ok(None);
    }
    Ok(Some(scored_rows(&rows, 1)))
}

/// One ZSCAN step. A set Redis would hold as a listpack comes whole, in score order, with the
/// cursor 0, as Redis returns it; a larger one comes `count` members at a time in member order,
/// the cursor being how many members came before. Returns the next cursor and the members;
/// `None` when the key is absent.
pub async fn scan(
    store: &Store,
    db: i32,
    key: &[u8],
    cursor: i64,
    count: i64,
) -> Result<Option<(i64, Vec<(Bytes, f64)>)>, CmdError> {
    const SQL: &str = "WITH k AS (
                           SELECT key_id, type,
                                  CASE WHEN size <= $5
                                       THEN NOT EXISTS (SELECT 1 FROM pgredis_zset_members z
                                                         WHERE z.key_id = pgredis_keys.key_id
                                                           AND length(z.member) > $6)
                                       ELSE false END AS small
                             FROM pgredis_keys
                            WHERE db = $1 AND key = $2
                              AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms()))
                       SELECT k.type::text, k.small, r.member, r.score FROM k
                         LEFT JOIN LATERAL (
                             SELECT z.member, z.score FROM pgredis_zset_members z
                              WHERE z.key_id = k.key_id
                              ORDER BY z.member
                             OFFSET CASE WHEN k.small THEN 0 ELSE $3::bigint END
                              LIMIT CASE WHEN k.small THEN NULL ELSE $4::bigint END) r
                           ON k.type = 'zset'
                        ORDER BY CASE WHEN k.small THEN r.score END, r.member";
    let rows = store
        .query(
            SQL,
            &[
                &db,
                &key,
                &cursor,
                &count,
                &LISTPACK_ENTRIES,
                &LISTPACK_VALUE,
            ],
        )
        .await?;
    if !is_zset(rows.first())? {
        return Ok(None);
    }
    let small: bool = rows[0].get(1);
    let members = scored_rows(&rows, 2);
    let next = if small || (members.len() as i64) < count {
        0
    } else {
        cursor + members.len() as i64
    };
    Ok(Some((next, members)))
}
