//! BLPOP, BRPOP, BLMPOP, BLMOVE and BRPOPLPUSH: their arguments, checked in Redis's order.

use super::wait::{Pop, block};
use super::{option_is, parse_timeout};
use crate::cmd::errors::{CmdError, SYNTAX};
use crate::cmd::lists::parse_mpop;
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::store::lists::End;

/// BLPOP key [key ...] timeout
pub async fn blpop(ctx: &mut Ctx, args: Args) -> CmdResult {
    pop(ctx, args, End::Left).await
}

/// BRPOP key [key ...] timeout
pub async fn brpop(ctx: &mut Ctx, args: Args) -> CmdResult {
    pop(ctx, args, End::Right).await
}

/// The timeout comes first, then the keys.
async fn pop(ctx: &mut Ctx, mut args: Args, end: End) -> CmdResult {
    let mut keys = args.rest();
    let timeout = parse_timeout(&keys.pop().expect("arity"))?;
    let pop = Pop::List {
        keys,
        end,
        count: None,
    };
    block(ctx, pop, timeout).await
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
///
/// Redis checks LMPOP's arguments before the timeout.
pub async fn blmpop(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let timeout = args.next_bytes()?;
    let (keys, end, count) = parse_mpop(&mut args)?;
    let timeout = parse_timeout(&timeout)?;
    let pop = Pop::List {
        keys,
        end,
        count: Some(count),
    };
    block(ctx, pop, timeout).await
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub async fn blmove(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let source = args.next_bytes()?;
    let destination = args.next_bytes()?;
    let from = end(&args.next_bytes()?)?;
    let to = end(&args.next_bytes()?)?;
    let timeout = parse_timeout(&args.next_bytes()?)?;
    let pop = Pop::Move {
        source,
        destination,
        from,
        to,
    };
    block(ctx, pop, timeout).await
}

/// BRPOPLPUSH source destination timeout
pub async fn brpoplpush(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let source = args.next_bytes()?;
    let destination = args.next_bytes()?;
    let timeout = parse_timeout(&args.next_bytes()?)?;
    let pop = Pop::Move {
        source,
        destination,
        from: End::Right,
        to: End::Left,
    };
    block(ctx, pop, timeout).await
}

fn end(arg: &[u8]) -> Result<End, CmdError> {
    if option_is(arg, "LEFT") {
        Ok(End::Left)
    } else if option_is(arg, "RIGHT") {
        Ok(End::Right)
    } else {
        Err(SYNTAX.into())
    }
}
