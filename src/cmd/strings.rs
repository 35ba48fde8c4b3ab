//! String commands. SQL lives in `store::strings`.

use super::errors::{self, CmdError, SYNTAX};
use super::table::*;
use super::{Args, Ctx};
use crate::handler;
use crate::resp::Reply;
use crate::store::strings::{self as sql, Condition, Expiry};

pub const COMMANDS: &[Command] = &[
    Command::new(
        "get",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "string",
        "Returns the string value of a key.",
        handler!(get),
    ),
    Command::new(
        "set",
        -3,
        WRITE | DENYOOM,
        (1, 1, 1),
        "string",
        "Sets the string value of a key, ignoring its type.",
        handler!(set),
    ),
    Command::new(
        "mget",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        "string",
        "Atomically returns the string values of one or more keys.",
        handler!(mget),
    ),
    Command::new(
        "mset",
        -3,
        WRITE | DENYOOM,
        (1, -1, 2),
        "string",
        "Atomically creates or modifies the string values of one or more keys.",
        handler!(mset),
    ),
];

/// GET key
async fn get(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    Ok(Reply::bulk_or_nil(
        sql::get(&ctx.store, ctx.db, &key).await?,
    ))
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | KEEPTTL]
async fn set(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let value = args.next_bytes()?;
    if args.is_empty() {
        sql::set_plain(&ctx.store, ctx.db, &key, &value).await?;
        return Ok(Reply::ok());
    }
    let mut expiry = Expiry::None;
    let mut condition = Condition::Always;
    let mut get = false;
    while !args.is_empty() {
        let option = args.next_keyword()?;
        match option.as_str() {
            "NX" if condition != Condition::IfPresent => condition = Condition::IfAbsent,
            "XX" if condition != Condition::IfAbsent => condition = Condition::IfPresent,
            "GET" => get = true,
            "KEEPTTL" if expiry == Expiry::None => expiry = Expiry::Keep,
            "EX" | "PX" | "EXAT" | "PXAT" if expiry == Expiry::None && !args.is_empty() => {
                expiry = parse_expiry(&option, args.next_i64()?, "set")?;
            }
            _ => return Err(SYNTAX.into()),
        }
    }
    let outcome = sql::set(&ctx.store, ctx.db, &key, &value, expiry, condition, get).await?;
    Ok(match (get, outcome.applied) {
        (true, _) => Reply::bulk_or_nil(outcome.old_value),
        (false, true) => Reply::ok(),
        (false, false) => Reply::Nil,
    })
}

/// Turns an EX/PX/EXAT/PXAT amount into an expiry, with Redis's range checks.
pub fn parse_expiry(unit: &str, amount: i64, command: &str) -> Result<Expiry, CmdError> {
    let seconds = matches!(unit, "EX" | "EXAT");
    if amount <= 0 || (seconds && amount > i64::MAX / 1000) {
        return Err(errors::invalid_expire(command));
    }
    let ms = if seconds { amount * 1000 } else { amount };
    if matches!(unit, "EX" | "PX") {
        if ms.checked_add(crate::store::now_ms()).is_none() {
            return Err(errors::invalid_expire(command));
        }
        Ok(Expiry::In(ms))
    } else {
        Ok(Expiry::At(ms))
    }
}

/// MGET key [key ...]
async fn mget(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let keys = args.rest();
    let values = sql::mget(&ctx.store, ctx.db, &keys).await?;
    Ok(Reply::Array(
        values.into_iter().map(Reply::bulk_or_nil).collect(),
    ))
}

/// MSET key value [key value ...]
async fn mset(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    if !args.remaining().is_multiple_of(2) {
        return Err(errors::wrong_arity("mset"));
    }
    let mut pairs = std::collections::BTreeMap::new();
    while !args.is_empty() {
        pairs.insert(args.next_bytes()?, args.next_bytes()?);
    }
    let pairs: Vec<_> = pairs.into_iter().collect();
    sql::mset(&ctx.store, ctx.db, &pairs).await?;
    Ok(Reply::ok())
}
