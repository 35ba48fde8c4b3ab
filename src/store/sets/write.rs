//! SQL for the commands that change one or two sets: SADD, SREM, SMOVE, SPOP; and SRANDMEMBER,
//! which reads only but draws members the way SPOP does (`pgredis_set_random`).

use bytes::Bytes;

use super::super::Store;
use crate::cmd::CmdError;

fn as_slices(members: &[Bytes]) -> Vec<&[u8]> {
    members.iter().map(|m| &m[..]).collect()
}

fn bytes_of(rows: Vec<tokio_postgres::Row>) -> Vec<Bytes> {
    rows.into_iter()
        .map(|r| Bytes::from(r.get::<_, Vec<u8>>(0)))
        .collect()
}

/// SADD: how many of `members` were new; one statement whatever their number.
pub async fn sadd(store: &Store, db: i32, key: &[u8], members: &[Bytes]) -> Result<i64, CmdError> {
    if let [member] = members {
        const SQL: &str = "SELECT pgredis_sadd_one($1, $2, $3)";
        return Ok(store
            .write(db, key)
            .query_one(SQL, &[&db, &key, &&member[..]])
            .await?
            .get(0));
    }
    const SQL: &str = "SELECT pgredis_sadd($1, $2, $3)";
    let members = as_slices(members);
    Ok(store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &members])
        .await?
        .get(0))
}

/// SREM: how many of `members` were removed.
pub async fn srem(store: &Store, db: i32, key: &[u8], members: &[Bytes]) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_srem($1, $2, $3)";
    let members = as_slices(members);
    Ok(store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &members])
        .await?
        .get(0))
}

/// SMOVE: 1 when `member` moved (or is in `src` when both keys are the same), else 0.
pub async fn smove(
    store: &Store,
    db: i32,
    src: &[u8],
    dst: &[u8],
    member: &[u8],
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_smove($1, $2, $3, $4)";
    let row = store.query_one(SQL, &[&db, &src, &dst, &member]).await?;
    Ok(row.get::<_, i32>(0) as i64)
}

/// SPOP: removes and returns up to `count` distinct random members.
pub async fn spop(store: &Store, db: i32, key: &[u8], count: i64) -> Result<Vec<Bytes>, CmdError> {
    const SQL: &str = "SELECT pgredis_spop($1, $2, $3)";
    Ok(bytes_of(
        store
            .write(db, key)
            .query(SQL, &[&db, &key, &count])
            .await?,
    ))
}

/// SRANDMEMBER: `count` random members, distinct ones or independent draws that may repeat.
pub async fn srandmember(
    store: &Store,
    db: i32,
    key: &[u8],
    count: i64,
    distinct: bool,
) -> Result<Vec<Bytes>, CmdError> {
    const SQL: &str = "SELECT pgredis_srandmember($1, $2, $3, $4)";
    Ok(bytes_of(
        store.query(SQL, &[&db, &key, &count, &distinct]).await?,
    ))
}
