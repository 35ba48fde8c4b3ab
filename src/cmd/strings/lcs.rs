//! LCS: the longest common subsequence of two strings, computed in Rust from the two values read
//! in one statement. The algorithm is Redis's own (a full dynamic-programming table walked back
//! from the end), so that when several subsequences are equally long the same one, and the same
//! match ranges, come out; so is its limit on the table's size.

use bytes::Bytes;

use super::option_is as is;
use crate::cmd::errors::{LCS_LEN_AND_IDX, LCS_NOT_STRINGS, LCS_TOO_BIG, SYNTAX};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::resp::Reply;
use crate::store::strings::{self as sql, Lookup};

/// Redis refuses an LCS table larger than proto-max-bulk-len bytes.
const MAX_TABLE_BYTES: u64 = 512 * 1024 * 1024;

/// Tables with more cells than this are filled on a blocking thread, off the async workers.
const BLOCKING_CELLS: u64 = 1 << 20;

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
pub async fn lcs(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key_a = args.next_bytes()?;
    let key_b = args.next_bytes()?;
    // Redis checks the types before it reads the options.
    let (a, b) = match sql::get_two(&ctx.store, ctx.db, &key_a, &key_b).await? {
        (Lookup::OtherType, _) | (_, Lookup::OtherType) => return Err(LCS_NOT_STRINGS.into()),
        (a, b) => (string_or_empty(a), string_or_empty(b)),
    };
    let mut options = Options::default();
    while !args.is_empty() {
        let option = args.next_bytes()?;
        if is(&option, "IDX") {
            options.idx = true;
        } else if is(&option, "LEN") {
            options.len = true;
        } else if is(&option, "WITHMATCHLEN") {
            options.with_match_len = true;
        } else if is(&option, "MINMATCHLEN") && !args.is_empty() {
            options.min_match_len = args.next_i64()?.max(0) as u64;
        } else {
            return Err(SYNTAX.into());
        }
    }
    if options.idx && options.len {
        return Err(LCS_LEN_AND_IDX.into());
    }
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells * 4 > MAX_TABLE_BYTES {
        return Err(LCS_TOO_BIG.into());
    }
    if cells > BLOCKING_CELLS {
        tokio::task::spawn_blocking(move || compute(&a, &b, &options))
            .await
            .map_err(|e| crate::cmd::CmdError::msg(format!("ERR LCS failed: {e}")))
    } else {
        Ok(compute(&a, &b, &options))
    }
}

fn string_or_empty(lookup: Lookup) -> Bytes {
    match lookup {
        Lookup::String(value) => value,
        _ => Bytes::new(),
    }
}

#[derive(Default, Clone, Copy)]
struct Options {
    idx: bool,
    len: bool,
    with_match_len: bool,
    min_match_len: u64,
}

/// One matching range: start and end (inclusive) in `a`, then in `b`.
struct Match {
    a: (usize, usize),
    b: (usize, usize),
}

/// The reply LCS gives for `a` and `b` with `options`, as Redis's `lcsCommand` builds it.
fn compute(a: &[u8], b: &[u8], options: &Options) -> Reply {
    let width = b.len() + 1;
    // table[i * width + j] is the LCS length of a[..i] and b[..j].
    let mut table = vec![0u32; (a.len() + 1) * width];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let total = table[a.len() * width + b.len()] as usize;
    if options.len && !options.idx {
        return Reply::Int(total as i64);
    }

    // Walk back from the end, collecting the subsequence and the contiguous ranges.
    let mut result = vec![0u8; total];
    let mut matches = Vec::new();
    let unset = a.len();
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (unset, 0, 0, 0);
    let (mut i, mut j, mut idx) = (a.len(), b.len(), total);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == unset {
                (a_start, a_end, b_start, b_end) = (i - 1, i - 1, j - 1, j - 1);
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = a_start != unset;
        }
        if emit {
            let len = (a_end - a_start + 1) as u64;
            if options.min_match_len == 0 || len >= options.min_match_len {
                matches.push(Match {
                    a: (a_start, a_end),
                    b: (b_start, b_end),
                });
            }
            a_start = unset;
        }
    }

    if !options.idx {
        return Reply::bulk(result);
    }
    let pair = |(start, end): (usize, usize)| {
        Reply::Array(vec![Reply::Int(start as i64), Reply::Int(end as i64)])
    };
    let matches = matches
        .into_iter()
        .map(|m| {
            let mut item = vec![pair(m.a), pair(m.b)];
            if options.with_match_len {
                item.push(Reply::Int((m.a.1 - m.a.0 + 1) as i64));
            }
            Reply::Array(item)
        })
        .collect();
    Reply::Map(vec![
        (Reply::bulk("matches"), Reply::Array(matches)),
        (Reply::bulk("len"), Reply::Int(total as i64)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(a: &str, b: &str, options: Options) -> Reply {
        compute(a.as_bytes(), b.as_bytes(), &options)
    }

    #[test]
    fn subsequence_and_length() {
        let o = Options::default();
        assert_eq!(run("ohmytext", "mynewtext", o), Reply::bulk("mytext"));
        assert_eq!(run("", "abc", o), Reply::bulk(""));
        let len = Options { len: true, ..o };
        assert_eq!(run("ohmytext", "mynewtext", len), Reply::Int(6));
    }

    #[test]
    fn ranges_as_redis_documents_them() {
        let o = Options {
            idx: true,
            with_match_len: true,
            min_match_len: 4,
            ..Options::default()
        };
        let range = |s: i64, e: i64| Reply::Array(vec![Reply::Int(s), Reply::Int(e)]);
        assert_eq!(
            run("ohmytext", "mynewtext", o),
            Reply::Map(vec![
                (
                    Reply::bulk("matches"),
                    Reply::Array(vec![Reply::Array(vec![
                        range(4, 7),
                        range(5, 8),
                        Reply::Int(4)
                    ])])
                ),
                (Reply::bulk("len"), Reply::Int(6)),
            ])
        );
    }
}
