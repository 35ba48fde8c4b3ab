//! APPEND, STRLEN, GETRANGE (and its old name SUBSTR) and SETRANGE.

use crate::cmd::errors::OFFSET_OUT_OF_RANGE;
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::resp::Reply;
use crate::store::strings as sql;

/// APPEND key value
pub async fn append(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let value = args.next_bytes()?;
    Ok(Reply::Int(
        sql::append(&ctx.store, ctx.db, &key, &value).await?,
    ))
}

/// STRLEN key
pub async fn strlen(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    Ok(Reply::Int(sql::strlen(&ctx.store, ctx.db, &key).await?))
}

/// GETRANGE key start end (also SUBSTR key start end)
pub async fn getrange(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let start = args.next_i64()?;
    let end = args.next_i64()?;
    Ok(Reply::Bulk(
        sql::getrange(&ctx.store, ctx.db, &key, start, end).await?,
    ))
}

/// SETRANGE key offset value
pub async fn setrange(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let offset = args.next_i64()?;
    let value = args.next_bytes()?;
    if offset < 0 {
        return Err(OFFSET_OUT_OF_RANGE.into());
    }
    if value.is_empty() {
        // Writing nothing changes nothing: Redis answers with the current length (0 for an
        // absent key, which it does not create) and still checks the type.
        return Ok(Reply::Int(sql::strlen(&ctx.store, ctx.db, &key).await?));
    }
    Ok(Reply::Int(
        sql::setrange(&ctx.store, ctx.db, &key, offset, &value).await?,
    ))
}
