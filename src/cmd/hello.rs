//! Authentication and protocol negotiation: HELLO and AUTH.
//!
//! pgredis has one user, `default`, as Redis has without ACL rules: it needs no password unless
//! `--requirepass` (or CONFIG SET requirepass) gives it one. Whether a connection must still
//! authenticate is decided at each command (see `cmd::dispatch`), so setting or clearing the
//! password takes effect at once, as in Redis.

use bytes::Bytes;

use super::args::is;
use super::errors::{self, CmdError};
use super::table::*;
use super::{Args, Ctx};
use crate::handler;
use crate::resp::{Protocol, Reply};

/// The version Redis reports, and the one whose behaviour pgredis follows.
pub const REDIS_VERSION: &str = "7.0.15";

pub const COMMANDS: &[Command] = &[
    Command::new(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        (0, 0, 0),
        "connection",
        "Handshakes with the Redis server.",
        handler!(hello),
    ),
    Command::new(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        (0, 0, 0),
        "connection",
        "Authenticates the connection.",
        handler!(auth),
    ),
];

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
async fn hello(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let mut protocol = None;
    if !args.is_empty() {
        let version = args
            .next_i64()
            .map_err(|_| CmdError::from(errors::PROTOCOL_VERSION))?;
        protocol = Some(match version {
            2 => Protocol::Resp2,
            3 => Protocol::Resp3,
            _ => return Err(errors::NOPROTO.into()),
        });
    }
    let mut credentials = None;
    let mut name = None;
    while !args.is_empty() {
        let option = args.next_bytes()?;
        let more = args.remaining();
        if is(&option, "AUTH") && more >= 2 {
            credentials = Some((args.next_bytes()?, args.next_bytes()?));
        } else if is(&option, "SETNAME") && more >= 1 {
            name = Some(args.next_bytes()?);
        } else {
            return Err(errors::hello_option(&option));
        }
    }
    if let Some((username, password)) = credentials {
        authenticate(ctx, &username, &password)?;
    }
    if !ctx.authenticated && ctx.state.auth_required() {
        return Err(errors::HELLO_NOAUTH.into());
    }
    if let Some(name) = name {
        super::client::set_name(ctx, &name)?;
    }
    if let Some(protocol) = protocol {
        ctx.protocol = protocol;
        let resp = if protocol == Protocol::Resp3 { 3 } else { 2 };
        ctx.client.update(|d| d.resp = resp);
    }
    let proto = if ctx.protocol == Protocol::Resp3 {
        3
    } else {
        2
    };
    let field = |name: &'static str| Reply::bulk(name);
    Ok(Reply::Map(vec![
        (field("server"), field("redis")),
        (field("version"), field(REDIS_VERSION)),
        (field("proto"), Reply::Int(proto)),
        (field("id"), Reply::Int(ctx.client.id as i64)),
        (field("mode"), field("standalone")),
        (field("role"), field("master")),
        (field("modules"), Reply::Array(Vec::new())),
    ]))
}

/// AUTH [username] password
async fn auth(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let (username, password) = match args.remaining() {
        1 => {
            if !ctx.state.auth_required() {
                return Err(errors::AUTH_NOT_CONFIGURED.into());
            }
            (Bytes::from_static(b"default"), args.next_bytes()?)
        }
        2 => (args.next_bytes()?, args.next_bytes()?),
        _ => return Err(errors::SYNTAX.into()),
    };
    authenticate(ctx, &username, &password)?;
    Ok(Reply::ok())
}

/// Logs the connection in as `username`; only `default` exists, with the configured password or
/// none.
fn authenticate(ctx: &mut Ctx, username: &[u8], password: &[u8]) -> Result<(), CmdError> {
    let accepted = username == b"default"
        && match ctx.state.requirepass() {
            None => true,
            Some(expected) => constant_time_eq(expected.as_bytes(), password),
        };
    if !accepted {
        return Err(errors::WRONGPASS.into());
    }
    ctx.authenticated = true;
    Ok(())
}

/// Compares without stopping at the first difference, so timing does not reveal the password.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq() {
        assert!(super::constant_time_eq(b"pw", b"pw"));
        assert!(!super::constant_time_eq(b"pw", b"px"));
        assert!(!super::constant_time_eq(b"pw", b"pw2"));
        assert!(super::constant_time_eq(b"", b""));
    }
}
