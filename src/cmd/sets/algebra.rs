//! SINTER, SUNION, SDIFF, SINTERCARD, and SINTERSTORE, SUNIONSTORE, SDIFFSTORE: each one
//! statement, computed in PostgreSQL (`pgredis_set_read`, `pgredis_set_store`).

use bytes::Bytes;

use crate::cmd::errors::{
    CmdError, LIMIT_NEGATIVE, NUMKEYS_POSITIVE, SINTERCARD_TOO_MANY_KEYS, SYNTAX,
};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::sets::{self as sql, SetOp};

async fn read(ctx: &mut Ctx, mut args: Args, op: SetOp) -> CmdResult {
    let keys = args.rest();
    Ok(super::set_reply(
        sql::set_read(&ctx.store, ctx.db, &keys, op).await?,
    ))
}

async fn store(ctx: &mut Ctx, mut args: Args, op: SetOp) -> CmdResult {
    let dst = args.next_bytes()?;
    let keys = args.rest();
    Ok(Reply::Int(
        sql::set_store(&ctx.store, ctx.db, &dst, &keys, op).await?,
    ))
}

/// SINTER key [key ...]
pub async fn sinter(ctx: &mut Ctx, args: Args) -> CmdResult {
    read(ctx, args, SetOp::Inter).await
}

/// SUNION key [key ...]
pub async fn sunion(ctx: &mut Ctx, args: Args) -> CmdResult {
    read(ctx, args, SetOp::Union).await
}

/// SDIFF key [key ...]
pub async fn sdiff(ctx: &mut Ctx, args: Args) -> CmdResult {
    read(ctx, args, SetOp::Diff).await
}

/// SINTERSTORE destination key [key ...]
pub async fn sinterstore(ctx: &mut Ctx, args: Args) -> CmdResult {
    store(ctx, args, SetOp::Inter).await
}

/// SUNIONSTORE destination key [key ...]
pub async fn sunionstore(ctx: &mut Ctx, args: Args) -> CmdResult {
    store(ctx, args, SetOp::Union).await
}

/// SDIFFSTORE destination key [key ...]
pub async fn sdiffstore(ctx: &mut Ctx, args: Args) -> CmdResult {
    store(ctx, args, SetOp::Diff).await
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub async fn sintercard(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let (keys, limit) = parse_sintercard(&mut args)?;
    Ok(Reply::Int(
        sql::sintercard(&ctx.store, ctx.db, &keys, limit).await?,
    ))
}

/// The keys and the limit (`None` for no limit, which LIMIT 0 also means), checked in Redis's
/// order and with its texts.
fn parse_sintercard(args: &mut Args) -> Result<(Vec<Bytes>, Option<i64>), CmdError> {
    let numkeys = string2ll(&args.next_bytes()?)
        .filter(|n| *n > 0)
        .ok_or(CmdError::from(NUMKEYS_POSITIVE))?;
    if numkeys > args.remaining() as i64 {
        return Err(SINTERCARD_TOO_MANY_KEYS.into());
    }
    let keys = (0..numkeys)
        .map(|_| args.next_bytes())
        .collect::<Result<Vec<_>, _>>()?;
    let mut limit = None;
    while !args.is_empty() {
        let option = args.next_bytes()?;
        if !crate::cmd::keys::is_option(&option, "LIMIT") || args.is_empty() {
            return Err(SYNTAX.into());
        }
        let n = string2ll(&args.next_bytes()?)
            .filter(|n| *n >= 0)
            .ok_or(CmdError::from(LIMIT_NEGATIVE))?;
        limit = (n > 0).then_some(n);
    }
    Ok((keys, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Result<(Vec<Bytes>, Option<i64>), CmdError> {
        let argv = std::iter::once("sintercard")
            .chain(words.iter().copied())
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        parse_sintercard(&mut Args::new(argv, 1))
    }

    #[test]
    fn sintercard_arguments() {
        assert_eq!(parse(&["1", "a"]), Ok((vec![Bytes::from("a")], None)));
        assert_eq!(
            parse(&["2", "a", "b", "LIMIT", "3", "limit", "0"]),
            Ok((vec![Bytes::from("a"), Bytes::from("b")], None))
        );
        assert_eq!(parse(&["1", "a", "limit", "2"]).unwrap().1, Some(2));
        assert_eq!(parse(&["x", "a"]), Err(NUMKEYS_POSITIVE.into()));
        assert_eq!(parse(&["0", "a"]), Err(NUMKEYS_POSITIVE.into()));
        assert_eq!(parse(&["2", "a"]), Err(SINTERCARD_TOO_MANY_KEYS.into()));
        assert_eq!(parse(&["1", "a", "LIMIT"]), Err(SYNTAX.into()));
        assert_eq!(parse(&["1", "a", "b"]), Err(SYNTAX.into()));
        assert_eq!(
            parse(&["1", "a", "LIMIT", "-1"]),
            Err(LIMIT_NEGATIVE.into())
        );
    }
}
