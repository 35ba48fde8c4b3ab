//! Blocking commands: BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN, BZPOPMAX and BZMPOP.
//! SQL lives in `store::blocking`, server-side functions in `migrations/0012_blocking.sql`.
//!
//! - `lists`, `zsets`: argument parsing (in Redis's order) and reply shapes.
//! - `wait`: how a client waits, for every instance; `backstop`: the periodic look that no lost
//!   notification can outlast.
//!
//! # How a client waits
//!
//! A blocking command first runs its non-blocking form (LPOP, LMOVE, ZPOPMIN ...); with data it
//! answers at once, exactly as that form would. Inside MULTI/EXEC (or a script) it answers at
//! once too, with the timeout's null reply when there is nothing. Otherwise the client:
//!
//! 1. joins this instance's queue of waiters for each of its keys (`notify::waiters`), so that
//!    the longest-waiting client of an instance is served first;
//! 2. registers its keys in `pgredis_blocked`, so that a write on any instance that makes a
//!    list or sorted set appear under one of them NOTIFYs it, in the writer's transaction;
//! 3. looks once more, ordered after every writer that may have missed the registration (the
//!    barrier of migration 12), and then waits, holding no connection, lock or transaction,
//!    until its instance's listener wakes it, its timeout passes, CLIENT UNBLOCK or CLIENT KILL
//!    reaches it, or it hangs up.
//!
//! Each look is one atomic pop in SQL, so an element goes to exactly one client of any instance;
//! a woken client that finds nothing (another was faster) waits again. A client served, timed
//! out or gone hands the wake-up to the next in its queue.
//!
//! # Differences from Redis
//!
//! - Blocked clients are served in arrival order per instance; between instances, whoever pops
//!   first wins.
//! - A client that starts waiting while a notification for its key is on its way may take the
//!   data before a client that has waited longer on its instance.
//! - Redis 7.0 computes a fractional timeout in long double; so does pgredis, but it waits
//!   with tokio's millisecond timer.

mod backstop;
mod lists;
mod wait;
mod zsets;

pub use backstop::run as backstop;

use super::errors::{CmdError, TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT};
use super::table::*;
use crate::handler;
use crate::numbers::timeout_ms;

/// A timeout argument in seconds, as Redis 7.0 parses it: milliseconds, 0 for none. Redis adds
/// the current time without checking for overflow, so a huge timeout waits for ever there; here
/// too.
fn parse_timeout(arg: &[u8]) -> Result<u64, CmdError> {
    match timeout_ms(arg) {
        None => Err(TIMEOUT_NOT_FLOAT.into()),
        Some(ms) if ms < 0 => Err(TIMEOUT_NEGATIVE.into()),
        Some(ms) => Ok(ms as u64),
    }
}

/// Whether an option argument names `name` as Redis compares options: as C strings, without
/// case.
fn option_is(arg: &[u8], name: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(name.as_bytes())
}

pub const COMMANDS: &[Command] = &[
    Command::new(
        "blpop",
        -3,
        WRITE | NOSCRIPT | BLOCKING,
        (1, -2, 1),
        "list",
        "Remove and get the first element in a list, or block until one is available",
        handler!(lists::blpop),
    ),
    Command::new(
        "brpop",
        -3,
        WRITE | NOSCRIPT | BLOCKING,
        (1, -2, 1),
        "list",
        "Remove and get the last element in a list, or block until one is available",
        handler!(lists::brpop),
    ),
    Command::new(
        "blmpop",
        -5,
        WRITE | BLOCKING | MOVABLE_KEYS,
        (0, 0, 0),
        "list",
        "Pop elements from a list, or block until one is available",
        handler!(lists::blmpop),
    )
    .with_key_count_at(2),
    Command::new(
        "blmove",
        6,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        (1, 2, 1),
        "list",
        "Pop an element from a list, push it to another list and return it; or block until one is available",
        handler!(lists::blmove),
    ),
    Command::new(
        "brpoplpush",
        4,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        (1, 2, 1),
        "list",
        "Pop an element from a list, push it to another list and return it; or block until one is available",
        handler!(lists::brpoplpush),
    ),
    Command::new(
        "bzpopmin",
        -3,
        WRITE | NOSCRIPT | BLOCKING | FAST,
        (1, -2, 1),
        "sorted-set",
        "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        handler!(zsets::bzpopmin),
    ),
    Command::new(
        "bzpopmax",
        -3,
        WRITE | NOSCRIPT | BLOCKING | FAST,
        (1, -2, 1),
        "sorted-set",
        "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
        handler!(zsets::bzpopmax),
    ),
    Command::new(
        "bzmpop",
        -5,
        WRITE | BLOCKING | MOVABLE_KEYS,
        (0, 0, 0),
        "sorted-set",
        "Remove and return members with scores in a sorted set or block until one is available",
        handler!(zsets::bzmpop),
    )
    .with_key_count_at(2),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout(b"0").unwrap(), 0);
        assert_eq!(parse_timeout(b"0.01").unwrap(), 10);
        assert_eq!(parse_timeout(b"2").unwrap(), 2000);
        assert_eq!(parse_timeout(b"abc").unwrap_err().0, TIMEOUT_NOT_FLOAT);
        assert_eq!(parse_timeout(b"-1").unwrap_err().0, TIMEOUT_NEGATIVE);
        assert_eq!(parse_timeout(b"inf").unwrap_err().0, TIMEOUT_NEGATIVE);
    }
}
