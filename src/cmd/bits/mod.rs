//! Bit commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.
//! SQL lives in `store::bits`; the bit arithmetic, free of I/O, in `bitmap` and `field`.
//!
//! Redis checks arguments and the key in a command-specific order (BITCOUNT answers 0 for an
//! absent key before it looks at its range; BITFIELD parses everything first), and the handlers
//! keep that order so the same request fails with the same error.

mod bitmap;
mod field;

use bytes::Bytes;

use super::errors::{
    BIT_ARGUMENT, BIT_VALUE, BITFIELD_RO_WRITE, BITOP_NOT_ONE_KEY, CmdError, NOT_INTEGER, SYNTAX,
};
use super::table::*;
use super::{Args, Ctx};
use crate::handler;
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::bits as sql;
use crate::store::strings::get as get_string;
use bitmap::{BitOp, Unit};

pub const COMMANDS: &[Command] = &[
    Command::new(
        "setbit",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        "bitmap",
        "Sets or clears the bit at offset in the string value stored at key",
        handler!(setbit),
    ),
    Command::new(
        "getbit",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "bitmap",
        "Returns the bit value at offset in the string value stored at key",
        handler!(getbit),
    ),
    Command::new(
        "bitcount",
        -2,
        READONLY,
        (1, 1, 1),
        "bitmap",
        "Count set bits in a string",
        handler!(bitcount),
    ),
    Command::new(
        "bitpos",
        -3,
        READONLY,
        (1, 1, 1),
        "bitmap",
        "Find first bit set or clear in a string",
        handler!(bitpos),
    ),
    Command::new(
        "bitop",
        -4,
        WRITE | DENYOOM,
        (2, -1, 1),
        "bitmap",
        "Perform bitwise operations between strings",
        handler!(bitop),
    ),
    Command::new(
        "bitfield",
        -2,
        WRITE | DENYOOM,
        (1, 1, 1),
        "bitmap",
        "Perform arbitrary bitfield integer operations on strings",
        handler!(bitfield),
    ),
    Command::new(
        "bitfield_ro",
        -2,
        READONLY | FAST,
        (1, 1, 1),
        "bitmap",
        "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        handler!(bitfield_ro),
    ),
];

/// Redis matches these keywords with `strcasecmp`, which stops at a NUL byte.
fn c_is(arg: &[u8], name: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(name.as_bytes())
}

/// The optional BYTE | BIT of BITCOUNT and BITPOS.
fn parse_unit(arg: &[u8]) -> Result<Unit, CmdError> {
    if c_is(arg, "bit") {
        Ok(Unit::Bit)
    } else if c_is(arg, "byte") {
        Ok(Unit::Byte)
    } else {
        Err(SYNTAX.into())
    }
}

/// SETBIT key offset value
async fn setbit(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let offset = bitmap::parse_offset(&args.next_bytes()?, None)?;
    let on = match string2ll(&args.next_bytes()?) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(BIT_VALUE.into()),
    };
    let old = sql::set_bit(&ctx.store, ctx.db, &key, offset, on).await?;
    Ok(Reply::Int(old as i64))
}

/// GETBIT key offset
async fn getbit(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let offset = bitmap::parse_offset(&args.next_bytes()?, None)?;
    let byte = sql::get_byte(&ctx.store, ctx.db, &key, offset).await?;
    Ok(Reply::Int(bitmap::get_bit(&[byte], offset & 7) as i64))
}

/// BITCOUNT key [start end [BYTE | BIT]]
async fn bitcount(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    if args.is_empty() {
        return Ok(Reply::Int(sql::count_all(&ctx.store, ctx.db, &key).await?));
    }
    let Some(value) = get_string(&ctx.store, ctx.db, &key).await? else {
        return Ok(Reply::Int(0));
    };
    if !(2..=3).contains(&args.remaining()) {
        return Err(SYNTAX.into());
    }
    let start = args.next_i64()?;
    let end = args.next_i64()?;
    if start < 0 && end < 0 && start > end {
        return Ok(Reply::Int(0));
    }
    let unit = match args.peek() {
        Some(arg) => parse_unit(arg)?,
        None => Unit::Byte,
    };
    Ok(Reply::Int(
        match bitmap::bit_range(start, end, unit, value.len()) {
            Some((first, last)) => bitmap::count(&value, first, last),
            None => 0,
        },
    ))
}

