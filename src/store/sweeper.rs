//! The sweeper. Reads ignore expired keys and writes remove the ones they meet, but keys nobody
//! touches again would stay forever; and deleting a collection leaves its child rows behind as
//! orphans (so that DEL is O(1)); and big Pub/Sub messages stored for other instances to fetch
//! stay until someone deletes them. One instance at a time deletes all three in small batches.
//!
//! Leadership is a session advisory lock held on a dedicated connection, not local state: when
//! the leading instance dies its connection closes, the lock is released, and another instance's
//! next attempt takes over.

use std::time::Duration;

use super::Store;

/// Advisory lock key that names the sweeping leader.
const SWEEPER_LOCK: i64 = 0x7067_7265_6469_7302;
/// Keys deleted per statement, so no sweep holds many row locks or runs long.
const BATCH: i64 = 500;
const PAUSE: Duration = Duration::from_secs(1);

const SWEEP_SQL: &str = "DELETE FROM pgredis_keys
                          WHERE (db, key) IN (SELECT db, key FROM pgredis_keys
                                               WHERE expires_at_ms <= pgredis_now_ms()
                                               LIMIT $1
                                                 FOR UPDATE SKIP LOCKED)";

const ORPHANS_SQL: &str = "SELECT pgredis_sweep_orphans($1)";

const PUBSUB_SQL: &str = "SELECT pgredis_sweep_pubsub($1, $2)";

/// Runs forever: tries to become the leader, and while leading sweeps, pausing between rounds.
pub async fn run(store: Store) {
    loop {
        if let Err(e) = lead(&store).await {
            tracing::debug!("sweeper: {e}");
        }
        tokio::time::sleep(PAUSE).await;
    }
}

/// Returns when leadership is lost or was never won.
async fn lead(store: &Store) -> Result<(), tokio_postgres::Error> {
    let client = store.dedicated().await?;
    loop {
        let won: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&SWEEPER_LOCK])
            .await?
            .get(0);
        if won {
            break;
        }
        tokio::time::sleep(PAUSE * 5).await;
    }
    tracing::debug!("sweeper: this instance sweeps expired keys");
    let sweep = client.prepare(SWEEP_SQL).await?;
    let orphans = client.prepare(ORPHANS_SQL).await?;
    let messages = client.prepare(PUBSUB_SQL).await?;
    let retention = crate::notify::STORED_RETENTION_MS;
    loop {
        let expired = client.execute(&sweep, &[&BATCH]).await?;
        let children: i64 = client.query_one(&orphans, &[&(BATCH as i32)]).await?.get(0);
        let stored: i64 = client
            .query_one(&messages, &[&retention, &(BATCH as i32)])
            .await?
            .get(0);
        if expired < BATCH as u64 && children < BATCH && stored < BATCH {
            tokio::time::sleep(PAUSE).await;
        }
    }
}
