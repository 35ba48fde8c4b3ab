//! Shared read connections: the single-key reads of many clients pipelined on a few connections.
//!
//! A read outside a transaction needs no connection of its own: it is one statement, it takes no
//! lock and it commits nothing. Given a pooled connection each, concurrent reads cost PostgreSQL a
//! wake-up, a receive and a send apiece, and each backend sleeps between them. On a shared
//! connection tokio-postgres sends every caller's statement as soon as it is issued, behind the
//! ones already sent; the backend runs them back to back and answers in order, so those costs are
//! shared by whatever arrived together, the way `batch` shares one statement among GETs.
//!
//! Each statement still runs in its own implicit transaction, with its own snapshot: what the
//! commands see is what they would see on a pooled connection. A slow read delays the reads
//! queued behind it on its connection, so each read takes the connection with the fewest reads
//! in flight, and only single-key read commands come here (`cmd::dispatch` decides).
//!
//! A connection that broke is replaced on next use, as the pool does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use deadpool_postgres::ClientWrapper;
use tokio_postgres::{NoTls, Row};

use super::{POOL_TIMEOUT, Params};
use crate::cmd::CmdError;

/// Connections shared by reads: enough to keep the cores busy, few enough that each carries
/// many reads at once.
const CONNECTIONS: usize = 4;

pub struct SharedReads {
    config: tokio_postgres::Config,
    slots: Vec<Slot>,
}

#[derive(Default)]
struct Slot {
    /// The connection, with the same statement cache as the pool's (`prepare_cached`).
    conn: Mutex<Option<Arc<ClientWrapper>>>,
    /// Held while connecting, so that one caller connects and the others wait for it.
    connecting: tokio::sync::Mutex<()>,
    in_flight: AtomicUsize,
}

/// A read in flight on a slot; counted until dropped.
struct Busy<'a>(&'a Slot);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl SharedReads {
    pub fn new(config: tokio_postgres::Config) -> SharedReads {
        SharedReads {
            config,
            slots: (0..CONNECTIONS).map(|_| Slot::default()).collect(),
        }
    }

    pub async fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, CmdError> {
        let slot = self
            .slots
            .iter()
            .min_by_key(|slot| slot.in_flight.load(Ordering::Relaxed))
            .expect("at least one slot");
        slot.in_flight.fetch_add(1, Ordering::Relaxed);
        let _busy = Busy(slot);
        let client = self.connection(slot).await?;
        let statement = client.prepare_cached(sql).await?;
        Ok(client.query(&statement, params).await?)
    }

    /// The slot's connection, opened (again) when it has none or it broke.
    async fn connection(&self, slot: &Slot) -> Result<Arc<ClientWrapper>, CmdError> {
        let open = |slot: &Slot| {
            let conn = slot.conn.lock().unwrap();
            conn.as_ref().filter(|client| !client.is_closed()).cloned()
        };
        if let Some(shared) = open(slot) {
            return Ok(shared);
        }
        // Callers that wait here while another connects wait as long as the pool lets a
        // command wait for a connection, not for every connection attempt queued before them.
        let Ok(_connecting) = tokio::time::timeout(POOL_TIMEOUT, slot.connecting.lock()).await
        else {
            return Err(CmdError::msg(
                "ERR PostgreSQL is unavailable: timed out waiting for a connection",
            ));
        };
        if let Some(shared) = open(slot) {
            return Ok(shared);
        }
        let (client, connection) = self.config.connect(NoTls).await?;
        let task = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("shared read connection ended: {e}");
            }
        });
        let client = Arc::new(ClientWrapper::new(client, task));
        *slot.conn.lock().unwrap() = Some(client.clone());
        Ok(client)
    }
}
