//! ZSCAN. A sorted set Redis would hold as a listpack (up to 128 members of up to 64 bytes)
//! comes whole in one reply with the cursor 0, in score order, exactly as Redis sends it. A
//! larger one comes COUNT members at a time in member order, the cursor counting the members
//! already returned; unlike Redis's hash-table cursor, removing members during the iteration
//! can make it skip others.

use bytes::Bytes;

use super::super::errors::{NOT_INTEGER, SYNTAX};
use super::super::keys::parse_cursor;
use super::super::table::CmdResult;
use super::super::{Args, CmdError, Ctx};
use super::option_is;
use crate::glob;
use crate::numbers::{format_double, string2ll};
use crate::resp::Reply;
use crate::store::zsets as sql;

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
pub async fn zscan(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let cursor = parse_cursor(&args.next_bytes()?)?;
    let (count, pattern) = match options(args) {
        Ok(options) => options,
        // Redis looks the key up before it reads the options: an absent key is an empty scan
        // and a key of another type WRONGTYPE, whatever follows.
        Err(_) if sql::card(&ctx.store, ctx.db, &key).await? == 0 => {
            return Ok(scan_reply(0, Vec::new()));
        }
        Err(e) => return Err(e),
    };
    let cursor = i64::try_from(cursor).unwrap_or(i64::MAX);
    let (next, members) = sql::scan(&ctx.store, ctx.db, &key, cursor, count)
        .await?
        .unwrap_or((0, Vec::new()));
    let items = members
        .into_iter()
        .filter(|(m, _)| pattern.as_ref().is_none_or(|p| glob::matches(p, m, false)))
        .flat_map(|(m, s)| [Reply::Bulk(m), Reply::bulk(format_double(s))])
        .collect();
    Ok(scan_reply(next, items))
}

fn scan_reply(cursor: i64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::bulk(cursor.to_string()), Reply::Array(items)])
}

/// COUNT and MATCH.
fn options(mut args: Args) -> Result<(i64, Option<Bytes>), CmdError> {
    let mut count: i64 = 10;
    let mut pattern: Option<Bytes> = None;
    while !args.is_empty() {
        let option = args.next_bytes()?;
        if args.is_empty() {
            return Err(SYNTAX.into());
        }
        if option_is(&option, "COUNT") {
            count = string2ll(&args.next_bytes()?).ok_or(CmdError::from(NOT_INTEGER))?;
            if count < 1 {
                return Err(SYNTAX.into());
            }
        } else if option_is(&option, "MATCH") {
            let p = args.next_bytes()?;
            pattern = (&p[..] != b"*").then_some(p);
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok((count, pattern))
}
