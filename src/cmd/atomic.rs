//! Running many commands as one: MULTI/EXEC and scripts run inside one PostgreSQL transaction, so
//! that clients of every instance see all of it or none of it.
//!
//! The transaction is SERIALIZABLE: Redis runs a transaction or script with no other command in
//! between, and serializable is PostgreSQL's way to promise the same outcome without locking the
//! whole keyspace. When PostgreSQL detects that a concurrent client made that impossible, it fails
//! one of them; `atomically` then rolls back and runs the body again, so the client only ever sees
//! an outcome some serial order would have produced.
//!
//! Inside the transaction each command runs under a savepoint (`execute_one`, `execute_queued`): a
//! command that fails (WRONGTYPE raised by SQL, say) undoes only its own work, and the others still
//! take effect, as in Redis.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;

use super::errors::{CmdError, TX_CONFLICT};
use super::{Ctx, execute};
use crate::resp::Reply;

const BEGIN: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE";
/// Attempts before a conflict is reported to the client instead of retried.
const MAX_ATTEMPTS: usize = 1000;

pub type BodyFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, CmdError>> + Send + 'a>>;

/// Runs `body` with `ctx.store` inside one serializable transaction and commits it; on a
/// serialization conflict, rolls back and runs `body` again. An error from `body` rolls back.
///
/// Each attempt starts from the selected database the first one started with, so a SELECT in the
/// body takes effect once. Called inside a transaction already (a script that EXEC runs), `body`
/// runs once in it: the outer transaction makes it atomic, and a conflict goes up to the outer
/// `atomically`, which runs everything again.
pub async fn atomically<T, F>(ctx: &mut Ctx, mut body: F) -> Result<T, CmdError>
where
    F: for<'a> FnMut(&'a mut Ctx) -> BodyFuture<'a, T>,
{
    if ctx.store.in_transaction() {
        return body(ctx).await;
    }
    let outside = ctx.store.clone();
    let db = ctx.db;
    let mut attempt = 0;
    loop {
        attempt += 1;
        ctx.store = outside.begin(BEGIN).await?;
        let outcome = match body(ctx).await {
            Ok(value) => ctx.store.commit().await.map(|()| value),
            Err(e) => {
                let _ = ctx.store.rollback().await;
                Err(e)
            }
        };
        ctx.store = outside.clone();
        match outcome {
            Err(e) if is_conflict(&e) && attempt < MAX_ATTEMPTS => {
                tracing::debug!("transaction conflict, attempt {attempt}; running it again");
                if ctx.db != db {
                    ctx.db = db;
                    ctx.client.update(|d| d.db = db);
                }
                tokio::task::yield_now().await;
            }
            other => return other,
        }
    }
}

/// Runs one command inside the open transaction under a savepoint, so that its failure undoes
/// only its own work. A serialization conflict is returned as an error, for `atomically` to retry.
pub async fn execute_one(ctx: &mut Ctx, argv: Vec<Bytes>) -> Result<Reply, CmdError> {
    let reply = execute_in_savepoint(ctx, argv, "SAVEPOINT pgredis_command").await?;
    if !matches!(reply, Reply::Error(_)) {
        ctx.store.batch("RELEASE SAVEPOINT pgredis_command").await?;
    }
    Ok(reply)
}

/// EXEC's form of `execute_one`, one round trip cheaper per command: the savepoint stays after
/// the command, and the next one releases it in the same message that sets its own
/// (`after_another`); COMMIT releases the last. Only for commands run one after the other at the
/// same level: a script's commands (`execute_one`) release theirs before the script ends, so the
/// most recent savepoint is always the running command's.
pub async fn execute_queued(
    ctx: &mut Ctx,
    argv: Vec<Bytes>,
    after_another: bool,
) -> Result<Reply, CmdError> {
    let savepoint = match after_another {
        true => "RELEASE SAVEPOINT pgredis_command; SAVEPOINT pgredis_command",
        false => "SAVEPOINT pgredis_command",
    };
    execute_in_savepoint(ctx, argv, savepoint).await
}

/// Sets a savepoint with `savepoint`, runs the command, and rolls back to the savepoint when it
/// failed (which keeps the savepoint).
async fn execute_in_savepoint(
    ctx: &mut Ctx,
    argv: Vec<Bytes>,
    savepoint: &str,
) -> Result<Reply, CmdError> {
    ctx.store.batch(savepoint).await?;
    let reply = execute(ctx, argv).await;
    match &reply {
        Reply::Error(text) if text == TX_CONFLICT => return Err(TX_CONFLICT.into()),
        Reply::Error(_) => {
            ctx.store
                .batch("ROLLBACK TO SAVEPOINT pgredis_command")
                .await?
        }
        _ => {}
    }
    Ok(reply)
}

pub fn is_conflict(e: &CmdError) -> bool {
    e.0 == TX_CONFLICT
}

/// Like `atomically`, but first takes session advisory locks on `key_hashes` (`store::key_hash`
/// of the keys the body declares it touches, as a script's KEYS), in sorted order, before the
/// transaction begins. The transaction's snapshot is then taken after every other holder of those
/// keys has finished, so bodies that touch the same keys queue up instead of failing each other
/// with serialization conflicts. Keys the body touches without declaring them are still
/// protected by the serializable transaction. The locks are released after COMMIT or ROLLBACK.
pub async fn atomically_locking<T, F>(
    ctx: &mut Ctx,
    key_hashes: &[i64],
    mut body: F,
) -> Result<T, CmdError>
where
    F: for<'a> FnMut(&'a mut Ctx) -> BodyFuture<'a, T>,
{
    if key_hashes.is_empty() {
        return atomically(ctx, body).await;
    }
    let mut keys = key_hashes.to_vec();
    keys.sort_unstable();
    keys.dedup();
    let outside = ctx.store.clone();
    let mut attempt = 0;
    loop {
        attempt += 1;
        // A connection of its own, with no transaction open yet.
        let pinned = outside.begin("").await?;
        let locked = pinned
            .execute(
                "SELECT pg_advisory_lock(k) FROM unnest($1::bigint[]) AS k",
                &[&keys],
            )
            .await;
        let outcome = match locked {
            Err(e) => Err(e),
            Ok(_) => match pinned.batch(BEGIN).await {
                Err(e) => Err(e),
                Ok(()) => {
                    ctx.store = pinned.clone();
                    let outcome = match body(ctx).await {
                        Ok(value) => ctx.store.batch("COMMIT").await.map(|()| value),
                        Err(e) => {
                            let _ = ctx.store.batch("ROLLBACK").await;
                            Err(e)
                        }
                    };
                    ctx.store = outside.clone();
                    outcome
                }
            },
        };
        let _ = pinned.end("SELECT pg_advisory_unlock_all()").await;
        match outcome {
            Err(e) if is_conflict(&e) && attempt < MAX_ATTEMPTS => {
                tracing::debug!("transaction conflict, attempt {attempt}; running it again");
                tokio::task::yield_now().await;
            }
            other => return other,
        }
    }
}
