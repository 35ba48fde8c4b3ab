//! SQL for the set algebra: SINTER, SUNION, SDIFF, SINTERCARD and SINTERSTORE, SUNIONSTORE,
//! SDIFFSTORE, through `pgredis_set_read` and `pgredis_set_store`. Every key is type-checked
//! before any member is read, as Redis does.

use bytes::Bytes;

use super::super::Store;
use crate::cmd::CmdError;

/// One of the three operations, as the server-side functions name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    Inter,
    Union,
    Diff,
}

impl SetOp {
    fn sql_name(self) -> &'static str {
        match self {
            SetOp::Inter => "inter",
            SetOp::Union => "union",
            SetOp::Diff => "diff",
        }
    }
}

fn as_slices(keys: &[Bytes]) -> Vec<&[u8]> {
    keys.iter().map(|k| &k[..]).collect()
}

/// SINTER, SUNION, SDIFF: the members of the result, in no particular order.
pub async fn set_read(
    store: &Store,
    db: i32,
    keys: &[Bytes],
    op: SetOp,
) -> Result<Vec<Bytes>, CmdError> {
    const SQL: &str = "SELECT pgredis_set_read($1, $2, $3, NULL)";
    let keys = as_slices(keys);
    let rows = store.query(SQL, &[&db, &keys, &op.sql_name()]).await?;
    Ok(rows
        .into_iter()
        .map(|r| Bytes::from(r.get::<_, Vec<u8>>(0)))
        .collect())
}

/// SINTERCARD: the intersection's size, counting at most `limit` members when given.
pub async fn sintercard(
    store: &Store,
    db: i32,
    keys: &[Bytes],
    limit: Option<i64>,
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT count(*) FROM pgredis_set_read($1, $2, 'inter', $3)";
    let keys = as_slices(keys);
    Ok(store.query_one(SQL, &[&db, &keys, &limit]).await?.get(0))
}

/// SINTERSTORE, SUNIONSTORE, SDIFFSTORE: the result's size, stored under `dst`.
pub async fn set_store(
    store: &Store,
    db: i32,
    dst: &[u8],
    keys: &[Bytes],
    op: SetOp,
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_set_store($1, $2, $3, $4)";
    let keys = as_slices(keys);
    Ok(store
        .query_one(SQL, &[&db, &dst, &keys, &op.sql_name()])
        .await?
        .get(0))
}
