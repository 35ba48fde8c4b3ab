//! The `cjson` library (lua-cjson 2.1.0, as Redis bundles it): cjson.encode, cjson.decode and
//! cjson.null, with lua-cjson's defaults (numbers with 14 significant digits, `/` escaped,
//! sparse arrays refused past a ratio of 2, empty tables as `{}`, nesting up to 1000).

use mlua::{LightUserData, Lua, Table, Value};

use super::args::bytes;
use super::convert::format_g;
use super::{fail, function, library, one};

const MAX_DEPTH: usize = 1000;
const SPARSE_RATIO: usize = 2;
const SPARSE_SAFE: usize = 10;

/// cjson.null: the light userdata NULL.
fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

pub fn table(lua: &Lua) -> mlua::Result<Table> {
    library(lua, |lua, t| {
        t.set("null", null())?;
        t.set("_NAME", "cjson")?;
        t.set("_VERSION", "2.1.0")?;
        t.set(
            "encode",
            function(lua, |lua, args| {
                if args.len() != 1 {
                    return fail("bad argument #1 to 'encode' (expected 1 argument)");
                }
                let mut out = Vec::new();
                encode(&args[0], 0, &mut out)?;
                one(Value::String(lua.create_string(out)?))
            })?,
        )?;
        t.set(
            "decode",
            function(lua, |lua, args| {
                if args.len() != 1 {
                    return fail("bad argument #1 to 'decode' (expected 1 argument)");
                }
                let text = bytes(&args, 1, "decode")?;
                let mut parser = Parser {
                    lua,
                    text: &text,
                    pos: 0,
                    depth: 0,
                };
                let value = parser.value()?;
                parser.skip_space();
                if parser.pos < text.len() {
                    return parser.error("the end", "");
                }
                one(value)
            })?,
        )?;
        for (name, value) in [
            ("encode_sparse_array", Value::Boolean(false)),
            ("encode_max_depth", Value::Integer(MAX_DEPTH as i64)),
            ("decode_max_depth", Value::Integer(MAX_DEPTH as i64)),
            ("encode_number_precision", Value::Integer(14)),
            ("encode_keep_buffer", Value::Boolean(true)),
            ("encode_invalid_numbers", Value::Boolean(false)),
            ("decode_invalid_numbers", Value::Boolean(true)),
        ] {
            t.set(name, function(lua, move |_, _| one(value.clone()))?)?;
        }
        Ok(())
    })
}

fn encode_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn encode_number(n: f64, out: &mut Vec<u8>) -> mlua::Result<()> {
    if !n.is_finite() {
        return fail("Cannot serialise number: must not be NaN or Inf");
    }
    out.extend_from_slice(format_g(n, 14).as_bytes());
    Ok(())
}

