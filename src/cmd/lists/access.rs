//! Reading lists: LLEN, LRANGE, LINDEX and LPOS.

use super::{option_is, parse_non_negative};
use crate::cmd::errors::{CmdError, SYNTAX};
use crate::cmd::errors::{LPOS_COUNT_NEGATIVE, LPOS_MAXLEN_NEGATIVE, LPOS_RANK_ZERO, NOT_INTEGER};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::lists::{self as sql, End, PosQuery};

/// LLEN key
pub async fn llen(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    Ok(Reply::Int(sql::len(&ctx.store, ctx.db, &key).await?))
}

/// LRANGE key start stop
pub async fn lrange(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let start = args.next_i64()?;
    let stop = args.next_i64()?;
    let values = sql::range(&ctx.store, ctx.db, &key, start, stop).await?;
    Ok(Reply::Array(values.into_iter().map(Reply::Bulk).collect()))
}

/// LINDEX key index
pub async fn lindex(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    // Redis looks the key up first: a bad index is an error only for a list.
    let index = string2ll(&args.next_bytes()?);
    Ok(Reply::bulk_or_nil(
        sql::index(&ctx.store, ctx.db, &key, index).await?,
    ))
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub async fn lpos(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let element = args.next_bytes()?;
    let options = LposOptions::parse(&mut args)?;
    let found = sql::pos(&ctx.store, ctx.db, &key, &element, options.query()).await?;
    let indexes = found.unwrap_or_default();
    Ok(if options.count.is_some() {
        Reply::Array(indexes.into_iter().map(Reply::Int).collect())
    } else {
        indexes.first().map_or(Reply::Nil, |&i| Reply::Int(i))
    })
}

/// LPOS's options as given: RANK (1 unless given, never 0), COUNT (`None` unless given) and
/// MAXLEN (0 for no limit).
#[derive(Debug, Clone, Copy, PartialEq)]
struct LposOptions {
    rank: i64,
    count: Option<i64>,
    maxlen: i64,
}

impl LposOptions {
    fn parse(args: &mut Args) -> Result<LposOptions, CmdError> {
        let mut options = LposOptions {
            rank: 1,
            count: None,
            maxlen: 0,
        };
        while !args.is_empty() {
            let option = args.next_bytes()?;
            let has_value = !args.is_empty();
            if option_is(&option, "RANK") && has_value {
                options.rank = string2ll(&args.next_bytes()?).ok_or(NOT_INTEGER)?;
                if options.rank == 0 {
                    return Err(LPOS_RANK_ZERO.into());
                }
            } else if option_is(&option, "COUNT") && has_value {
                options.count = Some(parse_non_negative(
                    &args.next_bytes()?,
                    LPOS_COUNT_NEGATIVE,
                )?);
            } else if option_is(&option, "MAXLEN") && has_value {
                options.maxlen = parse_non_negative(&args.next_bytes()?, LPOS_MAXLEN_NEGATIVE)?;
            } else {
                return Err(SYNTAX.into());
            }
        }
        Ok(options)
    }

    /// What to look for. A negative rank counts from the tail. Redis negates the rank in a C
    /// `long`, so the most negative one stays negative: every match from the tail is then past
    /// the rank and none reaches the count, which this reproduces.
    fn query(&self) -> PosQuery {
        let from = if self.rank < 0 { End::Right } else { End::Left };
        let limit = match self.count {
            None => Some(1),
            Some(_) if self.rank == i64::MIN => None,
            Some(0) => None,
            Some(n) => Some(n),
        };
        PosQuery {
            from,
            skip: if self.rank == i64::MIN {
                0
            } else {
                self.rank.abs() - 1
            },
            limit,
            maxlen: (self.maxlen > 0).then_some(self.maxlen),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn parse(opts: &[&str]) -> Result<LposOptions, CmdError> {
        let argv: Vec<Bytes> = opts
            .iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        LposOptions::parse(&mut Args::new(argv, 0))
    }

    #[test]
    fn lpos_queries() {
        let q = parse(&[]).unwrap().query();
        assert_eq!(
            (q.from, q.skip, q.limit, q.maxlen),
            (End::Left, 0, Some(1), None)
        );
        let q = parse(&["rank", "-3", "count", "0", "maxlen", "5"])
            .unwrap()
            .query();
        assert_eq!(
            (q.from, q.skip, q.limit, q.maxlen),
            (End::Right, 2, None, Some(5))
        );
        let q = parse(&["RANK", "-9223372036854775808", "COUNT", "1"])
            .unwrap()
            .query();
        assert_eq!((q.from, q.skip, q.limit), (End::Right, 0, None));
    }

    #[test]
    fn lpos_errors() {
        assert_eq!(parse(&["rank", "0"]), Err(LPOS_RANK_ZERO.into()));
        assert_eq!(parse(&["rank", "x"]), Err(NOT_INTEGER.into()));
        assert_eq!(parse(&["count", "x"]), Err(LPOS_COUNT_NEGATIVE.into()));
        assert_eq!(parse(&["maxlen", "-1"]), Err(LPOS_MAXLEN_NEGATIVE.into()));
        assert_eq!(parse(&["rank"]), Err(SYNTAX.into()));
        assert_eq!(parse(&["foo", "1"]), Err(SYNTAX.into()));
    }
}
