//! Changing lists inside: LSET, LINSERT, LREM and LTRIM.

use super::option_is;
use crate::cmd::errors::SYNTAX;
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::lists::{self as sql, End};

/// LSET key index element
pub async fn lset(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    // Redis looks the key up first: "no such key" wins over a bad index.
    let index = string2ll(&args.next_bytes()?);
    let value = args.next_bytes()?;
    sql::set(&ctx.store, ctx.db, &key, index, &value).await?;
    Ok(Reply::ok())
}

/// LINSERT key BEFORE|AFTER pivot element
pub async fn linsert(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let place = args.next_bytes()?;
    let before = if option_is(&place, "BEFORE") {
        true
    } else if option_is(&place, "AFTER") {
        false
    } else {
        return Err(SYNTAX.into());
    };
    let pivot = args.next_bytes()?;
    let value = args.next_bytes()?;
    let len = sql::insert(&ctx.store, ctx.db, &key, before, &pivot, &value).await?;
    Ok(Reply::Int(len))
}

/// LREM key count element
pub async fn lrem(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let count = args.next_i64()?;
    let value = args.next_bytes()?;
    // A positive count removes from the head, a negative one from the tail, 0 every match.
    let from = if count < 0 { End::Right } else { End::Left };
    let limit = (count != 0).then(|| count.unsigned_abs().min(i64::MAX as u64) as i64);
    let removed = sql::remove(&ctx.store, ctx.db, &key, limit, from, &value).await?;
    Ok(Reply::Int(removed))
}

/// LTRIM key start stop
pub async fn ltrim(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let start = args.next_i64()?;
    let stop = args.next_i64()?;
    sql::trim(&ctx.store, ctx.db, &key, start, stop).await?;
    Ok(Reply::ok())
}
