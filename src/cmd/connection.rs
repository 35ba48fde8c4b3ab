//! Connection commands: PING, ECHO, QUIT, SELECT and RESET. HELLO and AUTH live in `hello`,
//! CLIENT in `client`.

use super::errors::{self, CmdError};
use super::table::*;
use super::{Args, Ctx};
use crate::handler;
use crate::resp::{Protocol, Reply};

pub const COMMANDS: &[Command] = &[
    Command::new(
        "ping",
        -1,
        FAST,
        (0, 0, 0),
        "connection",
        "Returns the server's liveliness response.",
        handler!(ping),
    ),
    Command::new(
        "echo",
        2,
        LOADING | STALE | FAST,
        (0, 0, 0),
        "connection",
        "Returns the given string.",
        handler!(echo),
    ),
    Command::new(
        "quit",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        (0, 0, 0),
        "connection",
        "Closes the connection.",
        handler!(quit),
    ),
    Command::new(
        "select",
        2,
        LOADING | STALE | FAST,
        (0, 0, 0),
        "connection",
        "Changes the selected database.",
        handler!(select),
    ),
    Command::new(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        (0, 0, 0),
        "connection",
        "Resets the connection.",
        handler!(reset),
    ),
];

/// PING [message]
///
/// A RESP2 connection in subscribed mode gets `pong` and the message as an array, as Redis does.
async fn ping(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    if ctx.protocol == Protocol::Resp2 && ctx.pubsub.subscribed() && args.remaining() <= 1 {
        let message = args.rest().pop().unwrap_or_default();
        return Ok(Reply::Array(vec![
            Reply::bulk("pong"),
            Reply::Bulk(message),
        ]));
    }
    match args.remaining() {
        0 => Ok(Reply::status("PONG")),
        1 => Ok(Reply::Bulk(args.next_bytes()?)),
        _ => Err(errors::wrong_arity("ping")),
    }
}

/// ECHO message
async fn echo(_ctx: &mut Ctx, mut args: Args) -> CmdResult {
    Ok(Reply::Bulk(args.next_bytes()?))
}

/// QUIT
async fn quit(ctx: &mut Ctx, _args: Args) -> CmdResult {
    ctx.close_after_reply = true;
    Ok(Reply::ok())
}

/// SELECT index
async fn select(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let db = args
        .next_i64()
        .map_err(|_| CmdError::from(errors::NOT_INTEGER))?;
    if db < 0 || db >= ctx.state.config.databases as i64 {
        return Err(errors::DB_INDEX.into());
    }
    ctx.db = db as i32;
    ctx.client.update(|d| d.db = db as i32);
    Ok(Reply::ok())
}

/// RESET
///
/// Back to a fresh connection's state: no MULTI, no watched keys, no subscriptions, database
/// 0, RESP2, no name, and logged out when a password is set.
async fn reset(ctx: &mut Ctx, _args: Args) -> CmdResult {
    super::multi::reset(ctx);
    ctx.pubsub.clear();
    ctx.db = 0;
    ctx.protocol = Protocol::Resp2;
    ctx.authenticated = !ctx.state.auth_required();
    ctx.client.update(|d| {
        d.db = 0;
        d.resp = 2;
        d.name = None;
    });
    Ok(Reply::status("RESET"))
}
