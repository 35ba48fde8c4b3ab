//! HINCRBY and HINCRBYFLOAT.
//!
//! HINCRBY is one server-side function: Postgres checks the stored value and the overflow.
//! HINCRBYFLOAT must add in C's long double and format as Redis does, which only Rust (through
//! `numbers.c`) can, so it reads the field with the key's version, computes, and writes only if
//! the version is unchanged, retrying otherwise.

use bytes::Bytes;

use crate::cmd::errors::{HASH_NOT_FLOAT, NAN_OR_INF, NOT_FLOAT, VALUE_NAN_OR_INF};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::numbers::{FloatAddError, incrbyfloat as add_float};
use crate::resp::Reply;
use crate::store::hashes as sql;

/// HINCRBY key field increment
pub async fn hincrby(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let field = args.next_bytes()?;
    let by = args.next_i64()?;
    Ok(Reply::Int(
        sql::hincrby(&ctx.store, ctx.db, &key, &field, by).await?,
    ))
}

/// HINCRBYFLOAT key field increment
pub async fn hincrbyfloat(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let field = args.next_bytes()?;
    let incr = args.next_bytes()?;
    // Redis checks the increment before it looks at the key: adding it to 0 tells a bad number
    // from an infinite one.
    match add_float(Some(b"0"), &incr) {
        Ok(_) => {}
        Err(FloatAddError::NanOrInfinity) => return Err(VALUE_NAN_OR_INF.into()),
        Err(_) => return Err(NOT_FLOAT.into()),
    }
    loop {
        let read = sql::read_for_float(&ctx.store, ctx.db, &key, &field).await?;
        let old = read.value.as_deref().unwrap_or(b"0");
        let sum = match add_float(Some(old), &incr) {
            Ok(sum) => Bytes::from(sum),
            Err(FloatAddError::NanOrInfinity) => return Err(NAN_OR_INF.into()),
            Err(_) => return Err(HASH_NOT_FLOAT.into()),
        };
        if sql::hset_if_version(&ctx.store, ctx.db, &key, read.version, &field, &sum).await? {
            return Ok(Reply::Bulk(sum));
        }
    }
}
