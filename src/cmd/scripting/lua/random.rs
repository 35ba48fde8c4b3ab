//! math.random and math.randomseed as Redis replaces them: a 48-bit linear congruential
//! generator (`redisLrand48`, the same as POSIX lrand48), so scripts see the same numbers on
//! every platform.
//!
//! Redis keeps one generator for the life of the server, so the numbers a script gets depend on
//! the scripts before it. pgredis starts each script from Redis's initial state instead: every
//! run of a script sees the same sequence (the one the first script after a Redis start sees),
//! whichever instance runs it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mlua::{Lua, Table, Value};

use super::{fail, function, library, one};

const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
/// The state before any seeding: Redis's X2, X1, X0.
const INITIAL: u64 = 0x1234_ABCD_330E;
const LRAND48_MAX: i64 = i32::MAX as i64;

/// The next value of the generator in `state`, 0 ..= 2^31 - 1.
fn lrand48(state: &AtomicU64) -> i64 {
    let x = (state
        .load(Ordering::Relaxed)
        .wrapping_mul(A)
        .wrapping_add(C))
        & MASK;
    state.store(x, Ordering::Relaxed);
    (x >> 17) as i64
}

fn seed(seedval: i32) -> u64 {
    ((seedval as u32 as u64) << 16) | 0x330E
}

/// Lua's `luaL_checkint`: a number argument, truncated.
fn int_arg(v: &Value, pos: usize, name: &str) -> mlua::Result<i64> {
    match v {
        Value::Integer(n) => Ok(*n),
        Value::Number(n) => Ok(*n as i64),
        Value::String(s) => match std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|t| t.trim().parse::<f64>().ok())
        {
            Some(n) => Ok(n as i64),
            None => fail(format!(
                "bad argument #{pos} to '{name}' (number expected, got string)"
            )),
        },
        other => fail(format!(
            "bad argument #{pos} to '{name}' (number expected, got {})",
            type_name(other)
        )),
    }
}

/// Lua's name for a value's type, as error messages print it.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        Value::LightUserData(_) | Value::UserData(_) => "userdata",
        _ => "userdata",
    }
}

pub fn table(lua: &Lua) -> mlua::Result<Table> {
    let state = Arc::new(AtomicU64::new(INITIAL));
    let random_state = state.clone();
    library(lua, move |lua, t| {
        t.set(
            "random",
            function(lua, move |_, args| {
                let r = (lrand48(&random_state) % LRAND48_MAX) as f64 / LRAND48_MAX as f64;
                let value = match args.len() {
                    0 => r,
                    1 => {
                        let u = int_arg(&args[0], 1, "random")?;
                        if u < 1 {
                            return fail("bad argument #1 to 'random' (interval is empty)");
                        }
                        (r * u as f64).floor() + 1.0
                    }
                    2 => {
                        let l = int_arg(&args[0], 1, "random")?;
                        let u = int_arg(&args[1], 2, "random")?;
                        if l > u {
                            return fail("bad argument #2 to 'random' (interval is empty)");
                        }
                        (r * (u - l + 1) as f64).floor() + l as f64
                    }
                    _ => return fail("wrong number of arguments"),
                };
                one(Value::Number(value))
            })?,
        )?;
        t.set(
            "randomseed",
            function(lua, move |_, args| {
                let n = int_arg(args.front().unwrap_or(&Value::Nil), 1, "randomseed")?;
                state.store(seed(n as i32), Ordering::Relaxed);
                Ok(mlua::MultiValue::new())
            })?,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_numbers_match_a_fresh_redis() {
        let state = AtomicU64::new(INITIAL);
        let r = (lrand48(&state) % LRAND48_MAX) as f64 / LRAND48_MAX as f64;
        assert_eq!((r * 1000.0).floor() + 1.0, 397.0);
        let r = (lrand48(&state) % LRAND48_MAX) as f64 / LRAND48_MAX as f64;
        assert_eq!(super::super::convert::format_g(r, 14), "0.84048536971234");
    }
}
