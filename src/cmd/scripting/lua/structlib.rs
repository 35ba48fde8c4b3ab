//! The `struct` library (Roberto Ierusalimschy's struct 0.2, as Redis bundles it):
//! struct.pack(fmt, ...), struct.unpack(fmt, data [, pos]) and struct.size(fmt), for the formats
//! `<` `>` `=` `!n` `x` `b` `B` `h` `H` `l` `L` `T` `i[n]` `I[n]` `f` `d` `s` `c[n]` and spaces.

use mlua::{Lua, MultiValue, Table, Value};

use super::args::{bytes, number};
use super::{fail, function, library};

struct Format<'a> {
    fmt: &'a [u8],
    pos: usize,
    little: bool,
    align: usize,
}

enum Item {
    Pad,
    Int { size: usize, signed: bool },
    Float,
    Double,
    ZString,
    Chars(Option<usize>),
}

impl Format<'_> {
    fn number(&mut self) -> Option<usize> {
        let start = self.pos;
        while self.pos < self.fmt.len() && self.fmt[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        std::str::from_utf8(&self.fmt[start..self.pos])
            .ok()?
            .parse()
            .ok()
    }

    /// The next item with its size, or `None` at the end.
    fn next(&mut self) -> mlua::Result<Option<(Item, usize)>> {
        while self.pos < self.fmt.len() {
            let c = self.fmt[self.pos];
            self.pos += 1;
            let item = match c {
                b' ' => continue,
                b'<' => {
                    self.little = true;
                    continue;
                }
                b'>' => {
                    self.little = false;
                    continue;
                }
                b'=' => {
                    self.little = true;
                    continue;
                }
                b'!' => {
                    self.align = self.number().unwrap_or(8);
                    continue;
                }
                b'x' => (Item::Pad, 1),
                b'b' | b'B' => (
                    Item::Int {
                        size: 1,
                        signed: c == b'b',
                    },
                    1,
                ),
                b'h' | b'H' => (
                    Item::Int {
                        size: 2,
                        signed: c == b'h',
                    },
                    2,
                ),
                b'l' | b'L' | b'T' => (
                    Item::Int {
                        size: 8,
                        signed: c == b'l',
                    },
                    8,
                ),
                b'i' | b'I' => {
                    let size = self.number().unwrap_or(4);
                    if !(1..=8).contains(&size) {
                        return fail(format!("integral size {size} is larger than limit of 8"));
                    }
                    (
                        Item::Int {
                            size,
                            signed: c == b'i',
                        },
                        size,
                    )
                }
                b'f' => (Item::Float, 4),
                b'd' => (Item::Double, 8),
                b's' => (Item::ZString, 0),
                b'c' => {
                    let n = self.number();
                    (Item::Chars(n), n.unwrap_or(0))
                }
                other => return fail(format!("invalid format option '{}'", other as char)),
            };
            return Ok(Some(item));
        }
        Ok(None)
    }

    fn padding(&self, offset: usize, size: usize) -> usize {
        let align = size.min(self.align);
        if align <= 1 || !align.is_power_of_two() {
            return 0;
        }
        (align - (offset & (align - 1))) & (align - 1)
    }
}

fn format_of(fmt: &[u8]) -> Format<'_> {
    Format {
        fmt,
        pos: 0,
        little: true,
        align: 1,
    }
}

pub fn table(lua: &Lua) -> mlua::Result<Table> {
    library(lua, |lua, t| {
        t.set("pack", function(lua, pack)?)?;
        t.set("unpack", function(lua, unpack)?)?;
        t.set(
            "size",
            function(lua, |_, args| {
                let fmt = bytes(&args, 1, "size")?;
                let mut f = format_of(&fmt);
                let mut total = 0usize;
                while let Some((item, size)) = f.next()? {
                    if matches!(item, Item::ZString) {
                        return fail("bad argument #1 to 'size' (options 's' has no fixed size)");
                    }
                    total += f.padding(total, size) + size;
                }
                Ok(MultiValue::from_vec(vec![Value::Number(total as f64)]))
            })?,
        )?;
        Ok(())
    })
}

fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let fmt = bytes(&args, 1, "pack")?;
    let mut f = format_of(&fmt);
    let mut out = Vec::new();
    let mut arg = 2;
    while let Some((item, size)) = f.next()? {
        let pad = f.padding(out.len(), size);
        out.resize(out.len() + pad, 0);
        match item {
            Item::Pad => out.push(0),
            Item::Int { size, .. } => {
                let n = number(&args, arg, "pack")?;
                arg += 1;
                let v = if n < 0.0 { n as i64 as u64 } else { n as u64 };
                let be = v.to_be_bytes();
                let mut b = be[8 - size..].to_vec();
                if f.little {
                    b.reverse();
                }
                out.extend_from_slice(&b);
            }
            Item::Float => {
                let n = number(&args, arg, "pack")? as f32;
                arg += 1;
                out.extend_from_slice(&if f.little {
                    n.to_le_bytes()
                } else {
                    n.to_be_bytes()
                });
            }
            Item::Double => {
                let n = number(&args, arg, "pack")?;
                arg += 1;
                out.extend_from_slice(&if f.little {
                    n.to_le_bytes()
                } else {
                    n.to_be_bytes()
                });
            }
            Item::ZString => {
                let s = bytes(&args, arg, "pack")?;
                arg += 1;
                out.extend_from_slice(&s);
                out.push(0);
            }
            Item::Chars(n) => {
                let s = bytes(&args, arg, "pack")?;
                arg += 1;
                let n = n.unwrap_or(s.len());
                if s.len() < n {
                    return fail(format!(
                        "bad argument #{} to 'pack' (string too short)",
                        arg - 1
                    ));
                }
                out.extend_from_slice(&s[..n]);
            }
        }
    }
    Ok(MultiValue::from_vec(vec![Value::String(
        lua.create_string(out)?,
    )]))
}

fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let fmt = bytes(&args, 1, "unpack")?;
    let data = bytes(&args, 2, "unpack")?;
    let start = match args.get(2) {
        None | Some(Value::Nil) => 1.0,
        Some(_) => number(&args, 3, "unpack")?,
    };
    if start < 1.0 {
        return fail("bad argument #3 to 'unpack' (offset must be 1 or greater)");
    }
    let mut pos = start as usize - 1;
    let mut f = format_of(&fmt);
    let mut values = Vec::new();
    let mut last_int: Option<usize> = None;
    let short = || fail::<()>("bad argument #2 to 'unpack' (data string too short)");
    while let Some((item, size)) = f.next()? {
        pos += f.padding(pos, size);
        match item {
            Item::Pad => pos += 1,
            Item::Int { size, signed } => {
                let Some(b) = data.get(pos..pos + size) else {
                    short()?;
                    unreachable!()
                };
                let mut b = b.to_vec();
                if f.little {
                    b.reverse();
                }
                let mut v = b.iter().fold(0u64, |acc, &x| (acc << 8) | x as u64);
                if signed && size < 8 && v & (1 << (size * 8 - 1)) != 0 {
                    v |= !0u64 << (size * 8);
                }
                let n = if signed { v as i64 as f64 } else { v as f64 };
                last_int = Some(n as usize);
                values.push(Value::Number(n));
                pos += size;
            }
            Item::Float | Item::Double => {
                let Some(b) = data.get(pos..pos + size) else {
                    short()?;
                    unreachable!()
                };
                let n = if size == 4 {
                    let a: [u8; 4] = b.try_into().unwrap();
                    (if f.little {
                        f32::from_le_bytes(a)
                    } else {
                        f32::from_be_bytes(a)
                    }) as f64
                } else {
                    let a: [u8; 8] = b.try_into().unwrap();
                    if f.little {
                        f64::from_le_bytes(a)
                    } else {
                        f64::from_be_bytes(a)
                    }
                };
                values.push(Value::Number(n));
                pos += size;
            }
            Item::ZString => {
                let Some(len) = data.get(pos..).and_then(|r| r.iter().position(|&b| b == 0)) else {
                    return fail("bad argument #2 to 'unpack' (unfinished string in data)");
                };
                values.push(Value::String(lua.create_string(&data[pos..pos + len])?));
                pos += len + 1;
            }
            Item::Chars(n) => {
                let n = match n {
                    Some(0) | None => {
                        let Some(n) = last_int.take() else {
                            return fail(
                                "bad argument #1 to 'unpack' (format 'c0' needs a previous size)",
                            );
                        };
                        values.pop();
                        n
                    }
                    Some(n) => n,
                };
                let Some(b) = data.get(pos..pos + n) else {
                    short()?;
                    unreachable!()
                };
                values.push(Value::String(lua.create_string(b)?));
                pos += n;
            }
        }
    }
    values.push(Value::Number((pos + 1) as f64));
    Ok(MultiValue::from_vec(values))
}
