//! BITFIELD's integers, without I/O: parsing the subcommands, and reading, writing and adding
//! signed and unsigned fields of 1 to 64 bits at any bit offset, with Redis's overflow rules
//! ported exactly (including its wrapping arithmetic on out-of-range SET values).

use super::super::errors::{BITFIELD_OVERFLOW, BITFIELD_TYPE, CmdError, NOT_INTEGER, SYNTAX};
use super::bitmap::parse_offset;
use super::c_is;
use crate::numbers::string2ll;
use crate::resp::Reply;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// One GET, SET or INCRBY, with the OVERFLOW mode in force where it stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldOp {
    pub action: Action,
    pub signed: bool,
    pub bits: u32,
    pub offset: u64,
    pub overflow: Overflow,
}

impl FieldOp {
    pub fn writes(&self) -> bool {
        self.action != Action::Get
    }

    /// The last bit this operation touches.
    pub fn last_bit(&self) -> u64 {
        self.offset + self.bits as u64 - 1
    }
}

/// Parses BITFIELD's subcommands (everything after the key), in Redis's order of checks.
pub fn parse(args: &[bytes::Bytes]) -> Result<Vec<FieldOp>, CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 0;
    while j < args.len() {
        let remaining = args.len() - j - 1;
        let sub = &args[j];
        let action = if c_is(sub, "get") && remaining >= 2 {
            Action::Get
        } else if c_is(sub, "set") && remaining >= 3 {
            Action::Set(0)
        } else if c_is(sub, "incrby") && remaining >= 3 {
            Action::IncrBy(0)
        } else if c_is(sub, "overflow") && remaining >= 1 {
            let mode = &args[j + 1];
            overflow = if c_is(mode, "wrap") {
                Overflow::Wrap
            } else if c_is(mode, "sat") {
                Overflow::Sat
            } else if c_is(mode, "fail") {
                Overflow::Fail
            } else {
                return Err(BITFIELD_OVERFLOW.into());
            };
            j += 2;
            continue;
        } else {
            return Err(SYNTAX.into());
        };
        let (signed, bits) = parse_type(&args[j + 1])?;
        let offset = parse_offset(&args[j + 2], Some(bits))?;
        let action = match action {
            Action::Get => Action::Get,
            Action::Set(_) => Action::Set(string2ll(&args[j + 3]).ok_or(NOT_INTEGER)?),
            Action::IncrBy(_) => Action::IncrBy(string2ll(&args[j + 3]).ok_or(NOT_INTEGER)?),
        };
        ops.push(FieldOp {
            action,
            signed,
            bits,
            offset,
            overflow,
        });
        j += if action == Action::Get { 3 } else { 4 };
    }
    Ok(ops)
}

/// `i1`..`i64` or `u1`..`u63`. Redis reads the width as a C string, so it stops at a NUL byte.
fn parse_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(BITFIELD_TYPE.into()),
    };
    let digits = &arg[1..];
    let digits = &digits[..digits.iter().position(|&b| b == 0).unwrap_or(digits.len())];
    match string2ll(digits) {
        Some(bits) if bits >= 1 && bits <= if signed { 64 } else { 63 } => {
            Ok((signed, bits as u32))
        }
        _ => Err(BITFIELD_TYPE.into()),
    }
}

/// Runs `ops` in order over `value` and returns one reply per operation. For writes, `value`
/// must already reach the last bit any operation writes (Redis pads the string first).
pub fn apply(value: &mut [u8], ops: &[FieldOp]) -> Vec<Reply> {
    ops.iter().map(|op| apply_one(value, op)).collect()
}

/// Answers GET-only operations over `value`, which is not changed (BITFIELD_RO).
pub fn read(value: &[u8], ops: &[FieldOp]) -> Vec<Reply> {
    ops.iter()
        .map(|op| {
            let field = get_unsigned(value, op.offset, op.bits);
            Reply::Int(if op.signed {
                sign_extend(field, op.bits)
            } else {
                field as i64
            })
        })
        .collect()
}

fn apply_one(value: &mut [u8], op: &FieldOp) -> Reply {
    let old = get_unsigned(value, op.offset, op.bits);
    let old_signed = sign_extend(old, op.bits);
    let mode = op.overflow;
    // What to store, whether it overflowed, and what to answer (SET answers the old value).
    let (overflowed, new, reply) = match (op.action, op.signed) {
        (Action::Get, true) => return Reply::Int(old_signed),
        (Action::Get, false) => return Reply::Int(old as i64),
        (Action::IncrBy(incr), true) => {
            let (over, limit) = signed_overflow(old_signed, incr, op.bits, mode);
            let new = if over { limit } else { old_signed + incr };
            (over, new as u64, new)
        }
        (Action::Set(v), true) => {
            let (over, limit) = signed_overflow(v, 0, op.bits, mode);
            (over, (if over { limit } else { v }) as u64, old_signed)
        }
        (Action::IncrBy(incr), false) => {
            let (over, limit) = unsigned_overflow(old, incr, op.bits, mode);
            let new = if over {
                limit
            } else {
                old.wrapping_add(incr as u64)
            };
            (over, new, new as i64)
        }
        (Action::Set(v), false) => {
            let (over, limit) = unsigned_overflow(v as u64, 0, op.bits, mode);
            (over, if over { limit } else { v as u64 }, old as i64)
        }
    };
    // With OVERFLOW FAIL an overflowing write is skipped and answered with a nil.
    if overflowed && mode == Overflow::Fail {
        return Reply::Nil;
    }
    set_unsigned(value, op.offset, op.bits, new);
    Reply::Int(reply)
}

