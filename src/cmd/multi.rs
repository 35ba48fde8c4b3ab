//! Transactions: MULTI, EXEC, DISCARD, WATCH and UNWATCH.
//!
//! Between MULTI and EXEC, dispatch hands every command that passed its checks to `queue`, which
//! keeps it and answers QUEUED; a command refused before that (unknown, wrong arity, no_multi)
//! dooms the transaction through `reject`, and EXEC then answers EXECABORT, as in Redis.
//!
//! EXEC runs the queued commands in one serializable PostgreSQL transaction (`cmd::atomic`), so
//! clients of every instance see all of them or none, and each under a savepoint, so a command
//! that fails at run time (WRONGTYPE, say) is its own element of the reply while the others take
//! effect. WATCH records each key's row version (`store::multi`); EXEC compares them inside that
//! same transaction, so no write can slip in between the check and the commands. Before running
//! anything, EXEC locks the keys its write commands name in sorted order, the order multi-key
//! commands lock in: without that, a transaction writing `b` then `a` could deadlock with an
//! `MSET a b`, and PostgreSQL might fail the MSET.

use bytes::Bytes;

use super::atomic::{atomically, execute_queued};
use super::errors::{self, CmdError};
use super::table::*;
use super::{Args, Ctx, resolve};
use crate::handler;
use crate::numbers::string2ll;
use crate::resp::Reply;
use crate::store::multi::{self as sql, Watched};

pub const COMMANDS: &[Command] = &[
    Command::new(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (0, 0, 0),
        "transactions",
        "Mark the start of a transaction block",
        handler!(multi),
    ),
    Command::new(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        (0, 0, 0),
        "transactions",
        "Execute all commands issued after MULTI",
        handler!(exec),
    ),
    Command::new(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (0, 0, 0),
        "transactions",
        "Discard all commands issued after MULTI",
        handler!(discard),
    ),
    Command::new(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (1, -1, 1),
        "transactions",
        "Watch the given keys to determine execution of the MULTI/EXEC block",
        handler!(watch),
    ),
    Command::new(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (0, 0, 0),
        "transactions",
        "Forget about all watched keys",
        handler!(unwatch),
    ),
];

/// Commands that act at once inside MULTI instead of being queued.
const RUN_INSIDE_MULTI: &[&str] = &["exec", "discard", "multi", "watch", "quit", "reset"];

/// A connection's transaction state.
#[derive(Debug, Default)]
pub struct MultiState {
    /// The commands queued since MULTI; `None` outside MULTI.
    queued: Option<Vec<Vec<Bytes>>>,
    /// A command was refused while queuing: EXEC answers EXECABORT.
    doomed: bool,
    /// Keys watched, with what they were at WATCH.
    watched: Vec<Watched>,
}

impl MultiState {
    pub fn is_open(&self) -> bool {
        self.queued.is_some()
    }
}

/// For dispatch: an error found before a command runs also dooms an open transaction. EXEC
/// itself refused (wrong arity, not authenticated) discards the transaction and the watches, and
/// says why, as Redis's `execCommandAbort` does.
pub fn reject(ctx: &mut Ctx, argv: &[Bytes], e: CmdError) -> CmdError {
    if argv[0].eq_ignore_ascii_case(b"exec") {
        reset(ctx);
        return errors::execabort_because(&e);
    }
    if ctx.multi.is_open() {
        ctx.multi.doomed = true;
    }
    e
}

/// For dispatch, once a command passed its checks: inside MULTI, queues it and answers QUEUED
/// (or refuses a no_multi command). `None` when the command should run now.
pub fn queue(ctx: &mut Ctx, cmd: &Command, argv: &[Bytes]) -> Option<CmdResult> {
    let queued = ctx.multi.queued.as_mut()?;
    if cmd.has(NO_MULTI) {
        ctx.multi.doomed = true;
        return Some(Err(errors::NOT_ALLOWED_IN_MULTI.into()));
    }
    let name = cmd.name.split('|').next().unwrap_or(cmd.name);
    if RUN_INSIDE_MULTI.contains(&name) {
        return None;
    }
    queued.push(argv.to_vec());
    Some(Ok(Reply::status("QUEUED")))
}

/// Forgets the open transaction and every watch (RESET).
pub fn reset(ctx: &mut Ctx) {
    ctx.multi = MultiState::default();
}

