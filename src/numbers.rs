//! Redis's number parsing and formatting, byte for byte.
//!
//! Redis is strict where Rust's `parse` is lenient (and the other way round): `string2ll` rejects
//! `+1`, `01` and `-0`; floats go through the C library's `strtod`/`strtold`. Replies must spell
//! numbers exactly as Redis does, so the long-double and `%.17g` formatting live in `numbers.c`.

use std::os::raw::{c_char, c_int, c_long};

unsafe extern "C" {
    fn pgredis_incrbyfloat(
        value: *const c_char,
        value_len: usize,
        has_value: c_int,
        incr: *const c_char,
        incr_len: usize,
        out: *mut c_char,
        out_len: usize,
    ) -> c_long;
    fn pgredis_format_double(d: f64, out: *mut c_char, out_len: usize) -> c_long;
    fn pgredis_parse_double(s: *const c_char, len: usize, out: *mut f64) -> c_int;
    fn pgredis_timeout_ms(s: *const c_char, len: usize, out: *mut i64) -> c_int;
}

/// Parses a signed 64-bit integer exactly as Redis's `string2ll`: optional `-`, no `+`, no
/// leading zeros, no blanks, at most 20 characters.
pub fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if negative {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Why INCRBYFLOAT could not add.
#[derive(Debug, PartialEq)]
pub enum FloatAddError {
    ValueNotFloat,
    IncrNotFloat,
    NanOrInfinity,
}

/// INCRBYFLOAT's arithmetic: `value + incr` in long double, formatted as Redis stores it.
pub fn incrbyfloat(value: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, FloatAddError> {
    let mut out = vec![0u8; 5 * 1024 + 64];
    let (vp, vl) = value.map_or((std::ptr::null(), 0), |v| (v.as_ptr(), v.len()));
    // SAFETY: every pointer comes with its length; the C side writes at most out.len() bytes.
    let n = unsafe {
        pgredis_incrbyfloat(
            vp as *const c_char,
            vl,
            value.is_some() as c_int,
            incr.as_ptr() as *const c_char,
            incr.len(),
            out.as_mut_ptr() as *mut c_char,
            out.len(),
        )
    };
    match n {
        -1 => Err(FloatAddError::ValueNotFloat),
        -2 => Err(FloatAddError::IncrNotFloat),
        n if n < 0 => Err(FloatAddError::NanOrInfinity),
        n => {
            out.truncate(n as usize);
            Ok(out)
        }
    }
}

/// A double as Redis 7.0 writes it in replies (`%.17g`, `inf`, `-inf`).
pub fn format_double(d: f64) -> String {
    let mut out = [0u8; 64];
    // SAFETY: the C side writes at most out.len() bytes, NUL included.
    let n = unsafe { pgredis_format_double(d, out.as_mut_ptr() as *mut c_char, out.len()) };
    String::from_utf8_lossy(&out[..n.clamp(0, 63) as usize]).into_owned()
}

/// Parses a double as Redis's `getDoubleFromObject` does (`inf` allowed, NaN not).
pub fn parse_double(s: &[u8]) -> Option<f64> {
    let mut v = 0f64;
    // SAFETY: the C side reads s.len() bytes and writes one f64.
    let ok = unsafe { pgredis_parse_double(s.as_ptr() as *const c_char, s.len(), &mut v) };
    (ok == 1).then_some(v)
}

/// A blocking command's timeout argument in milliseconds, as Redis 7.0 computes it from seconds
/// (a long double times 1000, rounded up; out of range comes out as `i64::MIN`); `None` when it
/// is not a float.
pub fn timeout_ms(s: &[u8]) -> Option<i64> {
    let mut v = 0i64;
    // SAFETY: the C side reads s.len() bytes and writes one i64.
    let ok = unsafe { pgredis_timeout_ms(s.as_ptr() as *const c_char, s.len(), &mut v) };
    (ok == 1).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_as_redis_reads_them() {
        assert_eq!(timeout_ms(b"0"), Some(0));
        assert_eq!(timeout_ms(b"0.01"), Some(10));
        assert_eq!(timeout_ms(b"1.5"), Some(1500));
        assert_eq!(timeout_ms(b"-0.0001"), Some(0));
        assert_eq!(timeout_ms(b"0.001"), Some(1));
        assert_eq!(timeout_ms(b"0.0000001"), Some(1));
        assert_eq!(timeout_ms(b"0x10"), Some(16000));
        assert_eq!(timeout_ms(b"inf"), Some(i64::MIN));
        assert_eq!(timeout_ms(b"1e300"), Some(i64::MIN));
        assert_eq!(timeout_ms(b"9223372036854775807"), Some(i64::MIN));
        assert_eq!(timeout_ms(b"abc"), None);
        assert_eq!(timeout_ms(b" 1"), None);
        assert_eq!(timeout_ms(b"nan"), None);
        assert_eq!(timeout_ms(b""), None);
    }

    #[test]
    fn string2ll_is_strict() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b"9223372036854775808"[..],
            b"+1",
            b"01",
            b"-0",
            b" 1",
            b"1 ",
            b"",
            b"-",
        ] {
            assert_eq!(string2ll(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn incrbyfloat_formats_like_redis() {
        assert_eq!(incrbyfloat(Some(b"10.50"), b"0.1").unwrap(), b"10.6");
        assert_eq!(incrbyfloat(None, b"5.0e3").unwrap(), b"5000");
        assert_eq!(incrbyfloat(Some(b"3"), b"-3").unwrap(), b"0");
        assert_eq!(
            incrbyfloat(Some(b"x"), b"1"),
            Err(FloatAddError::ValueNotFloat)
        );
        assert_eq!(
            incrbyfloat(Some(b"1"), b" 1"),
            Err(FloatAddError::IncrNotFloat)
        );
        assert_eq!(
            incrbyfloat(Some(b"1"), b"inf"),
            Err(FloatAddError::NanOrInfinity)
        );
    }

    #[test]
    fn doubles() {
        assert_eq!(format_double(1.5), "1.5");
        assert_eq!(format_double(0.1), "0.10000000000000001");
        assert_eq!(format_double(f64::INFINITY), "inf");
        assert_eq!(parse_double(b"1e3"), Some(1000.0));
        assert_eq!(parse_double(b"nan"), None);
    }
}
