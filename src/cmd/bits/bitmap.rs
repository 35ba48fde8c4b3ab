//! Bitmaps as Redis sees them, without I/O: bit 0 is the most significant bit of byte 0, and a
//! string is an endless run of zero bits past its end. Ranges are clamped the way BITCOUNT and
//! BITPOS clamp them, so the handlers only parse arguments and fetch values.

use super::super::errors::{BIT_OFFSET, CmdError};
use crate::numbers::string2ll;

/// Redis's `proto-max-bulk-len` default (512 MB): a bit offset must address a byte below it.
const MAX_BYTES: i64 = 512 * 1024 * 1024;

/// Whether BITCOUNT and BITPOS count their range in bytes (the default) or in bits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    Byte,
    Bit,
}

/// A bit offset argument, as Redis's `getBitOffsetFromArgument` reads it: an integer in
/// [0, 2^32). With a field width (BITFIELD), `#n` means the n-th field, `n * width`.
pub fn parse_offset(arg: &[u8], width: Option<u32>) -> Result<u64, CmdError> {
    let (digits, scale) = match (arg.first(), width) {
        (Some(b'#'), Some(width)) => (&arg[1..], width as i64),
        _ => (arg, 1),
    };
    // Redis multiplies without checking; wrapping keeps its answer for absurd `#n`.
    let offset = string2ll(digits)
        .ok_or(CmdError::from(BIT_OFFSET))?
        .wrapping_mul(scale);
    if offset < 0 || (offset >> 3) >= MAX_BYTES {
        return Err(BIT_OFFSET.into());
    }
    Ok(offset as u64)
}

/// The bit at `offset` of `value`; 0 past its end.
pub fn get_bit(value: &[u8], offset: u64) -> bool {
    let byte = (offset >> 3) as usize;
    value
        .get(byte)
        .is_some_and(|b| b & (0x80 >> (offset & 7)) != 0)
}

/// Sets or clears the bit at `offset`; `value` must already be long enough.
pub fn set_bit(value: &mut [u8], offset: u64, on: bool) {
    let byte = (offset >> 3) as usize;
    let mask = 0x80 >> (offset & 7);
    if on {
        value[byte] |= mask;
    } else {
        value[byte] &= !mask;
    }
}

/// The bits `[first, last]` (inclusive) that a `start end` range in `unit`s selects from a
/// string of `len` bytes, clamped as Redis clamps it; `None` when the range is empty.
pub fn bit_range(start: i64, end: i64, unit: Unit, len: usize) -> Option<(u64, u64)> {
    let total = match unit {
        Unit::Byte => len as i64,
        Unit::Bit => (len as i64) << 3,
    };
    let (mut start, mut end) = (start, end);
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(match unit {
        Unit::Byte => (start << 3, (end << 3) + 7),
        Unit::Bit => (start, end),
    })
}

/// The number of set bits in `[first, last]`, both inside `value`.
pub fn count(value: &[u8], first: u64, last: u64) -> i64 {
    let (first_byte, last_byte) = ((first >> 3) as usize, (last >> 3) as usize);
    // Keep only the bits of the range in the edge bytes.
    let head = 0xffu8 >> (first & 7);
    let tail = 0xffu8 << (7 - (last & 7));
    if first_byte == last_byte {
        return (value[first_byte] & head & tail).count_ones() as i64;
    }
    let middle: u64 = value[first_byte + 1..last_byte]
        .iter()
        .map(|b| b.count_ones() as u64)
        .sum();
    ((value[first_byte] & head).count_ones() as u64
        + middle
        + (value[last_byte] & tail).count_ones() as u64) as i64
}

/// The position of the first bit equal to `bit` in `[first, last]`, both inside `value`.
pub fn position(value: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
    let mut offset = first;
    // Bit by bit up to a byte boundary, then whole bytes, then bit by bit again.
    while offset <= last {
        if offset & 7 == 0 && offset + 7 <= last {
            let byte = value[(offset >> 3) as usize];
            let skip = if bit { 0x00 } else { 0xff };
            if byte == skip {
                offset += 8;
                continue;
            }
            let lead = if bit {
                byte.leading_zeros()
            } else {
                byte.leading_ones()
            };
            return Some(offset + lead as u64);
        }
        if get_bit(value, offset) == bit {
            return Some(offset);
        }
        offset += 1;
    }
    None
}

