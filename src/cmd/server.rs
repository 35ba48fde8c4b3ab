//! Server commands: DBSIZE, FLUSHDB, FLUSHALL and TIME. INFO, CONFIG and COMMAND have modules
//! of their own.

use super::errors::SYNTAX;
use super::table::*;
use super::{Args, Ctx};
use crate::handler;
use crate::resp::Reply;
use crate::store;

pub const COMMANDS: &[Command] = &[
    Command::new(
        "dbsize",
        1,
        READONLY | FAST,
        (0, 0, 0),
        "server",
        "Returns the number of keys in the database.",
        handler!(dbsize),
    ),
    Command::new(
        "flushdb",
        -1,
        WRITE,
        (0, 0, 0),
        "server",
        "Removes all keys from the current database.",
        handler!(flushdb),
    ),
    Command::new(
        "flushall",
        -1,
        WRITE,
        (0, 0, 0),
        "server",
        "Removes all keys from all databases.",
        handler!(flushall),
    ),
    Command::new(
        "time",
        1,
        LOADING | STALE | FAST,
        (0, 0, 0),
        "server",
        "Returns the server time.",
        handler!(time),
    ),
];

/// DBSIZE
async fn dbsize(ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(Reply::Int(store::keys::dbsize(&ctx.store, ctx.db).await?))
}

/// FLUSHDB [ASYNC|SYNC]
async fn flushdb(ctx: &mut Ctx, args: Args) -> CmdResult {
    flush_mode(args)?;
    store::keys::flush(&ctx.store, Some(ctx.db)).await?;
    Ok(Reply::ok())
}

/// FLUSHALL [ASYNC|SYNC]
async fn flushall(ctx: &mut Ctx, args: Args) -> CmdResult {
    flush_mode(args)?;
    store::keys::flush(&ctx.store, None).await?;
    Ok(Reply::ok())
}

/// TIME
///
/// The database's clock, so every instance agrees with each other and with expiry.
async fn time(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let (secs, micros) = store::server::time(&ctx.store).await?;
    Ok(Reply::Array(vec![
        Reply::bulk(secs.to_string()),
        Reply::bulk(micros.to_string()),
    ]))
}

/// Accepts the optional ASYNC or SYNC of FLUSHDB and FLUSHALL; both flush before replying.
fn flush_mode(mut args: Args) -> Result<(), super::CmdError> {
    match args.remaining() {
        0 => Ok(()),
        1 => match args.next_keyword()?.as_str() {
            "ASYNC" | "SYNC" => Ok(()),
            _ => Err(SYNTAX.into()),
        },
        _ => Err(SYNTAX.into()),
    }
}
