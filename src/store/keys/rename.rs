//! SQL for commands that move or copy keys: RENAME, RENAMENX, COPY, MOVE and SWAPDB. Each is
//! one call of a server-side function in `migrations/0004_keys.sql`, which locks both keys in
//! the order of (db, key) so that concurrent instances cannot deadlock.

use super::super::Store;
use crate::cmd::CmdError;

/// RENAME (`nx` false) or RENAMENX: 1 when renamed, 0 when RENAMENX found `dst` taken;
/// "ERR no such key" when `src` is absent.
pub async fn rename(
    store: &Store,
    db: i32,
    src: &[u8],
    dst: &[u8],
    nx: bool,
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_rename($1, $2, $3, $4)::bigint";
    Ok(store.query_one(SQL, &[&db, &src, &dst, &nx]).await?.get(0))
}

/// COPY: 1 when copied, 0 when `src` is absent or `dst` exists and `replace` is false.
pub async fn copy(
    store: &Store,
    db: i32,
    src: &[u8],
    dst_db: i32,
    dst: &[u8],
    replace: bool,
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_copy($1, $2, $3, $4, $5)::bigint";
    Ok(store
        .query_one(SQL, &[&db, &src, &dst_db, &dst, &replace])
        .await?
        .get(0))
}

/// MOVE: 1 when moved, 0 when the key is absent in `db` or present in `dst_db`.
pub async fn move_key(store: &Store, db: i32, key: &[u8], dst_db: i32) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_move($1, $2, $3)::bigint";
    Ok(store.query_one(SQL, &[&db, &key, &dst_db]).await?.get(0))
}

/// SWAPDB: exchanges every key of two databases at once.
pub async fn swapdb(store: &Store, db1: i32, db2: i32) -> Result<(), CmdError> {
    const SQL: &str = "SELECT pgredis_swapdb($1, $2)";
    store.execute(SQL, &[&db1, &db2]).await?;
    Ok(())
}
