//! The Lua 5.1 interpreter scripts run in, with Redis 7.0's environment.
//!
//! Every script run gets a fresh interpreter (`Vm`): building one costs far less than the
//! PostgreSQL transaction around the script, and nothing a script does can leak into the next.
//! The interpreter runs on a blocking thread; `redis.call` sends the command to the async side
//! (`run::Call`) and waits for its reply.
//!
//! - `prelude.lua`: the environment in Lua: read-only globals and libraries, redis.call and
//!   redis.pcall, the error handler that names the failing line.
//! - `api`: the `redis` table's functions written in Rust, and redis.register_function.
//! - `convert`: Redis's conversions between replies and Lua values.
//! - `bit`, `cjson`, `cmsgpack`, `structlib`, `random`: the libraries Redis bundles.

pub mod api;
mod args;
mod base;
pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod convert;
pub mod random;
pub mod structlib;
mod trampoline;

use std::ffi::c_void;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use mlua::{
    Function, HookTriggers, LightUserData, Lua, LuaOptions, MultiValue, StdLib, Table, Value,
    VmState,
};
use tokio::sync::{mpsc, oneshot};

use super::busy::RunningScript;
use crate::cmd::errors::one_line;
use crate::resp::Reply;
use crate::store::scripting::FunctionInfo;

/// A command a script wants run, and where its reply goes (`None`: the script must stop).
pub struct Call {
    pub argv: Vec<Bytes>,
    pub resp: u8,
    pub reply: oneshot::Sender<Option<Reply>>,
}

pub type Calls = mpsc::UnboundedSender<Call>;

/// How often (in VM instructions) the hook checks for SCRIPT KILL.
const HOOK_EVERY: u32 = 10_000;

static ERROR_MARK: u8 = 0;

fn error_mark_ptr() -> *mut c_void {
    &ERROR_MARK as *const u8 as *mut c_void
}

/// The value Rust functions return first to report an error (a trampoline raises it).
fn error_mark() -> Value {
    Value::LightUserData(LightUserData(error_mark_ptr()))
}

/// A Lua function backed by Rust, to be wrapped by `trampoline::make_checked`. Its errors are
/// raised the way Redis's C code raises them: `fail` like `luaL_error` (the calling line in
/// front), `fail_plain` with no position, `fail_table` as Redis's API functions do (a table
/// `{err = "ERR ..."}`).
pub fn function<F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, MultiValue) -> mlua::Result<MultiValue> + Send + 'static,
{
    lua.create_function(move |lua, args: MultiValue| match f(lua, args) {
        Ok(values) => Ok(values),
        Err(e) => {
            let (raised, positioned) = match e {
                mlua::Error::RuntimeError(m) => (Value::String(lua.create_string(m)?), true),
                mlua::Error::ExternalError(ref inner) => match inner.downcast_ref::<Raise>() {
                    Some(Raise::Plain(m)) => (Value::String(lua.create_string(m)?), false),
                    Some(Raise::Table(m)) => (Value::Table(convert::error_table(lua, m)?), false),
                    None => (Value::String(lua.create_string(e.to_string())?), true),
                },
                other => (Value::String(lua.create_string(other.to_string())?), true),
            };
            Ok(MultiValue::from_vec(vec![
                error_mark(),
                raised,
                Value::Boolean(positioned),
            ]))
        }
    })
}

#[derive(Debug)]
enum Raise {
    Plain(String),
    Table(String),
}

impl std::fmt::Display for Raise {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Raise::Plain(m) | Raise::Table(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Raise {}

/// An error like `luaL_error`'s: the calling script line is put in front.
pub fn fail<T>(message: impl Into<String>) -> mlua::Result<T> {
    Err(mlua::Error::RuntimeError(message.into()))
}

/// An error with no position in front.
pub fn fail_plain<T>(message: impl Into<String>) -> mlua::Result<T> {
    Err(mlua::Error::external(Raise::Plain(message.into())))
}

/// An error as Redis's API functions raise it: `{err = "ERR <message>"}`.
pub fn fail_table<T>(message: impl Into<String>) -> mlua::Result<T> {
    Err(mlua::Error::external(Raise::Table(format!(
        "ERR {}",
        message.into()
    ))))
}

/// One value as a `MultiValue`.
pub fn one(value: Value) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_vec(vec![value]))
}

/// A table of functions built by `add`.
pub fn library(
    lua: &Lua,
    add: impl FnOnce(&Lua, &Table) -> mlua::Result<()>,
) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    add(lua, &t)?;
    Ok(t)
}

pub struct Vm {
    lua: Lua,
    handle: Table,
    script: Arc<RunningScript>,
}

/// What a library registered while it loaded.
pub struct Registered {
    pub functions: Vec<FunctionInfo>,
}

