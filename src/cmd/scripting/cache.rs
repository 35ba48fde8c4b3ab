//! The script cache and script metadata.
//!
//! Scripts live in PostgreSQL (`store::scripting`), so EVALSHA finds on any instance a script
//! loaded through another. Each instance keeps the scripts it has seen in memory in front of
//! that: a script never changes under its SHA1, so a hit needs no round trip. SCRIPT FLUSH
//! empties the shared table and this instance's memory; another instance that already ran a
//! flushed script may still run it by SHA1 until it restarts (the script is the same one, so only
//! the NOSCRIPT reply is missed there).
//!
//! The shebang line (`#!lua flags=no-writes,...`) and the library metadata line (`#!lua
//! name=mylib`) are parsed here, with Redis's error texts.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use bytes::Bytes;

use super::busy::RunningScript;
use super::lua::{Vm, api::SCRIPT_FLAGS};
use crate::cmd::errors::{CmdError, c_str, one_line};
use crate::resp::parse::split_args;

static SCRIPTS: LazyLock<Mutex<HashMap<String, Bytes>>> = LazyLock::new(Default::default);

pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

pub fn local(sha: &str) -> Option<Bytes> {
    SCRIPTS.lock().unwrap().get(sha).cloned()
}

pub fn remember(sha: String, body: Bytes) {
    SCRIPTS.lock().unwrap().insert(sha, body);
}

pub fn forget_all() {
    SCRIPTS.lock().unwrap().clear();
}

/// What an EVAL script's shebang line says.
pub struct ScriptMeta {
    /// No shebang: Redis's compatibility mode (writes allowed unless the command is `_RO`).
    pub compat: bool,
    pub no_writes: bool,
    /// The body to compile: the shebang line's text removed, its newline kept, so line numbers
    /// stay those of the script.
    pub code: Bytes,
}

/// Parses an EVAL script's shebang, with Redis's errors.
pub fn script_meta(body: &Bytes) -> Result<ScriptMeta, CmdError> {
    if !body.starts_with(b"#!") {
        return Ok(ScriptMeta {
            compat: true,
            no_writes: false,
            code: body.clone(),
        });
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid script shebang".into());
    };
    let parts = match split_args(&body[..end]) {
        Some(parts) if !parts.is_empty() => parts,
        _ => return Err("ERR Invalid engine in script shebang".into()),
    };
    if parts[0] != b"#!lua" {
        return Err(error(format!(
            "ERR Unexpected engine in script shebang: {}",
            c_str(&parts[0])
        )));
    }
    let mut no_writes = false;
    for part in &parts[1..] {
        let Some(flags) = part.strip_prefix(b"flags=") else {
            return Err(error(format!(
                "ERR Unknown lua shebang option: {}",
                c_str(part)
            )));
        };
        if flags.is_empty() {
            continue;
        }
        for flag in flags.split(|&b| b == b',') {
            let name = c_str(flag);
            if !SCRIPT_FLAGS.contains(&name.as_str()) {
                return Err(error(format!(
                    "ERR Unexpected flag in script shebang: {name}"
                )));
            }
            no_writes |= name == "no-writes";
        }
    }
    Ok(ScriptMeta {
        compat: false,
        no_writes,
        code: body.slice(end..),
    })
}

fn error(text: String) -> CmdError {
    CmdError::msg(one_line(&text))
}

/// A library's metadata line: its engine and name, and the code to run (the line's text removed,
/// its newline kept).
pub struct LibraryMeta {
    pub name: String,
    pub code: Bytes,
}

/// Parses a library's `#!<engine> name=<name>` line, with Redis's errors and their order.
pub fn library_meta(payload: &Bytes) -> Result<LibraryMeta, CmdError> {
    if !payload.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let Some(end) = payload.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid library metadata".into());
    };
    let parts = match split_args(&payload[..end]) {
        Some(parts) if !parts.is_empty() => parts,
        _ => return Err("ERR Invalid library metadata".into()),
    };
    let engine = c_str(&parts[0][2..]);
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "ERR Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(c_str(&part[5..]));
            continue;
        }
        return Err(error(format!(
            "ERR Invalid metadata value given: {}",
            c_str(part)
        )));
    }
    let Some(name) = name else {
        return Err("ERR Library name was not given".into());
    };
    if !super::lua::api::valid_name(&name) {
        return Err(error(format!("ERR {}", super::lua::api::BAD_NAME)));
    }
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(error(format!("ERR Engine '{engine}' not found")));
    }
    Ok(LibraryMeta {
        name,
        code: payload.slice(end..),
    })
}

/// How long a library's code may run while FUNCTION LOAD learns its functions.
const LOAD_TIMEOUT: Duration = Duration::from_millis(500);

/// A Lua interpreter for work outside any script run (compiling, loading a library).
fn scratch_vm() -> Result<Vm, CmdError> {
    let script = Arc::new(RunningScript::library_load(LOAD_TIMEOUT));
    Vm::new(script, None)
        .map_err(|e| CmdError::msg(one_line(&format!("ERR cannot start Lua: {e}"))))
}

/// Compiles a script without running it, on a blocking thread: Redis's compile error, if any.
pub async fn compile(code: Bytes) -> Result<(), CmdError> {
    tokio::task::spawn_blocking(move || {
        scratch_vm()?
            .check_script(&code)
            .map_err(|e| error(format!("ERR Error compiling script (new function): {e}")))
    })
    .await
    .map_err(|e| CmdError::msg(format!("ERR Lua thread failed: {e}")))?
}

/// Runs a library's code to learn its functions (FUNCTION LOAD and RESTORE).
pub async fn load_library(
    code: Bytes,
) -> Result<Vec<crate::store::scripting::FunctionInfo>, CmdError> {
    tokio::task::spawn_blocking(move || {
        scratch_vm()?
            .load_library(&code)
            .map(|r| r.functions)
            .map_err(|e| error(format!("ERR {e}")))
    })
    .await
    .map_err(|e| CmdError::msg(format!("ERR Lua thread failed: {e}")))?
}
