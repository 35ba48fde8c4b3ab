//! String commands: the command table of the `string` group and its handlers. SQL lives in
//! `store::strings`.
//!
//! - `get_set`: GET, SET and their relatives (SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX), MGET,
//!   MSET, MSETNX, and the expiry options SET and GETEX share.
//! - `counters`: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT.
//! - `ranges`: APPEND, STRLEN, GETRANGE (and its old name SUBSTR), SETRANGE.
//! - `lcs`: LCS, computed in Rust from the two values.

mod counters;
mod get_set;
mod lcs;
mod ranges;

pub use get_set::{parse_expiry, parse_expiry_arg};

use super::table::*;
use crate::handler;

/// Whether an option argument names `name`, compared as Redis compares options here: as C
/// strings, so bytes from a NUL on are ignored (`"NX\0junk"` is NX), and without case.
fn option_is(arg: &[u8], name: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(name.as_bytes())
}

pub const COMMANDS: &[Command] = &[
    Command::new(
        "get",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "string",
        "Returns the string value of a key.",
        handler!(get_set::get),
    ),
    Command::new(
        "set",
        -3,
        WRITE | DENYOOM,
        (1, 1, 1),
        "string",
        "Sets the string value of a key, ignoring its type.",
        handler!(get_set::set),
    ),
    Command::new(
        "setnx",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "Set the value of a key, only if the key does not exist",
        handler!(get_set::setnx),
    ),
    Command::new(
        "setex",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        "string",
        "Set the value and expiration of a key",
        handler!(get_set::setex),
    ),
    Command::new(
        "psetex",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        "string",
        "Set the value and expiration in milliseconds of a key",
        handler!(get_set::psetex),
    ),
    Command::new(
        "getset",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "Set the string value of a key and return its old value",
        handler!(get_set::getset),
    ),
    Command::new(
        "getdel",
        2,
        WRITE | FAST,
        (1, 1, 1),
        "string",
        "Get the value of a key and delete the key",
        handler!(get_set::getdel),
    ),
    Command::new(
        "getex",
        -2,
        WRITE | FAST,
        (1, 1, 1),
        "string",
        "Get the value of a key and optionally set its expiration",
        handler!(get_set::getex),
    ),
    Command::new(
        "mget",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        "string",
        "Atomically returns the string values of one or more keys.",
        handler!(get_set::mget),
    ),
    Command::new(
        "mset",
        -3,
        WRITE | DENYOOM,
        (1, -1, 2),
        "string",
        "Atomically creates or modifies the string values of one or more keys.",
        handler!(get_set::mset),
    ),
    Command::new(
        "msetnx",
        -3,
        WRITE | DENYOOM,
        (1, -1, 2),
        "string",
        "Set multiple keys to multiple values, only if none of the keys exist",
        handler!(get_set::msetnx),
    ),
    Command::new(
        "append",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "Append a value to a key",
        handler!(ranges::append),
    ),
    Command::new(
        "strlen",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "string",
        "Get the length of the value stored in a key",
        handler!(ranges::strlen),
    ),
    Command::new(
        "getrange",
        4,
        READONLY,
        (1, 1, 1),
        "string",
        "Get a substring of the string stored at a key",
        handler!(ranges::getrange),
    ),
    Command::new(
        "substr",
        4,
        READONLY,
        (1, 1, 1),
        "string",
        "Get a substring of the string stored at a key",
        handler!(ranges::getrange),
    ),
    Command::new(
        "setrange",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        "string",
        "Overwrite part of a string at key starting at the specified offset",
        handler!(ranges::setrange),
    ),
    Command::new(
        "incr",
        2,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "Increment the integer value of a key by one",
        handler!(counters::incr),
    ),
    Command::new(
        "decr",
        2,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "Decrement the integer value of a key by one",
        handler!(counters::decr),
    ),
    Command::new(
        "incrby",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "Increment the integer value of a key by the given amount",
        handler!(counters::incrby),
    ),
    Command::new(
        "decrby",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "Decrement the integer value of a key by the given number",
        handler!(counters::decrby),
    ),
    Command::new(
        "incrbyfloat",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "Increment the float value of a key by the given amount",
        handler!(counters::incrbyfloat),
    ),
    Command::new(
        "lcs",
        -3,
        READONLY,
        (1, 2, 1),
        "string",
        "Find longest common substring",
        handler!(lcs::lcs),
    ),
];
