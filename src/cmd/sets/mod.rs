//! Set commands: the command table of the `set` group and its handlers. SQL lives in
//! `store::sets`, server-side functions in `migrations/0007_sets.sql`.
//!
//! - `members`: SADD, SREM, SMOVE, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD.
//! - `random`: SPOP and SRANDMEMBER.
//! - `algebra`: SINTER, SUNION, SDIFF, SINTERCARD and their STORE forms.
//! - `scan`: SSCAN.
//!
//! Replies that are a set in Redis (SMEMBERS, SINTER, SUNION, SDIFF, SPOP with a count) are
//! `Reply::Set`: RESP3 `~`, a plain array in RESP2; their order is unspecified, as in Redis.

mod algebra;
mod members;
mod random;
mod scan;

pub use random::MAX_DRAWS;

use bytes::Bytes;

use super::Ctx;
use super::table::*;
use crate::handler;
use crate::numbers::string2ll;
use crate::resp::Reply;

/// Members as a set reply.
fn set_reply(members: Vec<Bytes>) -> Reply {
    Reply::Set(members.into_iter().map(Reply::Bulk).collect())
}

/// Redis's set-max-intset-entries as this instance is configured (512 by default).
pub fn max_intset_entries(ctx: &Ctx) -> i64 {
    super::config_params::value_of(&ctx.state, "set-max-intset-entries")
        .parse()
        .unwrap_or(512)
}

/// When Redis would hold these members as an intset (each one an integer `string2ll` accepts,
/// and at most `max_entries` of them): the members in the intset's order, ascending numbers.
/// Redis 7.0 has no other compact encoding for sets: anything else is a hash table.
pub fn intset_members(members: &[Bytes], max_entries: i64) -> Option<Vec<Bytes>> {
    if members.len() as i64 > max_entries {
        return None;
    }
    let mut numbers = members
        .iter()
        .map(|m| string2ll(m).map(|n| (n, m.clone())))
        .collect::<Option<Vec<_>>>()?;
    numbers.sort_by_key(|&(n, _)| n);
    Some(numbers.into_iter().map(|(_, m)| m).collect())
}

pub const COMMANDS: &[Command] = &[
    Command::new(
        "sadd",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "set",
        "Add one or more members to a set",
        handler!(members::sadd),
    ),
    Command::new(
        "srem",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "set",
        "Remove one or more members from a set",
        handler!(members::srem),
    ),
    Command::new(
        "smove",
        4,
        WRITE | FAST,
        (1, 2, 1),
        "set",
        "Move a member from one set to another",
        handler!(members::smove),
    ),
    Command::new(
        "smembers",
        2,
        READONLY,
        (1, 1, 1),
        "set",
        "Get all the members in a set",
        handler!(members::smembers),
    ),
    Command::new(
        "sismember",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "set",
        "Determine if a given value is a member of a set",
        handler!(members::sismember),
    ),
    Command::new(
        "smismember",
        -3,
        READONLY | FAST,
        (1, 1, 1),
        "set",
        "Returns the membership associated with the given elements for a set",
        handler!(members::smismember),
    ),
    Command::new(
        "scard",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "set",
        "Get the number of members in a set",
        handler!(members::scard),
    ),
    Command::new(
        "spop",
        -2,
        WRITE | FAST,
        (1, 1, 1),
        "set",
        "Remove and return one or multiple random members from a set",
        handler!(random::spop),
    ),
    Command::new(
        "srandmember",
        -2,
        READONLY,
        (1, 1, 1),
        "set",
        "Get one or multiple random members from a set",
        handler!(random::srandmember),
    ),
    Command::new(
        "sinter",
        -2,
        READONLY,
        (1, -1, 1),
        "set",
        "Intersect multiple sets",
        handler!(algebra::sinter),
    ),
    Command::new(
        "sintercard",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        "set",
        "Intersect multiple sets and return the cardinality of the result",
        handler!(algebra::sintercard),
    )
    .with_key_count_at(1),
    Command::new(
        "sinterstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        "set",
        "Intersect multiple sets and store the resulting set in a key",
        handler!(algebra::sinterstore),
    ),
    Command::new(
        "sunion",
        -2,
        READONLY,
        (1, -1, 1),
        "set",
        "Add multiple sets",
        handler!(algebra::sunion),
    ),
    Command::new(
        "sunionstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        "set",
        "Add multiple sets and store the resulting set in a key",
        handler!(algebra::sunionstore),
    ),
    Command::new(
        "sdiff",
        -2,
        READONLY,
        (1, -1, 1),
        "set",
        "Subtract multiple sets",
        handler!(algebra::sdiff),
    ),
    Command::new(
        "sdiffstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        "set",
        "Subtract multiple sets and store the resulting set in a key",
        handler!(algebra::sdiffstore),
    ),
    Command::new(
        "sscan",
        -3,
        READONLY,
        (1, 1, 1),
        "set",
        "Incrementally iterate Set elements",
        handler!(scan::sscan),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn members(words: &[&str]) -> Vec<Bytes> {
        words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    #[test]
    fn intsets_hold_integers_only_in_numeric_order() {
        assert_eq!(
            intset_members(&members(&["10", "-3", "2"]), 512),
            Some(members(&["-3", "2", "10"]))
        );
        assert_eq!(
            intset_members(
                &members(&["9223372036854775807", "-9223372036854775808"]),
                512
            ),
            Some(members(&["-9223372036854775808", "9223372036854775807"]))
        );
        for not_integer in [
            "01",
            "+1",
            "-0",
            " 1",
            "1.0",
            "a",
            "",
            "9223372036854775808",
        ] {
            assert_eq!(intset_members(&members(&["1", not_integer]), 512), None);
        }
        assert_eq!(intset_members(&members(&["1", "2", "3"]), 2), None);
    }
}
