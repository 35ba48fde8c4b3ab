//! Running a script or function: one PostgreSQL transaction around one Lua run.
//!
//! The script runs on a blocking thread (`lua::Vm`), so a long script does not stall the runtime.
//! Each redis.call travels to this side as a `lua::Call`; here it is checked the way Redis checks
//! commands from scripts (unknown command, arity, `noscript`, writes in a read-only script) and
//! run with `atomic::execute_one` inside the script's transaction, and the reply goes back.
//!
//! The transaction (`atomic::atomically_locking`, which first locks the script's KEYS) makes the
//! script atomic across instances. A failing
//! command only undoes itself (its savepoint), so writes before a failing redis.call stay, as in
//! Redis. When PostgreSQL reports a serialization conflict the script is stopped, its outcome
//! thrown away, and `atomically` runs it again from the start: everything it did went through
//! the rolled-back transaction, so the client sees one run.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::busy::{Registration, RunningScript};
use super::lua::{Call, Vm};
use crate::cmd::errors::CmdError;
use crate::cmd::table::{MAY_REPLICATE, NOSCRIPT, WRITE};
use crate::cmd::{Ctx, atomic, resolve};
use crate::resp::{Protocol, Reply};

pub const UNKNOWN_COMMAND: &str = "ERR Unknown Redis command called from script";
pub const WRONG_ARITY: &str = "ERR Wrong number of args calling Redis command from script";
pub const NOT_ALLOWED: &str = "ERR This Redis command is not allowed from script";
pub const WRITE_IN_READ_ONLY: &str = "ERR Write commands are not allowed from read-only scripts.";

/// What to run.
pub enum Program {
    /// An EVAL script: its SHA1 and body (the shebang line's text already blanked).
    Eval { sha: String, body: Bytes },
    /// A function of a library: the library's code (shebang line's text blanked) and the name.
    Function { code: Bytes, name: String },
}

pub struct Invocation {
    pub program: Program,
    pub keys: Vec<Bytes>,
    pub args: Vec<Bytes>,
    /// EVAL_RO, FCALL_RO, or a script declared `no-writes`: write commands are refused.
    pub read_only: bool,
}

/// Runs the invocation for `ctx`'s client and returns the script's reply (script errors are
/// replies too); `Err` only for failures of the transaction itself.
pub async fn run(
    ctx: &mut Ctx,
    invocation: Invocation,
    argv: Vec<Bytes>,
) -> Result<Reply, CmdError> {
    let (name, is_eval) = match &invocation.program {
        Program::Eval { sha, .. } => (sha.clone(), true),
        Program::Function { name, .. } => (name.clone(), false),
    };
    let registration = Registration::new(RunningScript::new(ctx.client.id, name, argv, is_eval));
    let script = registration.0.clone();
    let invocation = Arc::new(invocation);
    let (db, protocol) = (ctx.db, ctx.protocol);
    // The declared keys are locked before the transaction starts, so scripts on the same keys
    // queue up rather than conflict (see `atomic::atomically_locking`).
    let key_hashes: Vec<i64> = invocation
        .keys
        .iter()
        .map(|k| crate::store::key_hash(db, k))
        .collect();
    let outcome = if ctx.store.in_transaction() {
        // Inside MULTI/EXEC: the script joins that transaction, which retries it on conflict.
        run_once(ctx, invocation, script).await
    } else {
        atomic::atomically_locking(ctx, &key_hashes, |ctx| {
            ctx.db = db;
            Box::pin(run_once(ctx, invocation.clone(), script.clone()))
        })
        .await
    };
    ctx.db = db;
    ctx.protocol = protocol;
    outcome
}

async fn run_once(
    ctx: &mut Ctx,
    invocation: Arc<Invocation>,
    script: Arc<RunningScript>,
) -> Result<Reply, CmdError> {
    script.new_attempt();
    let (calls, mut requests) = mpsc::unbounded_channel::<Call>();
    let lua = {
        let invocation = invocation.clone();
        let script = script.clone();
        tokio::task::spawn_blocking(move || run_lua(&invocation, script, calls))
    };
    let mut failure = None;
    while let Some(call) = requests.recv().await {
        let reply = match &failure {
            Some(_) => None,
            None => match command(ctx, &invocation, &script, call.argv, call.resp).await {
                Ok(reply) => Some(reply),
                Err(e) => {
                    script.abort();
                    failure = Some(e);
                    None
                }
            },
        };
        let _ = call.reply.send(reply);
    }
    let reply = lua
        .await
        .map_err(|e| CmdError::msg(format!("ERR the script's thread failed: {e}")))?;
    match failure {
        Some(e) => Err(e),
        None => Ok(reply),
    }
}

/// The Lua side: build an interpreter, run, convert the result.
fn run_lua(
    invocation: &Invocation,
    script: Arc<RunningScript>,
    calls: mpsc::UnboundedSender<Call>,
) -> Reply {
    let vm = match Vm::new(script, Some(calls)) {
        Ok(vm) => vm,
        Err(e) => return Reply::Error(format!("ERR cannot start the Lua interpreter: {e}").into()),
    };
    let (keys, args) = (&invocation.keys, &invocation.args);
    match &invocation.program {
        Program::Eval { sha, body } => vm.run_script(body, sha, keys, args),
        Program::Function { code, name } => match vm.load_library(code) {
            Ok(_) => vm.run_function(name, keys, args),
            Err(e) => Reply::Error(format!("ERR {e}").into()),
        },
    }
}

/// One redis.call: Redis's checks for commands from scripts, then the command under its
/// savepoint. A refused command is an error reply for the script; `Err` means the transaction
/// failed and the script must stop.
async fn command(
    ctx: &mut Ctx,
    invocation: &Invocation,
    script: &RunningScript,
    argv: Vec<Bytes>,
    resp: u8,
) -> Result<Reply, CmdError> {
    let Ok((cmd, _)) = resolve(&argv) else {
        return Ok(Reply::Error(UNKNOWN_COMMAND.into()));
    };
    if !cmd.arity_ok(argv.len()) {
        return Ok(Reply::Error(WRONG_ARITY.into()));
    }
    if cmd.has(NOSCRIPT) {
        return Ok(Reply::Error(NOT_ALLOWED.into()));
    }
    if invocation.read_only && cmd.flags & (WRITE | MAY_REPLICATE) != 0 {
        return Ok(Reply::Error(WRITE_IN_READ_ONLY.into()));
    }
    if cmd.has(WRITE) {
        script.mark_dirty();
    }
    ctx.protocol = if resp == 3 {
        Protocol::Resp3
    } else {
        Protocol::Resp2
    };
    atomic::execute_one(ctx, argv).await
}
