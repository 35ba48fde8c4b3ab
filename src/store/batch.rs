//! Group execution: the independent GETs and plain SETs of many clients share one statement.
//!
//! A command's round trip to PostgreSQL costs far more than the work it does there. When many
//! clients wait at once, a batcher takes every request queued while its previous statements run
//! and answers all of them with one `unnest($n::bytea[])` statement: one round trip, one commit
//! and one WAL flush for the lot, the way PostgreSQL's own group commit shares a flush.
//!
//! None of DESIGN.md's rules bend:
//! - each request is answered only after its statement finished (for writes: committed);
//! - a connection hands over a run of pipelined commands as one request, so they stay together
//!   and in order, and it sends its next request only after this one was answered: the commands
//!   of a connection take effect in the order sent;
//! - requests of different clients in one batch were concurrent, so any order among them is one
//!   Redis could have produced; a SET batch keeps the last write of each key, as running them one
//!   after the other would, and upserts its rows in key order so that concurrent batches (and
//!   MSETs) lock rows in the same order and cannot deadlock.
//!
//! Inside MULTI or a script (`Store::in_transaction`) commands run directly on the transaction's
//! connection instead.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::Store;
use crate::cmd::CmdError;

/// Most items one statement carries.
const MAX_ITEMS: usize = 1024;

/// One kind of batchable statement.
pub trait Kind: Send + Sync + 'static {
    /// Statements of this kind in flight at once; requests that arrive meanwhile queue up and
    /// form the next batch. More would add parallelism the two sides cannot use and make batches
    /// smaller (measured with auto/bench: reads do best with 2, writes, which wait for their WAL
    /// flush, with 4).
    const IN_FLIGHT: usize;
    type Item: Send + 'static;
    type Out: Send + Clone + 'static;
    /// Runs every item in one statement; the outputs come back in the items' order.
    fn run(
        store: Store,
        items: Vec<Self::Item>,
    ) -> impl Future<Output = Result<Vec<Self::Out>, CmdError>> + Send;
}

struct Request<K: Kind> {
    items: Vec<K::Item>,
    reply: oneshot::Sender<Result<Vec<K::Out>, CmdError>>,
}

pub struct Batcher<K: Kind> {
    queue: mpsc::UnboundedSender<Request<K>>,
}

impl<K: Kind> Batcher<K> {
    /// Starts the batcher's task; it runs statements on `store`'s pool.
    pub fn start(store: Store) -> Batcher<K> {
        let (queue, requests) = mpsc::unbounded_channel();
        tokio::spawn(collect::<K>(store, requests));
        Batcher { queue }
    }

    /// Submits items that must run together and in order (one connection's pipelined run) and
    /// waits for their outputs.
    pub async fn submit(&self, items: Vec<K::Item>) -> Result<Vec<K::Out>, CmdError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Request { items, reply })
            .map_err(|_| CmdError::msg("ERR pgredis is shutting down"))?;
        answer
            .await
            .unwrap_or_else(|_| Err(CmdError::msg("ERR pgredis is shutting down")))
    }
}

/// Forms batches from whatever is queued whenever a statement slot is free.
async fn collect<K: Kind>(store: Store, mut requests: mpsc::UnboundedReceiver<Request<K>>) {
    let slots = Arc::new(Semaphore::new(K::IN_FLIGHT));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = requests.recv().await else {
            return;
        };
        let mut count = first.items.len();
        let mut group = vec![first];
        while count < MAX_ITEMS {
            match requests.try_recv() {
                Ok(request) => {
                    count += request.items.len();
                    group.push(request);
                }
                Err(_) => break,
            }
        }
        let store = store.clone();
        tokio::spawn(async move {
            run_group::<K>(store, group).await;
            drop(slot);
        });
    }
}

async fn run_group<K: Kind>(store: Store, group: Vec<Request<K>>) {
    let mut sizes = Vec::with_capacity(group.len());
    let mut items = Vec::new();
    let mut replies = Vec::with_capacity(group.len());
    for request in group {
        sizes.push(request.items.len());
        items.extend(request.items);
        replies.push(request.reply);
    }
    match K::run(store, items).await {
        Ok(outputs) => {
            let mut outputs = outputs.into_iter();
            for (reply, size) in replies.into_iter().zip(sizes) {
                let _ = reply.send(Ok(outputs.by_ref().take(size).collect()));
            }
        }
        Err(e) => {
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}

/// GET: `Some(is_string, value)` for a live key, `None` for an absent one.
pub struct Get;

impl Kind for Get {
    const IN_FLIGHT: usize = 2;
    type Item = (i32, Bytes);
    type Out = Option<(bool, Bytes)>;

    async fn run(store: Store, items: Vec<(i32, Bytes)>) -> Result<Vec<Self::Out>, CmdError> {
        const SQL: &str = "SELECT w.n, k.type = 'string', k.value
                             FROM unnest($1::integer[], $2::bytea[]) WITH ORDINALITY AS w(db, key, n)
                             JOIN pgredis_keys k ON k.db = w.db AND k.key = w.key
                            WHERE k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms()";
        let dbs: Vec<i32> = items.iter().map(|(db, _)| *db).collect();
        let keys: Vec<&[u8]> = items.iter().map(|(_, key)| &key[..]).collect();
        let rows = store.query(SQL, &[&dbs, &keys]).await?;
        let mut out = vec![None; items.len()];
        for row in rows {
            let n: i64 = row.get(0);
            let value: Option<Vec<u8>> = row.get(2);
            out[n as usize - 1] = Some((row.get(1), Bytes::from(value.unwrap_or_default())));
        }
        Ok(out)
    }
}

/// `SET key value` without options.
pub struct SetPlain;

impl Kind for SetPlain {
    const IN_FLIGHT: usize = 4;
    type Item = (i32, Bytes, Bytes);
    type Out = ();

    async fn run(store: Store, items: Vec<(i32, Bytes, Bytes)>) -> Result<Vec<()>, CmdError> {
        const SQL: &str = "INSERT INTO pgredis_keys AS k (db, key, type, value)
                           SELECT db, key, 'string', value
                             FROM unnest($1::integer[], $2::bytea[], $3::bytea[]) AS p(db, key, value)
                           ON CONFLICT (db, key) DO UPDATE
                              SET type = 'string', value = EXCLUDED.value, expires_at_ms = NULL,
                                  key_id = CASE WHEN k.type = 'string' THEN k.key_id
                                                ELSE nextval('pgredis_key_id') END,
                                  version = nextval('pgredis_version')";
        let count = items.len();
        // The last write of each key wins, as running them in order would leave it; key order
        // makes concurrent batches lock rows in one order.
        let last: BTreeMap<(i32, Bytes), Bytes> = items
            .into_iter()
            .map(|(db, key, value)| ((db, key), value))
            .collect();
        let dbs: Vec<i32> = last.keys().map(|(db, _)| *db).collect();
        let keys: Vec<&[u8]> = last.keys().map(|(_, key)| &key[..]).collect();
        let values: Vec<&[u8]> = last.values().map(|v| &v[..]).collect();
        store.execute(SQL, &[&dbs, &keys, &values]).await?;
        Ok(vec![(); count])
    }
}

/// The batchers of one store.
pub struct Batchers {
    pub get: Batcher<Get>,
    pub set: Batcher<SetPlain>,
}

impl Batchers {
    pub fn start(store: &Store) -> Batchers {
        Batchers {
            get: Batcher::start(store.clone()),
            set: Batcher::start(store.clone()),
        }
    }
}
