//! Argument checks for the Rust libraries, with the messages of Lua's `luaL_check*`.

use mlua::{MultiValue, Value};

use super::fail;
use super::random::type_name;

/// `luaL_checknumber`: a number, or a string that reads as one.
pub fn number(args: &MultiValue, pos: usize, func: &str) -> mlua::Result<f64> {
    match args.get(pos - 1) {
        Some(Value::Integer(n)) => Ok(*n as f64),
        Some(Value::Number(n)) => Ok(*n),
        Some(Value::String(s)) => {
            match std::str::from_utf8(&s.as_bytes())
                .ok()
                .and_then(|t| parse_lua_number(t.trim()))
            {
                Some(n) => Ok(n),
                None => fail(format!(
                    "bad argument #{pos} to '{func}' (number expected, got string)"
                )),
            }
        }
        other => fail(format!(
            "bad argument #{pos} to '{func}' (number expected, got {})",
            other.map_or("no value", type_name)
        )),
    }
}

/// `luaL_checklstring`: a string, or a number as Lua prints it.
pub fn bytes(args: &MultiValue, pos: usize, func: &str) -> mlua::Result<Vec<u8>> {
    match args.get(pos - 1) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(v @ (Value::Integer(_) | Value::Number(_))) => Ok(super::convert::value_text(v)
            .unwrap_or_default()
            .into_bytes()),
        other => fail(format!(
            "bad argument #{pos} to '{func}' (string expected, got {})",
            other.map_or("no value", type_name)
        )),
    }
}

fn parse_lua_number(s: &str) -> Option<f64> {
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    s.parse::<f64>().ok()
}
