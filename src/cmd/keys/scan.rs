//! Walking the keyspace: KEYS, SCAN and RANDOMKEY. SQL lives in `store::keys::scan`.
//!
//! Patterns are matched by `crate::glob`, Redis's own algorithm, in Rust; the SQL only narrows
//! the rows to the pattern's literal prefix through the primary key.
//!
//! SCAN's cursor is a key_id: each call returns the live keys with a key_id above the cursor,
//! COUNT of them at most (before MATCH filters them, as Redis counts the work and not the
//! results), and the last key_id it read as the next cursor, or 0 when it read fewer than COUNT.
//! Since key_ids only grow, a key that exists for the whole iteration is returned exactly once,
//! as Redis guarantees. Cursor values differ from Redis's, which clients treat as opaque anyway.

use bytes::Bytes;

use super::super::errors::{self, CmdError, SYNTAX};
use super::super::table::CmdResult;
use super::super::{Args, Ctx};
use super::is_option;
use crate::glob;
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::keys::scan::{self as sql, KeyRange};

/// The type names a key can have, as TYPE and SCAN's TYPE option spell them.
const TYPE_NAMES: &[&str] = &["string", "list", "set", "zset", "hash"];

/// KEYS pattern
pub async fn keys(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let pattern = args.next_bytes()?;
    let prefix = glob::literal_prefix(&pattern);
    let upper = glob::prefix_upper_bound(prefix);
    let range = KeyRange {
        from: prefix,
        to: upper.as_deref(),
    };
    let candidates = sql::keys(&ctx.store, ctx.db, range).await?;
    let all = &pattern[..] == b"*";
    Ok(Reply::Array(
        candidates
            .into_iter()
            .filter(|key| all || glob::matches(&pattern, key, false))
            .map(Reply::Bulk)
            .collect(),
    ))
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub async fn scan(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let cursor = parse_cursor(&args.next_bytes()?)?;
    let mut count: i64 = 10;
    let mut pattern: Option<Bytes> = None;
    let mut type_name: Option<String> = None;
    while !args.is_empty() {
        let option = args.next_bytes()?;
        if args.is_empty() {
            return Err(SYNTAX.into());
        }
        if is_option(&option, "COUNT") {
            count = string2ll(&args.next_bytes()?).ok_or(CmdError::from(errors::NOT_INTEGER))?;
            if count < 1 {
                return Err(SYNTAX.into());
            }
        } else if is_option(&option, "MATCH") {
            let p = args.next_bytes()?;
            // "*" matches everything: no pattern at all.
            pattern = (&p[..] != b"*").then_some(p);
        } else if is_option(&option, "TYPE") {
            // Redis compares type names with strcasecmp.
            type_name = Some(errors::c_str(&args.next_bytes()?).to_ascii_lowercase());
        } else {
            return Err(SYNTAX.into());
        }
    }
    if type_name
        .as_deref()
        .is_some_and(|t| !TYPE_NAMES.contains(&t))
    {
        // No key has that type: the iteration is over at once.
        return Ok(scan_reply(0, Vec::new()));
    }

    let prefix = pattern.as_deref().map_or(&b""[..], glob::literal_prefix);
    let upper = glob::prefix_upper_bound(prefix);
    let range = KeyRange {
        from: prefix,
        to: upper.as_deref(),
    };
    let after = i64::try_from(cursor).unwrap_or(i64::MAX);
    let rows = sql::scan(
        &ctx.store,
        ctx.db,
        after,
        count,
        range,
        type_name.as_deref(),
    )
    .await?;
    let next = match rows.last() {
        Some(&(key_id, _)) if rows.len() as i64 >= count => key_id,
        _ => 0,
    };
    let keys = rows
        .into_iter()
        .map(|(_, key)| key)
        .filter(|key| {
            pattern
                .as_ref()
                .is_none_or(|p| glob::matches(p, key, false))
        })
        .collect();
    Ok(scan_reply(next, keys))
}

fn scan_reply(cursor: i64, keys: Vec<Bytes>) -> Reply {
    Reply::Array(vec![
        Reply::bulk(cursor.to_string()),
        Reply::Array(keys.into_iter().map(Reply::Bulk).collect()),
    ])
}

/// A cursor as Redis's `parseScanCursorOrReply` reads it: C's `strtoul` in base 10 over the
/// argument as a C string, so a sign is allowed and `-1` wraps round, and nothing may precede or
/// follow the digits. An empty cursor is 0.
pub(crate) fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    let text = &arg[..end];
    if text.is_empty() {
        return Ok(0);
    }
    let (negative, digits) = match text[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(errors::INVALID_CURSOR.into());
    }
    let mut value: u64 = 0;
    for &d in digits {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as u64))
            .ok_or(CmdError::from(errors::INVALID_CURSOR))?;
    }
    Ok(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// RANDOMKEY
pub async fn randomkey(ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(Reply::bulk_or_nil(
        sql::random_key(&ctx.store, ctx.db).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"+7"), Ok(7));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"12\x00junk"), Ok(12));
        for bad in [
            &b" 0"[..],
            b"0x",
            b"-",
            b"+",
            b"1 ",
            b"18446744073709551616",
            b"abc",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }
}
