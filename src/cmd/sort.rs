//! SORT and SORT_RO over lists, sets and sorted sets. SQL lives in `store::sort`; the sorting
//! itself runs in PostgreSQL (`pgredis_sort` in `migrations/0008_hashes.sql`), so that SORT ...
//! STORE reads and writes under one set of row locks.
//!
//! Here the options are read as Redis's sortCommandGeneric reads them (in order, the first bad
//! one answering, all before the key is looked at), and BY and GET patterns are split as its
//! lookupKeyByPattern splits them, C-string quirks included: `*`, `->` and `#` are only seen
//! before a NUL byte.
//!
//! Differences from Redis: ALPHA compares bytes, which is what Redis's strcoll does in the C
//! locale; when BY, ALPHA and a LIMIT meet, Redis's partial quicksort may order equal BY values
//! differently from the stable order pgredis gives them; sets and sorted sets sorted under ALPHA
//! with equal BY values come in member order rather than Redis's hash-table order.

use bytes::Bytes;

use super::errors::{NOT_INTEGER, SYNTAX, c_str};
use super::table::*;
use super::{Args, CmdError, Ctx};
use crate::handler;
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::sort::{self as sql, Pattern, SortSpec};

pub const COMMANDS: &[Command] = &[
    Command::new(
        "sort",
        -2,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        "generic",
        "Sort the elements in a list, set or sorted set",
        handler!(sort),
    ),
    Command::new(
        "sort_ro",
        -2,
        READONLY | MOVABLE_KEYS,
        (1, 1, 1),
        "generic",
        "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
        handler!(sort_ro),
    ),
];

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]
/// [STORE destination]
async fn sort(ctx: &mut Ctx, args: Args) -> CmdResult {
    run(ctx, args, false).await
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC]
/// [ALPHA]
async fn sort_ro(ctx: &mut Ctx, args: Args) -> CmdResult {
    run(ctx, args, true).await
}

async fn run(ctx: &mut Ctx, mut args: Args, readonly: bool) -> CmdResult {
    let key = args.next_bytes()?;
    let (spec, store) = parse(&mut args, readonly)?;
    match store {
        Some(dest) => Ok(Reply::Int(
            sql::sort_store(&ctx.store, ctx.db, &key, &dest, &spec).await?,
        )),
        None => {
            let items = sql::sort(&ctx.store, ctx.db, &key, &spec).await?;
            Ok(Reply::Array(
                items.into_iter().map(Reply::bulk_or_nil).collect(),
            ))
        }
    }
}

/// Redis compares option names with strcasecmp: as C strings, without case.
fn is(arg: &[u8], name: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(name)
}

/// The options after the key, and STORE's destination.
fn parse(args: &mut Args, readonly: bool) -> Result<(SortSpec, Option<Bytes>), CmdError> {
    let mut spec = SortSpec {
        count: -1,
        ..SortSpec::default()
    };
    let mut store = None;
    while let Some(option) = args.peek().cloned() {
        args.next_bytes()?;
        let left = args.remaining();
        if is(&option, "asc") {
            spec.desc = false;
        } else if is(&option, "desc") {
            spec.desc = true;
        } else if is(&option, "alpha") {
            spec.alpha = true;
        } else if is(&option, "limit") && left >= 2 {
            spec.offset = string2ll(&args.next_bytes()?).ok_or(NOT_INTEGER)?;
            spec.count = string2ll(&args.next_bytes()?).ok_or(NOT_INTEGER)?;
        } else if !readonly && is(&option, "store") && left >= 1 {
            store = Some(args.next_bytes()?);
        } else if is(&option, "by") && left >= 1 {
            let pattern = args.next_bytes()?;
            // A BY pattern without '*' names one key for every element: nothing to sort by.
            spec.dontsort = !cstr(&pattern).contains(&b'*');
            spec.by = Some(split(&pattern));
        } else if is(&option, "get") && left >= 1 {
            spec.gets.push(split(&args.next_bytes()?));
        } else {
            return Err(SYNTAX.into());
        }
    }
    if spec.dontsort {
        spec.by = None;
    }
    Ok((spec, store))
}

/// The bytes before the first NUL.
fn cstr(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// Splits a pattern as lookupKeyByPattern does: `#` alone is the element; the key is the
/// pattern with its first `*` replaced by the element, and a `->field` after that `*` names a
/// hash field (an empty field does not count, and `->` stays part of the key).
pub fn split(pattern: &[u8]) -> Pattern {
    let c = cstr(pattern);
    if c == b"#" {
        return Pattern::Element;
    }
    let Some(star) = c.iter().position(|&b| b == b'*') else {
        return Pattern::Nothing;
    };
    let arrow = c[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&at| c.len() > at + 2);
    let (postfix_end, field) = match arrow {
        Some(at) => (at, Some(Bytes::copy_from_slice(&pattern[at + 2..]))),
        None => (pattern.len(), None),
    };
    Pattern::Lookup {
        prefix: Bytes::copy_from_slice(&pattern[..star]),
        postfix: Bytes::copy_from_slice(&pattern[star + 1..postfix_end]),
        field,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(prefix: &[u8], postfix: &[u8], field: Option<&[u8]>) -> Pattern {
        Pattern::Lookup {
            prefix: Bytes::copy_from_slice(prefix),
            postfix: Bytes::copy_from_slice(postfix),
            field: field.map(Bytes::copy_from_slice),
        }
    }

    #[test]
    fn patterns_split_like_lookup_key_by_pattern() {
        assert_eq!(split(b"#"), Pattern::Element);
        assert_eq!(split(b"#\x00junk"), Pattern::Element);
        assert_eq!(split(b"##"), Pattern::Nothing);
        assert_eq!(split(b""), Pattern::Nothing);
        assert_eq!(split(b"nosort"), Pattern::Nothing);
        assert_eq!(split(b"a\x00*"), Pattern::Nothing);
        assert_eq!(split(b"w_*"), lookup(b"w_", b"", None));
        assert_eq!(split(b"w_*_x"), lookup(b"w_", b"_x", None));
        assert_eq!(split(b"h_*->f"), lookup(b"h_", b"", Some(b"f")));
        assert_eq!(split(b"h_*x->f->g"), lookup(b"h_", b"x", Some(b"f->g")));
        assert_eq!(split(b"h_*->"), lookup(b"h_", b"->", None));
        assert_eq!(split(b"h_*->\x00f"), lookup(b"h_", b"->\x00f", None));
        assert_eq!(split(b"h_*->f\x00g"), lookup(b"h_", b"", Some(b"f\x00g")));
        assert_eq!(split(b"->*"), lookup(b"->", b"", None));
        assert_eq!(split(b"*a*"), lookup(b"", b"a*", None));
    }
}
