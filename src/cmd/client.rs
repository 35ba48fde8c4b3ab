//! CLIENT: what a connection knows about itself and the other connections of this instance.
//!
//! Connections are per instance (as they are per process in Redis), so CLIENT LIST shows the
//! clients of the instance that answers, not of every instance on the database; so do CLIENT
//! KILL and CLIENT UNBLOCK. Of Redis's subcommands, those that change how replies are sent
//! (REPLY, TRACKING, CACHING) or pause clients are not offered yet.

use super::args::is;
use super::errors::{self, CmdError};
use super::table::*;
use super::{Args, Ctx};
use crate::handler;
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::state::{ClientInfo, Unblock};

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
        "client|kill",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "connection",
        "Kill the connection of a client",
        handler!(kill),
    ),
    Command::new(
        "client|unblock",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "connection",
        "Unblock a client blocked in a blocking command from a different connection",
        handler!(unblock),
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

/// CLIENT KILL ip:port
/// CLIENT KILL [ID client-id] [TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB] [USER username]
///   [ADDR ip:port] [LADDR ip:port] [SKIPME yes|no]
///
/// The old form replies OK or "No such client" and may kill the caller itself; the new one
/// counts the clients killed and skips the caller unless SKIPME no. A killed client's connection
/// closes at once, a blocked one's included; the caller's closes after this reply.
async fn kill(ctx: &mut Ctx, args: Args) -> CmdResult {
    let argv = &args.argv()[2..];
    let mut filter = KillFilter {
        skipme: true,
        ..KillFilter::default()
    };
    if argv.len() == 1 {
        filter.addr = Some(argv[0].to_vec());
        filter.skipme = false;
    } else {
        for pair in argv.chunks(2) {
            let [option, value] = pair else {
                return Err(errors::SYNTAX.into());
            };
            if is(option, "ID") {
                filter.id = Some(
                    string2ll(value)
                        .filter(|id| *id > 0)
                        .ok_or(CmdError::from(errors::CLIENT_ID_POSITIVE))?
                        as u64,
                );
            } else if is(option, "TYPE") {
                // Every pgredis connection is a normal one (see CLIENT LIST).
                filter.normal = match errors::c_str(value).to_ascii_lowercase().as_str() {
                    "normal" => Some(true),
                    "master" | "slave" | "replica" | "pubsub" => Some(false),
                    _ => {
                        return Err(CmdError::msg(errors::one_line(&format!(
                            "ERR Unknown client type '{}'",
                            errors::c_str(value)
                        ))));
                    }
                };
            } else if is(option, "ADDR") {
                filter.addr = Some(value.to_vec());
            } else if is(option, "LADDR") {
                filter.laddr = Some(value.to_vec());
            } else if is(option, "USER") {
                // The default user is the only one.
                if &value[..] != b"default" {
                    return Err(CmdError::msg(errors::one_line(&format!(
                        "ERR No such user '{}'",
                        errors::c_str(value)
                    ))));
                }
            } else if is(option, "SKIPME") {
                filter.skipme = if is(value, "YES") {
                    true
                } else if is(value, "NO") {
                    false
                } else {
                    return Err(errors::SYNTAX.into());
                };
            } else {
                return Err(errors::SYNTAX.into());
            }
        }
    }
    let mut killed = 0;
    for client in ctx.state.clients() {
        // A client killed already is gone, though its connection may not have closed yet.
        if client.is_killed() || !filter.matches(&client) {
            continue;
        }
        if client.id == ctx.client.id {
            if filter.skipme {
                continue;
            }
            ctx.close_after_reply = true;
        } else {
            client.kill();
        }
        killed += 1;
    }
    match (argv.len(), killed) {
        (1, 0) => Err(errors::NO_SUCH_CLIENT.into()),
        (1, _) => Ok(Reply::ok()),
        _ => Ok(Reply::Int(killed)),
    }
}

/// CLIENT KILL's filters; `None` matches every client.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    normal: Option<bool>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    skipme: bool,
}

impl KillFilter {
    fn matches(&self, client: &ClientInfo) -> bool {
        self.id.is_none_or(|id| id == client.id)
            && self.normal != Some(false)
            && self
                .addr
                .as_ref()
                .is_none_or(|a| a == client.addr.as_bytes())
            && self
                .laddr
                .as_ref()
                .is_none_or(|a| a == client.local.as_bytes())
    }
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
///
/// Ends the wait of a client of this instance blocked in BLPOP and friends: it gets its
/// timeout reply, or with ERROR the UNBLOCKED error. 1 when the client was blocked, else 0.
async fn unblock(ctx: &mut Ctx, args: Args) -> CmdResult {
    let argv = &args.argv()[2..];
    let how = match argv {
        [_] => Unblock::Timeout,
        [_, reason] if is(reason, "TIMEOUT") => Unblock::Timeout,
        [_, reason] if is(reason, "ERROR") => Unblock::Error,
        [_, _] => return Err(errors::UNBLOCK_REASON.into()),
        _ => {
            return Err(CmdError::msg(errors::one_line(&format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
                errors::c_str(&args.argv()[1])
            ))));
        }
    };
    let id = string2ll(&argv[0]).ok_or(CmdError::from(errors::NOT_INTEGER))?;
    let unblocked = u64::try_from(id)
        .ok()
        .and_then(|id| ctx.state.client(id))
        .is_some_and(|client| client.unblock(how));
    Ok(Reply::Int(unblocked as i64))
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
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
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
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
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
