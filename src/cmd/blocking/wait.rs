//! The wait itself, the same for every blocking command: look, register, look again, then wait
//! for a wake-up and look again until served (see the module docs of `cmd::blocking`).

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::cmd::Ctx;
use crate::cmd::errors::{CmdError, UNBLOCKED};
use crate::cmd::lists::mpop_reply;
use crate::cmd::table::CmdResult;
use crate::notify::waiters::Kind;
use crate::resp::Reply;
use crate::state::{ClientInfo, Unblock};
use crate::store::lists::End;
use crate::store::zsets::{End as ZEnd, Popped};
use crate::store::{self, Store};

/// What a blocking command pops once there is something.
pub enum Pop {
    /// BLPOP and BRPOP (`count` None: one `[key, element]`), BLMPOP (`count` Some).
    List {
        keys: Vec<Bytes>,
        end: End,
        count: Option<i64>,
    },
    /// BLMOVE and BRPOPLPUSH.
    Move {
        source: Bytes,
        destination: Bytes,
        from: End,
        to: End,
    },
    /// BZPOPMIN and BZPOPMAX (`count` None: one `[key, member, score]`), BZMPOP (`count` Some).
    Zset {
        keys: Vec<Bytes>,
        end: ZEnd,
        count: Option<i64>,
    },
}

/// Which look: the non-blocking command's, the first after registering (behind the barrier),
/// or a later one.
#[derive(Clone, Copy, PartialEq)]
enum Look {
    First,
    Registered,
    Again,
}

impl Pop {
    fn keys(&self) -> Vec<Bytes> {
        match self {
            Pop::List { keys, .. } | Pop::Zset { keys, .. } => keys.clone(),
            Pop::Move { source, .. } => vec![source.clone()],
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Pop::List { .. } | Pop::Move { .. } => Kind::List,
            Pop::Zset { .. } => Kind::Zset,
        }
    }

    /// The reply when there is nothing and the client may not block (inside MULTI): the
    /// non-blocking command's.
    fn nothing(&self) -> Reply {
        match self {
            Pop::Move { .. } => Reply::Nil,
            _ => Reply::NilArray,
        }
    }

    /// Pops if there is something: the reply, or `None`.
    async fn look(&self, store: &Store, db: i32, look: Look) -> Result<Option<Reply>, CmdError> {
        let barrier = look == Look::Registered;
        match self {
            Pop::List { keys, end, count } => {
                let n = count.unwrap_or(1);
                let popped = match look {
                    Look::First => store::lists::pop(store, db, keys, *end, n).await?,
                    _ => store::blocking::list_pop(store, db, keys, *end, n, barrier).await?,
                };
                Ok(popped.map(|(key, mut values)| match count {
                    None => Reply::Array(vec![Reply::Bulk(key), Reply::Bulk(values.remove(0))]),
                    Some(_) => mpop_reply(Some((key, values))),
                }))
            }
            Pop::Move {
                source,
                destination,
                from,
                to,
            } => {
                let moved = match look {
                    Look::First => {
                        store::lists::lmove(store, db, source, destination, *from, *to).await?
                    }
                    _ => {
                        store::blocking::list_move(
                            store,
                            db,
                            source,
                            destination,
                            *from,
                            *to,
                            barrier,
                        )
                        .await?
                    }
                };
                Ok(moved.map(Reply::Bulk))
            }
            Pop::Zset { keys, end, count } => {
                let n = count.unwrap_or(1);
                let popped = match look {
                    Look::First => store::zsets::pop(store, db, keys, n, *end).await?,
                    _ => store::blocking::zpop(store, db, keys, n, *end, barrier).await?,
                };
                Ok(popped.map(|p| zset_reply(p, count.is_some())))
            }
        }
    }
}

/// `[key, member, score]`, or ZMPOP's `[key, [[member, score], ...]]` for BZMPOP.
fn zset_reply(popped: Popped, multi: bool) -> Reply {
    let Popped { key, members } = popped;
    if multi {
        let pairs = members
            .into_iter()
            .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
            .collect();
        return Reply::Array(vec![Reply::Bulk(key), Reply::Array(pairs)]);
    }
    let mut out = vec![Reply::Bulk(key)];
    for (m, s) in members {
        out.push(Reply::Bulk(m));
        out.push(Reply::Double(s));
    }
    Reply::Array(out)
}

/// Runs `pop`, waiting up to `timeout_ms` (0: for ever) for something to pop.
pub async fn block(ctx: &mut Ctx, pop: Pop, timeout_ms: u64) -> CmdResult {
    // Redis fixes the deadline when it parses the command.
    let deadline = match timeout_ms {
        0 => None,
        ms => Instant::now().checked_add(Duration::from_millis(ms)),
    };
    let waiters = ctx.state.pubsub.waiters.clone();
    let watch = waiters.watch(ctx.db, &pop.keys(), pop.kind());
    if let Some(reply) = pop.look(&ctx.store, ctx.db, Look::First).await? {
        return Ok(reply);
    }
    if ctx.store.in_transaction() || ctx.client.is_killed() {
        return Ok(pop.nothing());
    }
    let mut blocked = Blocked {
        client: &ctx.client,
        registered: None,
    };
    let origin = ctx.state.pubsub.origin.clone();
    let waiter = watch.id() as i64;
    store::blocking::register(&ctx.store, &origin, waiter, ctx.db, &pop.keys()).await?;
    blocked.registered = Some((ctx.store.clone(), origin, waiter));
    if let Some(reply) = pop.look(&ctx.store, ctx.db, Look::Registered).await? {
        return Ok(reply);
    }
    // Only now does the client wait in its key's queue, and only now does it count as blocked
    // (INFO, CLIENT LIST, CLIENT UNBLOCK): until its look behind the barrier it could still take
    // data ahead of clients that have waited longer. When a wait ends without data (timeout,
    // CLIENT UNBLOCK), Redis replies with the null array, BLMOVE included.
    let mut unblock = ctx.client.block();
    loop {
        let timeout = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = ctx.client.gone() => return Ok(Reply::NilArray),
            how = &mut unblock => {
                return match how {
                    Ok(Unblock::Error) => Err(UNBLOCKED.into()),
                    _ => Ok(Reply::NilArray),
                };
            }
            _ = timeout => return Ok(Reply::NilArray),
            _ = watch.changed() => {}
        }
        if let Some(reply) = pop.look(&ctx.store, ctx.db, Look::Again).await? {
            return Ok(reply);
        }
    }
}

/// A blocked client's state, undone when the wait ends however it ends: the client is no
/// longer blocked, and its registration is removed in the background (a registration left
/// behind only costs a needless notification).
struct Blocked<'a> {
    client: &'a ClientInfo,
    registered: Option<(Store, String, i64)>,
}

impl Drop for Blocked<'_> {
    fn drop(&mut self) {
        self.client.unblocked();
        if let Some((store, origin, waiter)) = self.registered.take() {
            tokio::spawn(async move {
                if let Err(e) = store::blocking::unregister(&store, &origin, waiter).await {
                    tracing::debug!("blocked client registration {waiter}: {}", e.0);
                }
            });
        }
    }
}
