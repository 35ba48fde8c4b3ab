//! The `cmsgpack` library (lua-cmsgpack, as Redis bundles it): cmsgpack.pack(...) and
//! cmsgpack.unpack(data), with its choices: integral numbers as the smallest integer type,
//! other numbers as float when exact else double, tables whose keys are exactly 1..n as arrays,
//! tables nested deeper than 16 as nil.

use mlua::{Lua, MultiValue, Table, Value};

use super::args::bytes;
use super::convert::TWO_POW_63;
use super::{fail, function, library};

const MAX_NESTING: usize = 16;

pub fn table(lua: &Lua) -> mlua::Result<Table> {
    library(lua, |lua, t| {
        t.set("_NAME", "cmsgpack")?;
        t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
        t.set(
            "pack",
            function(lua, |lua, args| {
                if args.is_empty() {
                    return fail("bad argument #0 to 'pack' (MessagePack pack needs input.)");
                }
                let mut out = Vec::new();
                for value in args.iter() {
                    encode(value, 0, &mut out)?;
                }
                Ok(MultiValue::from_vec(vec![Value::String(
                    lua.create_string(out)?,
                )]))
            })?,
        )?;
        t.set(
            "unpack",
            function(lua, |lua, args| {
                let data = bytes(&args, 1, "unpack")?;
                let mut reader = Reader {
                    data: &data,
                    pos: 0,
                };
                let mut values = Vec::new();
                while reader.pos < data.len() {
                    values.push(reader.value(lua)?);
                }
                Ok(MultiValue::from_vec(values))
            })?,
        )?;
        Ok(())
    })
}

fn encode_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_number(n: f64, out: &mut Vec<u8>) {
    if n.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&n) {
        encode_int(n as i64, out);
    } else if (n as f32) as f64 == n || n.is_nan() {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_len(len: usize, fix: u8, fix_max: usize, codes: [u8; 3], out: &mut Vec<u8>) {
    if len < fix_max {
        out.push(fix | len as u8);
    } else if codes[0] != 0 && len <= 0xff {
        out.extend_from_slice(&[codes[0], len as u8]);
    } else if len <= 0xffff {
        out.push(codes[1]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(codes[2]);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn encode(value: &Value, depth: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    match value {
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(n) => encode_int(*n, out),
        Value::Number(n) => encode_number(*n, out),
        Value::String(s) => {
            let s = s.as_bytes();
            encode_len(s.len(), 0xa0, 32, [0xd9, 0xda, 0xdb], out);
            out.extend_from_slice(&s);
        }
        Value::Table(t) if depth < MAX_NESTING => match array_len(t)? {
            Some(len) => {
                encode_len(len, 0x90, 16, [0, 0xdc, 0xdd], out);
                for i in 1..=len {
                    encode(&t.raw_get::<Value>(i)?, depth + 1, out)?;
                }
            }
            None => {
                let pairs: Vec<(Value, Value)> = t
                    .clone()
                    .pairs::<Value, Value>()
                    .collect::<mlua::Result<_>>()?;
                encode_len(pairs.len(), 0x80, 16, [0, 0xde, 0xdf], out);
                for (k, v) in pairs {
                    encode(&k, depth + 1, out)?;
                    encode(&v, depth + 1, out)?;
                }
            }
        },
        _ => out.push(0xc0),
    }
    Ok(())
}

/// lua-cmsgpack's array test: keys exactly 1..n.
fn array_len(t: &Table) -> mlua::Result<Option<usize>> {
    let mut max = 0usize;
    let mut count = 0usize;
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair?;
        match k {
            Value::Integer(n) if n >= 1 => max = max.max(n as usize),
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => max = max.max(n as usize),
            _ => return Ok(None),
        }
        count += 1;
    }
    Ok((max == count).then_some(count))
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> mlua::Result<&[u8]> {
        match self.data.get(self.pos..self.pos + n) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => fail("Missing bytes in input."),
        }
    }

    fn uint(&mut self, n: usize) -> mlua::Result<u64> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | b as u64))
    }

    fn value(&mut self, lua: &Lua) -> mlua::Result<Value> {
        let c = self.take(1)?[0];
        let num = |n: f64| Ok(Value::Number(n));
        match c {
            0x00..=0x7f => num(c as f64),
            0x80..=0x8f => self.map(lua, (c & 0x0f) as usize),
            0x90..=0x9f => self.array(lua, (c & 0x0f) as usize),
            0xa0..=0xbf => self.string(lua, (c & 0x1f) as usize),
            0xc0 => Ok(Value::Nil),
            0xc2 => Ok(Value::Boolean(false)),
            0xc3 => Ok(Value::Boolean(true)),
            0xc4 | 0xd9 => {
                let n = self.uint(1)? as usize;
                self.string(lua, n)
            }
            0xc5 | 0xda => {
                let n = self.uint(2)? as usize;
                self.string(lua, n)
            }
            0xc6 | 0xdb => {
                let n = self.uint(4)? as usize;
                self.string(lua, n)
            }
            0xca => num(f32::from_be_bytes(self.take(4)?.try_into().unwrap()) as f64),
            0xcb => num(f64::from_be_bytes(self.take(8)?.try_into().unwrap())),
            0xcc => num(self.uint(1)? as f64),
            0xcd => num(self.uint(2)? as f64),
            0xce => num(self.uint(4)? as f64),
            0xcf => num(self.uint(8)? as f64),
            0xd0 => num(self.uint(1)? as u8 as i8 as f64),
            0xd1 => num(self.uint(2)? as u16 as i16 as f64),
            0xd2 => num(self.uint(4)? as u32 as i32 as f64),
            0xd3 => num(self.uint(8)? as i64 as f64),
            0xdc => {
                let n = self.uint(2)? as usize;
                self.array(lua, n)
            }
            0xdd => {
                let n = self.uint(4)? as usize;
                self.array(lua, n)
            }
            0xde => {
                let n = self.uint(2)? as usize;
                self.map(lua, n)
            }
            0xdf => {
                let n = self.uint(4)? as usize;
                self.map(lua, n)
            }
            0xe0..=0xff => num(c as i8 as f64),
            _ => fail("Bad data format in input."),
        }
    }

    fn string(&mut self, lua: &Lua, n: usize) -> mlua::Result<Value> {
        let s = self.take(n)?.to_vec();
        Ok(Value::String(lua.create_string(s)?))
    }

    fn array(&mut self, lua: &Lua, n: usize) -> mlua::Result<Value> {
        let t = lua.create_table()?;
        for i in 1..=n {
            let v = self.value(lua)?;
            t.raw_set(i, v)?;
        }
        Ok(Value::Table(t))
    }

    fn map(&mut self, lua: &Lua, n: usize) -> mlua::Result<Value> {
        let t = lua.create_table()?;
        for _ in 0..n {
            let k = self.value(lua)?;
            let v = self.value(lua)?;
            if !k.is_nil() {
                t.raw_set(k, v)?;
            }
        }
        Ok(Value::Table(t))
    }
}
