//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and the SCRIPT subcommands.

use bytes::Bytes;

use super::busy;
use super::cache;
use super::run::{self, Invocation, Program};
use crate::cmd::errors::{CmdError, NOT_INTEGER};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::scripting as sql;

pub const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";
pub const KEYS_GT_ARGS: &str = "ERR Number of keys can't be greater than number of args";
pub const KEYS_NEGATIVE: &str = "ERR Number of keys can't be negative";
pub const WRITE_FLAG_IN_RO: &str =
    "ERR Can not execute a script with write flag using *_ro command.";

/// EVAL script numkeys [key [key ...]] [arg [arg ...]]
pub async fn eval(ctx: &mut Ctx, args: Args) -> CmdResult {
    eval_generic(ctx, args, false, false).await
}

/// EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]]
pub async fn evalsha(ctx: &mut Ctx, args: Args) -> CmdResult {
    eval_generic(ctx, args, true, false).await
}

/// EVAL_RO script numkeys [key [key ...]] [arg [arg ...]]
pub async fn eval_ro(ctx: &mut Ctx, args: Args) -> CmdResult {
    eval_generic(ctx, args, false, true).await
}

/// EVALSHA_RO sha1 numkeys [key [key ...]] [arg [arg ...]]
pub async fn evalsha_ro(ctx: &mut Ctx, args: Args) -> CmdResult {
    eval_generic(ctx, args, true, true).await
}

/// Splits `numkeys key... arg...` (from argv[2] on) as Redis does, with its errors.
pub fn keys_and_args(
    argv: &[Bytes],
    bad_number: &'static str,
) -> Result<(Vec<Bytes>, Vec<Bytes>), CmdError> {
    let numkeys = string2ll(&argv[2]).ok_or(CmdError::from(bad_number))?;
    let available = (argv.len() - 3) as i64;
    if numkeys > available {
        return Err(KEYS_GT_ARGS.into());
    }
    if numkeys < 0 {
        return Err(KEYS_NEGATIVE.into());
    }
    let split = 3 + numkeys as usize;
    Ok((argv[3..split].to_vec(), argv[split..].to_vec()))
}

async fn eval_generic(ctx: &mut Ctx, args: Args, by_sha: bool, read_only: bool) -> CmdResult {
    let argv = args.argv().to_vec();
    let (keys, script_args) = keys_and_args(&argv, NOT_INTEGER)?;
    let (sha, body) = if by_sha {
        let sha = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
        (sha.clone(), find_script(ctx, &sha).await?)
    } else {
        let body = argv[1].clone();
        let sha = cache::sha1_hex(&body);
        if cache::local(&sha).is_none() {
            load(ctx, &sha, &body).await?;
        }
        (sha, body)
    };
    let meta = cache::script_meta(&body)?;
    if read_only && !meta.compat && !meta.no_writes {
        return Err(WRITE_FLAG_IN_RO.into());
    }
    let invocation = Invocation {
        program: Program::Eval {
            sha,
            body: meta.code,
        },
        keys,
        args: script_args,
        read_only: read_only || meta.no_writes,
    };
    run::run(ctx, invocation, argv).await
}

/// The body of a cached script: from this instance's memory, else from PostgreSQL.
async fn find_script(ctx: &Ctx, sha: &str) -> Result<Bytes, CmdError> {
    if sha.len() != 40 {
        return Err(NOSCRIPT.into());
    }
    if let Some(body) = cache::local(sha) {
        return Ok(body);
    }
    match sql::script(&ctx.store, sha).await? {
        Some(body) => {
            cache::remember(sha.to_string(), body.clone());
            Ok(body)
        }
        None => Err(NOSCRIPT.into()),
    }
}

/// Checks a new script (shebang, syntax) and adds it to the shared cache.
async fn load(ctx: &Ctx, sha: &str, body: &Bytes) -> Result<(), CmdError> {
    let meta = cache::script_meta(body)?;
    cache::compile(meta.code).await?;
    sql::save_script(&ctx.store, sha, body).await?;
    cache::remember(sha.to_string(), body.clone());
    Ok(())
}

/// SCRIPT LOAD script
pub async fn script_load(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let body = args.next_bytes()?;
    let sha = cache::sha1_hex(&body);
    load(ctx, &sha, &body).await?;
    Ok(Reply::bulk(sha))
}

/// SCRIPT EXISTS sha1 [sha1 ...]
pub async fn script_exists(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let shas: Vec<String> = args
        .rest()
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .collect();
    let found = sql::existing_scripts(&ctx.store, &shas).await?;
    Ok(Reply::Array(
        shas.iter()
            .map(|s| Reply::Int(found.contains(s) as i64))
            .collect(),
    ))
}

/// SCRIPT FLUSH [ASYNC | SYNC]
pub async fn script_flush(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    if !flush_mode_ok(&mut args) {
        return Err("ERR SCRIPT FLUSH only support SYNC|ASYNC option".into());
    }
    sql::flush_scripts(&ctx.store).await?;
    cache::forget_all();
    Ok(Reply::ok())
}

/// The optional ASYNC | SYNC of SCRIPT FLUSH and FUNCTION FLUSH (both flush at once here).
pub fn flush_mode_ok(args: &mut Args) -> bool {
    match args.remaining() {
        0 => true,
        1 => {
            let mode = args.rest().remove(0);
            mode.eq_ignore_ascii_case(b"sync") || mode.eq_ignore_ascii_case(b"async")
        }
        _ => false,
    }
}

/// SCRIPT KILL
pub async fn script_kill(ctx: &mut Ctx, _args: Args) -> CmdResult {
    busy::kill(&ctx.state, true)?;
    Ok(Reply::ok())
}

/// SCRIPT DEBUG YES | SYNC | NO
///
/// The Lua debugger is not available in pgredis: NO is accepted, YES and SYNC are refused.
pub async fn script_debug(_ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let mode = args.next_keyword()?;
    match mode.as_str() {
        "NO" => Ok(Reply::ok()),
        "YES" | "SYNC" => Err("ERR The Lua debugger is not supported by pgredis".into()),
        _ => Err("ERR Use SCRIPT DEBUG YES/SYNC/NO".into()),
    }
}

/// SCRIPT HELP
pub async fn script_help(_ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(super::help_reply(&[
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    ]))
}
