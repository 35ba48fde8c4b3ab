//! SQL for ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD. `pgredis_zsetop_rows`
//! computes the result, in Redis's order, from sorted sets and plain sets (members scoring 1);
//! the STORE forms lock every key in key order and replace the destination.

use bytes::Bytes;

use super::super::Store;
use super::scored_rows;
use crate::cmd::CmdError;
use crate::cmd::errors::WRONGTYPE;

/// Which set operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    Union,
    Inter,
    Diff,
}

impl SetOp {
    fn sql_name(self) -> &'static str {
        match self {
            SetOp::Union => "union",
            SetOp::Inter => "inter",
            SetOp::Diff => "diff",
        }
    }
}

/// AGGREGATE SUM | MIN | MAX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aggregate {
    #[default]
    Sum,
    Min,
    Max,
}

impl Aggregate {
    fn sql_name(self) -> &'static str {
        match self {
            Aggregate::Sum => "sum",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
        }
    }
}

/// The inputs of a set operation.
#[derive(Debug, Clone, PartialEq)]
pub struct SetOpArgs {
    pub op: SetOp,
    pub keys: Vec<Bytes>,
    pub weights: Vec<f64>,
    pub aggregate: Aggregate,
}

impl SetOpArgs {
    fn keys(&self) -> Vec<&[u8]> {
        self.keys.iter().map(|k| &k[..]).collect()
    }
}

/// ZUNION, ZINTER, ZDIFF: the resulting members and scores, ordered by score then member.
pub async fn setop(
    store: &Store,
    db: i32,
    args: &SetOpArgs,
) -> Result<Vec<(Bytes, f64)>, CmdError> {
    const SQL: &str = "SELECT member, score FROM pgredis_zsetop_rows($1, $2, $3, $4, $5)";
    let rows = store
        .query(
            SQL,
            &[
                &db,
                &args.op.sql_name(),
                &args.keys(),
                &args.weights,
                &args.aggregate.sql_name(),
            ],
        )
        .await?;
    Ok(scored_rows(&rows, 0))
}

/// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE: replaces `dst` with the result; returns its size.
pub async fn setop_store(
    store: &Store,
    db: i32,
    dst: &[u8],
    args: &SetOpArgs,
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_zsetop_store($1, $2, $3, $4, $5, $6)";
    let row = store
        .query_one(
            SQL,
            &[
                &db,
                &dst,
                &args.op.sql_name(),
                &args.keys(),
                &args.weights,
                &args.aggregate.sql_name(),
            ],
        )
        .await?;
    Ok(row.get(0))
}

/// ZINTERCARD: the size of the intersection, counting no further than `limit` (0: no limit).
pub async fn intercard(
    store: &Store,
    db: i32,
    keys: &[Bytes],
    limit: i64,
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT count(*) FROM (
                           SELECT 1 FROM pgredis_zsetop_rows($1, 'inter', $2, '{}', 'sum')
                            LIMIT $3) hits";
    let keys: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    let limit = (limit > 0).then_some(limit);
    Ok(store.query_one(SQL, &[&db, &keys, &limit]).await?.get(0))
}

/// WRONGTYPE if any of `keys` is live and neither a sorted set nor a set. Redis checks the
/// input keys' types before the options that follow them, so a bad option is reported only
/// after this.
pub async fn check_inputs(store: &Store, db: i32, keys: &[Bytes]) -> Result<(), CmdError> {
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM pgredis_keys
                                       WHERE db = $1 AND key = ANY ($2)
                                         AND type NOT IN ('zset', 'set')
                                         AND (expires_at_ms IS NULL
                                              OR expires_at_ms > pgredis_now_ms()))";
    let keys: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    if store.query_one(SQL, &[&db, &keys]).await?.get(0) {
        Err(WRONGTYPE.into())
    } else {
        Ok(())
    }
}
