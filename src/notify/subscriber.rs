//! One connection's side of Pub/Sub: what it is subscribed to, and its mailbox. Dropping it
//! (the connection closed) removes its subscriptions from the instance's registry.

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;

use super::mailbox::{self, Mailbox, Outbox};
use super::{Hub, Kind};

pub struct Subscriber {
    hub: Arc<Hub>,
    client: u64,
    outbox: Outbox,
    mailbox: Option<Mailbox>,
    channels: BTreeSet<Bytes>,
    patterns: BTreeSet<Bytes>,
    shard: BTreeSet<Bytes>,
    /// Set when the command being run wants its reply written before what it pushed.
    reply_first: bool,
}

impl Subscriber {
    pub fn new(hub: Arc<Hub>, client: u64) -> Subscriber {
        let (outbox, mailbox) = mailbox::mailbox(mailbox::PUBSUB_HARD_LIMIT);
        Subscriber {
            hub,
            client,
            outbox,
            mailbox: Some(mailbox),
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
            shard: BTreeSet::new(),
            reply_first: false,
        }
    }

    /// The receiving end of this connection's pushed messages, for the connection to take once.
    pub fn take_mailbox(&mut self) -> Option<Mailbox> {
        self.mailbox.take()
    }

    /// The delivering end, for pushing replies of one's own (none yet outside Pub/Sub).
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    fn set(&mut self, kind: Kind) -> &mut BTreeSet<Bytes> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    pub fn subscribe(&mut self, kind: Kind, name: Bytes) {
        if self.set(kind).insert(name.clone()) {
            self.hub.registry.add(kind, name, self.client, &self.outbox);
        }
    }

    /// Whether the connection was subscribed to `name`.
    pub fn unsubscribe(&mut self, kind: Kind, name: &Bytes) -> bool {
        let was = self.set(kind).remove(name);
        if was {
            self.hub.registry.remove(kind, name, self.client);
        }
        was
    }

    /// Everything subscribed to of one kind.
    pub fn names(&mut self, kind: Kind) -> Vec<Bytes> {
        self.set(kind).iter().cloned().collect()
    }

    /// The count SUBSCRIBE and friends report: channels and patterns together, as Redis counts
    /// them, or shard channels alone.
    pub fn count(&self, kind: Kind) -> i64 {
        match kind {
            Kind::Shard => self.shard.len() as i64,
            _ => (self.channels.len() + self.patterns.len()) as i64,
        }
    }

    /// Whether the connection is in subscribed mode (subscribed to anything).
    pub fn subscribed(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty())
    }

    /// Asks the connection to write the current command's reply before the messages it pushed.
    pub fn set_reply_first(&mut self) {
        self.reply_first = true;
    }

    /// Whether the current command's reply goes before its pushed messages; resets the request.
    pub fn take_reply_first(&mut self) -> bool {
        std::mem::take(&mut self.reply_first)
    }

    /// Leaves every subscription silently (RESET, disconnect).
    pub fn clear(&mut self) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in std::mem::take(self.set(kind)) {
                self.hub.registry.remove(kind, &name, self.client);
            }
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.clear();
    }
}
