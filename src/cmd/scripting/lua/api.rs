//! The `redis` table scripts see, written in Rust: redis.call's transport, the reply helpers,
//! sha1hex, log, setresp and the constants; and redis.register_function for FUNCTION LOAD.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use mlua::{Lua, MultiValue, Table, Value};
use tokio::sync::oneshot;

use super::convert::{self, error_table, reply_to_lua};
use super::{Call, Calls, fail_table as fail, function, one};
use crate::cmd::scripting::busy::RunningScript;
use crate::store::scripting::FunctionInfo;

pub const REDIS_VERSION: &str = "7.0.15";
pub const REDIS_VERSION_NUM: i64 = 0x07_00_0f;

/// Flags a script or function may declare, in the order Redis lists them.
pub const SCRIPT_FLAGS: &[&str] = &[
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

/// The transport behind redis.call and redis.pcall: `(raise, command...)` returns the reply as
/// a Lua value and whether the prelude must raise it (an error reply under redis.call, or a
/// script that must stop).
pub fn call_function(
    lua: &Lua,
    script: Arc<RunningScript>,
    calls: Option<Calls>,
) -> mlua::Result<mlua::Function> {
    lua.create_function(move |lua, args: MultiValue| {
        let mut args = args.into_iter();
        let raise = matches!(args.next(), Some(Value::Boolean(true)));
        let failed = |text: &str| -> mlua::Result<(Value, bool)> {
            Ok((Value::Table(error_table(lua, text)?), raise))
        };
        let argv = match command_args(args) {
            Ok(argv) => argv,
            Err(text) => return failed(text),
        };
        let stopped = |script: &RunningScript| -> mlua::Result<(Value, bool)> {
            script.abort();
            let reason = script.stop_reason().unwrap_or("ERR script aborted");
            Ok((Value::Table(error_table(lua, reason)?), true))
        };
        if script.stop_reason().is_some() {
            return stopped(&script);
        }
        let Some(calls) = &calls else {
            return failed("ERR redis.call/pcall can only be called inside a script invocation");
        };
        let resp = script.resp();
        let (tx, rx) = oneshot::channel();
        script.pause();
        let sent = calls.send(Call {
            argv,
            resp,
            reply: tx,
        });
        let received = rx.blocking_recv();
        script.resume();
        let reply = match (sent, received) {
            (Ok(()), Ok(Some(reply))) => reply,
            _ => return stopped(&script),
        };
        let is_error = reply.is_error();
        Ok((reply_to_lua(lua, &reply, resp)?, raise && is_error))
    })
}

/// The arguments of redis.call as a command: strings as they are, numbers as `%.17g`.
fn command_args(args: impl Iterator<Item = Value>) -> Result<Vec<Bytes>, &'static str> {
    let mut argv = Vec::new();
    for arg in args {
        argv.push(match arg {
            Value::String(s) => Bytes::copy_from_slice(&s.as_bytes()),
            Value::Integer(n) => Bytes::from(n.to_string()),
            Value::Number(n) => Bytes::from(convert::format_g(n, 17)),
            _ => return Err("ERR Lua redis lib command arguments must be strings or integers"),
        });
    }
    if argv.is_empty() {
        return Err("ERR Please specify at least one argument for this redis lib call");
    }
    Ok(argv)
}

fn set_constants(t: &Table) -> mlua::Result<()> {
    t.set("REDIS_VERSION", REDIS_VERSION)?;
    t.set("REDIS_VERSION_NUM", REDIS_VERSION_NUM)?;
    for (i, name) in ["LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"]
        .iter()
        .enumerate()
    {
        t.set(*name, i as i64)?;
    }
    Ok(())
}

