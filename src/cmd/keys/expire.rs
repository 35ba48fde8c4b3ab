//! Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT set it, TTL, PTTL, EXPIRETIME,
//! PEXPIRETIME read it, PERSIST removes it. SQL lives in `store::keys::expire`.
//!
//! Relative times are added to the database's clock inside `pgredis_expire`, never Rust's, so
//! every instance computes the same deadline; that is also where the overflow check against
//! "now" happens, since Redis makes it before looking the key up.

use super::super::errors::{self, CmdError};
use super::super::table::CmdResult;
use super::super::{Args, Ctx};
use super::is_option;
use crate::resp::Reply;
use crate::store::keys::expire::{self as sql, Conditions, When};

/// The unit of an EXPIRE-family command's time argument.
#[derive(Clone, Copy, PartialEq)]
enum Unit {
    Seconds,
    Milliseconds,
}

/// EXPIRE key seconds [NX | XX | GT | LT]
pub async fn expire(ctx: &mut Ctx, args: Args) -> CmdResult {
    expire_generic(ctx, args, "expire", Unit::Seconds, false).await
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
pub async fn pexpire(ctx: &mut Ctx, args: Args) -> CmdResult {
    expire_generic(ctx, args, "pexpire", Unit::Milliseconds, false).await
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
pub async fn expireat(ctx: &mut Ctx, args: Args) -> CmdResult {
    expire_generic(ctx, args, "expireat", Unit::Seconds, true).await
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
pub async fn pexpireat(ctx: &mut Ctx, args: Args) -> CmdResult {
    expire_generic(ctx, args, "pexpireat", Unit::Milliseconds, true).await
}

/// Redis's `expireGenericCommand`, checks in its order: options, then the number, then the
/// unit conversion, then (in SQL) the addition to now.
async fn expire_generic(
    ctx: &mut Ctx,
    mut args: Args,
    command: &str,
    unit: Unit,
    absolute: bool,
) -> CmdResult {
    let key = args.next_bytes()?;
    let time = args.next_bytes()?;
    let conditions = parse_conditions(&args.rest())?;
    let mut ms = crate::numbers::string2ll(&time).ok_or(CmdError::from(errors::NOT_INTEGER))?;
    if unit == Unit::Seconds {
        ms = ms
            .checked_mul(1000)
            .ok_or_else(|| errors::invalid_expire(command))?;
    }
    let when = if absolute { When::At(ms) } else { When::In(ms) };
    let done = sql::expire(&ctx.store, ctx.db, &key, when, conditions, command).await?;
    Ok(Reply::Int(done))
}

/// NX, XX, GT and LT, in any number and order; every one is read before the combinations are
/// checked, as Redis does.
fn parse_conditions(options: &[bytes::Bytes]) -> Result<Conditions, CmdError> {
    let mut c = Conditions::default();
    for option in options {
        if is_option(option, "NX") {
            c.nx = true;
        } else if is_option(option, "XX") {
            c.xx = true;
        } else if is_option(option, "GT") {
            c.gt = true;
        } else if is_option(option, "LT") {
            c.lt = true;
        } else {
            return Err(errors::unsupported_option(option));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(errors::EXPIRE_NX_WITH_OTHERS.into());
    }
    if c.gt && c.lt {
        return Err(errors::EXPIRE_GT_AND_LT.into());
    }
    Ok(c)
}

/// What the TTL family reports about a key.
#[derive(Clone, Copy)]
enum Report {
    /// Time left (TTL, PTTL).
    Remaining,
    /// The Unix time of expiry (EXPIRETIME, PEXPIRETIME).
    Deadline,
}

/// TTL key
pub async fn ttl(ctx: &mut Ctx, args: Args) -> CmdResult {
    ttl_generic(ctx, args, Report::Remaining, Unit::Seconds).await
}

/// PTTL key
pub async fn pttl(ctx: &mut Ctx, args: Args) -> CmdResult {
    ttl_generic(ctx, args, Report::Remaining, Unit::Milliseconds).await
}

/// EXPIRETIME key
pub async fn expiretime(ctx: &mut Ctx, args: Args) -> CmdResult {
    ttl_generic(ctx, args, Report::Deadline, Unit::Seconds).await
}

/// PEXPIRETIME key
pub async fn pexpiretime(ctx: &mut Ctx, args: Args) -> CmdResult {
    ttl_generic(ctx, args, Report::Deadline, Unit::Milliseconds).await
}

/// Redis's `ttlGenericCommand`: -2 for a missing key, -1 for one without expiry.
async fn ttl_generic(ctx: &mut Ctx, mut args: Args, report: Report, unit: Unit) -> CmdResult {
    let key = args.next_bytes()?;
    let Some(expiry) = sql::expiry(&ctx.store, ctx.db, &key).await? else {
        return Ok(Reply::Int(-2));
    };
    let Some(at_ms) = expiry.at_ms else {
        return Ok(Reply::Int(-1));
    };
    let ms = match report {
        Report::Remaining => (at_ms - expiry.now_ms).max(0),
        Report::Deadline => at_ms,
    };
    Ok(Reply::Int(match unit {
        Unit::Milliseconds => ms,
        Unit::Seconds => round_to_seconds(ms),
    }))
}

/// Milliseconds to seconds, rounding half up as Redis's `(ms + 500) / 1000`, without its
/// overflow near `i64::MAX`.
fn round_to_seconds(ms: i64) -> i64 {
    ((ms as i128 + 500) / 1000) as i64
}

/// PERSIST key
pub async fn persist(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let removed = sql::persist(&ctx.store, ctx.db, &key).await?;
    Ok(Reply::Int(removed as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn parse(options: &[&str]) -> Result<Conditions, CmdError> {
        let options: Vec<Bytes> = options
            .iter()
            .map(|o| Bytes::copy_from_slice(o.as_bytes()))
            .collect();
        parse_conditions(&options)
    }

    #[test]
    fn conditions() {
        assert_eq!(parse(&[]), Ok(Conditions::default()));
        assert!(parse(&["nx", "NX"]).unwrap().nx);
        assert_eq!(
            parse(&["nx", "xx", "foo"]),
            Err(CmdError::msg("ERR Unsupported option foo"))
        );
        assert_eq!(
            parse(&["gt", "nx"]),
            Err(errors::EXPIRE_NX_WITH_OTHERS.into())
        );
        assert_eq!(parse(&["gt", "lt"]), Err(errors::EXPIRE_GT_AND_LT.into()));
        assert!(parse(&["xx", "gt"]).is_ok());
    }

    #[test]
    fn seconds_round_like_redis() {
        assert_eq!(round_to_seconds(0), 0);
        assert_eq!(round_to_seconds(499), 0);
        assert_eq!(round_to_seconds(500), 1);
        assert_eq!(round_to_seconds(1499), 1);
        assert_eq!(round_to_seconds(i64::MAX), 9_223_372_036_854_776);
    }
}
