//! ZUNION, ZINTER, ZDIFF, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and ZINTERCARD, parsed as Redis's
//! `zunionInterDiffGenericCommand` parses them. Plain sets count as sorted sets whose members
//! all score 1.

use bytes::Bytes;

use super::super::errors::{self, LIMIT_NEGATIVE, NOT_INTEGER, SYNTAX, WEIGHT_NOT_FLOAT};
use super::super::table::CmdResult;
use super::super::{Args, CmdError, Ctx};
use super::{option_is, scored_reply};
use crate::numbers::{parse_double, string2ll};
use crate::resp::Reply;
use crate::store::zsets::{self as sql, Aggregate, SetOp, SetOpArgs};

/// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
pub async fn zunion(ctx: &mut Ctx, args: Args) -> CmdResult {
    setop(ctx, args, SetOp::Union, "zunion", false).await
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
pub async fn zinter(ctx: &mut Ctx, args: Args) -> CmdResult {
    setop(ctx, args, SetOp::Inter, "zinter", false).await
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub async fn zdiff(ctx: &mut Ctx, args: Args) -> CmdResult {
    setop(ctx, args, SetOp::Diff, "zdiff", false).await
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX]
pub async fn zunionstore(ctx: &mut Ctx, args: Args) -> CmdResult {
    setop(ctx, args, SetOp::Union, "zunionstore", true).await
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX]
pub async fn zinterstore(ctx: &mut Ctx, args: Args) -> CmdResult {
    setop(ctx, args, SetOp::Inter, "zinterstore", true).await
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub async fn zdiffstore(ctx: &mut Ctx, args: Args) -> CmdResult {
    setop(ctx, args, SetOp::Diff, "zdiffstore", true).await
}

/// The input keys after numkeys, and the arguments after them.
fn input_keys(args: &mut Args, name: &str) -> Result<(Vec<Bytes>, Vec<Bytes>), CmdError> {
    let numkeys = string2ll(&args.next_bytes()?).ok_or(CmdError::from(NOT_INTEGER))?;
    if numkeys < 1 {
        return Err(errors::no_input_keys(name));
    }
    let mut rest = args.rest();
    if numkeys > rest.len() as i64 {
        return Err(SYNTAX.into());
    }
    let opts = rest.split_off(numkeys as usize);
    Ok((rest, opts))
}

async fn setop(ctx: &mut Ctx, mut args: Args, op: SetOp, name: &str, store: bool) -> CmdResult {
    let dst = if store {
        Some(args.next_bytes()?)
    } else {
        None
    };
    let (keys, opts) = input_keys(&mut args, name)?;
    let parsed = parse_options(&opts, keys.len(), op == SetOp::Diff, store);
    let (weights, aggregate, withscores) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            // Redis reports a wrong input type before a bad option.
            sql::check_inputs(&ctx.store, ctx.db, &keys).await?;
            return Err(e);
        }
    };
    let args = SetOpArgs {
        op,
        keys,
        weights,
        aggregate,
    };
    if let Some(dst) = dst {
        let size = sql::setop_store(&ctx.store, ctx.db, &dst, &args).await?;
        return Ok(Reply::Int(size));
    }
    let members = sql::setop(&ctx.store, ctx.db, &args).await?;
    Ok(scored_reply(ctx.protocol, members, withscores))
}

/// WEIGHTS, AGGREGATE (not for ZDIFF) and WITHSCORES (not for the STORE forms).
fn parse_options(
    opts: &[Bytes],
    numkeys: usize,
    diff: bool,
    store: bool,
) -> Result<(Vec<f64>, Aggregate, bool), CmdError> {
    let mut weights = vec![1.0; numkeys];
    let mut aggregate = Aggregate::Sum;
    let mut withscores = false;
    let mut j = 0;
    while j < opts.len() {
        let left = opts.len() - j;
        let opt = &opts[j];
        if !diff && left > numkeys && option_is(opt, "WEIGHTS") {
            for (i, w) in weights.iter_mut().enumerate() {
                *w = parse_double(&opts[j + 1 + i]).ok_or(CmdError::from(WEIGHT_NOT_FLOAT))?;
            }
            j += 1 + numkeys;
        } else if !diff && left >= 2 && option_is(opt, "AGGREGATE") {
            let which = &opts[j + 1];
            aggregate = if option_is(which, "SUM") {
                Aggregate::Sum
            } else if option_is(which, "MIN") {
                Aggregate::Min
            } else if option_is(which, "MAX") {
                Aggregate::Max
            } else {
                return Err(SYNTAX.into());
            };
            j += 2;
        } else if !store && option_is(opt, "WITHSCORES") {
            withscores = true;
            j += 1;
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok((weights, aggregate, withscores))
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub async fn zintercard(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let (keys, opts) = input_keys(&mut args, "zintercard")?;
    let mut limit = 0;
    let mut j = 0;
    let mut bad = None;
    while j < opts.len() {
        if opts.len() - j >= 2 && option_is(&opts[j], "LIMIT") {
            match string2ll(&opts[j + 1]).filter(|n| *n >= 0) {
                Some(n) => limit = n,
                None => {
                    bad = Some(CmdError::from(LIMIT_NEGATIVE));
                    break;
                }
            }
            j += 2;
        } else {
            bad = Some(SYNTAX.into());
            break;
        }
    }
    if let Some(e) = bad {
        sql::check_inputs(&ctx.store, ctx.db, &keys).await?;
        return Err(e);
    }
    Ok(Reply::Int(
        sql::intercard(&ctx.store, ctx.db, &keys, limit).await?,
    ))
}
