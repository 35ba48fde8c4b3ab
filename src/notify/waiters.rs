//! Clients waiting for keys, for blocking commands (BLPOP, BZPOPMIN, ...): "wake me when key K of
//! database D may have data". Writers announce such keys with `pgredis_key_ready` (SQL, in
//! migrations/0011_pubsub.sql), which NOTIFYs `pgredis_keys`; every instance's listener wakes its
//! local waiters of that key.
//!
//! A wake-up means "look again", never "there is data": the waiter re-runs its non-blocking
//! command, which may find nothing (another client was faster) and wait again. The listener also
//! wakes every waiter after it reconnects, since notifications sent while it was away are lost.
//! No transaction, lock or pooled connection is held while a client waits.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::Notify;

type Waiting = HashMap<(i32, Bytes), HashMap<u64, Arc<Notify>>>;

#[derive(Default)]
pub struct KeyWaiters {
    next_id: AtomicU64,
    waiting: Mutex<Waiting>,
}

/// One client's registration on some keys of a database; dropping it unregisters.
pub struct KeyWatch {
    waiters: Arc<KeyWaiters>,
    id: u64,
    db: i32,
    keys: Vec<Bytes>,
    notify: Arc<Notify>,
}

impl KeyWaiters {
    /// Registers interest in `keys` of `db`. Register before the first check of the keys, so that
    /// data arriving between the check and the wait still wakes the waiter.
    pub fn watch(self: &Arc<Self>, db: i32, keys: &[Bytes]) -> KeyWatch {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let notify = Arc::new(Notify::new());
        let mut waiting = self.waiting.lock().unwrap();
        for key in keys {
            waiting
                .entry((db, key.clone()))
                .or_default()
                .insert(id, notify.clone());
        }
        KeyWatch {
            waiters: self.clone(),
            id,
            db,
            keys: keys.to_vec(),
            notify,
        }
    }

    /// Wakes the waiters of `key` in `db`, or of every key of `db` for `None`.
    pub fn wake(&self, db: i32, key: Option<&[u8]>) {
        let waiting = self.waiting.lock().unwrap();
        match key {
            Some(key) => {
                if let Some(w) = waiting.get(&(db, Bytes::copy_from_slice(key))) {
                    w.values().for_each(|n| n.notify_one());
                }
            }
            None => waiting
                .iter()
                .filter(|((d, _), _)| *d == db)
                .for_each(|(_, w)| w.values().for_each(|n| n.notify_one())),
        }
    }

    /// Wakes every waiter: notifications may have been missed.
    pub fn wake_all(&self) {
        let waiting = self.waiting.lock().unwrap();
        waiting
            .values()
            .for_each(|w| w.values().for_each(|n| n.notify_one()));
    }
}

impl KeyWatch {
    /// Resolves at the next wake-up (or at once if one came since the last call).
    pub async fn changed(&self) {
        self.notify.notified().await
    }
}

impl Drop for KeyWatch {
    fn drop(&mut self) {
        let mut waiting = self.waiters.waiting.lock().unwrap();
        for key in &self.keys {
            let slot = (self.db, key.clone());
            if let Some(w) = waiting.get_mut(&slot) {
                w.remove(&self.id);
                if w.is_empty() {
                    waiting.remove(&slot);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_before_the_wait_is_not_lost() {
        let waiters = Arc::new(KeyWaiters::default());
        let watch = waiters.watch(0, &[Bytes::from("k"), Bytes::from("j")]);
        waiters.wake(0, Some(b"j"));
        watch.changed().await;
        waiters.wake(0, None);
        watch.changed().await;
        drop(watch);
        assert!(waiters.waiting.lock().unwrap().is_empty());
    }
}
