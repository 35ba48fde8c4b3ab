//! COMMAND and its subcommands: introspection of the command table (`cmd::table`), so COUNT,
//! LIST, INFO, DOCS and GETKEYS always describe exactly the commands this build serves.

use bytes::Bytes;

use super::args::is;
use super::client::help_reply;
use super::command_info::{self, CATEGORIES};
use super::errors;
use super::table::{self, *};
use super::{Args, Ctx};
use crate::handler;
use crate::resp::Reply;

const SUBCOMMANDS: &[Command] = &[
    Command::new(
        "command|count",
        2,
        LOADING | STALE,
        (0, 0, 0),
        "server",
        "Returns a count of commands.",
        handler!(count),
    ),
    Command::new(
        "command|list",
        -2,
        LOADING | STALE,
        (0, 0, 0),
        "server",
        "Returns a list of command names.",
        handler!(list),
    ),
    Command::new(
        "command|info",
        -2,
        LOADING | STALE,
        (0, 0, 0),
        "server",
        "Returns information about one, multiple or all commands.",
        handler!(info),
    ),
    Command::new(
        "command|docs",
        -2,
        LOADING | STALE,
        (0, 0, 0),
        "server",
        "Returns documentary information about one, multiple or all commands.",
        handler!(docs),
    ),
    Command::new(
        "command|getkeys",
        -4,
        LOADING | STALE,
        (0, 0, 0),
        "server",
        "Extracts the key names from an arbitrary command.",
        handler!(getkeys),
    ),
    Command::new(
        "command|help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        "server",
        "Returns helpful text about the different subcommands.",
        handler!(help),
    ),
];

pub const COMMANDS: &[Command] = &[Command::new(
    "command",
    -1,
    LOADING | STALE,
    (0, 0, 0),
    "server",
    "Returns detailed information about all commands.",
    handler!(all),
)
.with_subcommands(SUBCOMMANDS)];

/// COMMAND
async fn all(_ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(Reply::Array(table::all().map(command_info::info).collect()))
}

/// COMMAND COUNT
async fn count(_ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(Reply::Int(table::all().count() as i64))
}

/// COMMAND LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]
async fn list(_ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let mut filter: Option<(String, Bytes)> = None;
    while !args.is_empty() {
        let option = args.next_bytes()?;
        if !is(&option, "FILTERBY") || args.remaining() != 2 {
            return Err(errors::SYNTAX.into());
        }
        let kind = args.next_keyword()?;
        if !matches!(kind.as_str(), "MODULE" | "ACLCAT" | "PATTERN") {
            return Err(errors::SYNTAX.into());
        }
        filter = Some((kind, args.next_bytes()?));
    }
    let wanted = |cmd: &Command| match &filter {
        None => true,
        // pgredis has no modules.
        Some((kind, _)) if kind == "MODULE" => false,
        Some((kind, category)) if kind == "ACLCAT" => {
            let category = String::from_utf8_lossy(category).to_ascii_lowercase();
            CATEGORIES.contains(&category.as_str())
                && command_info::acl_categories(cmd).contains(&category.as_str())
        }
        Some((_, pattern)) => crate::glob::matches(pattern, cmd.name.as_bytes(), true),
    };
    let mut names = Vec::new();
    for cmd in table::all() {
        for c in std::iter::once(cmd).chain(cmd.subcommands) {
            if wanted(c) {
                names.push(Reply::bulk(c.name));
            }
        }
    }
    Ok(Reply::Array(names))
}

/// COMMAND INFO [command-name [command-name ...]]
async fn info(_ctx: &mut Ctx, mut args: Args) -> CmdResult {
    if args.is_empty() {
        return Ok(Reply::Array(table::all().map(command_info::info).collect()));
    }
    Ok(Reply::Array(
        args.rest()
            .iter()
            .map(|name| by_full_name(name).map_or(Reply::Nil, command_info::info))
            .collect(),
    ))
}

/// COMMAND DOCS [command-name [command-name ...]]
async fn docs(_ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let cmds: Vec<&Command> = if args.is_empty() {
        table::all().collect()
    } else {
        args.rest().iter().filter_map(|n| by_full_name(n)).collect()
    };
    Ok(Reply::Map(
        cmds.into_iter()
            .map(|c| (Reply::bulk(c.name), command_info::docs(c)))
            .collect(),
    ))
}

/// COMMAND GETKEYS command [arg [arg ...]]
async fn getkeys(_ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let argv = args.rest();
    let Some(mut cmd) = table::lookup(&argv[0]) else {
        return Err(errors::INVALID_COMMAND.into());
    };
    if !cmd.subcommands.is_empty() && argv.len() >= 2 {
        cmd = table::lookup_sub(cmd, &argv[1]).ok_or(errors::INVALID_COMMAND)?;
    }
    // Shard channels sit where keys would, but are not keys (Redis's `not_key` key specs).
    if !cmd.has_keys() || cmd.has(table::PUBSUB) {
        return Err(errors::NO_KEY_ARGUMENTS.into());
    }
    if !cmd.arity_ok(argv.len()) {
        return Err(errors::INVALID_COMMAND_ARITY.into());
    }
    let keys = cmd.key_positions(&argv);
    if keys.is_empty() {
        return Err(errors::INVALID_COMMAND_ARGS.into());
    }
    Ok(Reply::Array(
        keys.into_iter()
            .map(|i| Reply::Bulk(argv[i].clone()))
            .collect(),
    ))
}

/// COMMAND HELP
async fn help(_ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(help_reply(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
        ],
    ))
}

/// A command or subcommand by its full name (`get`, `config|get`), in any case.
fn by_full_name(name: &[u8]) -> Option<&'static Command> {
    let mut parts = name.splitn(2, |&b| b == b'|');
    let cmd = table::lookup(parts.next()?)?;
    match parts.next() {
        None => Some(cmd),
        Some(sub) => table::lookup_sub(cmd, sub),
    }
}
