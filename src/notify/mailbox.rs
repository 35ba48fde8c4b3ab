//! A connection's mailbox for pushed messages, with Redis's output buffer limit for Pub/Sub
//! clients.
//!
//! Whoever delivers (a PUBLISH on this instance, the listener) never waits for a subscriber: a
//! message goes into an unbounded queue and its size is added to the client's pending bytes; the
//! connection subtracts what it has written to the socket. A client that stops reading therefore
//! cannot slow anyone else down, and once its pending bytes pass the hard limit it is killed: its
//! connection closes, as Redis closes a client over `client-output-buffer-limit pubsub`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::{Notify, mpsc};

use crate::resp::Reply;

/// Redis's default hard limit for Pub/Sub clients (`client-output-buffer-limit pubsub 32mb`).
pub const PUBSUB_HARD_LIMIT: usize = 32 * 1024 * 1024;

/// What a pushed message costs beyond its bytes (its RESP framing, roughly), as Redis counts it.
const OVERHEAD: usize = 64;

struct Shared {
    pending: AtomicUsize,
    killed: AtomicBool,
    kill: Notify,
    limit: usize,
}

/// The delivering side; cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<(Reply, usize)>,
    shared: Arc<Shared>,
}

/// The connection's side.
pub struct Mailbox {
    rx: mpsc::UnboundedReceiver<(Reply, usize)>,
    shared: Arc<Shared>,
}

pub fn mailbox(limit: usize) -> (Outbox, Mailbox) {
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        pending: AtomicUsize::new(0),
        killed: AtomicBool::new(false),
        kill: Notify::new(),
        limit,
    });
    (
        Outbox {
            tx,
            shared: shared.clone(),
        },
        Mailbox { rx, shared },
    )
}

/// The size a pushed reply counts for against the limit.
pub fn cost(reply: &Reply) -> usize {
    match reply {
        Reply::Bulk(b) => b.len() + OVERHEAD / 4,
        Reply::Push(items) | Reply::Array(items) => {
            OVERHEAD / 4 + items.iter().map(cost).sum::<usize>()
        }
        _ => OVERHEAD / 4,
    }
}

impl Outbox {
    /// Queues `reply`; false when the client is (now) over its limit and has been killed.
    pub fn push(&self, reply: Reply) -> bool {
        if self.shared.killed.load(Ordering::Relaxed) {
            return false;
        }
        let size = cost(&reply);
        let pending = self.shared.pending.fetch_add(size, Ordering::Relaxed) + size;
        if pending > self.shared.limit {
            self.kill();
            return false;
        }
        self.tx.send((reply, size)).is_ok()
    }

    /// Closes the client's connection at its next chance.
    pub fn kill(&self) {
        self.shared.killed.store(true, Ordering::Relaxed);
        self.shared.kill.notify_one();
    }

    pub fn is_killed(&self) -> bool {
        self.shared.killed.load(Ordering::Relaxed)
    }
}

impl Mailbox {
    /// Waits for the next message; returns it and its cost, to be passed to `written` once it is
    /// on the socket.
    pub async fn recv(&mut self) -> Option<(Reply, usize)> {
        self.rx.recv().await
    }

    /// The next message if one is waiting.
    pub fn try_recv(&mut self) -> Option<(Reply, usize)> {
        self.rx.try_recv().ok()
    }

    /// `bytes` worth of messages reached the socket.
    pub fn written(&self, bytes: usize) {
        self.shared.pending.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// What tells the connection that the client has been killed.
    pub fn kill_signal(&self) -> KillSignal {
        KillSignal(self.shared.clone())
    }

    pub fn is_killed(&self) -> bool {
        self.shared.killed.load(Ordering::Relaxed)
    }
}

/// Set when the client went over its limit.
pub struct KillSignal(Arc<Shared>);

impl KillSignal {
    /// Resolves once the client has been killed.
    pub async fn wait(&self) {
        loop {
            if self.is_set() {
                return;
            }
            self.0.kill.notified().await;
        }
    }

    pub fn is_set(&self) -> bool {
        self.0.killed.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_the_limit_kills() {
        let (outbox, mut mailbox) = mailbox(1000);
        assert!(outbox.push(Reply::bulk(vec![0u8; 500])));
        assert!(!outbox.push(Reply::bulk(vec![0u8; 600])));
        assert!(outbox.is_killed() && mailbox.is_killed());
        assert!(!outbox.push(Reply::bulk("x")));
        let (_, size) = mailbox.try_recv().unwrap();
        assert!(size >= 500);
        assert!(mailbox.try_recv().is_none());
    }

    #[test]
    fn written_bytes_make_room() {
        let (outbox, mut mailbox) = mailbox(1000);
        for _ in 0..10 {
            assert!(outbox.push(Reply::bulk(vec![0u8; 600])));
            let (_, size) = mailbox.try_recv().unwrap();
            mailbox.written(size);
        }
        assert!(!mailbox.is_killed());
    }
}