/// The `bits`-wide field at `offset`, most significant bit first; zeros past the end.
pub fn get_unsigned(value: &[u8], offset: u64, bits: u32) -> u64 {
    (offset..offset + bits as u64).fold(0, |acc, bit| {
        (acc << 1) | super::bitmap::get_bit(value, bit) as u64
    })
}

fn set_unsigned(value: &mut [u8], offset: u64, bits: u32, field: u64) {
    for i in 0..bits as u64 {
        let on = field >> (bits as u64 - 1 - i) & 1 == 1;
        super::bitmap::set_bit(value, offset + i, on);
    }
}

fn sign_extend(field: u64, bits: u32) -> i64 {
    if bits < 64 && field & (1 << (bits - 1)) != 0 {
        (field | (u64::MAX << bits)) as i64
    } else {
        field as i64
    }
}

/// Redis's `checkUnsignedBitfieldOverflow`: whether `value + incr` leaves the field's range,
/// and the value WRAP or SAT puts there instead.
fn unsigned_overflow(value: u64, incr: i64, bits: u32, mode: Overflow) -> (bool, u64) {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = (value as i64).wrapping_neg();
    let wrap = || value.wrapping_add(incr as u64) & !(u64::MAX.checked_shl(bits).unwrap_or(0));
    if value > max || (incr > 0 && incr > max_incr) {
        (true, if mode == Overflow::Wrap { wrap() } else { max })
    } else if incr < 0 && incr < min_incr {
        (true, if mode == Overflow::Wrap { wrap() } else { 0 })
    } else {
        (false, 0)
    }
}

/// Redis's `checkSignedBitfieldOverflow`, the signed counterpart.
fn signed_overflow(value: i64, incr: i64, bits: u32, mode: Overflow) -> (bool, i64) {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrap = || {
        let sum = (value as u64).wrapping_add(incr as u64);
        sign_extend(sum & (u64::MAX >> (64 - bits)), bits)
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr)
    {
        (true, if mode == Overflow::Wrap { wrap() } else { max })
    } else if value < min
        || (bits != 64 && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        (true, if mode == Overflow::Wrap { wrap() } else { min })
    } else {
        (false, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(action: Action, ty: &str, offset: u64, overflow: Overflow) -> FieldOp {
        let (signed, bits) = parse_type(ty.as_bytes()).unwrap();
        FieldOp {
            action,
            signed,
            bits,
            offset,
            overflow,
        }
    }

    #[test]
    fn types() {
        assert_eq!(parse_type(b"i64"), Ok((true, 64)));
        assert_eq!(parse_type(b"u63"), Ok((false, 63)));
        assert_eq!(parse_type(b"u8\0junk"), Ok((false, 8)));
        for bad in [&b"u64"[..], b"i65", b"i0", b"I8", b"i", b"", b"i08", b"i+8"] {
            assert!(parse_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn set_get_and_incr() {
        let mut v = vec![0u8; 2];
        let set = op(Action::Set(-1), "i4", 2, Overflow::Wrap);
        assert_eq!(apply(&mut v, &[set]), [Reply::Int(0)]);
        assert_eq!(v, [0b0011_1100, 0]);
        let get = op(Action::Get, "i4", 2, Overflow::Wrap);
        assert_eq!(apply(&mut v, &[get]), [Reply::Int(-1)]);
        let incr = op(Action::IncrBy(1), "u4", 2, Overflow::Wrap);
        assert_eq!(apply(&mut v, &[incr]), [Reply::Int(0)]);
    }

    #[test]
    fn overflow_modes() {
        let mut v = vec![0u8; 1];
        let sat = op(Action::IncrBy(300), "u8", 0, Overflow::Sat);
        assert_eq!(apply(&mut v, &[sat]), [Reply::Int(255)]);
        let fail = op(Action::IncrBy(1), "u8", 0, Overflow::Fail);
        assert_eq!(apply(&mut v, &[fail]), [Reply::Nil]);
        assert_eq!(v, [255]);
        let wrap = op(Action::IncrBy(2), "i8", 0, Overflow::Wrap);
        assert_eq!(apply(&mut v, &[wrap]), [Reply::Int(1)]);
        let down = op(Action::IncrBy(-200), "i8", 0, Overflow::Sat);
        assert_eq!(apply(&mut v, &[down]), [Reply::Int(-128)]);
        let set = op(Action::Set(-1), "u8", 0, Overflow::Sat);
        assert_eq!(apply(&mut v, &[set]), [Reply::Int(128)]);
        assert_eq!(v, [255]);
    }

    #[test]
    fn sixty_four_bits() {
        let mut v = vec![0u8; 9];
        let set = op(Action::Set(i64::MAX), "i64", 4, Overflow::Wrap);
        let incr = op(Action::IncrBy(1), "i64", 4, Overflow::Wrap);
        assert_eq!(
            apply(&mut v, &[set, incr]),
            [Reply::Int(0), Reply::Int(i64::MIN)]
        );
        let sat = op(Action::IncrBy(-1), "i64", 4, Overflow::Sat);
        assert_eq!(apply(&mut v, &[sat]), [Reply::Int(i64::MIN)]);
    }
}
