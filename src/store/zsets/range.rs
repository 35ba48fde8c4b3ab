//! Ranges of a sorted set: by rank, by score or by lex, in either direction, with LIMIT. One
//! `Range` becomes the `pgredis_zrange` value that `pgredis_zrange_rows` (reads),
//! `pgredis_remrange` and `pgredis_zrangestore` take, so the three share one definition of
//! every range.

use bytes::Bytes;
use tokio_postgres::types::ToSql;

use super::super::{Params, Store};
use super::{is_zset, scored_rows};
use crate::cmd::CmdError;

/// One end of a score range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreBound {
    pub value: f64,
    pub exclusive: bool,
}

/// One end of a lex range: `-`, `+`, `[member` or `(member`.
#[derive(Debug, Clone, PartialEq)]
pub enum LexBound {
    Min,
    Max,
    Inclusive(Bytes),
    Exclusive(Bytes),
}

/// Which members a range selects.
#[derive(Debug, Clone, PartialEq)]
pub enum RangeBy {
    /// Positions, negative ones counting from the end, both ends included.
    Rank {
        start: i64,
        stop: i64,
    },
    Score {
        min: ScoreBound,
        max: ScoreBound,
    },
    Lex {
        min: LexBound,
        max: LexBound,
    },
}

/// A range with its direction and LIMIT (score and lex ranges only).
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub by: RangeBy,
    pub rev: bool,
    pub offset: i64,
    /// Negative: no limit.
    pub limit: i64,
}

impl Range {
    pub fn new(by: RangeBy) -> Range {
        Range {
            by,
            rev: false,
            offset: 0,
            limit: -1,
        }
    }
}

/// The fields of `pgredis_zrange`, in order, as statement parameters.
struct Fields {
    kind: &'static str,
    rev: bool,
    start: Option<i64>,
    stop: Option<i64>,
    min: Option<f64>,
    minex: Option<bool>,
    max: Option<f64>,
    maxex: Option<bool>,
    lmin: Option<Vec<u8>>,
    lminex: Option<bool>,
    lmax: Option<Vec<u8>>,
    lmaxex: Option<bool>,
    offset: i64,
    limit: Option<i64>,
}

/// The `pgredis_zrange` value of parameters $N .. $N+13 (`$3` onwards in every statement here).
const RANGE_ROW: &str = "ROW($3::text, $4::boolean, $5::bigint, $6::bigint, $7::float8, \
     $8::boolean, $9::float8, $10::boolean, $11::bytea, $12::boolean, $13::bytea, $14::boolean, \
     $15::bigint, $16::bigint)::pgredis_zrange";

impl Fields {
    fn of(range: &Range) -> Fields {
        // Redis returns nothing for a negative offset, and everything for a negative count.
        let (offset, mut limit) = if range.offset < 0 {
            (0, Some(0))
        } else {
            (range.offset, (range.limit >= 0).then_some(range.limit))
        };
        let mut f = Fields {
            kind: "rank",
            rev: range.rev,
            start: None,
            stop: None,
            min: None,
            minex: None,
            max: None,
            maxex: None,
            lmin: None,
            lminex: None,
            lmax: None,
            lmaxex: None,
            offset,
            limit,
        };
        match &range.by {
            RangeBy::Rank { start, stop } => {
                f.start = Some(*start);
                f.stop = Some(*stop);
                f.offset = 0;
                f.limit = None;
            }
            RangeBy::Score { min, max } => {
                f.kind = "score";
                f.min = Some(min.value);
                f.minex = Some(min.exclusive);
                f.max = Some(max.value);
                f.maxex = Some(max.exclusive);
            }
            RangeBy::Lex { min, max } => {
                f.kind = "lex";
                match min {
                    LexBound::Min => f.lminex = Some(false),
                    LexBound::Max => limit = Some(0),
                    LexBound::Inclusive(m) | LexBound::Exclusive(m) => {
                        f.lmin = Some(m.to_vec());
                        f.lminex = Some(matches!(min, LexBound::Exclusive(_)));
                    }
                }
                match max {
                    LexBound::Max => f.lmaxex = Some(false),
                    LexBound::Min => limit = Some(0),
                    LexBound::Inclusive(m) | LexBound::Exclusive(m) => {
                        f.lmax = Some(m.to_vec());
                        f.lmaxex = Some(matches!(max, LexBound::Exclusive(_)));
                    }
                }
                f.limit = limit;
            }
        }
        f
    }