impl Vm {
    /// A fresh interpreter for `script`; `calls` is where redis.call sends commands (`None` where
    /// commands cannot run, as when FUNCTION LOAD runs a library).
    pub fn new(script: Arc<RunningScript>, calls: Option<Calls>) -> mlua::Result<Vm> {
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
        // SAFETY: the debug library is only handed to the prelude, never to scripts.
        let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::new()) };
        let api = lua.create_table()?;
        api.set("call", api::call_function(&lua, script.clone(), calls)?)?;
        api.set("redis", api::redis_table(&lua, script.clone())?)?;
        api.set("library_redis", api::library_redis_table(&lua)?)?;
        api.set("cjson", cjson::table(&lua)?)?;
        api.set("cmsgpack", cmsgpack::table(&lua)?)?;
        api.set("bit", bit::table(&lua)?)?;
        api.set("struct", structlib::table(&lua)?)?;
        api.set("random", random::table(&lua)?)?;
        api.set("base", base::table(&lua)?)?;
        // SAFETY: the trampolines follow the Lua C API's rules (see `trampoline`).
        unsafe {
            api.set(
                "make_checked",
                lua.create_c_function(trampoline::make_checked)?,
            )?;
            api.set("make_call", lua.create_c_function(trampoline::make_call)?)?;
        }
        let stopping = script.clone();
        api.set(
            "stop_message",
            lua.create_function(move |_, ()| Ok(stopping.stop_reason()))?,
        )?;
        let globals = lua.globals();
        let debug: Table = globals.get("debug")?;
        let handle: Table = lua
            .load(include_str!("prelude.lua"))
            .set_name("=pgredis")
            .call((globals, debug, error_mark(), api))?;
        let watched = script.clone();
        lua.set_hook(
            HookTriggers::new().every_nth_instruction(HOOK_EVERY),
            move |_, _| match watched.stop_reason() {
                Some(reason) => Err(mlua::Error::RuntimeError(reason.into())),
                None => Ok(VmState::Continue),
            },
        )?;
        Ok(Vm {
            lua,
            handle,
            script,
        })
    }

    /// Compiles code under `chunk_name` (`@user_script`, `@user_function`); the error is Lua's
    /// message.
    fn compile(&self, code: &[u8], chunk_name: &str) -> Result<Function, String> {
        self.lua
            .load(code)
            .set_name(chunk_name)
            .set_environment(
                self.handle
                    .get::<Table>("globals")
                    .map_err(|e| e.to_string())?,
            )
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })
    }

    /// Compiles an EVAL script without running it.
    pub fn check_script(&self, body: &[u8]) -> Result<(), String> {
        self.compile(body, "@user_script").map(|_| ())
    }

    /// Runs an EVAL script (its body without the shebang line's text) and returns its reply.
    pub fn run_script(&self, body: &[u8], sha: &str, keys: &[Bytes], args: &[Bytes]) -> Reply {
        let f = match self.compile(body, "@user_script") {
            Ok(f) => f,
            Err(e) => {
                return Reply::Error(
                    one_line(&format!("ERR Error compiling script (new function): {e}")).into(),
                );
            }
        };
        let outcome = (|| {
            let run: Function = self.handle.get("run_script")?;
            run.call::<(bool, Value)>((f, self.strings(keys)?, self.strings(args)?))
        })();
        self.reply(outcome, sha)
    }

    /// Loads a library's code (without its shebang line's text) and returns the functions it
    /// registered, or FUNCTION LOAD's error.
    pub fn load_library(&self, code: &[u8]) -> Result<Registered, String> {
        let f = self
            .compile(code, "@user_function")
            .map_err(|e| format!("Error compiling function: {e}"))?;
        let registered = Arc::new(Mutex::new(Vec::new()));
        let callbacks = self.lua.create_table().map_err(|e| e.to_string())?;
        let register = api::register_function(&self.lua, registered.clone(), callbacks.clone())
            .map_err(|e| e.to_string())?;
        let load: Function = self.handle.get("load_library").map_err(|e| e.to_string())?;
        let (ok, err): (bool, Value) = load.call((f, register)).map_err(|e| e.to_string())?;
        if !ok {
            let text = convert::value_text(&err).unwrap_or_default();
            return Err(format!("Error registering functions: {text}"));
        }
        self.lua
            .set_named_registry_value("pgredis_functions", callbacks)
            .map_err(|e| e.to_string())?;
        let functions = std::mem::take(&mut *registered.lock().unwrap());
        if functions.is_empty() {
            return Err("No functions registered".into());
        }
        Ok(Registered { functions })
    }

    /// Calls a function of the library loaded last.
    pub fn run_function(&self, name: &str, keys: &[Bytes], args: &[Bytes]) -> Reply {
        let outcome = (|| {
            let callbacks: Table = self.lua.named_registry_value("pgredis_functions")?;
            let f: Function = callbacks.get(name.to_ascii_lowercase())?;
            let run: Function = self.handle.get("run_function")?;
            run.call::<(bool, Value)>((f, self.strings(keys)?, self.strings(args)?))
        })();
        self.reply(outcome, name)
    }

    fn strings(&self, items: &[Bytes]) -> mlua::Result<Table> {
        let t = self.lua.create_table_with_capacity(items.len(), 0)?;
        for (i, item) in items.iter().enumerate() {
            t.raw_set(i + 1, self.lua.create_string(item)?)?;
        }
        Ok(t)
    }

    /// The reply for what xpcall returned: the script's value, or Redis's error text naming the
    /// script (`name`) and the line that failed.
    fn reply(&self, outcome: mlua::Result<(bool, Value)>, name: &str) -> Reply {
        let resp = self.script.resp();
        match outcome {
            Ok((true, value)) => convert::lua_to_reply(&value, resp),
            Ok((false, Value::Table(err))) => {
                let text = |field: &str| {
                    convert::value_text(&err.raw_get::<Value>(field).unwrap_or(Value::Nil))
                };
                let mut message = text("err").unwrap_or_default();
                if let (Some(source), Some(line)) = (text("source"), text("line")) {
                    message.push_str(&format!(" script: {name}, on {source}:{line}."));
                }
                Reply::Error(one_line(&message).into())
            }
            Ok((false, other)) => {
                let text = convert::value_text(&other).unwrap_or("execution failure".into());
                let text: String = text.chars().take(100).collect();
                Reply::Error(one_line(&format!("ERR Error running script {name}, {text}")).into())
            }
            Err(e) => {
                Reply::Error(one_line(&format!("ERR Error running script {name}, {e}")).into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm() -> Vm {
        Vm::new(
            Arc::new(RunningScript::new(0, String::new(), Vec::new(), true)),
            None,
        )
        .unwrap()
    }

    #[test]
    fn every_run_sees_the_same_random_numbers() {
        let script = b"return {math.random(1000), math.random(1000)}";
        let first = vm().run_script(script, "sha", &[], &[]);
        assert_eq!(first, Reply::Array(vec![Reply::Int(397), Reply::Int(841)]));
        assert_eq!(vm().run_script(script, "sha", &[], &[]), first);
        let seeded = b"math.randomseed(7) return math.random(1000)";
        assert_eq!(
            vm().run_script(seeded, "sha", &[], &[]),
            vm().run_script(seeded, "sha", &[], &[])
        );
    }

    #[test]
    fn keys_and_args_are_tables_of_strings() {
        let keys = [Bytes::from_static(b"k\x00")];
        let args = [Bytes::from_static(b"1"), Bytes::from_static(b"")];
        let reply = vm().run_script(
            b"return {#KEYS, #ARGV, KEYS[1], type(ARGV[1])}",
            "sha",
            &keys,
            &args,
        );
        assert_eq!(
            reply,
            Reply::Array(vec![
                Reply::Int(1),
                Reply::Int(2),
                Reply::Bulk(Bytes::from_static(b"k\x00")),
                Reply::Bulk(Bytes::from_static(b"string")),
            ])
        );
    }

    #[test]
    fn redis_call_without_a_script_invocation_fails() {
        let reply = vm().run_script(b"return redis.pcall('ping')", "sha", &[], &[]);
        assert_eq!(
            reply,
            Reply::Error(
                "ERR redis.call/pcall can only be called inside a script invocation".into()
            )
        );
    }

    #[test]
    fn a_library_registers_its_functions() {
        let code = b"\nredis.register_function{function_name='f', callback=function(k, a) return a[1] end, flags={'no-writes', 'allow-oom'}, description='d'}";
        let vm = vm();
        let registered = vm.load_library(code).unwrap();
        assert_eq!(registered.functions.len(), 1);
        assert_eq!(
            registered.functions[0].flags,
            vec!["no-writes", "allow-oom"]
        );
        let reply = vm.run_function("F", &[], &[Bytes::from_static(b"x")]);
        assert_eq!(reply, Reply::Bulk(Bytes::from_static(b"x")));
    }

    #[test]
    fn a_library_that_runs_too_long_stops() {
        let script = Arc::new(RunningScript::library_load(
            std::time::Duration::from_millis(10),
        ));
        let vm = Vm::new(script, None).unwrap();
        let err = vm.load_library(b"\nwhile true do end").err().unwrap();
        assert_eq!(
            err,
            "Error registering functions: ERR FUNCTION LOAD timeout"
        );
    }
}
