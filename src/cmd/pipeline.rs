//! Pipelined runs: consecutive GETs, or consecutive plain SETs, of one connection go to the store's
//! batcher as one request, so a pipeline of 16 GETs costs one statement instead of 16 round trips.
//!
//! Only the plainest forms qualify (`GET key`, `SET key value`), and only when nothing else would
//! happen around them: an authenticated connection outside MULTI and subscribed mode, with keyspace
//! notifications off, while no script runs on this instance (so that GET and SET get BUSY).
//! Anything else goes through `cmd::execute` one command at a time. A run ends at the first
//! command of another kind, so the commands of a connection still take effect in order.

use bytes::Bytes;

use super::Ctx;
use super::errors::WRONGTYPE;
use crate::resp::Reply;

/// Most requests in one run; a longer pipeline continues in the next run.
pub const MAX_RUN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Get,
    Set,
}

/// The run a request can join, if it qualifies.
pub fn run_kind(ctx: &Ctx, argv: &[Bytes]) -> Option<RunKind> {
    let kind = match argv.len() {
        2 if argv[0].eq_ignore_ascii_case(b"get") => RunKind::Get,
        3 if argv[0].eq_ignore_ascii_case(b"set") => RunKind::Set,
        _ => return None,
    };
    (super::runs_plainly(ctx) && ctx.store.batchers().is_some()).then_some(kind)
}

/// Runs a run of requests of one kind as one batcher request; one reply per request, in order.
pub async fn execute_run(ctx: &mut Ctx, kind: RunKind, run: Vec<Vec<Bytes>>) -> Vec<Reply> {
    let count = run.len();
    ctx.client
        .set_last_command(if kind == RunKind::Get { "get" } else { "set" });
    ctx.state
        .stats
        .commands_processed
        .fetch_add(count as u64, std::sync::atomic::Ordering::Relaxed);
    let batchers = ctx.store.batchers().expect("run_kind checked the batchers");
    let db = ctx.db;
    let outcome = match kind {
        RunKind::Get => {
            let items = run
                .into_iter()
                .map(|mut argv| (db, argv.swap_remove(1)))
                .collect();
            batchers.get.submit(items).await.map(|found| {
                found
                    .into_iter()
                    .map(|value| match value {
                        None => Reply::Nil,
                        Some((true, value)) => Reply::Bulk(value),
                        Some((false, _)) => Reply::Error(WRONGTYPE.into()),
                    })
                    .collect()
            })
        }
        RunKind::Set => {
            let items = run
                .into_iter()
                .map(|mut argv| {
                    let value = argv.pop().expect("SET has a value");
                    (db, argv.swap_remove(1), value)
                })
                .collect();
            batchers
                .set
                .submit(items)
                .await
                .map(|done| done.into_iter().map(|()| Reply::ok()).collect())
        }
    };
    outcome.unwrap_or_else(|e| vec![Reply::Error(e.0); count])
}
