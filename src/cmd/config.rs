//! CONFIG GET, SET, RESETSTAT, REWRITE and HELP over the parameters in `config_params`.
//!
//! Values set here belong to this instance and last until it stops, as CONFIG SET without
//! CONFIG REWRITE does in Redis. pgredis has no configuration file, so REWRITE answers as Redis
//! does when started without one.

use super::client::help_reply;
use super::config_params::{self, Param};
use super::errors::{self, CmdError};
use super::table::*;
use super::{Args, Ctx};
use crate::handler;
use crate::resp::Reply;

const SUBCOMMANDS: &[Command] = &[
    Command::new(
        "config|get",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "server",
        "Returns the effective values of configuration parameters.",
        handler!(get),
    ),
    Command::new(
        "config|set",
        -4,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "server",
        "Sets configuration parameters in-flight.",
        handler!(set),
    ),
    Command::new(
        "config|resetstat",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "server",
        "Resets the server's statistics.",
        handler!(resetstat),
    ),
    Command::new(
        "config|rewrite",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "server",
        "Persists the effective configuration to file.",
        handler!(rewrite),
    ),
    Command::new(
        "config|help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        "server",
        "Returns helpful text about the different subcommands.",
        handler!(help),
    ),
];

pub const COMMANDS: &[Command] = &[Command::new(
    "config",
    -2,
    0,
    (0, 0, 0),
    "server",
    "A container for server configuration commands.",
    handler!(super::client::container),
)
.with_subcommands(SUBCOMMANDS)];

/// CONFIG GET parameter [parameter ...]
///
/// A parameter without glob characters is answered under the name as given; a pattern matches
/// names and aliases, without regard to case.
async fn get(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let mut found: Vec<(String, &'static Param)> = Vec::new();
    let seen = |found: &[(String, &Param)], name: &str| {
        found.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    for pattern in args.rest() {
        let pattern = String::from_utf8_lossy(&pattern).into_owned();
        if !pattern.contains(['[', '*', '?']) {
            if let Some(param) = config_params::lookup(&pattern)
                && !seen(&found, &pattern)
            {
                found.push((pattern, param));
            }
            continue;
        }
        for param in config_params::PARAMS {
            for name in std::iter::once(param.name).chain(param.alias) {
                if !seen(&found, name)
                    && crate::glob::matches(pattern.as_bytes(), name.as_bytes(), true)
                {
                    found.push((name.to_string(), param));
                }
            }
        }
    }
    Ok(Reply::Map(
        found
            .into_iter()
            .map(|(name, param)| {
                let value = config_params::value(&ctx.state, param);
                (Reply::bulk(name), Reply::bulk(value))
            })
            .collect(),
    ))
}

/// CONFIG SET parameter value [parameter value ...]
///
/// All or nothing: every pair is checked before any is applied, with Redis's checks in Redis's
/// order (unknown names first, then immutable or repeated ones, then the values).
async fn set(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let argv = args.rest();
    if argv.len() % 2 == 1 {
        return Err(errors::SYNTAX.into());
    }
    let pairs: Vec<(String, String)> = argv
        .chunks(2)
        .map(|p| {
            (
                errors::c_str(&p[0]),
                String::from_utf8_lossy(&p[1]).into_owned(),
            )
        })
        .collect();
    let mut unknown: Option<&str> = None;
    let mut refused: Option<(&str, &str)> = None;
    let mut chosen: Vec<&'static Param> = Vec::new();
    // A name and its alias are different entries to Redis, so only the same spelling repeats.
    let mut spellings: Vec<String> = Vec::new();
    for (name, _) in &pairs {
        let Some(param) = config_params::lookup(name) else {
            if unknown.is_none() && refused.is_none() {
                unknown = Some(name);
            }
            continue;
        };
        if unknown.is_some() || refused.is_some() {
            continue;
        }
        if param.immutable {
            refused = Some((name, "can't set immutable config"));
        } else if spellings.contains(&name.to_ascii_lowercase()) {
            refused = Some((name, "duplicate parameter"));
        }
        chosen.push(param);
        spellings.push(name.to_ascii_lowercase());
    }
    if let Some(name) = unknown {
        return Err(CmdError::msg(errors::one_line(&format!(
            "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
        ))));
    }
    if let Some((name, why)) = refused {
        return Err(set_failed(name, why));
    }
    let mut values = Vec::with_capacity(pairs.len());
    for (param, (_, value)) in chosen.iter().zip(&pairs) {
        let value =
            config_params::normalise(param, value).map_err(|why| set_failed(param.name, &why))?;
        values.push(value);
    }
    // Shared by every instance (see `notify`): saved in PostgreSQL before anything is applied.
    if let Some(i) = chosen
        .iter()
        .position(|p| p.name == "notify-keyspace-events")
    {
        crate::notify::listener::share_keyspace_setting(&ctx.state, &ctx.store, &values[i]).await?;
    }
    let mut runtime = ctx.state.runtime_config.lock().unwrap();
    for (param, value) in chosen.into_iter().zip(values) {
        if param.default == config_params::Default::Requirepass {
            ctx.state.set_requirepass(&value);
        } else {
            runtime.insert(param.name.to_string(), value);
        }
    }
    Ok(Reply::ok())
}

fn set_failed(name: &str, why: &str) -> CmdError {
    CmdError::msg(errors::one_line(&format!(
        "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
    )))
}

/// CONFIG RESETSTAT
async fn resetstat(ctx: &mut Ctx, _args: Args) -> CmdResult {
    ctx.state.stats.reset();
    Ok(Reply::ok())
}

/// CONFIG REWRITE
async fn rewrite(_ctx: &mut Ctx, _args: Args) -> CmdResult {
    Err(errors::NO_CONFIG_FILE.into())
}

/// CONFIG HELP
async fn help(_ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(help_reply(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    ))
}
