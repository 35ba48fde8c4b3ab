//! Pushing and popping at the ends: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LMPOP, LMOVE and
//! RPOPLPUSH. LMPOP's parsing and reply (`parse_mpop`, `mpop_reply`) are for BLMPOP too, which
//! will sit next to this file.

use bytes::Bytes;

use super::{option_is, parse_end, parse_non_negative, parse_positive};
use crate::cmd::errors::{self, COUNT_POSITIVE, NUMKEYS_POSITIVE, OUT_OF_RANGE, SYNTAX, WRONGTYPE};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::resp::Reply;
use crate::store::keys::key_type;
use crate::store::lists::{self as sql, End};

/// LPUSH key element [element ...]
pub async fn lpush(ctx: &mut Ctx, args: Args) -> CmdResult {
    push(ctx, args, End::Left, false).await
}

/// RPUSH key element [element ...]
pub async fn rpush(ctx: &mut Ctx, args: Args) -> CmdResult {
    push(ctx, args, End::Right, false).await
}

/// LPUSHX key element [element ...]
pub async fn lpushx(ctx: &mut Ctx, args: Args) -> CmdResult {
    push(ctx, args, End::Left, true).await
}

/// RPUSHX key element [element ...]
pub async fn rpushx(ctx: &mut Ctx, args: Args) -> CmdResult {
    push(ctx, args, End::Right, true).await
}

async fn push(ctx: &mut Ctx, mut args: Args, end: End, only_existing: bool) -> CmdResult {
    let key = args.next_bytes()?;
    let values = args.rest();
    let len = sql::push(&ctx.store, ctx.db, &key, &values, end, only_existing).await?;
    Ok(Reply::Int(len))
}

/// LPOP key [count]
pub async fn lpop(ctx: &mut Ctx, args: Args) -> CmdResult {
    pop(ctx, args, End::Left, "lpop").await
}

/// RPOP key [count]
pub async fn rpop(ctx: &mut Ctx, args: Args) -> CmdResult {
    pop(ctx, args, End::Right, "rpop").await
}

/// Without a count the reply is one element or the null bulk string; with one it is an array,
/// or the null array for an absent key. The count is parsed before the key is looked up.
async fn pop(ctx: &mut Ctx, mut args: Args, end: End, name: &str) -> CmdResult {
    let key = args.next_bytes()?;
    if args.remaining() > 1 {
        return Err(errors::wrong_arity(name));
    }
    let Some(count) = args.peek() else {
        let popped = sql::pop(&ctx.store, ctx.db, &[key], end, 1).await?;
        return Ok(match popped {
            Some((_, mut values)) if !values.is_empty() => Reply::Bulk(values.swap_remove(0)),
            _ => Reply::Nil,
        });
    };
    let count = parse_non_negative(count, OUT_OF_RANGE)?;
    if count == 0 {
        // Nothing to pop, but the key's existence and type still decide the reply.
        return match key_type(&ctx.store, ctx.db, &key).await?.as_deref() {
            None => Ok(Reply::NilArray),
            Some("list") => Ok(Reply::Array(Vec::new())),
            Some(_) => Err(WRONGTYPE.into()),
        };
    }
    Ok(
        match sql::pop(&ctx.store, ctx.db, &[key], end, count).await? {
            None => Reply::NilArray,
            Some((_, values)) => elements(values),
        },
    )
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub async fn lmpop(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let (keys, end, count) = parse_mpop(&mut args)?;
    let popped = sql::pop(&ctx.store, ctx.db, &keys, end, count).await?;
    Ok(mpop_reply(popped))
}

/// The arguments of LMPOP (and BLMPOP after its timeout): the keys, the end and the count (1
/// when not given), checked in Redis's order.
pub fn parse_mpop(args: &mut Args) -> Result<(Vec<Bytes>, End, i64), errors::CmdError> {
    let numkeys = parse_positive(&args.next_bytes()?, NUMKEYS_POSITIVE)?;
    // The keys and then LEFT or RIGHT must follow.
    if numkeys as u64 >= args.remaining() as u64 {
        return Err(SYNTAX.into());
    }
    let keys = (0..numkeys)
        .map(|_| args.next_bytes())
        .collect::<Result<Vec<_>, _>>()?;
    let end = parse_end(&args.next_bytes()?)?;
    let mut count = None;
    while !args.is_empty() {
        let option = args.next_bytes()?;
        if count.is_none() && option_is(&option, "COUNT") && !args.is_empty() {
            count = Some(parse_positive(&args.next_bytes()?, COUNT_POSITIVE)?);
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok((keys, end, count.unwrap_or(1)))
}

/// LMPOP's reply: the key and its popped elements, or the null array when nothing was popped.
pub fn mpop_reply(popped: Option<(Bytes, Vec<Bytes>)>) -> Reply {
    match popped {
        None => Reply::NilArray,
        Some((key, values)) => Reply::Array(vec![Reply::Bulk(key), elements(values)]),
    }
}

fn elements(values: Vec<Bytes>) -> Reply {
    Reply::Array(values.into_iter().map(Reply::Bulk).collect())
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub async fn lmove(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let source = args.next_bytes()?;
    let destination = args.next_bytes()?;
    let from = parse_end(&args.next_bytes()?)?;
    let to = parse_end(&args.next_bytes()?)?;
    move_one(ctx, &source, &destination, from, to).await
}

/// RPOPLPUSH source destination
pub async fn rpoplpush(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let source = args.next_bytes()?;
    let destination = args.next_bytes()?;
    move_one(ctx, &source, &destination, End::Right, End::Left).await
}

async fn move_one(
    ctx: &mut Ctx,
    source: &[u8],
    destination: &[u8],
    from: End,
    to: End,
) -> CmdResult {
    let moved = sql::lmove(&ctx.store, ctx.db, source, destination, from, to).await?;
    Ok(Reply::bulk_or_nil(moved))
}
