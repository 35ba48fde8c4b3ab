//! Parsing of score and lex range ends, as Redis's `zslParseRange` and `zslParseLexRange` read
//! them.
//!
//! Score ends go through C's `strtod` over the argument as a C string, as Redis does: leading
//! blanks, hex floats and `inf` are accepted, an empty string (or a lone `(`) is 0, NaN is not,
//! and bytes after a NUL are ignored.

use std::ffi::CString;

use bytes::Bytes;

use crate::store::zsets::{LexBound, ScoreBound};

/// A score range end: `1.5`, `(1.5`, `-inf`, `+inf`.
pub fn score_bound(arg: &[u8]) -> Option<ScoreBound> {
    let (exclusive, text) = match arg.first() {
        Some(b'(') => (true, &arg[1..]),
        _ => (false, arg),
    };
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let c = CString::new(&text[..end]).ok()?;
    let mut rest: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `c` is NUL-terminated and outlives the call; strtod writes only `rest`.
    let value = unsafe { libc::strtod(c.as_ptr(), &mut rest) };
    // SAFETY: strtod leaves `rest` inside `c`, at the latest on its terminating NUL.
    let consumed_all = unsafe { *rest == 0 };
    (consumed_all && !value.is_nan()).then_some(ScoreBound { value, exclusive })
}

/// A lex range end: `-`, `+`, `[member` or `(member`.
pub fn lex_bound(arg: &[u8]) -> Option<LexBound> {
    // Redis checks "-" and "+" as C strings: a NUL may follow.
    let lone = arg.len() == 1 || arg.get(1) == Some(&0);
    match arg.first() {
        Some(b'-') if lone => Some(LexBound::Min),
        Some(b'+') if lone => Some(LexBound::Max),
        Some(b'[') => Some(LexBound::Inclusive(Bytes::copy_from_slice(&arg[1..]))),
        Some(b'(') => Some(LexBound::Exclusive(Bytes::copy_from_slice(&arg[1..]))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(s: &str) -> Option<(f64, bool)> {
        score_bound(s.as_bytes()).map(|b| (b.value, b.exclusive))
    }

    #[test]
    fn scores_parse_like_strtod() {
        assert_eq!(score("1.5"), Some((1.5, false)));
        assert_eq!(score("(1.5"), Some((1.5, true)));
        assert_eq!(score("-inf"), Some((f64::NEG_INFINITY, false)));
        assert_eq!(score("+inf"), Some((f64::INFINITY, false)));
        assert_eq!(score("(inf"), Some((f64::INFINITY, true)));
        assert_eq!(score(""), Some((0.0, false)));
        assert_eq!(score("("), Some((0.0, true)));
        assert_eq!(score(" 2"), Some((2.0, false)));
        assert_eq!(score("0x10"), Some((16.0, false)));
        assert_eq!(score_bound(b"3\x00junk").map(|b| b.value), Some(3.0));
        assert_eq!(score("nan"), None);
        assert_eq!(score("1x"), None);
        assert_eq!(score("2 "), None);
        assert_eq!(score("[1"), None);
    }

    #[test]
    fn lex_bounds() {
        assert_eq!(lex_bound(b"-"), Some(LexBound::Min));
        assert_eq!(lex_bound(b"+"), Some(LexBound::Max));
        assert_eq!(lex_bound(b"+\x00x"), Some(LexBound::Max));
        assert_eq!(
            lex_bound(b"[a"),
            Some(LexBound::Inclusive(Bytes::from("a")))
        );
        assert_eq!(lex_bound(b"("), Some(LexBound::Exclusive(Bytes::new())));
        assert_eq!(lex_bound(b"--"), None);
        assert_eq!(lex_bound(b"a"), None);
        assert_eq!(lex_bound(b""), None);
    }
}
