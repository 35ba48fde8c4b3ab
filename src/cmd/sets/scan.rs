//! SSCAN key cursor [MATCH pattern] [COUNT count].
//!
//! A set Redis would hold as an intset (integers only, at most set-max-intset-entries) comes back
//! whole in one reply with cursor 0, its members in numeric order, exactly as Redis answers. Any
//! other set of at most that many members also comes back whole with cursor 0 (Redis would page
//! through its small hash table; clients cannot tell). A bigger set is walked in hash order
//! (`pgredis_set_member_hash`, through an index): the cursor is the last hash returned, so a
//! member present for the whole iteration is returned at least once, as Redis guarantees, and a
//! step reads COUNT members (more when several share the last hash) before MATCH filters them.

use bytes::Bytes;

use crate::cmd::errors::{CmdError, NOT_INTEGER, SYNTAX};
use crate::cmd::keys::{is_option, parse_cursor};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::glob;
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::sets as sql;

/// SSCAN key cursor [MATCH pattern] [COUNT count]
pub async fn sscan(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let cursor = parse_cursor(&args.next_bytes()?)?;
    let max_intset = super::max_intset_entries(ctx);
    // Redis parses the options only once it has found the set: an absent key answers an empty
    // scan whatever follows, and a key of another type WRONGTYPE. So the options' errors wait
    // for the statement's answer. Hashes fit in 61 bits: a cursor beyond has nothing after it.
    let options = parse_options(&mut args);
    let count = options.as_ref().map_or(10, |&(_, count)| count);
    let after = i64::try_from(cursor).unwrap_or(i64::MAX);
    let Some(page) = sql::sscan(&ctx.store, ctx.db, &key, after, count, max_intset).await? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let (pattern, count) = options?;
    let next = match page.members.last() {
        Some(&(hash, _)) if !page.whole && page.members.len() as i64 >= count => hash,
        _ => 0,
    };
    let mut members: Vec<Bytes> = page.members.into_iter().map(|(_, m)| m).collect();
    if page.whole
        && let Some(numbers) = super::intset_members(&members, max_intset)
    {
        members = numbers;
    }
    members.retain(|m| pattern.as_ref().is_none_or(|p| glob::matches(p, m, false)));
    Ok(scan_reply(next, members))
}

/// MATCH and COUNT (default 10, at least 1), as Redis's `scanGenericCommand` reads them.
fn parse_options(args: &mut Args) -> Result<(Option<Bytes>, i64), CmdError> {
    let mut pattern = None;
    let mut count = 10;
    while !args.is_empty() {
        let option = args.next_bytes()?;
        if args.is_empty() {
            return Err(SYNTAX.into());
        }
        if is_option(&option, "COUNT") {
            count = string2ll(&args.next_bytes()?).ok_or(CmdError::from(NOT_INTEGER))?;
            if count < 1 {
                return Err(SYNTAX.into());
            }
        } else if is_option(&option, "MATCH") {
            let p = args.next_bytes()?;
            pattern = (&p[..] != b"*").then_some(p);
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok((pattern, count))
}

fn scan_reply(cursor: i64, members: Vec<Bytes>) -> Reply {
    Reply::Array(vec![
        Reply::bulk(cursor.to_string()),
        Reply::Array(members.into_iter().map(Reply::Bulk).collect()),
    ])
}
