//! ZPOPMIN, ZPOPMAX, ZMPOP and ZRANDMEMBER. The pops go through `store::zsets::pop`, which
//! takes several keys and says which one it popped from, so the blocking pops can use it too.

use bytes::Bytes;

use super::super::errors::{
    COUNT_POSITIVE, LONG_RANGE, NOT_INTEGER, NUMKEYS_POSITIVE, OUT_OF_RANGE, SYNTAX,
    VALUE_OUT_OF_RANGE,
};
use super::super::table::CmdResult;
use super::super::{Args, CmdError, Ctx};
use super::{option_is, scored_reply};
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::zsets::{self as sql, End};

/// ZPOPMIN key [count]
pub async fn zpopmin(ctx: &mut Ctx, args: Args) -> CmdResult {
    zpop(ctx, args, End::Min).await
}

/// ZPOPMAX key [count]
pub async fn zpopmax(ctx: &mut Ctx, args: Args) -> CmdResult {
    zpop(ctx, args, End::Max).await
}

async fn zpop(ctx: &mut Ctx, mut args: Args, end: End) -> CmdResult {
    let key = args.next_bytes()?;
    let count = match args.peek() {
        None => None,
        Some(_) => {
            let count = string2ll(&args.next_bytes()?)
                .filter(|n| *n >= 0)
                .ok_or(CmdError::from(OUT_OF_RANGE))?;
            args.finish()?;
            Some(count)
        }
    };
    if count == Some(0) {
        // Nothing to pop, but Redis still checks the type.
        sql::card(&ctx.store, ctx.db, &key).await?;
        return Ok(Reply::Array(Vec::new()));
    }
    let popped = sql::pop(&ctx.store, ctx.db, &[key], count.unwrap_or(1), end).await?;
    let members = popped.map(|p| p.members).unwrap_or_default();
    Ok(match count {
        // Without a count, one flat member-score pair in every protocol.
        None => Reply::Array(
            members
                .into_iter()
                .flat_map(|(m, s)| [Reply::Bulk(m), Reply::Double(s)])
                .collect(),
        ),
        Some(_) => scored_reply(ctx.protocol, members, true),
    })
}

/// ZMPOP's arguments after the name (BZMPOP's after the timeout): `numkeys key [key ...] MIN | MAX
/// [COUNT count]`, checked in Redis's order. Returns the keys, the end and the count.
pub fn parse_zmpop(args: &mut Args) -> Result<(Vec<Bytes>, End, Option<i64>), CmdError> {
    let numkeys = string2ll(&args.next_bytes()?)
        .filter(|n| *n >= 1)
        .ok_or(CmdError::from(NUMKEYS_POSITIVE))?;
    let rest = args.rest();
    if numkeys >= rest.len() as i64 {
        return Err(SYNTAX.into());
    }
    let (keys, opts) = rest.split_at(numkeys as usize);
    let end = if option_is(&opts[0], "MIN") {
        End::Min
    } else if option_is(&opts[0], "MAX") {
        End::Max
    } else {
        return Err(SYNTAX.into());
    };
    let mut count = None;
    let mut j = 1;
    while j < opts.len() {
        if count.is_none() && option_is(&opts[j], "COUNT") && j + 1 < opts.len() {
            let n = string2ll(&opts[j + 1])
                .filter(|n| *n >= 1)
                .ok_or(CmdError::from(COUNT_POSITIVE))?;
            count = Some(n);
            j += 2;
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok((keys.to_vec(), end, count))
}

/// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
pub async fn zmpop(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let (keys, end, count) = parse_zmpop(&mut args)?;
    let popped = sql::pop(&ctx.store, ctx.db, &keys, count.unwrap_or(1), end).await?;
    Ok(match popped {
        None => Reply::NilArray,
        Some(p) => Reply::Array(vec![Reply::Bulk(p.key), nested_pairs(p.members)]),
    })
}

/// [[member, score], ...], ZMPOP's shape in every protocol.
fn nested_pairs(members: Vec<(Bytes, f64)>) -> Reply {
    Reply::Array(
        members
            .into_iter()
            .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
            .collect(),
    )
}

/// ZRANDMEMBER key [count [WITHSCORES]]
pub async fn zrandmember(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    if args.is_empty() {
        let member = sql::random_member(&ctx.store, ctx.db, &key).await?;
        return Ok(Reply::bulk_or_nil(member));
    }
    let count = string2ll(&args.next_bytes()?).ok_or(CmdError::from(NOT_INTEGER))?;
    if count == i64::MIN {
        return Err(LONG_RANGE.into());
    }
    let withscores = match args.remaining() {
        0 => false,
        1 if option_is(args.peek().unwrap(), "WITHSCORES") => true,
        _ => return Err(SYNTAX.into()),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(VALUE_OUT_OF_RANGE.into());
    }
    let members = sql::random_members(&ctx.store, ctx.db, &key, count).await?;
    Ok(scored_reply(
        ctx.protocol,
        members.unwrap_or_default(),
        withscores,
    ))
}
