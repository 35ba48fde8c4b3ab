//! List commands: the command table of the `list` group and its handlers. SQL lives in
//! `store::lists`, server-side functions in `migrations/0006_lists.sql`.
//!
//! - `push_pop`: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LMPOP, LMOVE, RPOPLPUSH.
//! - `access`: LLEN, LRANGE, LINDEX, LPOS.
//! - `edit`: LSET, LINSERT, LREM, LTRIM.
//!
//! Redis parses each argument at a given moment, some before the key is looked up and some
//! after (LINDEX and LSET look the key up before they parse the index); the handlers keep
//! Redis's order, passing an unparsed number to SQL as NULL when the lookup must come first.

mod access;
mod edit;
mod push_pop;

pub use push_pop::{mpop_reply, parse_mpop};

use bytes::Bytes;

use super::errors::{CmdError, SYNTAX};
use super::table::*;
use crate::handler;
use crate::numbers::string2ll;
use crate::store::lists::End;

/// Whether an option argument names `name` as Redis compares options here: as C strings (bytes
/// from a NUL on are ignored) and without case.
fn option_is(arg: &[u8], name: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(name.as_bytes())
}

/// LEFT or RIGHT, as LMOVE and LMPOP take it; a syntax error otherwise.
fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if option_is(arg, "LEFT") {
        Ok(End::Left)
    } else if option_is(arg, "RIGHT") {
        Ok(End::Right)
    } else {
        Err(SYNTAX.into())
    }
}

/// An integer from 0 up, Redis's `getPositiveLongFromObjectOrReply`: `error` for anything else,
/// a non-number included.
fn parse_non_negative(arg: &Bytes, error: &'static str) -> Result<i64, CmdError> {
    match string2ll(arg) {
        Some(n) if n >= 0 => Ok(n),
        _ => Err(error.into()),
    }
}

/// An integer from 1 up, Redis's `getRangeLongFromObjectOrReply(1, LONG_MAX)` with a message.
fn parse_positive(arg: &Bytes, error: &'static str) -> Result<i64, CmdError> {
    match string2ll(arg) {
        Some(n) if n >= 1 => Ok(n),
        _ => Err(error.into()),
    }
}

pub const COMMANDS: &[Command] = &[
    Command::new(
        "lpush",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "list",
        "Prepend one or multiple elements to a list",
        handler!(push_pop::lpush),
    ),
    Command::new(
        "rpush",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "list",
        "Append one or multiple elements to a list",
        handler!(push_pop::rpush),
    ),
    Command::new(
        "lpushx",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "list",
        "Prepend an element to a list, only if the list exists",
        handler!(push_pop::lpushx),
    ),
    Command::new(
        "rpushx",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "list",
        "Append an element to a list, only if the list exists",
        handler!(push_pop::rpushx),
    ),
    Command::new(
        "lpop",
        -2,
        WRITE | FAST,
        (1, 1, 1),
        "list",
        "Remove and get the first elements in a list",
        handler!(push_pop::lpop),
    ),
    Command::new(
        "rpop",
        -2,
        WRITE | FAST,
        (1, 1, 1),
        "list",
        "Remove and get the last elements in a list",
        handler!(push_pop::rpop),
    ),
    Command::new(
        "lmpop",
        -4,
        WRITE | MOVABLE_KEYS,
        (0, 0, 0),
        "list",
        "Pop elements from a list",
        handler!(push_pop::lmpop),
    )
    .with_key_count_at(1),
    Command::new(
        "lmove",
        5,
        WRITE | DENYOOM,
        (1, 2, 1),
        "list",
        "Pop an element from a list, push it to another list and return it",
        handler!(push_pop::lmove),
    ),
    Command::new(
        "rpoplpush",
        3,
        WRITE | DENYOOM,
        (1, 2, 1),
        "list",
        "Remove the last element in a list, prepend it to another list and return it",
        handler!(push_pop::rpoplpush),
    ),
    Command::new(
        "llen",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "list",
        "Get the length of a list",
        handler!(access::llen),
    ),
    Command::new(
        "lrange",
        4,
        READONLY,
        (1, 1, 1),
        "list",
        "Get a range of elements from a list",
        handler!(access::lrange),
    ),
    Command::new(
        "lindex",
        3,
        READONLY,
        (1, 1, 1),
        "list",
        "Get an element from a list by its index",
        handler!(access::lindex),
    ),
    Command::new(
        "lpos",
        -3,
        READONLY,
        (1, 1, 1),
        "list",
        "Return the index of matching elements on a list",
        handler!(access::lpos),
    ),
    Command::new(
        "lset",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        "list",
        "Set the value of an element in a list by its index",
        handler!(edit::lset),
    ),
    Command::new(
        "linsert",
        5,
        WRITE | DENYOOM,
        (1, 1, 1),
        "list",
        "Insert an element before or after another element in a list",
        handler!(edit::linsert),
    ),
    Command::new(
        "lrem",
        4,
        WRITE,
        (1, 1, 1),
        "list",
        "Remove elements from a list",
        handler!(edit::lrem),
    ),
    Command::new(
        "ltrim",
        4,
        WRITE,
        (1, 1, 1),
        "list",
        "Trim a list to the specified range",
        handler!(edit::ltrim),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_compare_as_c_strings() {
        assert!(option_is(b"left", "LEFT"));
        assert!(option_is(b"LEFT\0junk", "LEFT"));
        assert!(!option_is(b"LEFTX", "LEFT"));
        assert_eq!(parse_end(b"Right").unwrap(), End::Right);
        assert!(parse_end(b"up").is_err());
    }

    #[test]
    fn counts() {
        let b = |s: &'static str| Bytes::from_static(s.as_bytes());
        assert_eq!(parse_non_negative(&b("0"), "e").unwrap(), 0);
        assert!(parse_non_negative(&b("-1"), "e").is_err());
        assert!(parse_non_negative(&b("x"), "e").is_err());
        assert!(parse_positive(&b("0"), "e").is_err());
        assert_eq!(
            parse_positive(&b("9223372036854775807"), "e").unwrap(),
            i64::MAX
        );
    }
}
