//! FUNCTION DUMP and FUNCTION RESTORE payloads, in Redis's format: for each library the RDB
//! opcode FUNCTION2 and the library's code as an RDB string, then the RDB version (2 bytes) and
//! a CRC64 of everything before it (8 bytes), both little-endian.
//!
//! Redis compresses strings longer than 20 bytes with LZF when that saves space; pgredis writes
//! them plain (which Redis reads as well), so a dump of a library whose code compresses differs
//! from Redis's bytes while meaning the same. Payloads from Redis, compressed or not, restore.

use bytes::{BufMut, Bytes, BytesMut};

use crate::cmd::errors::CmdError;
use crate::store::scripting::Library;

const OPCODE_FUNCTION: u8 = 246;
const OPCODE_FUNCTION2: u8 = 245;
/// Redis 7.0's RDB version.
const RDB_VERSION: u16 = 10;

const BAD_PAYLOAD: &str = "ERR DUMP payload version or checksum are wrong";
const BAD_LIBRARY: &str = "ERR Failed loading library payload";

/// Redis's CRC64 (Jones polynomial, reflected, no final xor).
pub fn crc64(data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5;
    let mut crc = 0u64;
    for &b in data {
        crc ^= b as u64;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
        }
    }
    crc
}

fn put_length(out: &mut BytesMut, len: usize) {
    if len < 1 << 6 {
        out.put_u8(len as u8);
    } else if len < 1 << 14 {
        out.put_u8(0x40 | (len >> 8) as u8);
        out.put_u8(len as u8);
    } else if len <= u32::MAX as usize {
        out.put_u8(0x80);
        out.put_u32(len as u32);
    } else {
        out.put_u8(0x81);
        out.put_u64(len as u64);
    }
}

pub fn encode(libraries: &[Library]) -> Bytes {
    let mut out = BytesMut::new();
    for library in libraries {
        out.put_u8(OPCODE_FUNCTION2);
        put_length(&mut out, library.code.len());
        out.put_slice(&library.code);
    }
    out.put_u16_le(RDB_VERSION);
    let crc = crc64(&out);
    out.put_u64_le(crc);
    out.freeze()
}

/// The code of each library in a payload.
pub fn decode(payload: &[u8]) -> Result<Vec<Bytes>, CmdError> {
    if payload.len() < 10 {
        return Err(BAD_PAYLOAD.into());
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let crc = u64::from_le_bytes(footer[2..].try_into().unwrap());
    if version > RDB_VERSION || crc64(&payload[..payload.len() - 8]) != crc {
        return Err(BAD_PAYLOAD.into());
    }
    let mut reader = Reader { data: body, pos: 0 };
    let mut codes = Vec::new();
    while reader.pos < body.len() {
        match reader.byte().ok_or(BAD_LIBRARY)? {
            OPCODE_FUNCTION2 => codes.push(reader.string().ok_or(BAD_LIBRARY)?),
            OPCODE_FUNCTION => return Err("ERR Failed loading engine name".into()),
            _ => return Err("ERR given type is not a function".into()),
        }
    }
    Ok(codes)
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

enum Length {
    Plain(usize),
    /// An encoded string: 0, 1, 2 for 8, 16, 32-bit integers, 3 for LZF.
    Encoded(u8),
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }

    fn length(&mut self) -> Option<Length> {
        let first = self.byte()?;
        Some(match first >> 6 {
            0 => Length::Plain((first & 0x3f) as usize),
            1 => Length::Plain((((first & 0x3f) as usize) << 8) | self.byte()? as usize),
            2 if first == 0x80 => {
                Length::Plain(u32::from_be_bytes(self.take(4)?.try_into().ok()?) as usize)
            }
            2 if first == 0x81 => {
                Length::Plain(u64::from_be_bytes(self.take(8)?.try_into().ok()?) as usize)
            }
            3 => Length::Encoded(first & 0x3f),
            _ => return None,
        })
    }

    fn plain_length(&mut self) -> Option<usize> {
        match self.length()? {
            Length::Plain(n) => Some(n),
            Length::Encoded(_) => None,
        }
    }

    fn string(&mut self) -> Option<Bytes> {
        match self.length()? {
            Length::Plain(n) => Some(Bytes::copy_from_slice(self.take(n)?)),
            Length::Encoded(0) => Some(Bytes::from((self.byte()? as i8).to_string())),
            Length::Encoded(1) => {
                let v = i16::from_le_bytes(self.take(2)?.try_into().ok()?);
                Some(Bytes::from(v.to_string()))
            }
            Length::Encoded(2) => {
                let v = i32::from_le_bytes(self.take(4)?.try_into().ok()?);
                Some(Bytes::from(v.to_string()))
            }
            Length::Encoded(3) => {
                let compressed = self.plain_length()?;
                let len = self.plain_length()?;
                lzf_decompress(self.take(compressed)?, len).map(Bytes::from)
            }
            Length::Encoded(_) => None,
        }
    }
}

/// LZF decompression (liblzf's format), to exactly `len` bytes.
pub fn lzf_decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            out.extend_from_slice(input.get(i..i + run)?);
            i += run;
        } else {
            let mut run = ctrl >> 5;
            if run == 7 {
                run += *input.get(i)? as usize;
                i += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(i)? as usize + 1;
            i += 1;
            let start = out.len().checked_sub(back)?;
            for k in 0..run + 2 {
                let b = out[start + k];
                out.push(b);
            }
        }
        if out.len() > len {
            return None;
        }
    }
    (out.len() == len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_matches_redis() {
        assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn a_redis_dump_with_lzf_decodes() {
        // FUNCTION DUMP of Redis 7.0.15 holding one library whose code compressed.
        let payload = b"\xf5\xc3@R@W\x1f#!lua name=ab2\nredis.register_fu\x0cnction('f2', \xe0\x00\x0e\x07) return \x06@/\x11REDIS_VERSION end)";
        let mut reader = Reader {
            data: payload,
            pos: 1,
        };
        let code = reader.string().unwrap();
        assert_eq!(
            &code[..],
            b"#!lua name=ab2\nredis.register_function('f2', function() return redis.REDIS_VERSION end)"
        );
    }

    #[test]
    fn encode_then_decode() {
        let library = Library {
            name: "ab".into(),
            engine: "LUA".into(),
            code: Bytes::from_static(
                b"#!lua name=ab\nredis.register_function('ff', function() return 1 end)",
            ),
            functions: Vec::new(),
        };
        let payload = encode(std::slice::from_ref(&library));
        assert_eq!(
            &payload[payload.len() - 10..],
            b"\n\x00-\xb4u\xd4F~\t\x83",
            "the same bytes as Redis"
        );
        assert_eq!(decode(&payload).unwrap(), vec![library.code]);
    }
}
