//! CLIENT: what a connection knows about itself and the other connections of this instance.
//!
//! Connections are per instance (as they are per process in Redis), so CLIENT LIST shows the
//! clients of the instance that answers, not of every instance on the database. Of Redis's
//! subcommands, those that change how replies are sent (REPLY, TRACKING, CACHING), pause or kill
//! other clients are not offered yet.

use super::args::is;
use super::errors::{self, CmdError};
use super::table::*;
use super::{Args, Ctx};
use crate::handler;
use crate::numbers::string2ll;
use crate::resp::Reply;

const SUBCOMMANDS: &[Command] = &[
    Command::new(
        "client|id",
        2,
        NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "connection",
        "Returns the unique client ID of the connection.",
        handler!(id),
    ),
    Command::new(
        "client|setname",
        3,
        NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "connection",
        "Sets the connection name.",
        handler!(setname),
    ),
    Command::new(
        "client|getname",
        2,
        NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "connection",
        "Returns the name of the connection.",
        handler!(getname),
    ),
    Command::new(
        "client|setinfo",
        4,
        NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "connection",
        "Sets information specific to the client or connection.",
        handler!(setinfo),
    ),
    Command::new(
        "client|info",
        2,
        NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "connection",
        "Returns information about the connection.",
        handler!(info),
    ),
    Command::new(
        "client|list",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "connection",
        "Lists open connections.",
        handler!(list),
    ),
    Command::new(
        "client|help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        "connection",
        "Returns helpful text about the different subcommands.",
        handler!(help),
    ),
];

pub const COMMANDS: &[Command] = &[Command::new(
    "client",
    -2,
    0,
    (0, 0, 0),
    "connection",
    "A container for client connection commands.",
    handler!(container),
)
.with_subcommands(SUBCOMMANDS)];

/// Reached only through a subcommand; dispatch answers a bare container itself.
pub async fn container(_ctx: &mut Ctx, _args: Args) -> CmdResult {
    Err(errors::SYNTAX.into())
}

/// CLIENT ID
async fn id(ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(Reply::Int(ctx.client.id as i64))
}

/// CLIENT SETNAME connection-name
async fn setname(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    set_name(ctx, &args.next_bytes()?)?;
    Ok(Reply::ok())
}

/// CLIENT GETNAME
async fn getname(ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(Reply::bulk_or_nil(ctx.client.snapshot().name))
}

/// CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>
///
/// Redis 7.2's handshake addition; client libraries send it, so pgredis accepts it.
async fn setinfo(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let attr = args.next_bytes()?;
    let value = args.next_bytes()?;
    let lib_name = is(&attr, "LIB-NAME");
    if !lib_name && !is(&attr, "LIB-VER") {
        return Err(CmdError::msg(errors::one_line(&format!(
            "ERR Unrecognized option '{}'",
            errors::c_str(&attr)
        ))));
    }
    if !valid_attribute(&value) {
        return Err(CmdError::msg(errors::one_line(&format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            errors::c_str(&attr)
        ))));
    }
    let value = (!value.is_empty()).then(|| value.to_vec());
    ctx.client.update(|d| {
        if lib_name {
            d.lib_name = value;
        } else {
            d.lib_ver = value;
        }
    });
    Ok(Reply::ok())
}

/// CLIENT INFO
async fn info(ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(Reply::Verbatim(
        format!("{}\n", ctx.client.list_line()).into(),
    ))
}

/// CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]
async fn list(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let clients = ctx.state.clients();
    let chosen = match args.remaining() {
        0 => clients,
        2 if is(args.peek().unwrap(), "TYPE") => {
            args.next_bytes()?;
            let kind = args.next_bytes()?;
            match errors::c_str(&kind).to_ascii_lowercase().as_str() {
                // Every pgredis connection is a normal one: no replicas, no masters, and
                // Pub/Sub connections are not told apart yet.
                "normal" => clients,
                "master" | "slave" | "replica" | "pubsub" => Vec::new(),
                _ => {
                    return Err(CmdError::msg(errors::one_line(&format!(
                        "ERR Unknown client type '{}'",
                        errors::c_str(&kind)
                    ))));
                }
            }
        }
        n if n >= 2 && is(args.peek().unwrap(), "ID") => {
            args.next_bytes()?;
            let mut chosen = Vec::new();
            for arg in args.rest() {
                let id = string2ll(&arg).ok_or(CmdError::from(errors::INVALID_CLIENT_ID))?;
                if let Some(client) = u64::try_from(id).ok().and_then(|id| ctx.state.client(id)) {
                    chosen.push(client);
                }
            }
            chosen
        }
        _ => return Err(errors::SYNTAX.into()),
    };
    let mut text = String::new();
    for client in chosen {
        text.push_str(&client.list_line());
        text.push('\n');
    }
    Ok(Reply::Verbatim(text.into()))
}

/// CLIENT HELP
async fn help(_ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(help_reply(
        "CLIENT",
        &[
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
        ],
    ))
}

/// Names a connection, or removes its name when `name` is empty (CLIENT SETNAME, HELLO SETNAME).
pub fn set_name(ctx: &mut Ctx, name: &[u8]) -> Result<(), CmdError> {
    if !valid_attribute(name) {
        return Err(errors::CLIENT_NAME.into());
    }
    let name = (!name.is_empty()).then(|| name.to_vec());
    ctx.client.update(|d| d.name = name);
    Ok(())
}

/// Names and library attributes are printable ASCII without spaces, so CLIENT LIST stays
/// parseable.
fn valid_attribute(value: &[u8]) -> bool {
    value.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// A HELP reply as Redis shapes it: a title line, the given lines, then HELP itself, each a
/// status line.
pub fn help_reply(command: &str, lines: &[&str]) -> Reply {
    let mut out = vec![Reply::Status(
        format!("{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:").into(),
    )];
    out.extend(lines.iter().map(|l| Reply::Status(l.to_string().into())));
    out.push(Reply::status("HELP"));
    out.push(Reply::status("    Prints this help."));
    Reply::Array(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn attributes_are_printable_without_spaces() {
        assert!(super::valid_attribute(b"myapp-1.0"));
        assert!(super::valid_attribute(b""));
        assert!(!super::valid_attribute(b"a b"));
        assert!(!super::valid_attribute(b"a\nb"));
        assert!(!super::valid_attribute("café".as_bytes()));
    }
}
