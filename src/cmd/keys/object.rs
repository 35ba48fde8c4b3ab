//! OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ | HELP: introspection of how Redis would hold a
//! value. SQL lives in `store::keys::object`.
//!
//! pgredis keeps values in PostgreSQL, so these answers describe what Redis would do with the
//! same value when it was written by SET or MSET:
//! - ENCODING of a string is "int" when Redis's `string2ll` accepts it (20 bytes at most),
//!   "embstr" up to 44 bytes, else "raw". Redis can also end up with "raw" for a short value
//!   written by APPEND, SETRANGE or SETBIT, or "embstr" for an INCRBYFLOAT result, because it
//!   remembers how a value was built; pgredis does not.
//! - ENCODING of a list is "quicklist" whatever its size: Redis 7.0 holds every list so (small
//!   lists as listpacks came with 7.2).
//! - ENCODING of a sorted set is "listpack" up to 128 members of at most 64 bytes each
//!   (`zset-max-listpack-entries` and `zset-max-listpack-value`), else "skiplist". Redis never
//!   converts a skiplist back, so a set that grew and shrank again can differ.
//! - REFCOUNT is 2147483647 for the integers 0 to 9999, which Redis shares, else 1.
//! - IDLETIME is always 0: pgredis does not track access times, since reads never write.
//! - FREQ answers as Redis does without an LFU maxmemory policy, which pgredis never has.

use super::super::errors::{self, CmdError};
use super::super::table::*;
use super::super::{Args, Ctx};
use crate::handler;
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::keys::object::{self as sql, KeyObject};
use crate::store::zsets;

/// Redis's `OBJ_SHARED_INTEGERS`: the integers below it are shared objects.
const SHARED_INTEGERS: i64 = 10_000;
/// The reference count Redis reports for shared objects (`OBJ_SHARED_REFCOUNT`, INT_MAX).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// The longest string Redis stores as "embstr" (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
const EMBSTR_SIZE_LIMIT: i32 = 44;

pub const COMMAND: Command = Command::new(
    "object",
    -2,
    0,
    (0, 0, 0),
    "generic",
    "A container for object introspection commands",
    // Never runs: dispatch answers OBJECT alone with an arity error and OBJECT <anything> with
    // a subcommand or the unknown-subcommand error.
    handler!(help),
)
.with_subcommands(&[
    Command::new(
        "object|encoding",
        3,
        READONLY,
        (2, 2, 1),
        "generic",
        "Inspect the internal encoding of a Redis object",
        handler!(encoding),
    ),
    Command::new(
        "object|freq",
        3,
        READONLY,
        (2, 2, 1),
        "generic",
        "Get the logarithmic access frequency counter of a Redis object",
        handler!(freq),
    ),
    Command::new(
        "object|help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        "generic",
        "Show helpful text about the different subcommands",
        handler!(help),
    ),
    Command::new(
        "object|idletime",
        3,
        READONLY,
        (2, 2, 1),
        "generic",
        "Get the time since a Redis object was last accessed",
        handler!(idletime),
    ),
    Command::new(
        "object|refcount",
        3,
        READONLY,
        (2, 2, 1),
        "generic",
        "Get the number of references to the value of the key",
        handler!(refcount),
    ),
]);

/// OBJECT ENCODING key
async fn encoding(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    match sql::object(&ctx.store, ctx.db, &key).await? {
        None => Ok(Reply::Nil),
        Some(object) if object.type_name == "set" => set_encoding(ctx, &key).await,
        // "listpack" while small (see `pgredis_hash_is_listpack`), else "hashtable".
        Some(object) if object.type_name == "hash" => Ok(Reply::bulk(
            if crate::store::hashes::is_listpack(&ctx.store, ctx.db, &key).await? {
                "listpack"
            } else {
                "hashtable"
            },
        )),
        // A sorted set's encoding depends on its members: a second read, of the zset's own.
        Some(object) if object.type_name == "zset" => {
            Ok(match zsets::is_listpack(&ctx.store, ctx.db, &key).await? {
                None => Reply::Nil,
                Some(true) => Reply::bulk("listpack"),
                Some(false) => Reply::bulk("skiplist"),
            })
        }
        Some(object) => Ok(Reply::bulk(encoding_of(&object)?)),
    }
}

