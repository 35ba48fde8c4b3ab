//! FCALL, FCALL_RO and the FUNCTION subcommands.
//!
//! Libraries live in PostgreSQL; FUNCTION LOAD runs a library's code once (on a blocking thread,
//! with no access to commands) to learn the functions it registers, and stores code and
//! functions together. FCALL reads the function's library and runs its code in a fresh
//! interpreter before calling the function, so every instance always runs the current version.

use bytes::Bytes;

use super::busy;
use super::cache;
use super::dump;
use super::eval::{WRITE_FLAG_IN_RO, flush_mode_ok, keys_and_args};
use super::run::{self, Invocation, Program};
use crate::cmd::errors::{CmdError, c_str, one_line};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx, args::is};
use crate::resp::Reply;
use crate::store::scripting::{self as sql, Library};

/// FCALL function numkeys [key [key ...]] [arg [arg ...]]
pub async fn fcall(ctx: &mut Ctx, args: Args) -> CmdResult {
    fcall_generic(ctx, args, false).await
}

/// FCALL_RO function numkeys [key [key ...]] [arg [arg ...]]
pub async fn fcall_ro(ctx: &mut Ctx, args: Args) -> CmdResult {
    fcall_generic(ctx, args, true).await
}

async fn fcall_generic(ctx: &mut Ctx, args: Args, read_only: bool) -> CmdResult {
    let argv = args.argv().to_vec();
    let name = String::from_utf8_lossy(&argv[1]).into_owned();
    let Some(function) = sql::function(&ctx.store, &name).await? else {
        return Err("ERR Function not found".into());
    };
    let (keys, function_args) = keys_and_args(&argv, "ERR Bad number of keys provided")?;
    let no_writes = function.flags.iter().any(|f| f == "no-writes");
    if read_only && !no_writes {
        return Err(WRITE_FLAG_IN_RO.into());
    }
    let meta = cache::library_meta(&function.code)?;
    let invocation = Invocation {
        program: Program::Function {
            code: meta.code,
            name,
        },
        keys,
        args: function_args,
        read_only: read_only || no_writes,
    };
    run::run(ctx, invocation, argv).await
}

/// Parses and runs a library's code: its name and the functions it registers.
pub async fn compile_library(code: &Bytes) -> Result<Library, CmdError> {
    let meta = cache::library_meta(code)?;
    let functions = cache::load_library(meta.code).await?;
    Ok(Library {
        name: meta.name,
        engine: "LUA".into(),
        code: code.clone(),
        functions,
    })
}

/// FUNCTION LOAD [REPLACE] function-code
pub async fn function_load(ctx: &mut Ctx, args: Args) -> CmdResult {
    let argv = args.argv();
    let mut replace = false;
    let mut pos = 2;
    while pos < argv.len() - 1 {
        let arg = &argv[pos];
        pos += 1;
        if is(arg, "replace") {
            replace = true;
            continue;
        }
        return Err(CmdError::msg(one_line(&format!(
            "ERR Unknown option given: {}",
            c_str(arg)
        ))));
    }
    if pos >= argv.len() {
        return Err("ERR Function code is missing".into());
    }
    let code = argv[pos].clone();
    let meta = cache::library_meta(&code)?;
    if !replace && sql::library_exists(&ctx.store, &meta.name).await? {
        return Err(CmdError::msg(format!(
            "ERR Library '{}' already exists",
            meta.name
        )));
    }
    let library = compile_library(&code).await?;
    sql::load_library(
        &ctx.store,
        &library.name,
        &code,
        replace,
        &library.functions,
    )
    .await?;
    Ok(Reply::bulk(library.name))
}

/// FUNCTION DELETE library-name
pub async fn function_delete(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let name = String::from_utf8_lossy(&args.next_bytes()?).into_owned();
    if sql::delete_library(&ctx.store, &name).await? {
        Ok(Reply::ok())
    } else {
        Err("ERR Library not found".into())
    }
}

/// FUNCTION FLUSH [ASYNC | SYNC]
pub async fn function_flush(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    if !flush_mode_ok(&mut args) {
        return Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option".into());
    }
    sql::flush_libraries(&ctx.store).await?;
    Ok(Reply::ok())
}

/// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
pub async fn function_list(ctx: &mut Ctx, args: Args) -> CmdResult {
    let argv = args.argv();
    let mut with_code = false;
    let mut pattern: Option<Bytes> = None;
    let mut i = 2;
    while i < argv.len() {
        let arg = &argv[i];
        if !with_code && is(arg, "withcode") {
            with_code = true;
        } else if pattern.is_none() && is(arg, "libraryname") {
            if i >= argv.len() - 1 {
                return Err("ERR library name argument was not given".into());
            }
            i += 1;
            pattern = Some(argv[i].clone());
        } else {
            return Err(CmdError::msg(one_line(&format!(
                "ERR Unknown argument {}",
                c_str(arg)
            ))));
        }
        i += 1;
    }
    let libraries = sql::libraries(&ctx.store).await?;
    let entries = libraries
        .into_iter()
        .filter(|l| {
            pattern
                .as_ref()
                .is_none_or(|p| crate::glob::matches(p, l.name.as_bytes(), true))
        })
        .map(|l| library_entry(l, with_code))
        .collect();
    Ok(Reply::Array(entries))
}

fn library_entry(library: Library, with_code: bool) -> Reply {
    let functions = library
        .functions
        .into_iter()
        .map(|f| {
            Reply::Map(vec![
                (Reply::bulk("name"), Reply::bulk(f.name)),
                (
                    Reply::bulk("description"),
                    Reply::bulk_or_nil(f.description),
                ),
                (
                    Reply::bulk("flags"),
                    Reply::Set(
                        f.flags
                            .into_iter()
                            .map(|flag| Reply::Status(flag.into()))
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    let mut fields = vec![
        (Reply::bulk("library_name"), Reply::bulk(library.name)),
        (Reply::bulk("engine"), Reply::bulk(library.engine)),
        (Reply::bulk("functions"), Reply::Array(functions)),
    ];
    if with_code {
        fields.push((Reply::bulk("library_code"), Reply::Bulk(library.code)));
    }
    Reply::Map(fields)
}

/// FUNCTION DUMP
pub async fn function_dump(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let libraries = sql::libraries(&ctx.store).await?;
    Ok(Reply::Bulk(dump::encode(&libraries)))
}

/// FUNCTION RESTORE serialized-value [FLUSH | APPEND | REPLACE]
pub async fn function_restore(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let payload = args.next_bytes()?;
    let policy = match args.remaining() {
        0 => "APPEND".to_string(),
        1 => {
            let policy = args.next_keyword()?;
            if !["FLUSH", "APPEND", "REPLACE"].contains(&policy.as_str()) {
                return Err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.".into());
            }
            policy
        }
        _ => {
            return Err(CmdError::msg(one_line(&format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
                c_str(&args.argv()[1])
            ))));
        }
    };
    let codes = dump::decode(&payload)?;
    let mut libraries = Vec::new();
    for code in codes {
        let library = compile_library(&code).await?;
        if libraries.iter().any(|l: &Library| l.name == library.name) {
            return Err(CmdError::msg(format!(
                "ERR Library {} already exists",
                library.name
            )));
        }
        libraries.push(library);
    }
    sql::restore_libraries(&ctx.store, &policy, &libraries).await?;
    Ok(Reply::ok())
}

/// FUNCTION STATS
pub async fn function_stats(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let running = match busy::running(&ctx.state) {
        None => Reply::Nil,
        Some(script) => Reply::Map(vec![
            (Reply::bulk("name"), Reply::bulk(script.name.clone())),
            (
                Reply::bulk("command"),
                Reply::Array(script.argv.iter().cloned().map(Reply::Bulk).collect()),
            ),
            (
                Reply::bulk("duration_ms"),
                Reply::Int(script.started.elapsed().as_millis() as i64),
            ),
        ]),
    };
    let (libraries, functions) = sql::counts(&ctx.store).await?;
    Ok(Reply::Map(vec![
        (Reply::bulk("running_script"), running),
        (
            Reply::bulk("engines"),
            Reply::Map(vec![(
                Reply::bulk("LUA"),
                Reply::Map(vec![
                    (Reply::bulk("libraries_count"), Reply::Int(libraries)),
                    (Reply::bulk("functions_count"), Reply::Int(functions)),
                ]),
            )]),
        ),
    ]))
}

/// FUNCTION KILL
pub async fn function_kill(ctx: &mut Ctx, _args: Args) -> CmdResult {
    busy::kill(&ctx.state, false)?;
    Ok(Reply::ok())
}

/// FUNCTION HELP
pub async fn function_help(_ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(super::help_reply(&[
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    ]))
}