/// redis.log(level, message...): to pgredis's log.
fn log_function(lua: &Lua) -> mlua::Result<mlua::Function> {
    function(lua, |_, args| {
        if args.len() < 2 {
            return fail("redis.log() requires two arguments or more.");
        }
        let level = match &args[0] {
            Value::Integer(n) => *n,
            Value::Number(n) => *n as i64,
            _ => return fail("First argument must be a number (log level)."),
        };
        if !(0..=3).contains(&level) {
            return fail("Invalid debug level.");
        }
        let text: Vec<String> = args
            .iter()
            .skip(1)
            .filter_map(convert::value_text)
            .collect();
        let text = text.join(" ");
        match level {
            0 => tracing::debug!("script: {text}"),
            1 | 2 => tracing::info!("script: {text}"),
            _ => tracing::warn!("script: {text}"),
        }
        Ok(MultiValue::new())
    })
}

/// The `redis` table's Rust functions (redis.call and redis.pcall are added by the prelude).
pub fn redis_table(lua: &Lua, script: Arc<RunningScript>) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    set_constants(&t)?;
    for (name, value) in [
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
    ] {
        t.set(name, value)?;
    }
    t.set("log", log_function(lua)?)?;
    t.set(
        "sha1hex",
        function(lua, |lua, args| {
            if args.len() != 1 {
                return fail("wrong number of arguments");
            }
            let input = match &args[0] {
                Value::String(s) => s.as_bytes().to_vec(),
                other => convert::value_text(other).unwrap_or_default().into_bytes(),
            };
            one(Value::String(lua.create_string(
                sha1_smol::Sha1::from(&input).digest().to_string(),
            )?))
        })?,
    )?;
    t.set("error_reply", single_field(lua, "err", true)?)?;
    t.set("status_reply", single_field(lua, "ok", false)?)?;
    t.set(
        "setresp",
        function(lua, move |_, args| {
            if args.len() != 1 {
                return fail("redis.setresp() requires one argument.");
            }
            let resp = match &args[0] {
                Value::Integer(n) => *n,
                Value::Number(n) => *n as i64,
                _ => 0,
            };
            if resp != 2 && resp != 3 {
                return fail("RESP version must be 2 or 3.");
            }
            script.set_resp(resp as u8);
            Ok(MultiValue::new())
        })?,
    )?;
    t.set(
        "set_repl",
        function(lua, |_, args| {
            if args.len() != 1 {
                return fail("redis.set_repl() requires two arguments.");
            }
            match &args[0] {
                Value::Integer(n) if (0..=3).contains(n) => Ok(MultiValue::new()),
                _ => fail(
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                ),
            }
        })?,
    )?;
    t.set(
        "replicate_commands",
        function(lua, |_, _| one(Value::Boolean(true)))?,
    )?;
    t.set(
        "breakpoint",
        function(lua, |_, _| one(Value::Boolean(false)))?,
    )?;
    t.set("debug", function(lua, |_, _| Ok(MultiValue::new()))?)?;
    t.set(
        "acl_check_cmd",
        function(lua, |_, args| {
            let argv = match command_args(args.into_iter()) {
                Ok(argv) => argv,
                Err(text) => return fail(text.trim_start_matches("ERR ")),
            };
            match crate::cmd::resolve(&argv) {
                Ok(_) => one(Value::Boolean(true)),
                Err(_) => fail("Invalid command passed to redis.acl_check_cmd()"),
            }
        })?,
    )?;
    Ok(t)
}

/// redis.error_reply and redis.status_reply: `{err=...}` (with `-` and a code added as Redis
/// does) or `{ok=...}`.
fn single_field(lua: &Lua, field: &'static str, is_error: bool) -> mlua::Result<mlua::Function> {
    function(lua, move |lua, args| {
        let text = match (args.len(), args.front()) {
            (1, Some(Value::String(s))) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            _ => {
                return one(Value::Table(error_table(
                    lua,
                    "ERR wrong number or type of arguments",
                )?));
            }
        };
        let t = lua.create_table()?;
        if is_error {
            let text = text.strip_prefix('-').unwrap_or(&text);
            t.raw_set(field, convert::error_text(text))?;
        } else {
            t.raw_set(field, text)?;
        }
        one(Value::Table(t))
    })
}

