//! Pub/Sub, keyspace notifications and key wake-ups across every pgredis instance, through
//! PostgreSQL's LISTEN/NOTIFY.
//!
//! # How a message travels
//!
//! PUBLISH sends one NOTIFY on the PostgreSQL channel `pgredis_pubsub` (payload format in `wire`).
//! Every instance keeps one dedicated connection, outside the pool, that LISTENs (`listener`) and
//! delivers each notification to its local subscribers, in the order PostgreSQL delivers them:
//! commit order, the same on every instance. The publishing instance delivers its own messages
//! the same way, from its own listener, and PUBLISH waits for that before it replies. So every
//! subscriber of every instance sees every message once, all in one order that agrees with
//! publish order per publisher and with causality (a message published after PUBLISH of another
//! returned comes after it everywhere); and, as in Redis, a client's own PUBLISH delivers to it
//! before its reply, and the reply counts the receivers.
//!
//! A PUBLISH inside a transaction (MULTI/EXEC, scripts) does not wait: its NOTIFY is sent only if
//! the transaction commits, and then every instance delivers it from the notification.
//!
//! Payloads are limited to 8000 bytes and Redis messages to 512 MB: a bigger message is stored in
//! `pgredis_pubsub_messages` in the same statement as its NOTIFY, which carries only its id (and
//! its channel when short, so that an instance with no subscriber for it does not fetch it; the
//! publishing instance never fetches its own). The sweeper deletes stored messages after
//! `STORED_RETENTION_MS`; an instance that falls that far behind drops the message (and logs it)
//! rather than blocking the others.
//!
//! When the listening connection drops, the listener reconnects and LISTENs again. Meanwhile
//! PUBLISH delivers to local subscribers directly, and messages from other instances are lost for
//! this instance's subscribers (Pub/Sub is at-most-once in Redis too); key waiters are woken to
//! look again.
//!
//! # Deliberate differences from Redis
//!
//! - PUBLISH replies with the number of clients of *this* instance that received the message: an
//!   instance cannot know synchronously how many clients of other instances will receive it.
//! - PUBSUB CHANNELS, NUMSUB, NUMPAT, SHARDCHANNELS and SHARDNUMSUB describe this instance's
//!   clients only, for the same reason.
//! - notify-keyspace-events is shared by every instance (stored in `pgredis_settings`): CONFIG SET
//!   on one instance changes it on all, so that a write anywhere notifies subscribers everywhere.
//! - The output buffer limit for subscribers is fixed at Redis's default hard limit (32 MB), with
//!   no soft limit; a client over it is disconnected.

pub mod keyspace;
pub mod listener;
pub mod mailbox;
pub mod registry;
pub mod subscriber;
pub mod waiters;
pub mod wire;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::oneshot;

pub use registry::{Kind, Registry};
pub use subscriber::Subscriber;
pub use waiters::{KeyWaiters, KeyWatch};

use crate::cmd::CmdError;
use crate::store::{self, Store};

/// How long a publisher waits for its own listener before delivering to local subscribers itself.
const LOOPBACK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long stored (big) messages are kept for slow instances to fetch.
pub const STORED_RETENTION_MS: i64 = 60_000;

/// What one instance shares among its connections for Pub/Sub.
pub struct Hub {
    /// This instance's name in notification payloads.
    pub origin: String,
    seq: AtomicU64,
    pub registry: Registry,
    pub waiters: Arc<KeyWaiters>,
    /// notify-keyspace-events as `keyspace::Flags` bits; 0 costs writes nothing.
    keyspace: AtomicU32,
    /// Messages of this instance waiting for its listener to deliver them, by `seq`; `None` while
    /// the listener is not listening.
    own: Mutex<Option<HashMap<u64, Own>>>,
}

/// A message this instance published, until its listener delivers it.
pub struct Own {
    pub shard: bool,
    pub channel: Bytes,
    pub message: Bytes,
    /// Told the number of local receivers once delivered; dropped undelivered when the listener
    /// lost its connection.
    pub done: oneshot::Sender<i64>,
}

