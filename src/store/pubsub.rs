//! SQL for Pub/Sub: NOTIFY on the `pgredis_pubsub` channel, messages too big for a payload, and
//! the settings every instance shares. The payload format is `notify::wire`'s.

use bytes::Bytes;
use tokio_postgres::Client;

use super::Store;
use crate::cmd::CmdError;

const NOTIFY_ONE: &str = "SELECT pg_notify('pgredis_pubsub', $1)";

/// In array order: PostgreSQL delivers a transaction's notifications in the order they were sent.
const NOTIFY_MANY: &str = "SELECT pg_notify('pgredis_pubsub', p) FROM unnest($1::text[]) AS p";

/// Stores a message and announces its id, between the payload's prefix `$3` and suffix `$4`.
const NOTIFY_STORED: &str = "WITH m AS (INSERT INTO pgredis_pubsub_messages (channel, message)
                                        VALUES ($1, $2) RETURNING id)
                             SELECT pg_notify('pgredis_pubsub', $3 || m.id || $4) FROM m";

const FETCH_STORED: &str = "SELECT channel, message FROM pgredis_pubsub_messages WHERE id = $1";

const GET_SETTING: &str = "SELECT value FROM pgredis_settings WHERE name = $1";

/// Saves a setting and tells every instance (payload `$3`) to read it again.
const SET_SETTING: &str = "WITH s AS (INSERT INTO pgredis_settings (name, value) VALUES ($1, $2)
                                      ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value
                                      RETURNING 1)
                           SELECT pg_notify('pgredis_pubsub', $3) FROM s";

/// Sends inline payloads, in order, in one statement.
pub async fn notify(store: &Store, payloads: &[String]) -> Result<(), CmdError> {
    match payloads {
        [] => Ok(()),
        [one] => store.execute(NOTIFY_ONE, &[one]).await.map(drop),
        many => store.execute(NOTIFY_MANY, &[&many]).await.map(drop),
    }
}

/// Stores a message too big for a payload and sends its id between `prefix` and `suffix`.
pub async fn notify_stored(
    store: &Store,
    (prefix, suffix): (String, String),
    channel: &[u8],
    message: &[u8],
) -> Result<(), CmdError> {
    store
        .execute(NOTIFY_STORED, &[&channel, &message, &prefix, &suffix])
        .await
        .map(drop)
}

/// A stored message's channel and body, on the listener's connection; `None` once swept.
pub async fn fetch_stored(
    client: &Client,
    id: i64,
) -> Result<Option<(Bytes, Bytes)>, tokio_postgres::Error> {
    Ok(client.query_opt(FETCH_STORED, &[&id]).await?.map(|row| {
        let channel: Vec<u8> = row.get(0);
        let message: Vec<u8> = row.get(1);
        (channel.into(), message.into())
    }))
}

/// A shared setting, on the listener's connection.
pub async fn setting(client: &Client, name: &str) -> Result<Option<String>, tokio_postgres::Error> {
    Ok(client
        .query_opt(GET_SETTING, &[&name])
        .await?
        .map(|r| r.get(0)))
}

/// Saves a shared setting and sends `announce` to every instance, in one statement.
pub async fn set_setting(
    store: &Store,
    name: &str,
    value: &str,
    announce: &str,
) -> Result<(), CmdError> {
    store
        .execute(SET_SETTING, &[&name, &value, &announce])
        .await
        .map(drop)
}
