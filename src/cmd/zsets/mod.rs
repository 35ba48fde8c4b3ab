//! Sorted-set commands: the command table of the `sorted-set` group and its handlers. SQL lives
//! in `store::zsets`.
//!
//! - `ranges`: parsing of score and lex range ends.
//! - `add`: ZADD, ZINCRBY, ZREM and the single-member reads (ZCARD, ZSCORE, ZMSCORE, ZRANK,
//!   ZREVRANK).
//! - `range`: ZRANGE and its older forms, ZRANGESTORE, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*.
//! - `pop`: ZPOPMIN, ZPOPMAX, ZMPOP (the blocking pops will call the same `store::zsets::pop`)
//!   and ZRANDMEMBER.
//! - `setops`: ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD.
//! - `scan`: ZSCAN.
//!
//! Scores reach clients as `Reply::Double`: a RESP3 double, or in RESP2 a bulk string spelled
//! like Redis's `%.17g`. Replies "WITHSCORES" are flat member, score lists in RESP2 and lists of
//! [member, score] pairs in RESP3, as Redis 7.0 sends them.

mod add;
mod pop;

/// ZMPOP's argument parsing, shared with BZMPOP.
pub use pop::parse_zmpop;
mod range;
mod ranges;
mod scan;
mod setops;

use bytes::Bytes;

use super::table::*;
use crate::handler;
use crate::resp::{Protocol, Reply};

/// Whether an option argument names `name`, compared as Redis's `strcasecmp` compares it: as a C
/// string (bytes from a NUL on are ignored) and without case.
fn option_is(arg: &[u8], name: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(name.as_bytes())
}

/// Members, with their scores when asked, shaped as Redis 7.0 shapes them for `protocol`.
fn scored_reply(protocol: Protocol, members: Vec<(Bytes, f64)>, withscores: bool) -> Reply {
    if !withscores {
        return Reply::Array(members.into_iter().map(|(m, _)| Reply::Bulk(m)).collect());
    }
    if protocol == Protocol::Resp3 {
        return Reply::Array(
            members
                .into_iter()
                .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
                .collect(),
        );
    }
    Reply::Array(
        members
            .into_iter()
            .flat_map(|(m, s)| [Reply::Bulk(m), Reply::Double(s)])
            .collect(),
    )
}

/// A score or nothing: ZSCORE, ZINCRBY, ZADD INCR.
fn score_reply(score: Option<f64>) -> Reply {
    score.map_or(Reply::Nil, Reply::Double)
}

