//! ZADD, ZINCRBY, ZREM, and the reads of single members or the size: ZCARD, ZSCORE, ZMSCORE,
//! ZRANK, ZREVRANK.

use bytes::Bytes;

use super::super::errors::{NOT_FLOAT, SYNTAX, ZADD_GT_LT_NX, ZADD_INCR_PAIRS, ZADD_XX_AND_NX};
use super::super::table::CmdResult;
use super::super::{Args, CmdError, Ctx};
use super::{option_is, score_reply};
use crate::numbers::parse_double;
use crate::resp::Reply;
use crate::store::zsets::{self as sql, AddFlags};

/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
pub async fn zadd(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    add(ctx, key, args.rest(), AddFlags::default()).await
}

/// ZINCRBY key increment member
///
/// Redis runs it as ZADD INCR, options parsing included, so `ZINCRBY key nx m` is a syntax
/// error.
pub async fn zincrby(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let flags = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    add(ctx, key, args.rest(), flags).await
}

async fn add(ctx: &mut Ctx, key: Bytes, rest: Vec<Bytes>, mut flags: AddFlags) -> CmdResult {
    let mut ch = false;
    let mut i = 0;
    while let Some(opt) = rest.get(i) {
        match () {
            _ if option_is(opt, "NX") => flags.nx = true,
            _ if option_is(opt, "XX") => flags.xx = true,
            _ if option_is(opt, "CH") => ch = true,
            _ if option_is(opt, "INCR") => flags.incr = true,
            _ if option_is(opt, "GT") => flags.gt = true,
            _ if option_is(opt, "LT") => flags.lt = true,
            _ => break,
        }
        i += 1;
    }
    let pairs = &rest[i..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(SYNTAX.into());
    }
    if flags.nx && flags.xx {
        return Err(ZADD_XX_AND_NX.into());
    }
    if ((flags.gt || flags.lt) && flags.nx) || (flags.gt && flags.lt) {
        return Err(ZADD_GT_LT_NX.into());
    }
    if flags.incr && pairs.len() > 2 {
        return Err(ZADD_INCR_PAIRS.into());
    }
    let pairs = pairs
        .chunks(2)
        .map(|p| {
            let score = parse_double(&p[0]).ok_or(CmdError::from(NOT_FLOAT))?;
            Ok((score, p[1].clone()))
        })
        .collect::<Result<Vec<_>, CmdError>>()?;
    let done = sql::add(&ctx.store, ctx.db, &key, &pairs, flags).await?;
    Ok(if flags.incr {
        score_reply(done.score)
    } else if ch {
        Reply::Int(done.added + done.changed)
    } else {
        Reply::Int(done.added)
    })
}

/// ZREM key member [member ...]
pub async fn zrem(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let members = args.rest();
    Ok(Reply::Int(
        sql::rem(&ctx.store, ctx.db, &key, &members).await?,
    ))
}

/// ZCARD key
pub async fn zcard(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    Ok(Reply::Int(sql::card(&ctx.store, ctx.db, &key).await?))
}

/// ZSCORE key member
pub async fn zscore(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let member = args.next_bytes()?;
    Ok(score_reply(
        sql::score(&ctx.store, ctx.db, &key, &member).await?,
    ))
}

/// ZMSCORE key member [member ...]
pub async fn zmscore(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let members = args.rest();
    let scores = sql::mscore(&ctx.store, ctx.db, &key, &members).await?;
    Ok(Reply::Array(scores.into_iter().map(score_reply).collect()))
}

/// ZRANK key member
pub async fn zrank(ctx: &mut Ctx, args: Args) -> CmdResult {
    rank(ctx, args, false).await
}

/// ZREVRANK key member
pub async fn zrevrank(ctx: &mut Ctx, args: Args) -> CmdResult {
    rank(ctx, args, true).await
}

async fn rank(ctx: &mut Ctx, mut args: Args, rev: bool) -> CmdResult {
    let key = args.next_bytes()?;
    let member = args.next_bytes()?;
    let rank = sql::rank(&ctx.store, ctx.db, &key, &member, rev).await?;
    Ok(rank.map_or(Reply::Nil, Reply::Int))
}
