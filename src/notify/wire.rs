//! What travels in a NOTIFY payload on the `pgredis_pubsub` channel.
//!
//! A payload is text of space-separated fields: `<kind> <origin> <seq> <body...>`.
//! - kind `m` (PUBLISH) or `s` (SPUBLISH): the body is the channel and the message, base64.
//! - kind `M` or `S`: the same, too big for a payload (PostgreSQL allows 8000 bytes); the body is
//!   the id of its row in `pgredis_pubsub_messages`, then the channel (base64) when it fits, so
//!   that instances without a subscriber for it need not fetch it.
//! - kind `c`: shared settings changed (notify-keyspace-events); no body.
//!
//! `origin` and `seq` name the publishing instance and its message: the publisher waits until its
//! own listener has delivered the message to local subscribers, and that listener takes the
//! message from the waiting publisher instead of decoding or fetching it. `origin` is `*` for a
//! PUBLISH inside a transaction, which nobody waits for. `seq` also makes every payload unique:
//! PostgreSQL folds identical notifications of one transaction into one.
//!
//! Channel names and messages are binary, hence base64. One PostgreSQL channel carries all
//! Redis channels; listeners filter locally, which costs nothing for channels nobody here follows.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;

/// The PostgreSQL channel for Pub/Sub and keyspace notifications.
pub const PUBSUB_CHANNEL: &str = "pgredis_pubsub";
/// The PostgreSQL channel on which writes announce keys that may have data for blocked clients
/// (`pgredis_key_ready` in migrations/0011_pubsub.sql).
pub const KEYS_CHANNEL: &str = "pgredis_keys";
/// The largest payload sent inline; PostgreSQL refuses 8000 bytes and more.
pub const MAX_INLINE: usize = 7900;

#[derive(Debug, PartialEq)]
pub enum Event {
    Message {
        shard: bool,
        channel: Bytes,
        message: Bytes,
    },
    Stored {
        shard: bool,
        id: i64,
        channel: Option<Bytes>,
    },
    Config,
}

#[derive(Debug, PartialEq)]
pub struct Note {
    /// The publishing instance, when it waits for its own listener to deliver the message.
    pub origin: Option<String>,
    pub seq: u64,
    pub event: Event,
}

fn header(kind: char, origin: Option<&str>, seq: u64) -> String {
    format!("{kind} {} {seq} ", origin.unwrap_or("*"))
}

/// An inline message payload; `None` when it would be too big and must be stored.
pub fn message(
    origin: Option<&str>,
    seq: u64,
    shard: bool,
    channel: &[u8],
    message: &[u8],
) -> Option<String> {
    let size = 40 + (channel.len() + message.len()).div_ceil(3) * 4 + 8;
    if size > MAX_INLINE {
        return None;
    }
    let mut out = header(if shard { 's' } else { 'm' }, origin, seq);
    STANDARD.encode_string(channel, &mut out);
    out.push(' ');
    STANDARD.encode_string(message, &mut out);
    (out.len() <= MAX_INLINE).then_some(out)
}

/// The payload of a stored message as the text before and after its id, which the SQL inserts.
pub fn stored(origin: Option<&str>, seq: u64, shard: bool, channel: &[u8]) -> (String, String) {
    let prefix = header(if shard { 'S' } else { 'M' }, origin, seq);
    let suffix = if channel.len() < MAX_INLINE / 2 {
        format!(" {}", STANDARD.encode(channel))
    } else {
        String::new()
    };
    (prefix, suffix)
}

/// The payload announcing changed settings.
pub fn config(origin: &str, seq: u64) -> String {
    header('c', Some(origin), seq)
}

pub fn decode(payload: &str) -> Option<Note> {
    let mut fields = payload.split(' ');
    let kind = fields.next()?;
    let origin = match fields.next()? {
        "*" => None,
        o => Some(o.to_string()),
    };
    let seq = fields.next()?.parse().ok()?;
    let event = match kind {
        "m" | "s" => Event::Message {
            shard: kind == "s",
            channel: STANDARD.decode(fields.next()?).ok()?.into(),
            message: STANDARD.decode(fields.next()?).ok()?.into(),
        },
        "M" | "S" => Event::Stored {
            shard: kind == "S",
            id: fields.next()?.parse().ok()?,
            channel: match fields.next() {
                Some(c) => Some(STANDARD.decode(c).ok()?.into()),
                None => None,
            },
        },
        "c" => Event::Config,
        _ => return None,
    };
    Some(Note { origin, seq, event })
}

/// A `pgredis_keys` payload: `<db> <base64 key>`, or `<db>` alone for "any key of db".
pub fn decode_key(payload: &str) -> Option<(i32, Option<Bytes>)> {
    let mut fields = payload.splitn(2, ' ');
    let db = fields.next()?.parse().ok()?;
    match fields.next() {
        None => Some((db, None)),
        Some(key) => Some((db, Some(STANDARD.decode(key).ok()?.into()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_messages_round_trip() {
        let p = message(Some("abc"), 7, false, b"ch\x00\xff", b"").unwrap();
        assert_eq!(
            decode(&p),
            Some(Note {
                origin: Some("abc".into()),
                seq: 7,
                event: Event::Message {
                    shard: false,
                    channel: Bytes::from_static(b"ch\x00\xff"),
                    message: Bytes::new(),
                },
            })
        );
        let p = message(None, 8, true, b"", b"m").unwrap();
        assert!(matches!(
            decode(&p),
            Some(Note {
                origin: None,
                seq: 8,
                event: Event::Message { shard: true, .. }
            })
        ));
    }

    #[test]
    fn big_messages_are_stored() {
        assert!(message(None, 1, false, b"c", &[1u8; 5000]).is_some());
        assert!(message(None, 1, false, b"c", &[1u8; 6000]).is_none());
        let (prefix, suffix) = stored(Some("x"), 3, true, b"ch");
        assert_eq!(
            decode(&format!("{prefix}42{suffix}")).unwrap().event,
            Event::Stored {
                shard: true,
                id: 42,
                channel: Some(Bytes::from_static(b"ch"))
            }
        );
        let (prefix, suffix) = stored(None, 3, false, &[0u8; 5000]);
        assert!(matches!(
            decode(&format!("{prefix}7{suffix}")).unwrap().event,
            Event::Stored { channel: None, .. }
        ));
        assert_eq!(decode(&config("x", 1)).unwrap().event, Event::Config);
        assert_eq!(decode("zz"), None);
    }

    #[test]
    fn key_payloads() {
        assert_eq!(
            decode_key("3 AGs="),
            Some((3, Some(Bytes::from_static(b"\x00k"))))
        );
        assert_eq!(decode_key("0"), Some((0, None)));
    }
}
