//! Scripting: EVAL and its relatives, the script cache (SCRIPT), and Redis 7.0 functions
//! (FUNCTION, FCALL).
//!
//! A script runs in a Lua 5.1 interpreter on a blocking thread, inside one PostgreSQL transaction
//! (`run`), so it is atomic for clients of every instance. Scripts and function libraries are
//! kept in PostgreSQL, so every instance can run what any instance loaded.
//!
//! - `eval`: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT's subcommands.
//! - `functions`: FCALL, FCALL_RO and FUNCTION's subcommands; `dump`: the DUMP/RESTORE payload.
//! - `cache`: the script cache in front of PostgreSQL, and shebang / library metadata parsing.
//! - `run`: a script's transaction, and the checks on commands called from scripts.
//! - `busy`: scripts running on this instance, BUSY and SCRIPT KILL / FUNCTION KILL.
//! - `lua`: the interpreter, Redis's Lua environment and its libraries.
//!
//! SQL lives in `store::scripting`.

pub mod busy;
mod cache;
mod dump;
mod eval;
mod functions;
pub mod lua;
mod run;

use super::table::*;
use crate::handler;
use crate::resp::Reply;

/// A HELP reply: one status line each.
fn help_reply(lines: &[&'static str]) -> Reply {
    Reply::Array(lines.iter().map(|l| Reply::status(l)).collect())
}

const EVAL_FLAGS: u32 = NOSCRIPT | STALE | SKIP_MONITOR | MOVABLE_KEYS;

pub const COMMANDS: &[Command] = &[
    Command::new(
        "eval",
        -3,
        EVAL_FLAGS,
        (0, 0, 0),
        "scripting",
        "Execute a Lua script server side",
        handler!(eval::eval),
    ),
    Command::new(
        "evalsha",
        -3,
        EVAL_FLAGS,
        (0, 0, 0),
        "scripting",
        "Execute a Lua script server side",
        handler!(eval::evalsha),
    ),
    Command::new(
        "eval_ro",
        -3,
        READONLY | EVAL_FLAGS,
        (0, 0, 0),
        "scripting",
        "Execute a read-only Lua script server side",
        handler!(eval::eval_ro),
    ),
    Command::new(
        "evalsha_ro",
        -3,
        READONLY | EVAL_FLAGS,
        (0, 0, 0),
        "scripting",
        "Execute a read-only Lua script server side",
        handler!(eval::evalsha_ro),
    ),
    Command::new(
        "fcall",
        -3,
        EVAL_FLAGS,
        (0, 0, 0),
        "scripting",
        "Invoke a function",
        handler!(functions::fcall),
    ),
    Command::new(
        "fcall_ro",
        -3,
        READONLY | EVAL_FLAGS,
        (0, 0, 0),
        "scripting",
        "Invoke a read-only function",
        handler!(functions::fcall_ro),
    ),
    Command::new(
        "script",
        -2,
        0,
        (0, 0, 0),
        "scripting",
        "A container for Lua scripts management commands",
        handler!(eval::script_help),
    )
    .with_subcommands(SCRIPT),
    Command::new(
        "function",
        -2,
        0,
        (0, 0, 0),
        "scripting",
        "A container for function commands",
        handler!(functions::function_help),
    )
    .with_subcommands(FUNCTION),
];

const SCRIPT: &[Command] = &[
    Command::new(
        "script|debug",
        3,
        NOSCRIPT,
        (0, 0, 0),
        "scripting",
        "Set the debug mode for executed scripts.",
        handler!(eval::script_debug),
    ),
    Command::new(
        "script|exists",
        -3,
        NOSCRIPT,
        (0, 0, 0),
        "scripting",
        "Check existence of scripts in the script cache.",
        handler!(eval::script_exists),
    ),
    Command::new(
        "script|flush",
        -2,
        NOSCRIPT,
        (0, 0, 0),
        "scripting",
        "Remove all the scripts from the script cache.",
        handler!(eval::script_flush),
    ),
    Command::new(
        "script|help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        "scripting",
        "Show helpful text about the different subcommands",
        handler!(eval::script_help),
    ),
    Command::new(
        "script|kill",
        2,
        NOSCRIPT | ALLOW_BUSY,
        (0, 0, 0),
        "scripting",
        "Kill the script currently in execution.",
        handler!(eval::script_kill),
    ),
    Command::new(
        "script|load",
        3,
        NOSCRIPT | STALE,
        (0, 0, 0),
        "scripting",
        "Load the specified Lua script into the script cache.",
        handler!(eval::script_load),
    ),
];

const FUNCTION: &[Command] = &[
    Command::new(
        "function|delete",
        3,
        WRITE | NOSCRIPT,
        (0, 0, 0),
        "scripting",
        "Delete a function by name",
        handler!(functions::function_delete),
    ),
    Command::new(
        "function|dump",
        2,
        NOSCRIPT,
        (0, 0, 0),
        "scripting",
        "Dump all functions into a serialized binary payload",
        handler!(functions::function_dump),
    ),
    Command::new(
        "function|flush",
        -2,
        WRITE | NOSCRIPT,
        (0, 0, 0),
        "scripting",
        "Deleting all functions",
        handler!(functions::function_flush),
    ),
    Command::new(
        "function|help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        "scripting",
        "Show helpful text about the different subcommands",
        handler!(functions::function_help),
    ),
    Command::new(
        "function|kill",
        2,
        NOSCRIPT | ALLOW_BUSY,
        (0, 0, 0),
        "scripting",
        "Kill the function currently in execution.",
        handler!(functions::function_kill),
    ),
    Command::new(
        "function|list",
        -2,
        NOSCRIPT,
        (0, 0, 0),
        "scripting",
        "List information about all the functions",
        handler!(functions::function_list),
    ),
    Command::new(
        "function|load",
        -3,
        WRITE | DENYOOM | NOSCRIPT,
        (0, 0, 0),
        "scripting",
        "Create a function with the given arguments (name, code, description)",
        handler!(functions::function_load),
    ),
    Command::new(
        "function|restore",
        -3,
        WRITE | DENYOOM | NOSCRIPT,
        (0, 0, 0),
        "scripting",
        "Restore all the functions on the given payload",
        handler!(functions::function_restore),
    ),
    Command::new(
        "function|stats",
        2,
        NOSCRIPT | ALLOW_BUSY,
        (0, 0, 0),
        "scripting",
        "Return information about the function currently running (name, description, duration)",
        handler!(functions::function_stats),
    ),
];
