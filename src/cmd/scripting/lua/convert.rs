//! Redis's conversion rules between replies and Lua values, both ways.
//!
//! Reply to Lua (what redis.call returns): integers become numbers, bulk strings strings, status
//! replies `{ok=...}`, errors `{err=...}`, arrays tables, and a null `false` (RESP2) or `nil`
//! (RESP3, after redis.setresp(3), which also brings `{map=...}`, `{set=...}`, `{double=...}` and
//! booleans). Lua to reply (what a script returns): numbers are truncated to integers, strings
//! are bulk strings, `true` is 1 and `false` a null (in RESP3 booleans stay booleans), tables
//! with `err` or `ok` become errors and status replies, and other tables arrays that stop at the
//! first nil.

use bytes::Bytes;
use mlua::{Lua, Table, Value};

use crate::cmd::errors::one_line;
use crate::numbers::format_double;
use crate::resp::Reply;

/// Nesting deeper than this is answered with an error instead of overflowing the stack (Redis
/// runs out of Lua stack at a similar depth).
const MAX_DEPTH: usize = 1000;
pub const STACK_LIMIT: &str = "ERR reached lua stack limit";

/// A Lua number as a reply integer, the way C's `(long long)` cast behaves on x86: values out of
/// range (and NaN) become the lowest integer.
pub fn number_to_i64(n: f64) -> i64 {
    if (-TWO_POW_63..TWO_POW_63).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// 2^63: the first double past the 64-bit integers.
pub const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// The text of an error table for an error reply: Redis's `luaPushErrorBuff` keeps a code at the
/// front (`WRONGTYPE ...`) and puts `ERR` before a message that has none.
pub fn error_text(reply_text: &str) -> String {
    let trim = |s: &str| s.trim_matches(['\r', '\n']).to_string();
    match reply_text.split_once(' ') {
        Some((code, msg)) => format!("{code} {}", trim(msg)),
        None => format!("ERR {}", trim(reply_text)),
    }
}

/// `{err = text}`.
pub fn error_table(lua: &Lua, text: &str) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("err", text)?;
    Ok(t)
}

/// A command's reply as redis.call returns it to a script speaking `resp` (2 or 3).
pub fn reply_to_lua(lua: &Lua, reply: &Reply, resp: u8) -> mlua::Result<Value> {
    let resp3 = resp == 3;
    let single = |field: &str, value: Value| -> mlua::Result<Value> {
        let t = lua.create_table()?;
        t.raw_set(field, value)?;
        Ok(Value::Table(t))
    };
    Ok(match reply {
        Reply::Status(s) => single("ok", Value::String(lua.create_string(s.as_bytes())?))?,
        Reply::Error(e) => Value::Table(error_table(lua, &error_text(e))?),
        Reply::Int(n) => Value::Number(*n as f64),
        Reply::Bulk(b) => Value::String(lua.create_string(b)?),
        Reply::Nil | Reply::NilArray if resp3 => Value::Nil,
        Reply::Nil | Reply::NilArray => Value::Boolean(false),
        Reply::Array(items) | Reply::Push(items) | Reply::Many(items) => array(lua, items, resp)?,
        Reply::Set(items) if !resp3 => array(lua, items, resp)?,
        Reply::Set(items) => {
            let set = lua.create_table()?;
            for item in items {
                set.raw_set(reply_to_lua(lua, item, resp)?, true)?;
            }
            single("set", Value::Table(set))?
        }
        Reply::Map(pairs) if !resp3 => {
            let t = lua.create_table()?;
            for (i, (k, v)) in pairs.iter().enumerate() {
                t.raw_set(2 * i + 1, reply_to_lua(lua, k, resp)?)?;
                t.raw_set(2 * i + 2, reply_to_lua(lua, v, resp)?)?;
            }
            Value::Table(t)
        }
        Reply::Map(pairs) => {
            let map = lua.create_table()?;
            for (k, v) in pairs {
                map.raw_set(reply_to_lua(lua, k, resp)?, reply_to_lua(lua, v, resp)?)?;
            }
            single("map", Value::Table(map))?
        }
        Reply::Double(d) if resp3 => single("double", Value::Number(*d))?,
        Reply::Double(d) => Value::String(lua.create_string(format_double(*d))?),
        Reply::Bool(b) if resp3 => Value::Boolean(*b),
        Reply::Bool(b) => Value::Number(*b as i64 as f64),
        Reply::Verbatim(b) if resp3 => {
            let v = lua.create_table()?;
            v.raw_set("string", lua.create_string(b)?)?;
            v.raw_set("format", "txt")?;
            single("verbatim_string", Value::Table(v))?
        }
        Reply::Verbatim(b) => Value::String(lua.create_string(b)?),
    })
}

