//! Commands: the table, argument parsing, and one handler module per Redis type or area.
//!
//! `execute` is the whole dispatch: look the command up in the table, check arity and
//! authentication the way Redis orders those checks, then run the handler. Handlers return a
//! `Reply` (or a `CmdError`, which becomes an error reply) and never touch the socket, so MULTI,
//! scripts and unit tests can all call them.

pub mod args;
pub mod atomic;
pub mod errors;
pub mod pipeline;
pub mod table;

pub mod bits;
pub mod blocking;
pub mod client;
pub mod command;
pub mod command_info;
pub mod config;
pub mod config_params;
pub mod connection;
pub mod hashes;
pub mod hello;
pub mod info;
pub mod keys;
pub mod lists;
pub mod multi;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod sort;
pub mod strings;
pub mod zsets;

use std::sync::Arc;

use bytes::Bytes;

pub use args::Args;
pub use errors::CmdError;
pub use table::{CmdResult, Command, Handler, HandlerFuture};

use crate::resp::{Protocol, Reply};
use crate::state::{ClientInfo, State};
use crate::store::Store;

/// Every command group's table.
pub const GROUPS: &[&[Command]] = &[
    connection::COMMANDS,
    hello::COMMANDS,
    client::COMMANDS,
    server::COMMANDS,
    info::COMMANDS,
    config::COMMANDS,
    command::COMMANDS,
    strings::COMMANDS,
    bits::COMMANDS,
    keys::COMMANDS,
    sets::COMMANDS,
    lists::COMMANDS,
    blocking::COMMANDS,
    hashes::COMMANDS,
    sort::COMMANDS,
    zsets::COMMANDS,
    multi::COMMANDS,
    pubsub::COMMANDS,
    scripting::COMMANDS,
];

/// What a handler may see and change: the server's shared state, the store, and its connection.
pub struct Ctx {
    pub state: Arc<State>,
    pub store: Store,
    pub client: Arc<ClientInfo>,
    /// The selected database.
    pub db: i32,
    pub protocol: Protocol,
    pub authenticated: bool,
    /// Set by QUIT: close after this reply is written.
    pub close_after_reply: bool,
    /// MULTI's queue and the watched keys.
    pub multi: multi::MultiState,
    /// Pub/Sub subscriptions and the mailbox for pushed messages.
    pub pubsub: crate::notify::Subscriber,
}

impl Ctx {
    pub fn new(state: Arc<State>, client: Arc<ClientInfo>) -> Ctx {
        let authenticated = !state.auth_required();
        Ctx {
            pubsub: crate::notify::Subscriber::new(state.pubsub.clone(), client.id),
            store: state.store.clone(),
            state,
            client,
            db: 0,
            protocol: Protocol::Resp2,
            authenticated,
            close_after_reply: false,
            multi: multi::MultiState::default(),
        }
    }
}

/// Runs one request and returns its reply; errors of every kind come back as error replies.
pub async fn execute(ctx: &mut Ctx, argv: Vec<Bytes>) -> Reply {
    match dispatch(ctx, argv).await {
        Ok(reply) => reply,
        Err(e) => Reply::Error(e.0),
    }
}

async fn dispatch(ctx: &mut Ctx, argv: Vec<Bytes>) -> CmdResult {
    let (cmd, start) = admit(ctx, &argv).map_err(|e| multi::reject(ctx, &argv, e))?;
    if let Some(queued) = multi::queue(ctx, cmd, &argv) {
        return queued;
    }
    pubsub::check_context(ctx, cmd)?;
    if !cmd.has(table::ALLOW_BUSY) {
        scripting::busy::check(&ctx.state, ctx.client.id)?;
    }
    ctx.client.set_last_command(cmd.name);
    ctx.state
        .stats
        .commands_processed
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let events = crate::notify::keyspace::before(ctx, cmd, &argv);
    // A read of one key is one short statement at a time: it can share a connection
    // (`store::shared`). Inside MULTI or a script the store runs it in the transaction instead.
    ctx.store.share_reads = cmd.has(table::READONLY) && cmd.keys == (1, 1, 1);
    let reply = (cmd.handler)(ctx, Args::new(argv, start)).await;
    ctx.store.share_reads = false;
    if let (Some(events), Ok(reply)) = (events, &reply) {
        events.emit(ctx, reply).await;
    }
    reply
}

/// Whether `dispatch` would do nothing around a command but run it: the client may run commands,
/// nothing queues them (MULTI) or refuses them (subscribed mode, a running script's BUSY), and no
/// keyspace event follows them. `pipeline` runs its batched GETs and SETs only then; a check
/// added to `dispatch` belongs here too.
pub(crate) fn runs_plainly(ctx: &Ctx) -> bool {
    (ctx.authenticated || !ctx.state.auth_required())
        && !ctx.multi.is_open()
        && !ctx.pubsub.subscribed()
        && ctx.state.pubsub.keyspace_flags() == 0
        && !scripting::busy::any_running()
}

/// The table entry for a request that passes the checks Redis makes before running (or queuing)
/// it, in Redis's order: the command exists, its arity fits, the client is authenticated.
fn admit(ctx: &Ctx, argv: &[Bytes]) -> Result<(&'static Command, usize), CmdError> {
    let (cmd, start) = resolve(argv)?;
    if !cmd.arity_ok(argv.len()) {
        return Err(errors::wrong_arity(cmd.name));
    }
    if !ctx.authenticated && !cmd.has(table::NO_AUTH) && ctx.state.auth_required() {
        return Err(errors::NOAUTH.into());
    }
    Ok((cmd, start))
}

/// Finds the table entry for a request: the command, or its subcommand for container commands.
/// Returns the entry and the index of its first argument.
pub fn resolve(argv: &[Bytes]) -> Result<(&'static Command, usize), CmdError> {
    let name = &argv[0];
    let Some(cmd) = table::lookup(name) else {
        return Err(unknown_command(argv));
    };
    if cmd.subcommands.is_empty() || argv.len() < 2 {
        return Ok((cmd, 1));
    }
    match table::lookup_sub(cmd, &argv[1]) {
        Some(sub) => Ok((sub, 2)),
        None => Err(CmdError::msg(errors::one_line(&format!(
            "ERR unknown subcommand '{}'. Try {} HELP.",
            truncate(&errors::c_str(&argv[1]), 128),
            errors::c_str(name).to_ascii_uppercase()
        )))),
    }
}

/// Redis's "unknown command" text, with up to 128 characters of the arguments quoted.
fn unknown_command(argv: &[Bytes]) -> CmdError {
    let mut args = String::new();
    for arg in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push_str(&format!("'{}' ", truncate(&errors::c_str(arg), room)));
    }
    CmdError::msg(errors::one_line(&format!(
        "ERR unknown command '{}', with args beginning with: {}",
        truncate(&errors::c_str(&argv[0]), 128),
        args
    )))
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
