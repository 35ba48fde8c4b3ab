//! The `bit` library (LuaBitOp 1.0.2, as Redis bundles it): 32-bit operations on Lua numbers.
//! Numbers are normalised like LuaBitOp's `tobit`: rounded to an integer and wrapped to a signed
//! 32-bit value.

use mlua::{Lua, MultiValue, Table, Value};

use super::args::number;
use super::{fail, function, library};

/// LuaBitOp's conversion of a number to a 32-bit integer.
pub fn tobit(n: f64) -> i32 {
    let r = n.round_ties_even();
    (r.rem_euclid(4_294_967_296.0)) as u64 as u32 as i32
}

fn arg(args: &MultiValue, pos: usize, func: &str) -> mlua::Result<i32> {
    Ok(tobit(number(args, pos, func)?))
}

fn result(n: i32) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_vec(vec![Value::Number(n as f64)]))
}

pub fn table(lua: &Lua) -> mlua::Result<Table> {
    library(lua, |lua, t| {
        t.set("tobit", function(lua, |_, a| result(arg(&a, 1, "tobit")?))?)?;
        t.set("bnot", function(lua, |_, a| result(!arg(&a, 1, "bnot")?))?)?;
        type Fold = fn(i32, i32) -> i32;
        let folds: [(&'static str, Fold); 3] = [
            ("band", |x, y| x & y),
            ("bor", |x, y| x | y),
            ("bxor", |x, y| x ^ y),
        ];
        for (name, op) in folds {
            t.set(
                name,
                function(lua, move |_, a| {
                    let mut acc = arg(&a, 1, name)?;
                    for i in 2..=a.len() {
                        acc = op(acc, arg(&a, i, name)?);
                    }
                    result(acc)
                })?,
            )?;
        }
        type Shift = fn(i32, u32) -> i32;
        let shifts: [(&'static str, Shift); 5] = [
            ("lshift", |x, n| ((x as u32) << n) as i32),
            ("rshift", |x, n| ((x as u32) >> n) as i32),
            ("arshift", |x, n| x >> n),
            ("rol", |x, n| (x as u32).rotate_left(n) as i32),
            ("ror", |x, n| (x as u32).rotate_right(n) as i32),
        ];
        for (name, op) in shifts {
            t.set(
                name,
                function(lua, move |_, a| {
                    let x = arg(&a, 1, name)?;
                    let n = arg(&a, 2, name)? as u32 & 31;
                    result(op(x, n))
                })?,
            )?;
        }
        t.set(
            "bswap",
            function(lua, |_, a| result(arg(&a, 1, "bswap")?.swap_bytes()))?,
        )?;
        t.set(
            "tohex",
            function(lua, |lua, a| {
                let x = arg(&a, 1, "tohex")? as u32;
                let mut n = match a.get(1) {
                    None | Some(Value::Nil) => 8,
                    Some(_) => arg(&a, 2, "tohex")?,
                };
                let upper = n < 0;
                if upper {
                    n = n.wrapping_neg();
                }
                if !(0..=8).contains(&n) {
                    n = 8;
                }
                if n == 0 {
                    return fail("bad argument #2 to 'tohex'");
                }
                let full = if upper {
                    format!("{x:08X}")
                } else {
                    format!("{x:08x}")
                };
                let text = &full[8 - n as usize..];
                Ok(MultiValue::from_vec(vec![Value::String(
                    lua.create_string(text)?,
                )]))
            })?,
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn tobit_wraps_like_luabitop() {
        assert_eq!(super::tobit(4294967295.0), -1);
        assert_eq!(super::tobit(2147483648.0), -2147483648);
        assert_eq!(super::tobit(-1.0), -1);
        assert_eq!(super::tobit(1.5), 2);
    }
}
