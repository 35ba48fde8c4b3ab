//! HSCAN. A hash Redis would keep as a listpack comes back whole in one step with cursor 0,
//! whatever the cursor, exactly as Redis answers. A larger one is walked in insertion order: the
//! cursor is the `seq` of the last field returned, and since `seq` only grows, a field present
//! for the whole iteration is returned exactly once. Cursor values differ from Redis's, which
//! clients treat as opaque.

use bytes::Bytes;

use crate::cmd::errors::{CmdError, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::cmd::keys::parse_cursor;
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::glob;
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::hashes as sql;

struct Options {
    count: i64,
    pattern: Option<Bytes>,
}

/// MATCH and COUNT, as Redis's scanGenericCommand reads them.
fn options(args: &mut Args) -> Result<Options, CmdError> {
    let mut options = Options {
        count: 10,
        pattern: None,
    };
    while !args.is_empty() {
        let option = args.next_bytes()?;
        if args.is_empty() {
            return Err(SYNTAX.into());
        }
        if is(&option, "count") {
            options.count = string2ll(&args.next_bytes()?).ok_or(NOT_INTEGER)?;
            if options.count < 1 {
                return Err(SYNTAX.into());
            }
        } else if is(&option, "match") {
            let p = args.next_bytes()?;
            options.pattern = (&p[..] != b"*").then_some(p);
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok(options)
}

/// Redis compares option names with strcasecmp: as C strings, without case.
fn is(arg: &[u8], name: &str) -> bool {
    crate::cmd::errors::c_str(arg).eq_ignore_ascii_case(name)
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
pub async fn hscan(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let cursor = parse_cursor(&args.next_bytes()?)?;
    // Redis looks the key up before it reads the options: an absent key answers an empty scan
    // and a key of another type WRONGTYPE, whatever follows.
    let options = match options(&mut args) {
        Ok(options) => options,
        Err(e) => {
            return match crate::store::keys::key_type(&ctx.store, ctx.db, &key).await? {
                None => Ok(scan_reply(0, Vec::new())),
                Some(t) if t != "hash" => Err(WRONGTYPE.into()),
                Some(_) => Err(e),
            };
        }
    };
    let after = i64::try_from(cursor).unwrap_or(i64::MAX);
    let (pairs, next) = sql::hscan(&ctx.store, ctx.db, &key, after, options.count).await?;
    let items = pairs
        .into_iter()
        .filter(|(field, _)| {
            options
                .pattern
                .as_ref()
                .is_none_or(|p| glob::matches(p, field, false))
        })
        .flat_map(|(f, v)| [Reply::Bulk(f), Reply::Bulk(v)])
        .collect();
    Ok(scan_reply(next, items))
}

fn scan_reply(cursor: i64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::bulk(cursor.to_string()), Reply::Array(items)])
}
