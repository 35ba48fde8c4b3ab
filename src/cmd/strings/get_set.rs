//! GET, SET and their relatives, and the expiry options SET and GETEX share.
//!
//! Redis reads all options first (a syntax error wins over a bad number), and parses the expiry
//! amount only afterwards; GETEX even looks the key up before it parses the amount. The option
//! parser here keeps the amount as written for that reason.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::option_is as is;
use crate::cmd::errors::{self, CmdError, NOT_INTEGER, SYNTAX};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::strings::{self as sql, Condition, Expiry};

/// GET key
pub async fn get(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    Ok(Reply::bulk_or_nil(
        sql::get(&ctx.store, ctx.db, &key).await?,
    ))
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | KEEPTTL]
pub async fn set(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let value = args.next_bytes()?;
    if args.is_empty() {
        sql::set_plain(&ctx.store, ctx.db, &key, &value).await?;
        return Ok(Reply::ok());
    }
    let mut options = ExpiryOptions::default();
    let mut condition = Condition::Always;
    let mut get = false;
    while !args.is_empty() {
        let option = args.next_bytes()?;
        if is(&option, "NX") && condition != Condition::IfPresent {
            condition = Condition::IfAbsent;
        } else if is(&option, "XX") && condition != Condition::IfAbsent {
            condition = Condition::IfPresent;
        } else if is(&option, "GET") {
            get = true;
        } else if is(&option, "KEEPTTL") && options.unit.is_none() {
            options.keepttl = true;
        } else if !options.take(&option, &mut args) {
            return Err(SYNTAX.into());
        }
    }
    let expiry = match (&options.unit, options.keepttl) {
        (Some((unit, amount)), _) => parse_expiry_arg(unit, amount, "set")?,
        (None, true) => Expiry::Keep,
        (None, false) => Expiry::None,
    };
    let outcome = sql::set(&ctx.store, ctx.db, &key, &value, expiry, condition, get).await?;
    Ok(match (get, outcome.applied) {
        (true, _) => Reply::bulk_or_nil(outcome.old_value),
        (false, true) => Reply::ok(),
        (false, false) => Reply::Nil,
    })
}

/// SETNX key value
pub async fn setnx(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let value = args.next_bytes()?;
    let set = sql::setnx(&ctx.store, ctx.db, &key, &value).await?;
    Ok(Reply::Int(set as i64))
}

/// SETEX key seconds value
pub async fn setex(ctx: &mut Ctx, args: Args) -> CmdResult {
    set_expiring(ctx, args, "EX", "setex").await
}

/// PSETEX key milliseconds value
pub async fn psetex(ctx: &mut Ctx, args: Args) -> CmdResult {
    set_expiring(ctx, args, "PX", "psetex").await
}

async fn set_expiring(ctx: &mut Ctx, mut args: Args, unit: &str, command: &str) -> CmdResult {
    let key = args.next_bytes()?;
    let amount = args.next_bytes()?;
    let value = args.next_bytes()?;
    let Expiry::In(ms) = parse_expiry_arg(unit, &amount, command)? else {
        unreachable!("EX and PX are relative");
    };
    sql::setex(&ctx.store, ctx.db, &key, &value, ms).await?;
    Ok(Reply::ok())
}

/// GETSET key value
pub async fn getset(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let value = args.next_bytes()?;
    let outcome = sql::set(
        &ctx.store,
        ctx.db,
        &key,
        &value,
        Expiry::None,
        Condition::Always,
        true,
    )
    .await?;
    Ok(Reply::bulk_or_nil(outcome.old_value))
}

/// GETDEL key
pub async fn getdel(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    Ok(Reply::bulk_or_nil(
        sql::getdel(&ctx.store, ctx.db, &key).await?,
    ))
}

/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | PERSIST]
pub async fn getex(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let mut options = ExpiryOptions::default();
    while !args.is_empty() {
        let option = args.next_bytes()?;
        if is(&option, "PERSIST") && options.unit.is_none() {
            options.persist = true;
        } else if !options.take(&option, &mut args) {
            return Err(SYNTAX.into());
        }
    }
    let expiry = match &options.unit {
        Some((unit, amount)) => Some(parse_expiry_arg(unit, amount, "getex")),
        None if options.persist => None,
        // No option: a plain read.
        None => return get_reply(ctx, &key).await,
    };
    match expiry {
        Some(Err(e)) => {
            // Redis looks the key up before it parses the amount: absent keys and other types
            // answer as GET would, and only a live string gets the amount's error.
            sql::get(&ctx.store, ctx.db, &key)
                .await?
                .map_or(Ok(Reply::Nil), |_| Err(e))
        }
        Some(Ok(expiry)) => Ok(Reply::bulk_or_nil(
            sql::getex(&ctx.store, ctx.db, &key, Some(expiry)).await?,
        )),
        None => Ok(Reply::bulk_or_nil(
            sql::getex(&ctx.store, ctx.db, &key, None).await?,
        )),
    }
}

