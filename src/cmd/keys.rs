//! Generic key commands: DEL, EXISTS, TYPE, ... SQL lives in `store::keys`.

use super::table::*;
use super::{Args, Ctx};
use crate::handler;
use crate::resp::Reply;
use crate::store::keys as sql;

pub const COMMANDS: &[Command] = &[
    Command::new(
        "del",
        -2,
        WRITE,
        (1, -1, 1),
        "generic",
        "Deletes one or more keys.",
        handler!(del),
    ),
    Command::new(
        "unlink",
        -2,
        WRITE | FAST,
        (1, -1, 1),
        "generic",
        "Asynchronously deletes one or more keys.",
        handler!(del),
    ),
    Command::new(
        "exists",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        "generic",
        "Determines whether one or more keys exist.",
        handler!(exists),
    ),
    Command::new(
        "type",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "generic",
        "Determines the type of value stored at a key.",
        handler!(key_type),
    ),
];

/// DEL key [key ...]  (and UNLINK key [key ...])
async fn del(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let keys = args.rest();
    Ok(Reply::Int(sql::del(&ctx.store, ctx.db, &keys).await?))
}

/// EXISTS key [key ...]
async fn exists(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let keys = args.rest();
    Ok(Reply::Int(sql::exists(&ctx.store, ctx.db, &keys).await?))
}

/// TYPE key
async fn key_type(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let name = sql::key_type(&ctx.store, ctx.db, &key).await?;
    Ok(Reply::Status(name.unwrap_or_else(|| "none".into()).into()))
}
