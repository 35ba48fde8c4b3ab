//! Base functions that must see through the read-only proxies of the prelude: rawset and
//! setmetatable refuse them as Redis refuses read-only tables, and next, pairs and ipairs walk the
//! table a proxy stands for. They find the proxies in the registry (`pgredis_readonly`).

use mlua::{Function, Lua, MultiValue, Table, Value};

use super::random::type_name;
use super::{fail, fail_plain, function, library};

const READONLY: &str = "Attempt to modify a readonly table";

/// The table a read-only proxy stands for, if `t` is one.
fn underlying(lua: &Lua, t: &Table) -> mlua::Result<Option<Table>> {
    let readonly: Table = lua.named_registry_value("pgredis_readonly")?;
    match readonly.raw_get::<Value>(t.clone())? {
        Value::Table(real) => Ok(Some(real)),
        _ => Ok(None),
    }
}

fn table_arg(args: &MultiValue, pos: usize, name: &str) -> mlua::Result<Table> {
    match args.get(pos - 1) {
        Some(Value::Table(t)) => Ok(t.clone()),
        other => fail(format!(
            "bad argument #{pos} to '{name}' (table expected, got {})",
            other.map_or("no value", type_name)
        )),
    }
}

pub fn table(lua: &Lua) -> mlua::Result<Table> {
    library(lua, |lua, t| {
        t.set(
            "rawset",
            function(lua, |lua, args| {
                let table = table_arg(&args, 1, "rawset")?;
                if underlying(lua, &table)?.is_some() {
                    return fail_plain(READONLY);
                }
                let key = args.get(1).cloned().unwrap_or(Value::Nil);
                let value = args.get(2).cloned().unwrap_or(Value::Nil);
                if key.is_nil() {
                    return fail("table index is nil");
                }
                table.raw_set(key, value)?;
                Ok(MultiValue::from_vec(vec![Value::Table(table)]))
            })?,
        )?;
        t.set(
            "setmetatable",
            function(lua, |lua, args| {
                let table = table_arg(&args, 1, "setmetatable")?;
                let metatable = match args.get(1) {
                    Some(Value::Nil) => None,
                    Some(Value::Table(mt)) => Some(mt.clone()),
                    _ => return fail("bad argument #2 to 'setmetatable' (nil or table expected)"),
                };
                if underlying(lua, &table)?.is_some() {
                    return fail_plain(READONLY);
                }
                if let Some(current) = table.metatable()
                    && !current.raw_get::<Value>("__metatable")?.is_nil()
                {
                    return fail("cannot change a protected metatable");
                }
                table.set_metatable(metatable)?;
                Ok(MultiValue::from_vec(vec![Value::Table(table)]))
            })?,
        )?;
        for name in ["next", "pairs", "ipairs"] {
            t.set(
                name,
                function(lua, move |lua, mut args| {
                    let table = table_arg(&args, 1, name)?;
                    let real = underlying(lua, &table)?.unwrap_or(table);
                    if let Some(first) = args.get_mut(0) {
                        *first = Value::Table(real);
                    }
                    let original: Function =
                        lua.named_registry_value(&format!("pgredis_{name}"))?;
                    original.call::<MultiValue>(args)
                })?,
            )?;
        }
        Ok(())
    })
}
