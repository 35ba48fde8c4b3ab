//! SPOP and SRANDMEMBER: random members. How they are drawn (uniformly from small sets, by
//! probes into the hash order of big ones) is told in `pgredis_set_random`, in
//! `migrations/0007_sets.sql`.
//!
//! Replies follow Redis 7.0: SPOP with a count is a set (RESP3 `~`), SRANDMEMBER with a count
//! always an array, even when it returns the whole set.

use crate::cmd::errors::{CmdError, LONG_RANGE, OUT_OF_RANGE, SRANDMEMBER_TOO_MANY, SYNTAX};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::sets as sql;

/// The most members SRANDMEMBER with a negative count returns. Redis has no limit and builds the
/// whole reply in memory, so a count of -2^63+1 brings it down; pgredis refuses instead.
pub const MAX_DRAWS: i64 = 10_000_000;

/// SPOP key [count]
pub async fn spop(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    if args.is_empty() {
        let popped = sql::spop(&ctx.store, ctx.db, &key, 1).await?;
        return Ok(Reply::bulk_or_nil(popped.into_iter().next()));
    }
    // Redis reads the count with getPositiveLongFromObjectOrReply: anything but a
    // non-negative integer gets the same error.
    let count = string2ll(&args.next_bytes()?)
        .filter(|n| *n >= 0)
        .ok_or(CmdError::from(OUT_OF_RANGE))?;
    if !args.is_empty() {
        return Err(SYNTAX.into());
    }
    let popped = sql::spop(&ctx.store, ctx.db, &key, count).await?;
    Ok(super::set_reply(popped))
}

/// SRANDMEMBER key [count]
pub async fn srandmember(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    if args.is_empty() {
        let drawn = sql::srandmember(&ctx.store, ctx.db, &key, 1, true).await?;
        return Ok(Reply::bulk_or_nil(drawn.into_iter().next()));
    }
    let count = args.next_i64()?;
    if !args.is_empty() {
        return Err(SYNTAX.into());
    }
    if count == i64::MIN {
        return Err(LONG_RANGE.into());
    }
    if count < -MAX_DRAWS {
        return Err(SRANDMEMBER_TOO_MANY.into());
    }
    let drawn = sql::srandmember(&ctx.store, ctx.db, &key, count.abs(), count > 0).await?;
    Ok(Reply::Array(drawn.into_iter().map(Reply::Bulk).collect()))
}