fn array(lua: &Lua, items: &[Reply], resp: u8) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.iter().enumerate() {
        t.raw_set(i + 1, reply_to_lua(lua, item, resp)?)?;
    }
    Ok(Value::Table(t))
}

/// What a script returned, as the reply to its caller. `resp` is the script's protocol (set by
/// redis.setresp), which decides how booleans are sent.
pub fn lua_to_reply(value: &Value, resp: u8) -> Reply {
    to_reply(value, resp, 0)
}

fn to_reply(value: &Value, resp: u8, depth: usize) -> Reply {
    match value {
        Value::String(s) => Reply::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Boolean(b) if resp == 3 => Reply::Bool(*b),
        Value::Boolean(true) => Reply::Int(1),
        Value::Integer(n) => Reply::Int(*n),
        Value::Number(n) => Reply::Int(number_to_i64(*n)),
        Value::Table(t) if depth >= MAX_DEPTH => {
            let _ = t;
            Reply::Error(STACK_LIMIT.into())
        }
        Value::Table(t) => table_to_reply(t, resp, depth),
        _ => Reply::Nil,
    }
}

/// A Lua string or number as text, as `lua_tostring` gives it.
pub fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(String::from_utf8_lossy(&s.as_bytes()).into_owned()),
        Value::Integer(n) => Some(n.to_string()),
        Value::Number(n) => Some(format_lua_number(*n)),
        _ => None,
    }
}

fn table_to_reply(t: &Table, resp: u8, depth: usize) -> Reply {
    let field = |name: &str| t.raw_get::<Value>(name).unwrap_or(Value::Nil);
    if let Some(err) = value_text(&field("err")) {
        return Reply::Error(one_line(&err).into());
    }
    if let Value::String(ok) = field("ok") {
        return Reply::Status(one_line(&String::from_utf8_lossy(&ok.as_bytes())).into());
    }
    match field("double") {
        Value::Number(d) => return Reply::Double(d),
        Value::Integer(d) => return Reply::Double(d as f64),
        _ => {}
    }
    if let Value::String(n) = field("big_number") {
        return Reply::Bulk(Bytes::copy_from_slice(&n.as_bytes()));
    }
    if let Value::Table(map) = field("map") {
        let mut pairs = Vec::new();
        for (k, v) in map.pairs::<Value, Value>().flatten() {
            pairs.push((to_reply(&k, resp, depth + 1), to_reply(&v, resp, depth + 1)));
        }
        return Reply::Map(pairs);
    }
    if let Value::Table(set) = field("set") {
        let items = set
            .pairs::<Value, Value>()
            .flatten()
            .map(|(k, _)| to_reply(&k, resp, depth + 1))
            .collect();
        return Reply::Set(items);
    }
    if let Value::Table(v) = field("verbatim_string")
        && let Ok(Value::String(s)) = v.raw_get::<Value>("string")
    {
        return Reply::Verbatim(Bytes::copy_from_slice(&s.as_bytes()));
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(to_reply(&v, resp, depth + 1)),
        }
    }
    Reply::Array(items)
}

/// A number as Lua 5.1's `tostring` prints it (`%.14g`).
pub fn format_lua_number(n: f64) -> String {
    format_g(n, 14)
}

/// C's `%.<precision>g`.
pub fn format_g(n: f64, precision: usize) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.into();
    }
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let p = precision.max(1);
    let sci = format!("{:.*e}", p - 1, n);
    let (mantissa, exp) = sci.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    if exp < -4 || exp >= p as i32 {
        let mantissa = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{:.*}", decimals, n)).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_formatting_matches_c() {
        assert_eq!(format_g(3.1, 17), "3.1000000000000001");
        assert_eq!(format_g(1e20, 17), "1e+20");
        assert_eq!(format_g(3.0, 17), "3");
        assert_eq!(format_g(0.1, 14), "0.1");
        assert_eq!(format_g(0.31869277233197, 14), "0.31869277233197");
        assert_eq!(format_g(1e-5, 14), "1e-05");
        assert_eq!(format_g(123456789012345.0, 14), "1.2345678901234e+14");
        assert_eq!(format_g(-2.5, 14), "-2.5");
    }

    #[test]
    fn error_texts_keep_or_add_a_code() {
        assert_eq!(error_text("WRONGTYPE Operation"), "WRONGTYPE Operation");
        assert_eq!(error_text("boom"), "ERR boom");
        assert_eq!(error_text("ERR x\r\n"), "ERR x");
    }

    #[test]
    fn numbers_truncate_like_c() {
        assert_eq!(number_to_i64(3.99), 3);
        assert_eq!(number_to_i64(-3.7), -3);
        assert_eq!(number_to_i64(1e20), i64::MIN);
        assert_eq!(number_to_i64(f64::NAN), i64::MIN);
    }
}