/// The `redis` table a library sees while FUNCTION LOAD runs it (register_function is added by
/// the prelude).
pub fn library_redis_table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    set_constants(&t)?;
    t.set("log", log_function(lua)?)?;
    Ok(t)
}

/// Redis's rule for library and function names.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

pub const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// redis.register_function(name, callback) or redis.register_function{function_name=...,
/// callback=..., flags={...}, description=...}: records the function in `registered` and its
/// callback in `callbacks` (by lower-case name: function names ignore case).
pub fn register_function(
    lua: &Lua,
    registered: Arc<Mutex<Vec<FunctionInfo>>>,
    callbacks: Table,
) -> mlua::Result<mlua::Function> {
    function(lua, move |_, args| {
        let text = |v: &Value| convert::value_text(v);
        let (name, callback, flags, description) = match args.len() {
            1 => {
                let Value::Table(named) = &args[0] else {
                    return fail(
                        "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
                    );
                };
                let mut name = None;
                let mut callback = None;
                let mut flags = Vec::new();
                let mut description = None;
                for pair in named.clone().pairs::<Value, Value>() {
                    let (key, value) = pair?;
                    let Some(key) = text(&key) else {
                        return fail(
                            "named argument key given to redis.register_function is not a string",
                        );
                    };
                    match key.to_ascii_lowercase().as_str() {
                        "function_name" => match text(&value) {
                            Some(n) => name = Some(n),
                            None => {
                                return fail(
                                    "function_name argument given to redis.register_function must be a string",
                                );
                            }
                        },
                        "description" => match &value {
                            Value::String(s) => {
                                description = Some(Bytes::copy_from_slice(&s.as_bytes()))
                            }
                            Value::Integer(_) | Value::Number(_) => {
                                description = text(&value).map(Bytes::from)
                            }
                            _ => {
                                return fail(
                                    "description argument given to redis.register_function must be a string",
                                );
                            }
                        },
                        "callback" => match value {
                            Value::Function(f) => callback = Some(f),
                            _ => {
                                return fail(
                                    "callback argument given to redis.register_function must be a function",
                                );
                            }
                        },
                        "flags" => {
                            let Value::Table(list) = value else {
                                return fail(
                                    "flags argument to redis.register_function must be a table representing function flags",
                                );
                            };
                            for pair in list.pairs::<Value, Value>() {
                                let (_, flag) = pair?;
                                match text(&flag).filter(|f| SCRIPT_FLAGS.contains(&f.as_str())) {
                                    Some(f) => flags.push(f),
                                    None => return fail("unknown flag given"),
                                }
                            }
                        }
                        _ => return fail("unknown argument given to redis.register_function"),
                    }
                }
                let Some(name) = name else {
                    return fail("redis.register_function must get a function name argument");
                };
                let Some(callback) = callback else {
                    return fail("redis.register_function must get a callback argument");
                };
                (name, callback, flags, description)
            }
            2 => {
                let Some(name) = text(&args[0]) else {
                    return fail("first argument to redis.register_function must be a string");
                };
                let Value::Function(callback) = args[1].clone() else {
                    return fail("second argument to redis.register_function must be a function");
                };
                (name, callback, Vec::new(), None)
            }
            _ => return fail("wrong number of arguments to redis.register_function"),
        };
        if !valid_name(&name) {
            return fail(BAD_NAME);
        }
        let mut registered = registered.lock().unwrap();
        if registered
            .iter()
            .any(|f| f.name.eq_ignore_ascii_case(&name))
        {
            return fail("Function already exists in the library");
        }
        let flags = SCRIPT_FLAGS
            .iter()
            .filter(|f| flags.iter().any(|g| g == *f))
            .map(|f| f.to_string())
            .collect();
        callbacks.raw_set(name.to_ascii_lowercase(), callback)?;
        registered.push(FunctionInfo {
            name,
            description,
            flags,
        });
        Ok(MultiValue::new())
    })
}