/// A set's encoding in Redis 7.0: "intset" while every member is an integer and there are at
/// most set-max-intset-entries of them, else "hashtable". Redis never converts a hash table
/// back, so a set that once outgrew an intset (or held a non-integer) stays "hashtable" there
/// after SREM or SPOP shrink it; pgredis answers from the members it holds now. This reads the
/// members (at most set-max-intset-entries of them) in a second statement.
async fn set_encoding(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let max = crate::cmd::sets::max_intset_entries(ctx);
    let facts = crate::store::sets::encoding_facts(&ctx.store, ctx.db, key, max).await?;
    Ok(match facts {
        // Deleted or retyped between the two statements.
        None => Reply::Nil,
        Some((size, members)) => Reply::bulk(
            if size <= max && crate::cmd::sets::intset_members(&members, max).is_some() {
                "intset"
            } else {
                "hashtable"
            },
        ),
    })
}

/// The encoding Redis would report for a value.
fn encoding_of(object: &KeyObject) -> Result<&'static str, CmdError> {
    match object.type_name.as_str() {
        "string" => Ok(if stored_integer(object).is_some() {
            "int"
        } else if object.len.unwrap_or(0) <= EMBSTR_SIZE_LIMIT {
            "embstr"
        } else {
            "raw"
        }),
        // Redis 7.0 always holds lists as quicklists.
        "list" => Ok("quicklist"),
        // Sorted sets and hashes change encoding with their size and element lengths;
        // answering needs their child tables, which belong to those types' modules.
        other => Err(CmdError::msg(format!(
            "ERR OBJECT ENCODING is not supported for {other} keys yet"
        ))),
    }
}

/// The integer Redis would store a string value as (`tryObjectEncoding`), if any.
fn stored_integer(object: &KeyObject) -> Option<i64> {
    string2ll(object.short_value.as_deref()?)
}

/// OBJECT REFCOUNT key
async fn refcount(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let Some(object) = sql::object(&ctx.store, ctx.db, &key).await? else {
        return Ok(Reply::Nil);
    };
    let shared = object.type_name == "string"
        && stored_integer(&object).is_some_and(|n| (0..SHARED_INTEGERS).contains(&n));
    Ok(Reply::Int(if shared { SHARED_REFCOUNT } else { 1 }))
}

/// OBJECT IDLETIME key
///
/// Always 0 for an existing key: pgredis does not record access times (reads never write).
async fn idletime(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    Ok(
        match crate::store::keys::key_type(&ctx.store, ctx.db, &key).await? {
            None => Reply::Nil,
            Some(_) => Reply::Int(0),
        },
    )
}

/// OBJECT FREQ key
///
/// Redis tracks access frequency only under an LFU maxmemory policy, which pgredis never has.
async fn freq(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    match crate::store::keys::key_type(&ctx.store, ctx.db, &key).await? {
        None => Ok(Reply::Nil),
        Some(_) => Err(errors::LFU_NOT_SELECTED.into()),
    }
}

/// OBJECT HELP
async fn help(_ctx: &mut Ctx, _args: Args) -> CmdResult {
    const LINES: &[&str] = &[
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::Array(
        LINES.iter().map(|l| Reply::status(l)).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn string(value: &[u8]) -> KeyObject {
        KeyObject {
            type_name: "string".into(),
            len: Some(value.len() as i32),
            short_value: (value.len() <= 20).then(|| Bytes::copy_from_slice(value)),
        }
    }

    #[test]
    fn string_encodings() {
        let enc = |v: &[u8]| encoding_of(&string(v)).unwrap();
        assert_eq!(enc(b"1"), "int");
        assert_eq!(enc(b"-9223372036854775808"), "int");
        assert_eq!(enc(b"9223372036854775808"), "embstr");
        assert_eq!(enc(b"01"), "embstr");
        assert_eq!(enc(b"-0"), "embstr");
        assert_eq!(enc(b""), "embstr");
        assert_eq!(enc(&[b'x'; 44]), "embstr");
        assert_eq!(enc(&[b'x'; 45]), "raw");
    }

    #[test]
    fn lists_are_quicklists() {
        let list = KeyObject {
            type_name: "list".into(),
            len: None,
            short_value: None,
        };
        assert_eq!(encoding_of(&list).unwrap(), "quicklist");
    }
}
