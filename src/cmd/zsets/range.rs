//! ZRANGE in all its forms (ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX,
//! ZREVRANGE), ZRANGESTORE, ZCOUNT, ZLEXCOUNT and ZREMRANGEBYRANK / BYSCORE / BYLEX.
//!
//! The ZRANGE forms share one parser, as in Redis's `zrangeGenericCommand`: the older commands
//! fix the kind of range or the direction, and an option that would change a fixed one is a
//! syntax error.

use bytes::Bytes;

use super::super::errors::{
    MIN_MAX_NOT_FLOAT, MIN_MAX_NOT_LEX, NOT_INTEGER, SYNTAX, ZRANGE_BYLEX_WITHSCORES, ZRANGE_LIMIT,
};
use super::super::table::CmdResult;
use super::super::{Args, CmdError, Ctx};
use super::ranges::{lex_bound, score_bound};
use super::{option_is, scored_reply};
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::zsets::{self as sql, Range, RangeBy};

/// The kind of range a command reads, `Auto` until an option (or the command) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub async fn zrange(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_command(ctx, args, false, By::Auto, None).await
}

/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
pub async fn zrangestore(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_command(ctx, args, true, By::Auto, None).await
}

/// ZREVRANGE key start stop [WITHSCORES]
pub async fn zrevrange(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_command(ctx, args, false, By::Rank, Some(true)).await
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub async fn zrangebyscore(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_command(ctx, args, false, By::Score, Some(false)).await
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub async fn zrevrangebyscore(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_command(ctx, args, false, By::Score, Some(true)).await
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub async fn zrangebylex(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_command(ctx, args, false, By::Lex, Some(false)).await
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub async fn zrevrangebylex(ctx: &mut Ctx, args: Args) -> CmdResult {
    range_command(ctx, args, false, By::Lex, Some(true)).await
}

fn integer(arg: &[u8]) -> Result<i64, CmdError> {
    string2ll(arg).ok_or(CmdError::from(NOT_INTEGER))
}

async fn range_command(
    ctx: &mut Ctx,
    mut args: Args,
    store: bool,
    mut by: By,
    mut rev: Option<bool>,
) -> CmdResult {
    let dst = if store {
        Some(args.next_bytes()?)
    } else {
        None
    };
    let key = args.next_bytes()?;
    let mut min = args.next_bytes()?;
    let mut max = args.next_bytes()?;
    let opts = args.rest();
    let (mut withscores, mut offset, mut limit) = (false, 0, -1);
    let mut j = 0;
    while j < opts.len() {
        let opt = &opts[j];
        let left = opts.len() - j - 1;
        if !store && option_is(opt, "WITHSCORES") {
            withscores = true;
        } else if option_is(opt, "LIMIT") && left >= 2 {
            offset = integer(&opts[j + 1])?;
            limit = integer(&opts[j + 2])?;
            j += 2;
        } else if rev.is_none() && option_is(opt, "REV") {
            rev = Some(true);
        } else if by == By::Auto && option_is(opt, "BYLEX") {
            by = By::Lex;
        } else if by == By::Auto && option_is(opt, "BYSCORE") {
            by = By::Score;
        } else {
            return Err(SYNTAX.into());
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if by == By::Auto {
        by = By::Rank;
    }
    if limit != -1 && by == By::Rank {
        return Err(ZRANGE_LIMIT.into());
    }
    if withscores && by == By::Lex {
        return Err(ZRANGE_BYLEX_WITHSCORES.into());
    }
    if rev && by != By::Rank {
        // Given as max, min.
        std::mem::swap(&mut min, &mut max);
    }
    let by = match by {
        By::Score => score_range(&min, &max)?,
        By::Lex => lex_range(&min, &max)?,
        _ => RangeBy::Rank {
            start: integer(&min)?,
            stop: integer(&max)?,
        },
    };
    let range = Range {
        by,
        rev,
        offset,
        limit,
    };
    if let Some(dst) = dst {
        let size = sql::rangestore(&ctx.store, ctx.db, &dst, &key, &range).await?;
        return Ok(Reply::Int(size));
    }
    let members = sql::range(&ctx.store, ctx.db, &key, &range).await?;
    Ok(scored_reply(
        ctx.protocol,
        members.unwrap_or_default(),
        withscores,
    ))
}

fn score_range(min: &Bytes, max: &Bytes) -> Result<RangeBy, CmdError> {
    match (score_bound(min), score_bound(max)) {
        (Some(min), Some(max)) => Ok(RangeBy::Score { min, max }),
        _ => Err(MIN_MAX_NOT_FLOAT.into()),
    }
}

fn lex_range(min: &Bytes, max: &Bytes) -> Result<RangeBy, CmdError> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(min), Some(max)) => Ok(RangeBy::Lex { min, max }),
        _ => Err(MIN_MAX_NOT_LEX.into()),
    }
}

/// ZCOUNT key min max
pub async fn zcount(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let by = score_range(&args.next_bytes()?, &args.next_bytes()?)?;
    let n = sql::count(&ctx.store, ctx.db, &key, &Range::new(by)).await?;
    Ok(Reply::Int(n))
}

/// ZLEXCOUNT key min max
pub async fn zlexcount(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let by = lex_range(&args.next_bytes()?, &args.next_bytes()?)?;
    let n = sql::count(&ctx.store, ctx.db, &key, &Range::new(by)).await?;
    Ok(Reply::Int(n))
}

/// ZREMRANGEBYRANK key start stop
pub async fn zremrangebyrank(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let start = integer(&args.next_bytes()?)?;
    let stop = integer(&args.next_bytes()?)?;
    remrange(ctx, key, RangeBy::Rank { start, stop }).await
}

/// ZREMRANGEBYSCORE key min max
pub async fn zremrangebyscore(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let by = score_range(&args.next_bytes()?, &args.next_bytes()?)?;
    remrange(ctx, key, by).await
}

/// ZREMRANGEBYLEX key min max
pub async fn zremrangebylex(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let by = lex_range(&args.next_bytes()?, &args.next_bytes()?)?;
    remrange(ctx, key, by).await
}

async fn remrange(ctx: &mut Ctx, key: Bytes, by: RangeBy) -> CmdResult {
    let n = sql::remrange(&ctx.store, ctx.db, &key, &Range::new(by)).await?;
    Ok(Reply::Int(n))
}
