//! Commands that move or copy keys: RENAME, RENAMENX, COPY, MOVE and SWAPDB. SQL lives in
//! `store::keys::rename`; each command is one atomic server-side function that locks its keys
//! in a fixed order, so concurrent instances cannot deadlock.

use super::super::errors::{self, CmdError, SYNTAX};
use super::super::table::CmdResult;
use super::super::{Args, Ctx};
use super::{check_db_index, is_option, parse_db_index};
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::keys::rename as sql;

/// RENAME key newkey
pub async fn rename(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let src = args.next_bytes()?;
    let dst = args.next_bytes()?;
    sql::rename(&ctx.store, ctx.db, &src, &dst, false).await?;
    Ok(Reply::ok())
}

/// RENAMENX key newkey
pub async fn renamenx(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let src = args.next_bytes()?;
    let dst = args.next_bytes()?;
    Ok(Reply::Int(
        sql::rename(&ctx.store, ctx.db, &src, &dst, true).await?,
    ))
}

/// COPY source destination [DB destination-db] [REPLACE]
pub async fn copy(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let src = args.next_bytes()?;
    let dst = args.next_bytes()?;
    let mut dst_db = ctx.db;
    let mut replace = false;
    while !args.is_empty() {
        let option = args.next_bytes()?;
        if is_option(&option, "REPLACE") {
            replace = true;
        } else if is_option(&option, "DB") && !args.is_empty() {
            dst_db = parse_db_index(ctx, &args.next_bytes()?)?;
        } else {
            return Err(SYNTAX.into());
        }
    }
    if dst_db == ctx.db && src == dst {
        return Err(errors::SAME_OBJECT.into());
    }
    Ok(Reply::Int(
        sql::copy(&ctx.store, ctx.db, &src, dst_db, &dst, replace).await?,
    ))
}

/// MOVE key db
pub async fn move_key(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let dst_db = parse_db_index(ctx, &args.next_bytes()?)?;
    if dst_db == ctx.db {
        return Err(errors::SAME_OBJECT.into());
    }
    Ok(Reply::Int(
        sql::move_key(&ctx.store, ctx.db, &key, dst_db).await?,
    ))
}

/// SWAPDB index1 index2
pub async fn swapdb(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let db1 = swapdb_index(&args.next_bytes()?, errors::SWAPDB_FIRST_INDEX)?;
    let db2 = swapdb_index(&args.next_bytes()?, errors::SWAPDB_SECOND_INDEX)?;
    let db1 = check_db_index(ctx, db1)?;
    let db2 = check_db_index(ctx, db2)?;
    sql::swapdb(&ctx.store, db1, db2).await?;
    Ok(Reply::ok())
}

/// A SWAPDB index: a 32-bit integer, else SWAPDB's own error text for that argument.
fn swapdb_index(arg: &[u8], error: &'static str) -> Result<i32, CmdError> {
    string2ll(arg)
        .and_then(|n| i32::try_from(n).ok())
        .ok_or(CmdError::from(error))
}
