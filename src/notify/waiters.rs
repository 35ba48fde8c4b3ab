//! Clients waiting for keys, for blocking commands (BLPOP, BZPOPMIN, ...): "wake me when key K of
//! database D may have data". Writers announce such keys with `pgredis_key_ready` (SQL, in
//! migrations/0011_pubsub.sql), which NOTIFYs `pgredis_keys`; every instance's listener wakes its
//! local waiters of that key.
//!
//! A wake-up means "look again", never "there is data": the waiter re-runs its non-blocking
//! command, which may find nothing (another client was faster) and wait again. The listener also
//! wakes every waiter after it reconnects, since notifications sent while it was away are lost.
//! No transaction, lock or pooled connection is held while a client waits.
//!
//! # Who is woken
//!
//! The waiters of one key that pop the same type of value (`Kind`) form a queue in arrival
//! order, and a wake-up of the key wakes only the head of each queue, as Redis serves the
//! client that has waited longest first. When the head stops waiting (served, timed out,
//! unblocked, gone), the next one becomes head and is woken in turn: the data that served the
//! head may be enough for it too. A head that looks and finds nothing keeps waiting without
//! waking anyone: the key held nothing of its kind at that moment, so the others would find
//! nothing either, and whatever arrives later notifies the key again.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::Notify;

/// What a waiter pops: waiters of different kinds do not stand in each other's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    List,
    Zset,
}

/// The waiters of one key and kind, by arrival (ids only grow).
type Queue = BTreeMap<u64, Arc<Notify>>;
type Waiting = HashMap<(i32, Bytes, Kind), Queue>;

#[derive(Default)]
pub struct KeyWaiters {
    next_id: AtomicU64,
    waiting: Mutex<Waiting>,
}

/// One client's registration on some keys of a database; dropping it unregisters, and wakes
/// the next waiter of each key where it was first.
pub struct KeyWatch {
    waiters: Arc<KeyWaiters>,
    id: u64,
    db: i32,
    kind: Kind,
    keys: Vec<Bytes>,
    notify: Arc<Notify>,
}

fn wake_head(queue: &Queue) {
    if let Some(first) = queue.values().next() {
        first.notify_one();
    }
}

impl KeyWaiters {
    /// Registers interest in `keys` of `db`, behind the waiters already there. Register before
    /// the first check of the keys, so that data arriving between the check and the wait still
    /// wakes the waiter.
    pub fn watch(self: &Arc<Self>, db: i32, keys: &[Bytes], kind: Kind) -> KeyWatch {
        let notify = Arc::new(Notify::new());
        let mut waiting = self.waiting.lock().unwrap();
        // Taken under the lock, so that `waited` sees every id below its bound.
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        for key in keys {
            waiting
                .entry((db, key.clone(), kind))
                .or_default()
                .insert(id, notify.clone());
        }
        KeyWatch {
            waiters: self.clone(),
            id,
            db,
            kind,
            keys: keys.to_vec(),
            notify,
        }
    }

    /// Wakes the first waiter of `key` in `db` (of each kind), or of every key of `db` for
    /// `None`.
    pub fn wake(&self, db: i32, key: Option<&[u8]>) {
        let waiting = self.waiting.lock().unwrap();
        match key {
            Some(key) => {
                let key = Bytes::copy_from_slice(key);
                for kind in [Kind::List, Kind::Zset] {
                    if let Some(queue) = waiting.get(&(db, key.clone(), kind)) {
                        wake_head(queue);
                    }
                }
            }
            None => waiting
                .iter()
                .filter(|((d, _, _), _)| *d == db)
                .for_each(|(_, queue)| wake_head(queue)),
        }
    }

    /// Wakes the first waiter of every key: notifications may have been missed.
    pub fn wake_all(&self) {
        self.waiting.lock().unwrap().values().for_each(wake_head);
    }

    /// Every (database, key) somebody waits for, the ids of the waiters, and a bound every
    /// waiter registered later has an id at or above.
    pub fn waited(&self) -> (Vec<(i32, Bytes)>, Vec<u64>, u64) {
        let waiting = self.waiting.lock().unwrap();
        let bound = self.next_id.load(Ordering::Relaxed);
        let mut keys: Vec<(i32, Bytes)> = waiting
            .keys()
            .map(|(db, key, _)| (*db, key.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        let mut ids: Vec<u64> = waiting.values().flat_map(|q| q.keys().copied()).collect();
        ids.sort();
        ids.dedup();
        (keys, ids, bound)
    }
}

impl KeyWatch {
    /// Resolves at the next wake-up (or at once if one came since the last call).
    pub async fn changed(&self) {
        self.notify.notified().await
    }

    /// This waiter's number, unique in this instance.
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for KeyWatch {
    fn drop(&mut self) {
        let mut waiting = self.waiters.waiting.lock().unwrap();
        for key in &self.keys {
            let slot = (self.db, key.clone(), self.kind);
            let Some(queue) = waiting.get_mut(&slot) else {
                continue;
            };
            let was_first = queue.keys().next() == Some(&self.id);
            queue.remove(&self.id);
            if queue.is_empty() {
                waiting.remove(&slot);
            } else if was_first {
                wake_head(queue);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &'static str) -> Bytes {
        Bytes::from_static(s.as_bytes())
    }

    #[tokio::test]
    async fn a_wake_before_the_wait_is_not_lost() {
        let waiters = Arc::new(KeyWaiters::default());
        let watch = waiters.watch(0, &[k("k"), k("j")], Kind::List);
        waiters.wake(0, Some(b"j"));
        watch.changed().await;
        waiters.wake(0, None);
        watch.changed().await;
        waiters.wake_all();
        watch.changed().await;
        assert_eq!(
            waiters.waited(),
            (
                vec![(0, k("j")), (0, k("k"))],
                vec![watch.id()],
                watch.id() + 1
            )
        );
        drop(watch);
        assert!(waiters.waiting.lock().unwrap().is_empty());
    }

    /// Whether a wake-up is waiting for `watch`, without consuming a later one.
    fn woken(watch: &KeyWatch) -> bool {
        let fut = watch.changed();
        futures_util::pin_mut!(fut);
        let waker = futures_util::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        fut.poll(&mut cx).is_ready()
    }

    use std::future::Future;

    #[tokio::test]
    async fn the_longest_waiting_is_woken_first_then_the_next() {
        let waiters = Arc::new(KeyWaiters::default());
        let first = waiters.watch(0, &[k("q")], Kind::List);
        let second = waiters.watch(0, &[k("q")], Kind::List);
        let other_kind = waiters.watch(0, &[k("q")], Kind::Zset);
        waiters.wake(0, Some(b"q"));
        assert!(woken(&first));
        assert!(!woken(&second));
        assert!(woken(&other_kind));
        drop(first);
        assert!(woken(&second));
        // A waiter that was not first wakes nobody when it leaves.
        let third = waiters.watch(0, &[k("q")], Kind::List);
        drop(third);
        assert!(!woken(&second));
    }
}
