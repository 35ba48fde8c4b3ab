//! Generic key commands, for keys of any type. SQL lives in `store::keys`.
//!
//! This file holds the command table and the simplest handlers (DEL, EXISTS, TYPE, TOUCH); the
//! others are grouped by meaning: `expire` (EXPIRE family, TTL family, PERSIST), `scan` (KEYS,
//! SCAN, RANDOMKEY), `rename` (RENAME, RENAMENX, COPY, MOVE, SWAPDB) and `object` (OBJECT).

mod expire;
mod object;
mod rename;
mod scan;

/// SCAN's cursor parsing, shared with the per-type SCAN commands (ZSCAN, ...).
pub(crate) use scan::parse_cursor;

use super::errors::{self, CmdError};
use super::table::*;
use super::{Args, Ctx};
use crate::handler;
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::keys as sql;

pub const COMMANDS: &[Command] = &[
    Command::new(
        "del",
        -2,
        WRITE,
        (1, -1, 1),
        "generic",
        "Deletes one or more keys.",
        handler!(del),
    ),
    Command::new(
        "unlink",
        -2,
        WRITE | FAST,
        (1, -1, 1),
        "generic",
        "Asynchronously deletes one or more keys.",
        handler!(del),
    ),
    Command::new(
        "exists",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        "generic",
        "Determines whether one or more keys exist.",
        handler!(exists),
    ),
    Command::new(
        "type",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "generic",
        "Determines the type of value stored at a key.",
        handler!(key_type),
    ),
    Command::new(
        "touch",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        "generic",
        "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        handler!(touch),
    ),
    Command::new(
        "expire",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "generic",
        "Set a key's time to live in seconds",
        handler!(expire::expire),
    ),
    Command::new(
        "pexpire",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "generic",
        "Set a key's time to live in milliseconds",
        handler!(expire::pexpire),
    ),
    Command::new(
        "expireat",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "generic",
        "Set the expiration for a key as a UNIX timestamp",
        handler!(expire::expireat),
    ),
    Command::new(
        "pexpireat",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "generic",
        "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        handler!(expire::pexpireat),
    ),
    Command::new(
        "ttl",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "generic",
        "Get the time to live for a key in seconds",
        handler!(expire::ttl),
    ),
    Command::new(
        "pttl",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "generic",
        "Get the time to live for a key in milliseconds",
        handler!(expire::pttl),
    ),
    Command::new(
        "expiretime",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "generic",
        "Get the expiration Unix timestamp for a key",
        handler!(expire::expiretime),
    ),
    Command::new(
        "pexpiretime",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "generic",
        "Get the expiration Unix timestamp for a key in milliseconds",
        handler!(expire::pexpiretime),
    ),
    Command::new(
        "persist",
        2,
        WRITE | FAST,
        (1, 1, 1),
        "generic",
        "Remove the expiration from a key",
        handler!(expire::persist),
    ),
    Command::new(
        "keys",
        2,
        READONLY,
        (0, 0, 0),
        "generic",
        "Find all keys matching the given pattern",
        handler!(scan::keys),
    ),
    Command::new(
        "scan",
        -2,
        READONLY,
        (0, 0, 0),
        "generic",
        "Incrementally iterate the keys space",
        handler!(scan::scan),
    ),
    Command::new(
        "randomkey",
        1,
        READONLY,
        (0, 0, 0),
        "generic",
        "Return a random key from the keyspace",
        handler!(scan::randomkey),
    ),
    Command::new(
        "rename",
        3,
        WRITE,
        (1, 2, 1),
        "generic",
        "Rename a key",
        handler!(rename::rename),
    ),
    Command::new(
        "renamenx",
        3,
        WRITE | FAST,
        (1, 2, 1),
        "generic",
        "Rename a key, only if the new key does not exist",
        handler!(rename::renamenx),
    ),
    Command::new(
        "copy",
        -3,
        WRITE | DENYOOM,
        (1, 2, 1),
        "generic",
        "Copy a key",
        handler!(rename::copy),
    ),
    Command::new(
        "move",
        3,
        WRITE | FAST,
        (1, 1, 1),
        "generic",
        "Move a key to another database",
        handler!(rename::move_key),
    ),
    Command::new(
        "swapdb",
        3,
        WRITE | FAST,
        (0, 0, 0),
        "server",
        "Swaps two Redis databases",
        handler!(rename::swapdb),
    ),
    object::COMMAND,
];

/// DEL key [key ...]  (and UNLINK key [key ...])
async fn del(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let keys = args.rest();
    Ok(Reply::Int(sql::del(&ctx.store, ctx.db, &keys).await?))
}

/// EXISTS key [key ...]
async fn exists(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let keys = args.rest();
    Ok(Reply::Int(sql::exists(&ctx.store, ctx.db, &keys).await?))
}

/// TOUCH key [key ...]
///
/// Counts the keys that exist, like EXISTS. Redis also refreshes their access time; pgredis
/// does not track access times (reads never write), so there is nothing to refresh.
async fn touch(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let keys = args.rest();
    Ok(Reply::Int(sql::exists(&ctx.store, ctx.db, &keys).await?))
}

/// TYPE key
async fn key_type(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let name = sql::key_type(&ctx.store, ctx.db, &key).await?;
    Ok(Reply::Status(name.unwrap_or_else(|| "none".into()).into()))
}

/// Whether an argument names an option, compared as Redis's `strcasecmp` does: as a C string,
/// which ends at the first NUL byte.
fn is_option(arg: &[u8], name: &str) -> bool {
    errors::c_str(arg).eq_ignore_ascii_case(name)
}

/// A database index argument as COPY and MOVE read it (`getIntFromObjectOrReply`, then the
/// range check of `selectDb`).
fn parse_db_index(ctx: &Ctx, arg: &[u8]) -> Result<i32, CmdError> {
    let index = string2ll(arg).ok_or(CmdError::from(errors::NOT_INTEGER))?;
    let index = i32::try_from(index).map_err(|_| CmdError::from(errors::INT_RANGE))?;
    check_db_index(ctx, index)
}

/// `index` if it names one of the configured databases, else Redis's range error.
fn check_db_index(ctx: &Ctx, index: i32) -> Result<i32, CmdError> {
    if index < 0 || index >= ctx.state.config.databases {
        return Err(errors::DB_INDEX.into());
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::is_option;

    #[test]
    fn options_compare_as_c_strings() {
        assert!(is_option(b"count", "COUNT"));
        assert!(is_option(b"CoUnT\x00junk", "COUNT"));
        assert!(!is_option(b"counts", "COUNT"));
        assert!(!is_option(b"", "COUNT"));
    }
}