/// BITPOS key bit [start [end [BYTE | BIT]]]
async fn bitpos(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let bit = match args.next_i64()? {
        0 => false,
        1 => true,
        _ => return Err(BIT_ARGUMENT.into()),
    };
    let Some(value) = get_string(&ctx.store, ctx.db, &key).await? else {
        // An absent key is an endless run of zeros.
        return Ok(Reply::Int(if bit { -1 } else { 0 }));
    };
    let range = args.rest();
    if range.len() > 3 {
        return Err(SYNTAX.into());
    }
    let integer = |arg: &Bytes| string2ll(arg).ok_or(CmdError::from(NOT_INTEGER));
    let start = match range.first() {
        Some(arg) => integer(arg)?,
        None => 0,
    };
    // Redis reads the unit before the end.
    let unit = match range.get(2) {
        Some(arg) => parse_unit(arg)?,
        None => Unit::Byte,
    };
    let end_given = range.len() >= 2;
    let end = match range.get(1) {
        Some(arg) => integer(arg)?,
        None => value.len() as i64 - 1,
    };
    let Some((first, last)) = bitmap::bit_range(start, end, unit, value.len()) else {
        return Ok(Reply::Int(-1));
    };
    Ok(Reply::Int(
        match bitmap::position(&value, bit, first, last) {
            Some(pos) => pos as i64,
            // Past the string's end every bit is clear, unless the caller fixed the end.
            None if !bit && !end_given => last as i64 + 1,
            None => -1,
        },
    ))
}

/// BITOP AND | OR | XOR | NOT destkey key [key ...]
async fn bitop(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let name = args.next_bytes()?;
    let op = [
        ("and", BitOp::And),
        ("or", BitOp::Or),
        ("xor", BitOp::Xor),
        ("not", BitOp::Not),
    ]
    .into_iter()
    .find(|(n, _)| c_is(&name, n))
    .map(|(_, op)| op)
    .ok_or(CmdError::from(SYNTAX))?;
    let dest = args.next_bytes()?;
    let sources = args.rest();
    if op == BitOp::Not && sources.len() != 1 {
        return Err(BITOP_NOT_ONE_KEY.into());
    }
    loop {
        let snapshot = sql::bitop_read(&ctx.store, ctx.db, &dest, &sources).await?;
        let values: Vec<&[u8]> = snapshot
            .sources
            .iter()
            .map(|v| v.as_deref().unwrap_or_default())
            .collect();
        let result = bitmap::combine(op, &values);
        let stored = sql::bitop_write(
            &ctx.store,
            ctx.db,
            &dest,
            &sources,
            &snapshot.versions,
            &result,
        )
        .await?;
        if stored {
            return Ok(Reply::Int(result.len() as i64));
        }
    }
}

/// BITFIELD key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL]
/// {SET encoding offset value | INCRBY encoding offset increment} ...]
async fn bitfield(ctx: &mut Ctx, args: Args) -> CmdResult {
    run_bitfield(ctx, args, false).await
}

/// BITFIELD_RO key [GET encoding offset ...]
async fn bitfield_ro(ctx: &mut Ctx, args: Args) -> CmdResult {
    run_bitfield(ctx, args, true).await
}

async fn run_bitfield(ctx: &mut Ctx, mut args: Args, read_only: bool) -> CmdResult {
    let key = args.next_bytes()?;
    let ops = field::parse(&args.rest())?;
    let last_written = ops
        .iter()
        .filter(|op| op.writes())
        .map(|op| op.last_bit())
        .max();
    let Some(last_written) = last_written else {
        let value = get_string(&ctx.store, ctx.db, &key).await?;
        return Ok(Reply::Array(field::read(
            value.as_deref().unwrap_or_default(),
            &ops,
        )));
    };
    if read_only {
        return Err(BITFIELD_RO_WRITE.into());
    }
    // Like Redis, grow the string to the last bit written before running the operations.
    let len = (last_written >> 3) as usize + 1;
    loop {
        let (mut value, version) = match sql::get_versioned(&ctx.store, ctx.db, &key).await? {
            Some((value, version)) => (value, Some(version)),
            None => (Vec::new(), None),
        };
        if value.len() < len {
            value.resize(len, 0);
        }
        let replies = field::apply(&mut value, &ops);
        if sql::put_if_unchanged(&ctx.store, ctx.db, &key, version, &value).await? {
            return Ok(Reply::Array(replies));
        }
    }
}