/// BITOP's operations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// The result of BITOP over `sources` (absent keys are empty strings): as long as the longest
/// source, shorter ones read as zero-padded.
pub fn combine(op: BitOp, sources: &[&[u8]]) -> Vec<u8> {
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    let byte = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| {
            let rest = sources[1..].iter().map(|s| byte(s, i));
            let first = byte(sources[0], i);
            match op {
                BitOp::And => rest.fold(first, |acc, b| acc & b),
                BitOp::Or => rest.fold(first, |acc, b| acc | b),
                BitOp::Xor => rest.fold(first, |acc, b| acc ^ b),
                BitOp::Not => !first,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_checked_like_redis() {
        assert_eq!(parse_offset(b"0", None), Ok(0));
        assert_eq!(parse_offset(b"4294967295", None), Ok(4294967295));
        assert!(parse_offset(b"4294967296", None).is_err());
        assert!(parse_offset(b"-1", None).is_err());
        assert!(parse_offset(b"#1", None).is_err());
        assert_eq!(parse_offset(b"#3", Some(8)), Ok(24));
        assert!(parse_offset(b"#", Some(8)).is_err());
        assert!(parse_offset(b"#-1", Some(8)).is_err());
    }

    #[test]
    fn bit_zero_is_the_most_significant() {
        let mut v = vec![0u8; 2];
        set_bit(&mut v, 0, true);
        set_bit(&mut v, 15, true);
        assert_eq!(v, [0x80, 0x01]);
        assert!(get_bit(&v, 0) && get_bit(&v, 15) && !get_bit(&v, 1) && !get_bit(&v, 99));
        set_bit(&mut v, 0, false);
        assert_eq!(v, [0x00, 0x01]);
    }

    #[test]
    fn ranges_clamp_like_redis() {
        assert_eq!(bit_range(0, -1, Unit::Byte, 3), Some((0, 23)));
        assert_eq!(bit_range(1, 1, Unit::Byte, 3), Some((8, 15)));
        assert_eq!(bit_range(5, 100, Unit::Bit, 1), Some((5, 7)));
        assert_eq!(bit_range(-100, -3, Unit::Bit, 1), Some((0, 5)));
        assert_eq!(bit_range(2, 1, Unit::Byte, 3), None);
        assert_eq!(bit_range(0, -1, Unit::Byte, 0), None);
        assert_eq!(bit_range(i64::MIN, i64::MAX, Unit::Byte, 1), Some((0, 7)));
    }

    #[test]
    fn counts_and_positions() {
        let v = [0b0011_0000u8, 0xff, 0b1000_0001];
        assert_eq!(count(&v, 0, 23), 12);
        assert_eq!(count(&v, 3, 3), 1);
        assert_eq!(count(&v, 4, 16), 9);
        assert_eq!(position(&v, true, 0, 23), Some(2));
        assert_eq!(position(&v, false, 8, 15), None);
        assert_eq!(position(&v, false, 8, 23), Some(17));
        assert_eq!(position(&v, true, 17, 23), Some(23));
        assert_eq!(position(&[0, 0, 1], true, 0, 23), Some(23));
    }

    #[test]
    fn bitop_pads_short_sources() {
        let (a, b): (&[u8], &[u8]) = (&[0xf0, 0xff], &[0x3c]);
        assert_eq!(combine(BitOp::And, &[a, b]), [0x30, 0x00]);
        assert_eq!(combine(BitOp::Or, &[a, b]), [0xfc, 0xff]);
        assert_eq!(combine(BitOp::Xor, &[a, b]), [0xcc, 0xff]);
        assert_eq!(combine(BitOp::Not, &[a]), [0x0f, 0x00]);
        assert!(combine(BitOp::And, &[&[], &[]]).is_empty());
    }
}
