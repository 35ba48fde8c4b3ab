//! Who on this instance is subscribed to what: channel, pattern and shard-channel subscriptions
//! of every local client, and delivery of a message to them.
//!
//! Redis keeps shard channels (SSUBSCRIBE, SPUBLISH) apart from plain ones even without cluster
//! mode, so they are a third namespace here too. Patterns are Redis globs, matched against every
//! published channel.

use std::collections::HashMap;
use std::sync::RwLock;

use bytes::Bytes;

use super::mailbox::Outbox;
use crate::resp::Reply;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

type Subscribers = HashMap<Bytes, HashMap<u64, Outbox>>;

#[derive(Default)]
pub struct Registry {
    maps: RwLock<[Subscribers; 3]>,
}

fn slot(kind: Kind) -> usize {
    match kind {
        Kind::Channel => 0,
        Kind::Pattern => 1,
        Kind::Shard => 2,
    }
}

impl Registry {
    pub fn add(&self, kind: Kind, name: Bytes, client: u64, outbox: &Outbox) {
        let mut maps = self.maps.write().unwrap();
        maps[slot(kind)]
            .entry(name)
            .or_default()
            .insert(client, outbox.clone());
    }

    pub fn remove(&self, kind: Kind, name: &[u8], client: u64) {
        let mut maps = self.maps.write().unwrap();
        let map = &mut maps[slot(kind)];
        if let Some(clients) = map.get_mut(name) {
            clients.remove(&client);
            if clients.is_empty() {
                map.remove(name);
            }
        }
    }

    /// Delivers a message published to `channel` (a shard channel when `shard`) to every local
    /// subscriber, in Redis's order: channel subscribers, then pattern subscribers. Returns the
    /// number of deliveries, as PUBLISH counts them.
    pub fn deliver(&self, shard: bool, channel: &Bytes, message: &Bytes) -> i64 {
        let maps = self.maps.read().unwrap();
        let mut count = 0;
        let (direct, kind) = if shard {
            (&maps[slot(Kind::Shard)], "smessage")
        } else {
            (&maps[slot(Kind::Channel)], "message")
        };
        if let Some(clients) = direct.get(channel) {
            for outbox in clients.values() {
                outbox.push(Reply::Push(vec![
                    Reply::bulk(kind),
                    Reply::Bulk(channel.clone()),
                    Reply::Bulk(message.clone()),
                ]));
                count += 1;
            }
        }
        if shard {
            return count;
        }
        for (pattern, clients) in &maps[slot(Kind::Pattern)] {
            if !crate::glob::matches(pattern, channel, false) {
                continue;
            }
            for outbox in clients.values() {
                outbox.push(Reply::Push(vec![
                    Reply::bulk("pmessage"),
                    Reply::Bulk(pattern.clone()),
                    Reply::Bulk(channel.clone()),
                    Reply::Bulk(message.clone()),
                ]));
                count += 1;
            }
        }
        count
    }

    /// How many deliveries a message to `channel` would make, without making them.
    pub fn receivers(&self, shard: bool, channel: &[u8]) -> i64 {
        let maps = self.maps.read().unwrap();
        if shard {
            return maps[slot(Kind::Shard)].get(channel).map_or(0, |c| c.len()) as i64;
        }
        let direct = maps[slot(Kind::Channel)]
            .get(channel)
            .map_or(0, |c| c.len());
        let patterns: usize = maps[slot(Kind::Pattern)]
            .iter()
            .filter(|(p, _)| crate::glob::matches(p, channel, false))
            .map(|(_, c)| c.len())
            .sum();
        (direct + patterns) as i64
    }

    /// Channels (or shard channels) with at least one subscriber, matching `pattern` if given.
    pub fn channels(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let maps = self.maps.read().unwrap();
        maps[slot(kind)]
            .keys()
            .filter(|c| pattern.is_none_or(|p| crate::glob::matches(p, c, false)))
            .cloned()
            .collect()
    }

    /// Subscribers of one channel (or shard channel), patterns not counted.
    pub fn numsub(&self, kind: Kind, channel: &[u8]) -> i64 {
        let maps = self.maps.read().unwrap();
        maps[slot(kind)].get(channel).map_or(0, |c| c.len()) as i64
    }

    /// Distinct patterns subscribed to, as Redis 7.0's PUBSUB NUMPAT counts them.
    pub fn numpat(&self) -> i64 {
        self.maps.read().unwrap()[slot(Kind::Pattern)].len() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::super::mailbox::mailbox;
    use super::*;

    #[test]
    fn channel_and_pattern_deliveries_count_separately() {
        let registry = Registry::default();
        let (outbox, mut inbox) = mailbox(1 << 20);
        registry.add(Kind::Channel, Bytes::from("news"), 1, &outbox);
        registry.add(Kind::Pattern, Bytes::from("n*"), 1, &outbox);
        registry.add(Kind::Shard, Bytes::from("news"), 1, &outbox);
        let n = registry.deliver(false, &Bytes::from("news"), &Bytes::from("hi"));
        assert_eq!(n, 2);
        assert_eq!(registry.receivers(false, b"news"), 2);
        assert_eq!(registry.receivers(true, b"news"), 1);
        let (first, _) = inbox.try_recv().unwrap();
        assert!(matches!(&first, Reply::Push(items) if items[0] == Reply::bulk("message")));
        let (second, _) = inbox.try_recv().unwrap();
        assert!(matches!(&second, Reply::Push(items) if items[0] == Reply::bulk("pmessage")));
        registry.remove(Kind::Channel, b"news", 1);
        registry.remove(Kind::Pattern, b"n*", 1);
        assert_eq!(registry.receivers(false, b"news"), 0);
        assert_eq!(registry.numpat(), 0);
        assert_eq!(registry.channels(Kind::Shard, Some(b"n*")).len(), 1);
    }
}