fn encode(value: &Value, depth: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    match value {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(n) => encode_number(*n as f64, out)?,
        Value::Number(n) => encode_number(*n, out)?,
        Value::String(s) => encode_string(&s.as_bytes(), out),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > MAX_DEPTH {
                return fail(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            match array_length(t)? {
                Some(len) => {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        encode(&t.raw_get::<Value>(i)?, depth, out)?;
                    }
                    out.push(b']');
                }
                None => {
                    out.push(b'{');
                    let mut first = true;
                    for pair in t.clone().pairs::<Value, Value>() {
                        let (k, v) = pair?;
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            Value::String(s) => encode_string(&s.as_bytes(), out),
                            Value::Integer(n) => {
                                out.push(b'"');
                                encode_number(*n as f64, out)?;
                                out.push(b'"');
                            }
                            Value::Number(n) => {
                                out.push(b'"');
                                encode_number(*n, out)?;
                                out.push(b'"');
                            }
                            _ => {
                                return fail(
                                    "Cannot serialise table: table key must be a number or string",
                                );
                            }
                        }
                        out.push(b':');
                        encode(&v, depth, out)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => {
            return fail(format!(
                "Cannot serialise {}: type not supported",
                super::random::type_name(other)
            ));
        }
    }
    Ok(())
}

/// lua-cjson's array test: `Some(length)` when every key is a positive integer and the table is
/// not too sparse; `None` for an object (and for the empty table, which encodes as `{}`).
fn array_length(t: &Table) -> mlua::Result<Option<usize>> {
    let mut max = 0usize;
    let mut count = 0usize;
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair?;
        let n = match k {
            Value::Integer(n) if n >= 1 => n as usize,
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => n as usize,
            _ => return Ok(None),
        };
        max = max.max(n);
        count += 1;
    }
    if max == 0 {
        return Ok(None);
    }
    if SPARSE_RATIO > 0 && max > count * SPARSE_RATIO && max > SPARSE_SAFE {
        return fail("Cannot serialise table: excessively sparse array");
    }
    Ok(Some(max))
}

struct Parser<'a> {
    lua: &'a Lua,
    text: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.pos < self.text.len() && b" \t\r\n".contains(&self.text[self.pos]) {
            self.pos += 1;
        }
    }

    fn error<T>(&self, expected: &str, _found: &str) -> mlua::Result<T> {
        let found = match self.text.get(self.pos) {
            None => "T_END".to_string(),
            Some(b'{') => "T_OBJ_BEGIN".into(),
            Some(b'}') => "T_OBJ_END".into(),
            Some(b'[') => "T_ARR_BEGIN".into(),
            Some(b']') => "T_ARR_END".into(),
            Some(b',') => "T_COMMA".into(),
            Some(b':') => "T_COLON".into(),
            Some(b'"') => "T_STRING".into(),
            Some(b'-' | b'0'..=b'9') => "T_NUMBER".into(),
            Some(_) if self.text[self.pos..].starts_with(b"true") => "T_BOOLEAN".into(),
            Some(_) if self.text[self.pos..].starts_with(b"false") => "T_BOOLEAN".into(),
            Some(_) if self.text[self.pos..].starts_with(b"null") => "T_NULL".into(),
            Some(_) => "invalid token".into(),
        };
        fail(format!(
            "Expected {expected} but found {found} at character {}",
            self.pos + 1
        ))
    }

    fn value(&mut self) -> mlua::Result<Value> {
        self.skip_space();
        let Some(&c) = self.text.get(self.pos) else {
            return self.error("value", "");
        };
        match c {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => Ok(Value::String(self.lua.create_string(self.string()?)?)),
            b't' if self.text[self.pos..].starts_with(b"true") => {
                self.pos += 4;
                Ok(Value::Boolean(true))
            }
            b'f' if self.text[self.pos..].starts_with(b"false") => {
                self.pos += 5;
                Ok(Value::Boolean(false))
            }
            b'n' if self.text[self.pos..].starts_with(b"null") => {
                self.pos += 4;
                Ok(null())
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => self.error("value", ""),
        }
    }

    fn nest(&mut self) -> mlua::Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return fail(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth,
                self.pos + 1
            ));
        }
        Ok(())
    }

    fn object(&mut self) -> mlua::Result<Value> {
        self.nest()?;
        self.pos += 1;
        let t = self.lua.create_table()?;
        self.skip_space();
        if self.text.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Table(t));
        }
        loop {
            self.skip_space();
            if self.text.get(self.pos) != Some(&b'"') {
                return self.error("object key string", "");
            }
            let key = self.string()?;
            self.skip_space();
            if self.text.get(self.pos) != Some(&b':') {
                return self.error("colon", "");
            }
            self.pos += 1;
            let value = self.value()?;
            t.raw_set(self.lua.create_string(key)?, value)?;
            self.skip_space();
            match self.text.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Value::Table(t));
                }
                _ => return self.error("comma or object end", ""),
            }
        }
    }

    fn array(&mut self) -> mlua::Result<Value> {
        self.nest()?;
        self.pos += 1;
        let t = self.lua.create_table()?;
        self.skip_space();
        if self.text.get(self.pos) == Some(&b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Table(t));
        }
        let mut i = 1;
        loop {
            let value = self.value()?;
            t.raw_set(i, value)?;
            i += 1;
            self.skip_space();
            match self.text.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Value::Table(t));
                }
                _ => return self.error("comma or array end", ""),
            }
        }
    }

    fn number(&mut self) -> mlua::Result<Value> {
        let start = self.pos;
        while self.pos < self.text.len()
            && matches!(
                self.text[self.pos],
                b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
            )
        {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.text[start..self.pos]).unwrap_or("");
        match text.parse::<f64>() {
            Ok(n) => Ok(Value::Number(n)),
            Err(_) => {
                self.pos = start;
                self.error("value", "")
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let n = u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
        self.pos += 4;
        Some(n)
    }

    fn string(&mut self) -> mlua::Result<Vec<u8>> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.text.get(self.pos) else {
                self.pos = start;
                return self.error("string end", "");
            };
            self.pos += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(&e) = self.text.get(self.pos) else {
                        return self.error("string end", "");
                    };
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let Some(mut code) = self.hex4() else {
                                return self.error("valid unicode escape", "");
                            };
                            if (0xd800..0xdc00).contains(&code)
                                && self.text.get(self.pos..self.pos + 2) == Some(b"\\u")
                            {
                                self.pos += 2;
                                let low = self.hex4().unwrap_or(0);
                                code = 0x10000
                                    + ((code - 0xd800) << 10)
                                    + (low.wrapping_sub(0xdc00) & 0x3ff);
                            }
                            let ch = char::from_u32(code).unwrap_or('\u{fffd}');
                            let mut buf = [0; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return self.error("valid escape", ""),
                    }
                }
                _ => out.push(c),
            }
        }
    }
}
