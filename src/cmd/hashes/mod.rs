//! Hash commands: the command table of the `hash` group and its handlers. SQL lives in
//! `store::hashes`, server-side functions in `migrations/0008_hashes.sql`.
//!
//! - `fields`: HSET, HSETNX, HMSET, HGET, HMGET, HGETALL, HDEL, HEXISTS, HLEN, HSTRLEN, HKEYS,
//!   HVALS.
//! - `counters`: HINCRBY (in SQL) and HINCRBYFLOAT (in Rust, written with a compare-and-set).
//! - `random`: HRANDFIELD.
//! - `scan`: HSCAN.
//!
//! Whole-hash replies come in insertion order, which is Redis's order for the small hashes it
//! keeps as listpacks; for larger ones Redis answers in its hash table's order, which no client
//! may rely on.

mod counters;
mod fields;
mod random;
mod scan;

use super::table::*;
use crate::handler;

pub const COMMANDS: &[Command] = &[
    Command::new(
        "hset",
        -4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "hash",
        "Set the string value of a hash field",
        handler!(fields::hset),
    ),
    Command::new(
        "hsetnx",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "hash",
        "Set the value of a hash field, only if the field does not exist",
        handler!(fields::hsetnx),
    ),
    Command::new(
        "hmset",
        -4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "hash",
        "Set multiple hash fields to multiple values",
        handler!(fields::hmset),
    ),
    Command::new(
        "hget",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "hash",
        "Get the value of a hash field",
        handler!(fields::hget),
    ),
    Command::new(
        "hmget",
        -3,
        READONLY | FAST,
        (1, 1, 1),
        "hash",
        "Get the values of all the given hash fields",
        handler!(fields::hmget),
    ),
    Command::new(
        "hgetall",
        2,
        READONLY,
        (1, 1, 1),
        "hash",
        "Get all the fields and values in a hash",
        handler!(fields::hgetall),
    ),
    Command::new(
        "hdel",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "hash",
        "Delete one or more hash fields",
        handler!(fields::hdel),
    ),
    Command::new(
        "hexists",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "hash",
        "Determine if a hash field exists",
        handler!(fields::hexists),
    ),
    Command::new(
        "hlen",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "hash",
        "Get the number of fields in a hash",
        handler!(fields::hlen),
    ),
    Command::new(
        "hstrlen",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "hash",
        "Get the length of the value of a hash field",
        handler!(fields::hstrlen),
    ),
    Command::new(
        "hkeys",
        2,
        READONLY,
        (1, 1, 1),
        "hash",
        "Get all the fields in a hash",
        handler!(fields::hkeys),
    ),
    Command::new(
        "hvals",
        2,
        READONLY,
        (1, 1, 1),
        "hash",
        "Get all the values in a hash",
        handler!(fields::hvals),
    ),
    Command::new(
        "hincrby",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "hash",
        "Increment the integer value of a hash field by the given number",
        handler!(counters::hincrby),
    ),
    Command::new(
        "hincrbyfloat",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "hash",
        "Increment the float value of a hash field by the given amount",
        handler!(counters::hincrbyfloat),
    ),
    Command::new(
        "hrandfield",
        -2,
        READONLY,
        (1, 1, 1),
        "hash",
        "Get one or multiple random fields from a hash",
        handler!(random::hrandfield),
    ),
    Command::new(
        "hscan",
        -3,
        READONLY,
        (1, 1, 1),
        "hash",
        "Incrementally iterate hash fields and associated values",
        handler!(scan::hscan),
    ),
];
