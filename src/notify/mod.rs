//! Pub/Sub, keyspace notifications and key wake-ups across every pgredis instance, through
//! PostgreSQL's LISTEN/NOTIFY.
//!
//! # How a message travels
//!
//! PUBLISH sends one NOTIFY on the PostgreSQL channel `pgredis_pubsub` (payload format in `wire`)
//! and, once that has committed, hands the message to this instance's own subscribers directly, as
//! Redis does before it replies. Every instance keeps one dedicated connection, outside the pool,
//! that LISTENs (`listener`); it delivers each notification to its local subscribers and skips the
//! ones its own instance has already delivered. So a message reaches each subscriber exactly once,
//! and in publish order per publisher: a client's PUBLISHes commit in the order it sent them, and
//! PostgreSQL delivers notifications in commit order.
//!
//! A PUBLISH inside a transaction (MULTI/EXEC, scripts) delivers nothing itself: its NOTIFY is sent
//! only if the transaction commits, and then every instance, the publisher's included, delivers
//! it from the notification.
//!
//! Payloads are limited to 8000 bytes and Redis messages to 512 MB: a bigger message is stored in
//! `pgredis_pubsub_messages` in the same statement as its NOTIFY, which carries only its id. An
//! instance with no subscriber for it does not even fetch it. The sweeper deletes stored
//! messages after `STORED_RETENTION_MS`; an instance that falls that far behind drops the message
//! (and logs it) rather than blocking the others.
//!
//! When the listening connection drops, the listener reconnects and LISTENs again; messages
//! published meanwhile are lost for this instance's subscribers (Pub/Sub is at-most-once in Redis
//! too), and key waiters are woken to look again.
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

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use bytes::Bytes;

pub use registry::{Kind, Registry};
pub use subscriber::Subscriber;
pub use waiters::{KeyWaiters, KeyWatch};

use crate::cmd::CmdError;
use crate::store::{self, Store};

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
}

impl Hub {
    pub fn new(run_id: &str) -> Hub {
        Hub {
            origin: format!("{:016x}", store::key_hash(0, run_id.as_bytes()) as u64),
            seq: AtomicU64::new(0),
            registry: Registry::default(),
            waiters: Arc::new(KeyWaiters::default()),
            keyspace: AtomicU32::new(0),
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

    /// Sends several messages, in order, in one round trip when they all fit in payloads.
    pub async fn publish_all(
        &self,
        store: &Store,
        shard: bool,
        messages: &[(Bytes, Bytes)],
    ) -> Result<i64, CmdError> {
        // Inside a transaction nothing is delivered until it commits: every instance delivers it.
        let deliver_here = !store.in_transaction();
        let origin = deliver_here.then_some(self.origin.as_str());
        let mut inline = Vec::with_capacity(messages.len());
        for (channel, message) in messages {
            let seq = self.next_seq();
            match wire::message(origin, seq, shard, channel, message) {
                Some(payload) => inline.push(payload),
                None => {
                    store::pubsub::notify(store, &std::mem::take(&mut inline)).await?;
                    let payload = wire::stored(origin, seq, shard, channel);
                    store::pubsub::notify_stored(store, payload, channel, message).await?;
                }
            }
        }
        store::pubsub::notify(store, &inline).await?;
        let mut receivers = 0;
        for (channel, message) in messages {
            receivers += if deliver_here {
                self.registry.deliver(shard, channel, message)
            } else {
                self.registry.receivers(shard, channel)
            };
        }
        Ok(receivers)
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
