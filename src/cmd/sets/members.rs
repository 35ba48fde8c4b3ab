//! SADD, SREM, SMOVE, and the reads of one set: SMEMBERS, SISMEMBER, SMISMEMBER, SCARD.

use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::resp::Reply;
use crate::store::sets as sql;

/// SADD key member [member ...]
pub async fn sadd(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let members = args.rest();
    Ok(Reply::Int(
        sql::sadd(&ctx.store, ctx.db, &key, &members).await?,
    ))
}

/// SREM key member [member ...]
pub async fn srem(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let members = args.rest();
    Ok(Reply::Int(
        sql::srem(&ctx.store, ctx.db, &key, &members).await?,
    ))
}

/// SMOVE source destination member
pub async fn smove(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let src = args.next_bytes()?;
    let dst = args.next_bytes()?;
    let member = args.next_bytes()?;
    Ok(Reply::Int(
        sql::smove(&ctx.store, ctx.db, &src, &dst, &member).await?,
    ))
}

/// SMEMBERS key
pub async fn smembers(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let members = sql::smembers(&ctx.store, ctx.db, &key).await?;
    Ok(super::set_reply(members))
}

/// SISMEMBER key member
pub async fn sismember(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let member = args.next_bytes()?;
    let found = sql::smismember(&ctx.store, ctx.db, &key, &[member]).await?;
    Ok(Reply::Int(found[0] as i64))
}

/// SMISMEMBER key member [member ...]
pub async fn smismember(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let members = args.rest();
    let found = sql::smismember(&ctx.store, ctx.db, &key, &members).await?;
    Ok(Reply::Array(
        found.into_iter().map(|f| Reply::Int(f as i64)).collect(),
    ))
}

/// SCARD key
pub async fn scard(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    Ok(Reply::Int(sql::scard(&ctx.store, ctx.db, &key).await?))
}