pub const COMMANDS: &[Command] = &[
    Command::new(
        "zadd",
        -4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "sorted-set",
        "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.",
        handler!(add::zadd),
    ),
    Command::new(
        "zincrby",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "sorted-set",
        "Increments the score of a member in a sorted set.",
        handler!(add::zincrby),
    ),
    Command::new(
        "zrem",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "sorted-set",
        "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.",
        handler!(add::zrem),
    ),
    Command::new(
        "zcard",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "sorted-set",
        "Returns the number of members in a sorted set.",
        handler!(add::zcard),
    ),
    Command::new(
        "zscore",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "sorted-set",
        "Returns the score of a member in a sorted set.",
        handler!(add::zscore),
    ),
    Command::new(
        "zmscore",
        -3,
        READONLY | FAST,
        (1, 1, 1),
        "sorted-set",
        "Returns the score of one or more members in a sorted set.",
        handler!(add::zmscore),
    ),
    Command::new(
        "zrank",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "sorted-set",
        "Returns the index of a member in a sorted set ordered by ascending scores.",
        handler!(add::zrank),
    ),
    Command::new(
        "zrevrank",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "sorted-set",
        "Returns the index of a member in a sorted set ordered by descending scores.",
        handler!(add::zrevrank),
    ),
    Command::new(
        "zcount",
        4,
        READONLY | FAST,
        (1, 1, 1),
        "sorted-set",
        "Returns the count of members in a sorted set that have scores within a range.",
        handler!(range::zcount),
    ),
    Command::new(
        "zlexcount",
        4,
        READONLY | FAST,
        (1, 1, 1),
        "sorted-set",
        "Returns the number of members in a sorted set within a lexicographical range.",
        handler!(range::zlexcount),
    ),
    Command::new(
        "zrange",
        -4,
        READONLY,
        (1, 1, 1),
        "sorted-set",
        "Returns members in a sorted set within a range of indexes.",
        handler!(range::zrange),
    ),
    Command::new(
        "zrangestore",
        -5,
        WRITE | DENYOOM,
        (1, 2, 1),
        "sorted-set",
        "Stores a range of members from sorted set in a key.",
        handler!(range::zrangestore),
    ),
    Command::new(
        "zrangebyscore",
        -4,
        READONLY,
        (1, 1, 1),
        "sorted-set",
        "Returns members in a sorted set within a range of scores.",
        handler!(range::zrangebyscore),
    ),
    Command::new(
        "zrevrangebyscore",
        -4,
        READONLY,
        (1, 1, 1),
        "sorted-set",
        "Returns members in a sorted set within a range of scores in reverse order.",
        handler!(range::zrevrangebyscore),
    ),
    Command::new(
        "zrangebylex",
        -4,
        READONLY,
        (1, 1, 1),
        "sorted-set",
        "Returns members in a sorted set within a lexicographical range.",
        handler!(range::zrangebylex),
    ),
    Command::new(
        "zrevrangebylex",
        -4,
        READONLY,
        (1, 1, 1),
        "sorted-set",
        "Returns members in a sorted set within a lexicographical range in reverse order.",
        handler!(range::zrevrangebylex),
    ),
    Command::new(
        "zrevrange",
        -4,
        READONLY,
        (1, 1, 1),
        "sorted-set",
        "Returns members in a sorted set within a range of indexes in reverse order.",
        handler!(range::zrevrange),
    ),
    Command::new(
        "zremrangebyrank",
        4,
        WRITE,
        (1, 1, 1),
        "sorted-set",
        "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.",
        handler!(range::zremrangebyrank),
    ),
    Command::new(
        "zremrangebyscore",
        4,
        WRITE,
        (1, 1, 1),
        "sorted-set",
        "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.",
        handler!(range::zremrangebyscore),
    ),
    Command::new(
        "zremrangebylex",
        4,
        WRITE,
        (1, 1, 1),
        "sorted-set",
        "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.",
        handler!(range::zremrangebylex),
    ),
    Command::new(
        "zpopmin",
        -2,
        WRITE | FAST,
        (1, 1, 1),
        "sorted-set",
        "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
        handler!(pop::zpopmin),
    ),
    Command::new(
        "zpopmax",
        -2,
        WRITE | FAST,
        (1, 1, 1),
        "sorted-set",
        "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
        handler!(pop::zpopmax),
    ),
    Command::new(
        "zmpop",
        -4,
        WRITE | MOVABLE_KEYS,
        (0, 0, 0),
        "sorted-set",
        "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.",
        handler!(pop::zmpop),
    )
    .with_key_count_at(1),
    Command::new(
        "zrandmember",
        -2,
        READONLY,
        (1, 1, 1),
        "sorted-set",
        "Returns one or more random members from a sorted set.",
        handler!(pop::zrandmember),
    ),
    Command::new(
        "zunion",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        "sorted-set",
        "Returns the union of multiple sorted sets.",
        handler!(setops::zunion),
    )
    .with_key_count_at(1),
    Command::new(
        "zinter",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        "sorted-set",
        "Returns the intersect of multiple sorted sets.",
        handler!(setops::zinter),
    )
    .with_key_count_at(1),
    Command::new(
        "zdiff",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        "sorted-set",
        "Returns the difference between multiple sorted sets.",
        handler!(setops::zdiff),
    )
    .with_key_count_at(1),
    Command::new(
        "zunionstore",
        -4,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        "sorted-set",
        "Stores the union of multiple sorted sets in a key.",
        handler!(setops::zunionstore),
    )
    .with_key_count_at(2),
    Command::new(
        "zinterstore",
        -4,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        "sorted-set",
        "Stores the intersect of multiple sorted sets in a key.",
        handler!(setops::zinterstore),
    )
    .with_key_count_at(2),
    Command::new(
        "zdiffstore",
        -4,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        "sorted-set",
        "Stores the difference of multiple sorted sets in a key.",
        handler!(setops::zdiffstore),
    )
    .with_key_count_at(2),
    Command::new(
        "zintercard",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        "sorted-set",
        "Returns the number of members of the intersect of multiple sorted sets.",
        handler!(setops::zintercard),
    )
    .with_key_count_at(1),
    Command::new(
        "zscan",
        -3,
        READONLY,
        (1, 1, 1),
        "sorted-set",
        "Iterates over members and scores of a sorted set.",
        handler!(scan::zscan),
    ),
];
