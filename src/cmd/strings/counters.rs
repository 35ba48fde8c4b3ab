//! INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT.
//!
//! The integer commands are one upsert each: Postgres checks the stored value and the overflow.
//! INCRBYFLOAT must add in C's long double and format as Redis does, which only Rust (through
//! `numbers.c`) can, so it reads the value with its version, computes, and writes only if the
//! version is unchanged, retrying otherwise.

use bytes::Bytes;

use crate::cmd::errors::{DECREMENT_OVERFLOW, NAN_OR_INF, NOT_FLOAT, WRONGTYPE};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::numbers::{FloatAddError, incrbyfloat as add_float};
use crate::resp::Reply;
use crate::store::strings as sql;

/// INCR key
pub async fn incr(ctx: &mut Ctx, args: Args) -> CmdResult {
    add(ctx, args, 1).await
}

/// DECR key
pub async fn decr(ctx: &mut Ctx, args: Args) -> CmdResult {
    add(ctx, args, -1).await
}

/// INCRBY key increment
pub async fn incrby(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let by = args.next_i64()?;
    Ok(Reply::Int(sql::incrby(&ctx.store, ctx.db, &key, by).await?))
}

/// DECRBY key decrement
pub async fn decrby(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let by = args.next_i64()?;
    // Negating i64::MIN overflows; Redis refuses it before looking at the key.
    let by = by.checked_neg().ok_or(DECREMENT_OVERFLOW)?;
    Ok(Reply::Int(sql::incrby(&ctx.store, ctx.db, &key, by).await?))
}

async fn add(ctx: &mut Ctx, mut args: Args, by: i64) -> CmdResult {
    let key = args.next_bytes()?;
    Ok(Reply::Int(sql::incrby(&ctx.store, ctx.db, &key, by).await?))
}

/// INCRBYFLOAT key increment
pub async fn incrbyfloat(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let incr = args.next_bytes()?;
    loop {
        let read = sql::read_for_float(&ctx.store, ctx.db, &key).await?;
        if read.as_ref().is_some_and(|r| !r.is_string) {
            return Err(WRONGTYPE.into());
        }
        let sum = match add_float(read.as_ref().map(|r| &r.head[..]), &incr) {
            Ok(sum) => Bytes::from(sum),
            Err(FloatAddError::ValueNotFloat | FloatAddError::IncrNotFloat) => {
                return Err(NOT_FLOAT.into());
            }
            Err(FloatAddError::NanOrInfinity) => return Err(NAN_OR_INF.into()),
        };
        let version = read.map(|r| r.version);
        if sql::write_if_unchanged(&ctx.store, ctx.db, &key, version, &sum).await? {
            return Ok(Reply::Bulk(sum));
        }
    }
}