async fn get_reply(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    Ok(Reply::bulk_or_nil(sql::get(&ctx.store, ctx.db, key).await?))
}

/// MGET key [key ...]
pub async fn mget(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let keys = args.rest();
    let values = sql::mget(&ctx.store, ctx.db, &keys).await?;
    Ok(Reply::Array(
        values.into_iter().map(Reply::bulk_or_nil).collect(),
    ))
}

/// MSET key value [key value ...]
pub async fn mset(ctx: &mut Ctx, args: Args) -> CmdResult {
    let pairs = sorted_pairs(args, "mset")?;
    sql::mset(&ctx.store, ctx.db, &pairs).await?;
    Ok(Reply::ok())
}

/// MSETNX key value [key value ...]
pub async fn msetnx(ctx: &mut Ctx, args: Args) -> CmdResult {
    let pairs = sorted_pairs(args, "msetnx")?;
    let set = sql::msetnx(&ctx.store, ctx.db, &pairs).await?;
    Ok(Reply::Int(set as i64))
}

/// Key-value pairs, unique by key (the last value wins, as in Redis) and sorted, so that
/// concurrent writers lock rows in the same order.
fn sorted_pairs(mut args: Args, command: &str) -> Result<Vec<(Bytes, Bytes)>, CmdError> {
    if !args.remaining().is_multiple_of(2) {
        return Err(errors::wrong_arity(command));
    }
    let mut pairs = BTreeMap::new();
    while !args.is_empty() {
        pairs.insert(args.next_bytes()?, args.next_bytes()?);
    }
    Ok(pairs.into_iter().collect())
}

/// The expiry options as written: EX/PX/EXAT/PXAT with its unparsed amount, KEEPTTL, PERSIST.
/// One unit may repeat (the last amount wins); two different units, or a unit with KEEPTTL or
/// PERSIST, are a syntax error, as in Redis.
#[derive(Default)]
struct ExpiryOptions {
    unit: Option<(&'static str, Bytes)>,
    keepttl: bool,
    persist: bool,
}

impl ExpiryOptions {
    /// Takes `option` (and its amount) if it is an expiry unit allowed here.
    fn take(&mut self, option: &[u8], args: &mut Args) -> bool {
        let Some(unit) = ["EX", "PX", "EXAT", "PXAT"]
            .into_iter()
            .find(|u| is(option, u))
        else {
            return false;
        };
        let clash = self.keepttl || self.persist || self.unit.as_ref().is_some_and(|u| u.0 != unit);
        if clash || args.is_empty() {
            return false;
        }
        let amount = args.next_bytes().expect("an argument is left");
        self.unit = Some((unit, amount));
        true
    }
}

/// Parses an EX/PX/EXAT/PXAT amount as written and turns it into an expiry.
pub fn parse_expiry_arg(unit: &str, amount: &[u8], command: &str) -> Result<Expiry, CmdError> {
    let amount = string2ll(amount).ok_or(CmdError::from(NOT_INTEGER))?;
    parse_expiry(unit, amount, command)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_amounts() {
        assert_eq!(parse_expiry_arg("EX", b"10", "set"), Ok(Expiry::In(10_000)));
        assert_eq!(parse_expiry_arg("PXAT", b"5", "set"), Ok(Expiry::At(5)));
        assert_eq!(
            parse_expiry_arg("EX", b"x", "set"),
            Err(CmdError::from(NOT_INTEGER))
        );
        for (unit, amount) in [("EX", "0"), ("PX", "-1"), ("EXAT", "9223372036854775807")] {
            assert_eq!(
                parse_expiry_arg(unit, amount.as_bytes(), "getex"),
                Err(errors::invalid_expire("getex"))
            );
        }
        assert_eq!(
            parse_expiry_arg("PX", b"9223372036854775807", "psetex"),
            Err(errors::invalid_expire("psetex"))
        );
    }

    #[test]
    fn expiry_options_clash_like_redis() {
        let mut args = Args::new(vec![Bytes::from("10"), Bytes::from("20")], 0);
        let mut options = ExpiryOptions::default();
        assert!(options.take(b"ex", &mut args));
        assert!(!options.take(b"PX", &mut args), "EX then PX");
        assert!(options.take(b"EX", &mut args), "EX twice");
        assert_eq!(options.unit, Some(("EX", Bytes::from("20"))));
        assert!(!options.take(b"EX", &mut args), "no amount left");
    }
}
