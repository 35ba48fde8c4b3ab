//! BZPOPMIN, BZPOPMAX and BZMPOP: their arguments, checked in Redis's order.

use super::wait::{Pop, block};
use super::{option_is, parse_timeout};
use crate::cmd::errors::{COUNT_POSITIVE, CmdError, NUMKEYS_POSITIVE, SYNTAX};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::numbers::string2ll;
use crate::store::zsets::End;

/// BZPOPMIN key [key ...] timeout
pub async fn bzpopmin(ctx: &mut Ctx, args: Args) -> CmdResult {
    pop(ctx, args, End::Min).await
}

/// BZPOPMAX key [key ...] timeout
pub async fn bzpopmax(ctx: &mut Ctx, args: Args) -> CmdResult {
    pop(ctx, args, End::Max).await
}

async fn pop(ctx: &mut Ctx, mut args: Args, end: End) -> CmdResult {
    let mut keys = args.rest();
    let timeout = parse_timeout(&keys.pop().expect("arity"))?;
    let pop = Pop::Zset {
        keys,
        end,
        count: None,
    };
    block(ctx, pop, timeout).await
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
///
/// Redis checks ZMPOP's arguments before the timeout.
pub async fn bzmpop(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let timeout = args.next_bytes()?;
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
    let timeout = parse_timeout(&timeout)?;
    let pop = Pop::Zset {
        keys: keys.to_vec(),
        end,
        count: Some(count.unwrap_or(1)),
    };
    block(ctx, pop, timeout).await
}