/// MULTI
async fn multi(ctx: &mut Ctx, _args: Args) -> CmdResult {
    if ctx.multi.is_open() {
        return Err(errors::MULTI_NESTED.into());
    }
    ctx.multi.queued = Some(Vec::new());
    ctx.multi.doomed = false;
    Ok(Reply::ok())
}

/// EXEC
///
/// The null array when a watched key changed, EXECABORT when a command was refused while
/// queuing, else one reply per queued command. Watches end either way.
async fn exec(ctx: &mut Ctx, _args: Args) -> CmdResult {
    let Some(queued) = ctx.multi.queued.take() else {
        return Err(errors::EXEC_WITHOUT_MULTI.into());
    };
    let state = std::mem::take(&mut ctx.multi);
    if state.doomed {
        return Err(errors::EXECABORT.into());
    }
    let watched = state.watched;
    if queued.is_empty() && watched.is_empty() {
        return Ok(Reply::Array(Vec::new()));
    }
    let written = written_keys(ctx.db, &queued);
    atomically(ctx, |ctx| {
        let (queued, watched) = (queued.clone(), watched.clone());
        let written = written.clone();
        Box::pin(async move {
            let prepare = !(watched.is_empty() && written.is_empty());
            if prepare && sql::prepare_exec(&ctx.store, &watched, &written).await? {
                return Ok(Reply::NilArray);
            }
            let mut replies = Vec::with_capacity(queued.len());
            for (i, argv) in queued.into_iter().enumerate() {
                replies.push(execute_queued(ctx, argv, i > 0).await?);
            }
            Ok(Reply::Array(replies))
        })
    })
    .await
}

/// The keys the queued write commands name (from the command table), each in the database it
/// will run in, sorted and without repeats: EXEC locks them first, in this order.
fn written_keys(mut db: i32, queued: &[Vec<Bytes>]) -> Vec<(i32, Bytes)> {
    let mut keys = Vec::new();
    for argv in queued {
        let Ok((cmd, _)) = resolve(argv) else {
            continue;
        };
        if cmd.name == "select" {
            db = string2ll(&argv[1]).map_or(db, |n| n as i32);
        } else if cmd.has(WRITE) {
            let positions = cmd.key_positions(argv);
            keys.extend(positions.into_iter().map(|i| (db, argv[i].clone())));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// DISCARD
async fn discard(ctx: &mut Ctx, _args: Args) -> CmdResult {
    if !ctx.multi.is_open() {
        return Err(errors::DISCARD_WITHOUT_MULTI.into());
    }
    reset(ctx);
    Ok(Reply::ok())
}

/// WATCH key [key ...]
///
/// A key watched already in this database keeps what it was when first watched.
async fn watch(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    if ctx.multi.is_open() {
        return Err(errors::WATCH_INSIDE_MULTI.into());
    }
    let mut keys = args.rest();
    let db = ctx.db;
    let watched = &ctx.multi.watched;
    keys.retain(|key| !watched.iter().any(|w| w.db == db && w.key == key));
    keys.sort();
    keys.dedup();
    if !keys.is_empty() {
        let now = sql::watch(&ctx.store, db, &keys).await?;
        ctx.multi.watched.extend(now);
    }
    Ok(Reply::ok())
}

/// UNWATCH
async fn unwatch(ctx: &mut Ctx, _args: Args) -> CmdResult {
    ctx.multi.watched.clear();
    Ok(Reply::ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<Bytes> {
        words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    #[test]
    fn written_keys_follow_select_and_skip_reads() {
        let queued = vec![
            argv(&["SET", "b", "1"]),
            argv(&["GET", "z"]),
            argv(&["MSET", "c", "1", "a", "2"]),
            argv(&["select", "3"]),
            argv(&["INCR", "b"]),
            argv(&["SET", "a", "x"]),
            argv(&["SET", "a", "y"]),
            argv(&["NOSUCH", "q"]),
        ];
        let expected: Vec<(i32, Bytes)> = [(1, "a"), (1, "b"), (1, "c"), (3, "a"), (3, "b")]
            .into_iter()
            .map(|(db, key)| (db, Bytes::from_static(key.as_bytes())))
            .collect();
        let keys = written_keys(1, &queued);
        assert_eq!(keys, expected);
    }

    #[test]
    fn exec_refusals_quote_the_reason_without_err() {
        let arity = errors::wrong_arity("exec");
        assert_eq!(
            errors::execabort_because(&arity).0,
            "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"
        );
        assert_eq!(
            errors::execabort_because(&errors::NOAUTH.into()).0,
            "EXECABORT Transaction discarded because of: NOAUTH Authentication required."
        );
    }
}
