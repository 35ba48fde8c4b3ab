//! The listener: one dedicated PostgreSQL connection per instance, outside the pool, that LISTENs
//! on `pgredis_pubsub` (messages, shared settings) and `pgredis_keys` (keys that may have data
//! for blocked clients), and hands what arrives to this instance's subscribers and waiters.
//!
//! A task drives the connection and forwards notifications, in arrival order, to the dispatch
//! loop; the loop handles them one at a time, so a big message fetched from
//! `pgredis_pubsub_messages` is delivered before the messages published after it. When the
//! connection drops (PostgreSQL restarted, the backend terminated), the loop reconnects with a
//! growing pause, LISTENs again, re-reads the shared settings and wakes every key waiter, since
//! notifications sent meanwhile are lost. Its application_name is `pgredis listener`.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, Notification};

use super::wire::{self, Event, KEYS_CHANNEL, PUBSUB_CHANNEL};
use super::{Hub, keyspace};
use crate::state::State;
use crate::store;

pub const APPLICATION_NAME: &str = "pgredis listener";
const KEYSPACE_SETTING: &str = "notify-keyspace-events";
const MAX_PAUSE: Duration = Duration::from_secs(2);

/// A LISTENing connection and the notifications it receives; `notes` ends with the connection.
struct Session {
    client: Client,
    notes: mpsc::UnboundedReceiver<Notification>,
}

/// Connects and loads the shared settings before returning, so that the instance serves no
/// write before it knows whether to emit keyspace events; then keeps listening in the background.
pub async fn start(state: Arc<State>) {
    let first = match connect(&state).await {
        Ok(session) => Some(session),
        Err(e) => {
            tracing::warn!("listener: {e}; retrying in the background");
            None
        }
    };
    tokio::spawn(run(state, first));
}

async fn run(state: Arc<State>, mut session: Option<Session>) {
    let mut pause = Duration::from_millis(50);
    loop {
        match session.take() {
            Some(s) => {
                pause = Duration::from_millis(50);
                if let Err(e) = dispatch(&state, s).await {
                    tracing::warn!("listener: {e}");
                }
                tracing::warn!("listener: connection lost; reconnecting");
            }
            None => tokio::time::sleep(pause).await,
        }
        match connect(&state).await {
            Ok(s) => {
                tracing::info!("listener: listening again");
                state.pubsub.waiters.wake_all();
                session = Some(s);
            }
            Err(e) => {
                tracing::debug!("listener: {e}");
                pause = (pause * 2).min(MAX_PAUSE);
            }
        }
    }
}

async fn connect(state: &State) -> Result<Session, tokio_postgres::Error> {
    let (client, mut connection) = state.store.dedicated_named(APPLICATION_NAME).await?;
    let (tx, notes) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!("listener connection: {e}");
                    return;
                }
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {PUBSUB_CHANNEL}; LISTEN {KEYS_CHANNEL}"))
        .await?;
    load_settings(state, &client).await?;
    state.pubsub.listening();
    Ok(Session { client, notes })
}

/// Reads the shared notify-keyspace-events into this instance's configuration.
async fn load_settings(state: &State, client: &Client) -> Result<(), tokio_postgres::Error> {
    let value = store::pubsub::setting(client, KEYSPACE_SETTING)
        .await?
        .unwrap_or_default();
    apply_keyspace_setting(state, &value);
    Ok(())
}

/// CONFIG SET notify-keyspace-events: saves the value for every instance, tells them, and puts
/// it in force here.
pub async fn share_keyspace_setting(
    state: &State,
    store: &crate::store::Store,
    value: &str,
) -> Result<(), crate::cmd::CmdError> {
    let announce = state.pubsub.config_announcement();
    store::pubsub::set_setting(store, KEYSPACE_SETTING, value, &announce).await?;
    apply_keyspace_setting(state, value);
    Ok(())
}

/// Puts notify-keyspace-events in force on this instance (CONFIG GET shows it).
pub fn apply_keyspace_setting(state: &State, value: &str) {
    state
        .runtime_config
        .lock()
        .unwrap()
        .insert(KEYSPACE_SETTING.to_string(), value.to_string());
    state.pubsub.set_keyspace_flags(keyspace::parse(value));
}

/// Handles notifications until the connection ends.
async fn dispatch(state: &State, session: Session) -> Result<(), tokio_postgres::Error> {
    let result = handle_notifications(state, session).await;
    state.pubsub.not_listening();
    result
}

async fn handle_notifications(
    state: &State,
    mut session: Session,
) -> Result<(), tokio_postgres::Error> {
    let hub: &Hub = &state.pubsub;
    while let Some(n) = session.notes.recv().await {
        if n.channel() == KEYS_CHANNEL {
            if let Some((db, key)) = wire::decode_key(n.payload()) {
                hub.waiters.wake(db, key.as_deref());
            }
            continue;
        }
        let Some(note) = wire::decode(n.payload()) else {
            tracing::warn!("listener: unreadable notification {:?}", n.payload());
            continue;
        };
        if note.origin.as_deref() == Some(hub.origin.as_str()) {
            // Our own message: its publisher waits with it, so it needs no decoding or fetching.
            // Not waiting any more (we were not listening when it was sent): delivered already.
            if let Some(own) = hub.take_own(note.seq) {
                let n = hub.registry.deliver(own.shard, &own.channel, &own.message);
                let _ = own.done.send(n);
            }
            continue;
        }
        match note.event {
            Event::Message {
                shard,
                channel,
                message,
            } => {
                hub.registry.deliver(shard, &channel, &message);
            }
            Event::Stored { shard, channel, .. }
                if channel
                    .as_ref()
                    .is_some_and(|c| hub.registry.receivers(shard, c) == 0) => {}
            Event::Stored { shard, id, .. } => {
                match store::pubsub::fetch_stored(&session.client, id).await? {
                    Some((channel, message)) => {
                        hub.registry.deliver(shard, &channel, &message);
                    }
                    None => tracing::warn!(
                        "listener: stored message {id} was swept before this instance read it"
                    ),
                }
            }
            Event::Config => load_settings(state, &session.client).await?,
        }
    }
    Ok(())
}