    fn params<'a>(&'a self, db: &'a i32, key: &'a &'a [u8]) -> [&'a (dyn ToSql + Sync); 16] {
        [
            db,
            key,
            &self.kind,
            &self.rev,
            &self.start,
            &self.stop,
            &self.min,
            &self.minex,
            &self.max,
            &self.maxex,
            &self.lmin,
            &self.lminex,
            &self.lmax,
            &self.lmaxex,
            &self.offset,
            &self.limit,
        ]
    }
}

/// The members of a range with their scores, in order; `None` when the key is absent.
pub async fn range(
    store: &Store,
    db: i32,
    key: &[u8],
    range: &Range,
) -> Result<Option<Vec<(Bytes, f64)>>, CmdError> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT k.type::text, r.member, r.score FROM pgredis_keys k
               LEFT JOIN LATERAL pgredis_zrange_rows(k.key_id, k.size, {RANGE_ROW})
                    WITH ORDINALITY AS r(member, score, n) ON k.type = 'zset'
              WHERE k.db = $1 AND k.key = $2
                AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())
              ORDER BY r.n"
        )
    });
    let fields = Fields::of(range);
    let rows = match (&range.by, range.rev) {
        (RangeBy::Score { min, max }, false) => {
            // The commonest range (ZRANGEBYSCORE, ZRANGE BYSCORE) as one plain statement: the
            // general function costs a plpgsql call and a SET of plan_cache_mode per call.
            const SQL: &str = "SELECT k.type::text, z.member, z.score FROM pgredis_keys k
                                 LEFT JOIN LATERAL (
                                     SELECT z.member, z.score FROM pgredis_zset_members z
                                      WHERE z.key_id = k.key_id AND z.score >= $3 AND z.score <= $5
                                        AND (NOT $4 OR z.score > $3) AND (NOT $6 OR z.score < $5)
                                      ORDER BY z.score, z.member OFFSET $7 LIMIT $8) z
                                   ON k.type = 'zset'
                                WHERE k.db = $1 AND k.key = $2
                                  AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())
                                ORDER BY z.score, z.member";
            let params: Params = &[
                &db,
                &key,
                &min.value,
                &min.exclusive,
                &max.value,
                &max.exclusive,
                &fields.offset,
                &fields.limit,
            ];
            store.query(SQL, params).await?
        }
        _ => store.query(&SQL, &fields.params(&db, &key)).await?,
    };
    if !is_zset(rows.first())? {
        return Ok(None);
    }
    Ok(Some(scored_rows(&rows, 1)))
}

/// ZCOUNT and ZLEXCOUNT: how many members a range holds, 0 when the key is absent.
pub async fn count(store: &Store, db: i32, key: &[u8], range: &Range) -> Result<i64, CmdError> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT k.type::text,
                    (SELECT count(*) FROM pgredis_zrange_rows(k.key_id, k.size, {RANGE_ROW}))
               FROM pgredis_keys k
              WHERE k.db = $1 AND k.key = $2
                AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())"
        )
    });
    let fields = Fields::of(range);
    let row = store.query_opt(&SQL, &fields.params(&db, &key)).await?;
    Ok(if is_zset(row.as_ref())? {
        row.unwrap().get(1)
    } else {
        0
    })
}

/// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX: removes a range, returns how many.
pub async fn remrange(store: &Store, db: i32, key: &[u8], range: &Range) -> Result<i64, CmdError> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("SELECT pgredis_zremrange($1, $2, {RANGE_ROW})"));
    let fields = Fields::of(range);
    let row = store.query_one(&SQL, &fields.params(&db, &key)).await?;
    Ok(row.get(0))
}

/// ZRANGESTORE dst src range: replaces `dst` with the range of `src`; returns its size.
pub async fn rangestore(
    store: &Store,
    db: i32,
    dst: &[u8],
    src: &[u8],
    range: &Range,
) -> Result<i64, CmdError> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("SELECT pgredis_zrangestore($1, $17, $2, {RANGE_ROW})")
    });
    let fields = Fields::of(range);
    let mut params: Vec<&(dyn ToSql + Sync)> = fields.params(&db, &src).to_vec();
    params.push(&dst);
    let row = store.query_one(&SQL, &params).await?;
    Ok(row.get(0))
}
