//! The backstop: every few seconds, while this instance has blocked clients, one statement says
//! the instance is alive, sweeps registrations that dead instances (or failed unregistrations)
//! left behind, and tells which
//! waited keys hold data now, whose first waiters are then woken. A notification lost in any way
//! (the listener's connection dropped, a bug) therefore delays a waiter by seconds at most; it
//! never strands it.

use std::sync::Arc;
use std::time::Duration;

use crate::state::State;
use crate::store;

/// How often an instance with blocked clients looks at their keys.
const PERIOD: Duration = Duration::from_secs(3);

/// How long an instance may stay silent before other instances sweep its registrations.
const DEAD_MS: i64 = 60_000;

pub async fn run(state: Arc<State>) {
    let mut ticks = tokio::time::interval(PERIOD);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut first = true;
    loop {
        ticks.tick().await;
        let (waited, waiters, bound) = state.pubsub.waiters.waited();
        // Once at start, to sweep what dead instances left behind.
        if waited.is_empty() && !std::mem::take(&mut first) {
            continue;
        }
        let waiters: Vec<i64> = waiters.into_iter().map(|id| id as i64).collect();
        let origin = &state.pubsub.origin;
        let bound = bound as i64;
        match store::blocking::tick(&state.store, origin, DEAD_MS, &waiters, bound, &waited).await {
            Ok(ready) => {
                for (db, key) in ready {
                    state.pubsub.waiters.wake(db, Some(&key));
                }
            }
            Err(e) => tracing::debug!("blocked clients' periodic look: {}", e.0),
        }
    }
}
