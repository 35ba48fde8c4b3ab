//! SQL for blocked clients (`migrations/0012_blocking.sql`): registering the keys a client waits
//! for, so that writers of other instances NOTIFY them, and the pops a blocked client retries.
//!
//! A blocked client's first attempt is the ordinary non-blocking pop (`store::lists::pop` and
//! friends). After it has registered, its attempts go through the `pgredis_block_*` functions:
//! the first one after registering passes the barrier that orders it after writers that missed
//! the registration, and every one of them ignores keys that meanwhile got another type, as
//! Redis 7.0 keeps such a client waiting.

use bytes::Bytes;

use super::Store;
use super::lists::End;
use super::zsets::{End as ZEnd, Popped};
use crate::cmd::CmdError;

fn refs(keys: &[Bytes]) -> Vec<&[u8]> {
    keys.iter().map(|k| &k[..]).collect()
}

/// Registers waiter `waiter` of instance `origin` for `keys` of `db`.
pub async fn register(
    store: &Store,
    origin: &str,
    waiter: i64,
    db: i32,
    keys: &[Bytes],
) -> Result<(), CmdError> {
    const SQL: &str = "INSERT INTO pgredis_blocked (db, key, origin, waiter)
                       SELECT $1, k, $3, $4 FROM unnest($2::bytea[]) AS k
                       ON CONFLICT DO NOTHING";
    store
        .execute(SQL, &[&db, &refs(keys), &origin, &waiter])
        .await?;
    Ok(())
}

/// Removes a waiter's registration.
pub async fn unregister(store: &Store, origin: &str, waiter: i64) -> Result<(), CmdError> {
    const SQL: &str = "DELETE FROM pgredis_blocked WHERE origin = $1 AND waiter = $2";
    store.execute(SQL, &[&origin, &waiter]).await?;
    Ok(())
}

/// BLPOP, BRPOP, BLMPOP after blocking: as `store::lists::pop`.
pub async fn list_pop(
    store: &Store,
    db: i32,
    keys: &[Bytes],
    end: End,
    count: i64,
    barrier: bool,
) -> Result<Option<(Bytes, Vec<Bytes>)>, CmdError> {
    const SQL: &str = "SELECT popped_key, popped FROM pgredis_block_list_pop($1, $2, $3, $4, $5)";
    let row = store
        .query_one(
            SQL,
            &[&db, &refs(keys), &(end == End::Left), &count, &barrier],
        )
        .await?;
    let Some(key) = row.get::<_, Option<Vec<u8>>>(0) else {
        return Ok(None);
    };
    let values: Vec<Vec<u8>> = row.get(1);
    Ok(Some((
        Bytes::from(key),
        values.into_iter().map(Bytes::from).collect(),
    )))
}

/// BLMOVE, BRPOPLPUSH after blocking: as `store::lists::lmove`.
pub async fn list_move(
    store: &Store,
    db: i32,
    source: &[u8],
    destination: &[u8],
    from: End,
    to: End,
    barrier: bool,
) -> Result<Option<Bytes>, CmdError> {
    const SQL: &str = "SELECT pgredis_block_list_move($1, $2, $3, $4, $5, $6)";
    let row = store
        .query_one(
            SQL,
            &[
                &db,
                &source,
                &destination,
                &(from == End::Left),
                &(to == End::Left),
                &barrier,
            ],
        )
        .await?;
    Ok(row.get::<_, Option<Vec<u8>>>(0).map(Bytes::from))
}

/// BZPOPMIN, BZPOPMAX, BZMPOP after blocking: as `store::zsets::pop`.
pub async fn zpop(
    store: &Store,
    db: i32,
    keys: &[Bytes],
    count: i64,
    end: ZEnd,
    barrier: bool,
) -> Result<Option<Popped>, CmdError> {
    const SQL: &str = "SELECT key, member, score FROM pgredis_block_zpop($1, $2, $3, $4, $5)";
    let rows = store
        .query(
            SQL,
            &[&db, &refs(keys), &count, &(end == ZEnd::Max), &barrier],
        )
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(Popped {
        key: Bytes::from(first.get::<_, Vec<u8>>(0)),
        members: rows
            .iter()
            .map(|r| (Bytes::from(r.get::<_, Vec<u8>>(1)), r.get::<_, f64>(2)))
            .collect(),
    }))
}

/// An instance's periodic look (see `pgredis_block_tick`): which of `waited` hold a list or a
/// sorted set now. `waiters` are the waiters below `bound` that still wait.
pub async fn tick(
    store: &Store,
    origin: &str,
    dead_ms: i64,
    waiters: &[i64],
    bound: i64,
    waited: &[(i32, Bytes)],
) -> Result<Vec<(i32, Bytes)>, CmdError> {
    const SQL: &str = "SELECT db, key FROM pgredis_block_tick($1, $2, $3, $4, $5, $6)";
    let dbs: Vec<i32> = waited.iter().map(|(db, _)| *db).collect();
    let keys: Vec<&[u8]> = waited.iter().map(|(_, k)| &k[..]).collect();
    let rows = store
        .query(SQL, &[&origin, &dead_ms, &waiters, &bound, &dbs, &keys])
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), Bytes::from(r.get::<_, Vec<u8>>(1))))
        .collect())
}