impl Hub {
    pub fn new(run_id: &str) -> Hub {
        Hub {
            origin: format!("{:016x}", store::key_hash(0, run_id.as_bytes()) as u64),
            seq: AtomicU64::new(0),
            registry: Registry::default(),
            waiters: Arc::new(KeyWaiters::default()),
            keyspace: AtomicU32::new(0),
            own: Mutex::new(None),
        }
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// PUBLISH (or SPUBLISH, `shard`): sends the message to every instance and returns the number
    /// of local receivers.
    pub async fn publish(
        &self,
        store: &Store,
        shard: bool,
        channel: Bytes,
        message: Bytes,
    ) -> Result<i64, CmdError> {
        self.publish_all(store, shard, &[(channel, message)]).await
    }

    /// Sends several messages, in order, in one round trip when they all fit in payloads; waits
    /// until they have been delivered here and returns the number of local deliveries.
    pub async fn publish_all(
        &self,
        store: &Store,
        shard: bool,
        messages: &[(Bytes, Bytes)],
    ) -> Result<i64, CmdError> {
        // Inside a transaction nothing is sent until it commits: every instance delivers it then.
        let in_transaction = store.in_transaction();
        let mut seqs = Vec::with_capacity(messages.len());
        let mut done = Vec::with_capacity(messages.len());
        {
            let mut own = self.own.lock().unwrap();
            for (channel, message) in messages {
                let seq = self.next_seq();
                seqs.push(seq);
                if let (false, Some(own)) = (in_transaction, own.as_mut()) {
                    let (tx, rx) = oneshot::channel();
                    let pending = Own {
                        shard,
                        channel: channel.clone(),
                        message: message.clone(),
                        done: tx,
                    };
                    own.insert(seq, pending);
                    done.push(Some(rx));
                } else {
                    done.push(None);
                }
            }
        }
        let origin = (!in_transaction).then_some(self.origin.as_str());
        if let Err(e) = self.notify(store, shard, origin, &seqs, messages).await {
            if let Some(own) = self.own.lock().unwrap().as_mut() {
                seqs.iter().for_each(|seq| drop(own.remove(seq)));
            }
            return Err(e);
        }
        let mut receivers = 0;
        for ((m @ (channel, message), done), seq) in messages.iter().zip(done).zip(seqs) {
            receivers += match done {
                Some(rx) => self.delivered(rx, seq, shard, m).await,
                None if in_transaction => self.registry.receivers(shard, channel),
                // Not listening right now: nobody here will get it from a notification.
                None => self.registry.deliver(shard, channel, message),
            };
        }
        Ok(receivers)
    }

    /// Waits for the listener to deliver this instance's message `seq`. If it does not within
    /// `LOOPBACK_TIMEOUT` (its connection may be dead without knowing it yet), or loses its
    /// connection first, the message is delivered here directly: once, either way.
    async fn delivered(
        &self,
        mut rx: oneshot::Receiver<i64>,
        seq: u64,
        shard: bool,
        (channel, message): &(Bytes, Bytes),
    ) -> i64 {
        match tokio::time::timeout(LOOPBACK_TIMEOUT, &mut rx).await {
            Ok(Ok(n)) => return n,
            // The listener lost its connection before it saw the message.
            Ok(Err(_)) => {}
            Err(_) => {
                // Not in the map any more: the listener is delivering it (and will say so), or
                // lost its connection (and dropped it).
                if self.take_own(seq).is_none()
                    && let Ok(n) = rx.await
                {
                    return n;
                }
                tracing::warn!("the listener is late; delivering a message directly");
            }
        }
        self.registry.deliver(shard, channel, message)
    }

    async fn notify(
        &self,
        store: &Store,
        shard: bool,
        origin: Option<&str>,
        seqs: &[u64],
        messages: &[(Bytes, Bytes)],
    ) -> Result<(), CmdError> {
        let mut inline = Vec::with_capacity(messages.len());
        for (&seq, (channel, message)) in seqs.iter().zip(messages) {
            match wire::message(origin, seq, shard, channel, message) {
                Some(payload) => inline.push(payload),
                None => {
                    store::pubsub::notify(store, &std::mem::take(&mut inline)).await?;
                    let payload = wire::stored(origin, seq, shard, channel);
                    store::pubsub::notify_stored(store, payload, channel, message).await?;
                }
            }
        }
        store::pubsub::notify(store, &inline).await
    }

    /// The listener is LISTENing: from now on this instance's messages come back through it.
    pub fn listening(&self) {
        *self.own.lock().unwrap() = Some(HashMap::new());
    }

    /// The listener lost its connection: publishers still waiting deliver their messages here
    /// themselves, and new ones do so until it listens again.
    pub fn not_listening(&self) {
        *self.own.lock().unwrap() = None;
    }

    /// This instance's message `seq`, for its listener to deliver.
    pub fn take_own(&self, seq: u64) -> Option<Own> {
        self.own.lock().unwrap().as_mut()?.remove(&seq)
    }

    /// The keyspace event flags in force (`keyspace::Flags`).
    pub fn keyspace_flags(&self) -> u32 {
        self.keyspace.load(Ordering::Relaxed)
    }

    pub fn set_keyspace_flags(&self, flags: u32) {
        self.keyspace.store(flags, Ordering::Relaxed);
    }

    /// The payload that tells other instances to reload the shared settings.
    pub fn config_announcement(&self) -> String {
        wire::config(&self.origin, self.next_seq())
    }
}
