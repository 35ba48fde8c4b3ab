//! BZPOPMIN, BZPOPMAX and BZMPOP: their arguments, checked in Redis's order.

use super::parse_timeout;
use super::wait::{Pop, block};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
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
    let (keys, end, count) = crate::cmd::zsets::parse_zmpop(&mut args)?;
    let timeout = parse_timeout(&timeout)?;
    let pop = Pop::Zset {
        keys: keys.to_vec(),
        end,
        count: Some(count.unwrap_or(1)),
    };
    block(ctx, pop, timeout).await
}
