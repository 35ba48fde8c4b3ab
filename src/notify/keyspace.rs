//! Keyspace notifications (`notify-keyspace-events`): after a write command succeeds, the events
//! Redis would emit for it go to `__keyspace@<db>__:<key>` (message: the event) and
//! `__keyevent@<db>__:<event>` (message: the key), through the same path as PUBLISH, so
//! subscribers on every instance receive them.
//!
//! The setting is shared by every instance (`pgredis_settings`, see `notify` for why); while it
//! is empty, which is the default, a write pays one atomic load for all this.
//!
//! Events are derived in one place, after dispatch, from the command, its arguments and its
//! reply (the table in `events`), rather than inside each command. That is exact for single-key
//! commands; where a reply does not say which keys changed it errs towards notifying: DEL and
//! UNLINK of several keys notify `del` for every named key when any was deleted; a pop or
//! removal that empties a collection does not add Redis's extra `del`, and neither does a
//! BITOP or *STORE whose empty result deleted its destination. `expired` and `evicted`
//! events are not emitted (expired keys are removed by the sweeper in bulk, and nothing is
//! evicted). Each event reaches the client that caused it before or after the command's reply,
//! as Redis orders them (`reply_first`).

use bytes::Bytes;

use crate::cmd::Ctx;
use crate::cmd::table::Command;
use crate::resp::Reply;

pub const KEYSPACE: u32 = 1;
pub const KEYEVENT: u32 = 1 << 1;
const GENERIC: u32 = 1 << 2;
const STRING: u32 = 1 << 3;
const LIST: u32 = 1 << 4;
const SET: u32 = 1 << 5;
const HASH: u32 = 1 << 6;
const ZSET: u32 = 1 << 7;
const CLASS_LETTERS: &[(char, u32)] = &[
    ('g', GENERIC),
    ('$', STRING),
    ('l', LIST),
    ('s', SET),
    ('h', HASH),
    ('z', ZSET),
    ('x', 1 << 8),
    ('e', 1 << 9),
    ('t', 1 << 10),
    ('d', 1 << 11),
    ('n', 1 << 12),
    ('m', 1 << 13),
];

/// The flag bits of a notify-keyspace-events value; 0 unless it asks for K or E and a class.
pub fn parse(value: &str) -> u32 {
    let mut flags = 0;
    for c in value.chars() {
        flags |= match c {
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            'A' => "g$lshzxetd".chars().map(class).fold(0, |a, b| a | b),
            c => class(c),
        };
    }
    let wanted = flags & (KEYSPACE | KEYEVENT) != 0 && flags & !(KEYSPACE | KEYEVENT) != 0;
    if wanted { flags } else { 0 }
}

fn class(c: char) -> u32 {
    CLASS_LETTERS
        .iter()
        .find(|(l, _)| *l == c)
        .map_or(0, |(_, f)| *f)
}

/// A write command about to run, remembered so that its events can be emitted once it succeeds.
pub struct Pending {
    flags: u32,
    db: i32,
    cmd: &'static Command,
    argv: Vec<Bytes>,
}

/// Before a write command runs: `None` (and no cost) unless some instance wants keyspace events.
pub fn before(ctx: &Ctx, cmd: &'static Command, argv: &[Bytes]) -> Option<Pending> {
    let flags = ctx.state.pubsub.keyspace_flags();
    (flags != 0 && cmd.has(crate::cmd::table::WRITE)).then(|| Pending {
        flags,
        db: ctx.db,
        cmd,
        argv: argv.to_vec(),
    })
}

impl Pending {
    /// Emits the events of the command that just returned `reply`. The write has happened
    /// already, so a failure to notify is logged, not returned.
    pub async fn emit(self, ctx: &mut Ctx, reply: &Reply) {
        let mut messages = Vec::new();
        let events = events(self.cmd.name, self.db, &self.argv, reply);
        if events
            .first()
            .is_some_and(|e| reply_first(self.cmd.name, &self.argv, e.1))
        {
            ctx.pubsub.set_reply_first();
        }
        for (class, event, db, key) in events {
            if self.flags & class == 0 {
                continue;
            }
            if self.flags & KEYSPACE != 0 {
                let mut channel = format!("__keyspace@{db}__:").into_bytes();
                channel.extend_from_slice(&key);
                messages.push((Bytes::from(channel), Bytes::from_static(event.as_bytes())));
            }
            if self.flags & KEYEVENT != 0 {
                let channel = format!("__keyevent@{db}__:{event}");
                messages.push((Bytes::from(channel), key.clone()));
            }
        }
        if messages.is_empty() {
            return;
        }
        let hub = ctx.state.pubsub.clone();
        if let Err(e) = hub.publish_all(&ctx.store, false, &messages).await {
            tracing::warn!("keyspace notification for {} not sent: {e}", self.cmd.name);
        }
    }
}

/// Whether Redis writes the command's reply before its events (it calls `addReply` before
/// `notifyKeyspaceEvent`), which a client subscribed to its own events can see.
fn reply_first(name: &str, argv: &[Bytes], first_event: &str) -> bool {
    match name {
        "expire" | "pexpire" | "expireat" | "pexpireat" => first_event != "del",
        "set" => has_option(argv, 3, &["get"]),
        "getex" | "getdel" | "getset" | "bitfield" => true,
        "lpush" | "rpush" | "lpushx" | "rpushx" | "lpop" | "rpop" | "lset" => true,
        "sinterstore" | "sunionstore" | "sdiffstore" => true,
        "hset" | "hmset" | "hsetnx" | "hincrby" | "hincrbyfloat" => true,
        "zadd" | "zincrby" | "zunionstore" | "zinterstore" | "zdiffstore" | "zrangestore" => true,
        _ => false,
    }
}

/// Whether a reply says the command changed something.
fn changed(reply: &Reply) -> bool {
    match reply {
        Reply::Int(n) => *n != 0,
        Reply::Nil | Reply::NilArray | Reply::Error(_) => false,
        Reply::Array(items) => !items.is_empty(),
        _ => true,
    }
}

fn has_option(argv: &[Bytes], from: usize, names: &[&str]) -> bool {
    argv.iter()
        .skip(from)
        .any(|a| names.iter().any(|n| a.eq_ignore_ascii_case(n.as_bytes())))
}

/// The events Redis emits for `name` run with `argv` in `db` that replied `reply`:
/// (class, event, database, key), in Redis's order.
fn events(
    name: &str,
    db: i32,
    argv: &[Bytes],
    reply: &Reply,
) -> Vec<(u32, &'static str, i32, Bytes)> {
    let arg = |i: usize| argv.get(i).cloned().unwrap_or_default();
    let one = |class, event| vec![(class, event, db, arg(1))];
    let if_changed = |class, event| {
        if changed(reply) {
            one(class, event)
        } else {
            Vec::new()
        }
    };
    let every = |from: usize, step: usize, class, event| -> Vec<_> {
        argv.iter()
            .skip(from)
            .step_by(step)
            .map(|k| (class, event, db, k.clone()))
            .collect()
    };
    match name {
        "set" => {
            let get = has_option(argv, 3, &["get"]);
            let (nx, xx) = (has_option(argv, 3, &["nx"]), has_option(argv, 3, &["xx"]));
            let old_nil = matches!(reply, Reply::Nil);
            let set = if get {
                (!nx || old_nil) && (!xx || !old_nil)
            } else {
                !old_nil
            };
            let mut out = if set { one(STRING, "set") } else { Vec::new() };
            if set && has_option(argv, 3, &["ex", "px", "exat", "pxat"]) {
                out.extend(one(GENERIC, "expire"));
            }
            out
        }
        "setex" | "psetex" => [one(STRING, "set"), one(GENERIC, "expire")].concat(),
        "setnx" => if_changed(STRING, "set"),
        "getset" => one(STRING, "set"),
        "mset" => every(1, 2, STRING, "set"),
        "msetnx" if changed(reply) => every(1, 2, STRING, "set"),
        "getdel" => if_changed(GENERIC, "del"),
        "getex" if changed(reply) => {
            if has_option(argv, 2, &["persist"]) {
                one(GENERIC, "persist")
            } else if has_option(argv, 2, &["ex", "px", "exat", "pxat"]) {
                one(GENERIC, "expire")
            } else {
                Vec::new()
            }
        }
        "incr" | "decr" | "incrby" | "decrby" => one(STRING, "incrby"),
        "incrbyfloat" => one(STRING, "incrbyfloat"),
        "append" => one(STRING, "append"),
        "setrange" if !arg(3).is_empty() => one(STRING, "setrange"),
        "setbit" => one(STRING, "setbit"),
        "bitfield" if has_option(argv, 2, &["set", "incrby"]) => one(STRING, "setbit"),
        "bitop" if changed(reply) => vec![(STRING, "set", db, arg(2))],
        "del" | "unlink" if changed(reply) => every(1, 1, GENERIC, "del"),
        "expire" | "pexpire" | "expireat" | "pexpireat" if changed(reply) => {
            let when = crate::numbers::string2ll(&arg(2)).unwrap_or(0);
            let past = match name {
                "expire" | "pexpire" => when <= 0,
                "expireat" => when.saturating_mul(1000) <= crate::store::now_ms(),
                _ => when <= crate::store::now_ms(),
            };
            one(GENERIC, if past { "del" } else { "expire" })
        }
        "persist" => if_changed(GENERIC, "persist"),
        "rename" | "renamenx" if changed(reply) => vec![
            (GENERIC, "rename_from", db, arg(1)),
            (GENERIC, "rename_to", db, arg(2)),
        ],
        "move" if changed(reply) => {
            let to = crate::numbers::string2ll(&arg(2)).unwrap_or(0) as i32;
            vec![
                (GENERIC, "move_from", db, arg(1)),
                (GENERIC, "move_to", to, arg(1)),
            ]
        }
        "copy" if changed(reply) => {
            let to = argv
                .iter()
                .position(|a| a.eq_ignore_ascii_case(b"db"))
                .and_then(|i| crate::numbers::string2ll(&arg(i + 1)))
                .map_or(db, |d| d as i32);
            vec![(GENERIC, "copy_to", to, arg(2))]
        }
        "restore" => one(GENERIC, "restore"),
        "lpush" | "lpushx" => if_changed(LIST, "lpush"),
        "rpush" | "rpushx" => if_changed(LIST, "rpush"),
        "lpop" => if_changed(LIST, "lpop"),
        "rpop" => if_changed(LIST, "rpop"),
        "linsert" => if_changed(LIST, "linsert"),
        "lset" => one(LIST, "lset"),
        "ltrim" => one(LIST, "ltrim"),
        "lrem" => if_changed(LIST, "lrem"),
        "rpoplpush" | "lmove" if changed(reply) => {
            let side = |i: usize, default: &'static str| match argv.get(i) {
                Some(a) if a.eq_ignore_ascii_case(b"right") => "right",
                Some(a) if a.eq_ignore_ascii_case(b"left") => "left",
                _ => default,
            };
            let pop = if side(3, "right") == "right" {
                "rpop"
            } else {
                "lpop"
            };
            let push = if side(4, "left") == "left" {
                "lpush"
            } else {
                "rpush"
            };
            vec![(LIST, pop, db, arg(1)), (LIST, push, db, arg(2))]
        }
        "sadd" => if_changed(SET, "sadd"),
        "srem" => if_changed(SET, "srem"),
        "spop" => if_changed(SET, "spop"),
        "smove" if changed(reply) => {
            vec![(SET, "srem", db, arg(1)), (SET, "sadd", db, arg(2))]
        }
        "sinterstore" | "sunionstore" | "sdiffstore" => if_changed(SET, static_name(name)),
        "hset" | "hmset" => one(HASH, "hset"),
        "hsetnx" => if_changed(HASH, "hset"),
        "hdel" => if_changed(HASH, "hdel"),
        "hincrby" => one(HASH, "hincrby"),
        "hincrbyfloat" => one(HASH, "hincrbyfloat"),
        "zadd" if has_option(argv, 2, &["incr"]) => if_changed(ZSET, "zincr"),
        "zadd" => one(ZSET, "zadd"),
        "zincrby" => one(ZSET, "zincr"),
        "zrem" => if_changed(ZSET, "zrem"),
        "zremrangebyscore" | "zremrangebyrank" | "zremrangebylex" => {
            if_changed(ZSET, static_name(name))
        }
        "zpopmin" | "zpopmax" => if_changed(ZSET, static_name(name)),
        "zunionstore" | "zinterstore" | "zdiffstore" | "zrangestore" => {
            if_changed(ZSET, static_name(name))
        }
        _ => Vec::new(),
    }
}

/// Commands whose event is their own name.
fn static_name(name: &str) -> &'static str {
    const SAME: &[&str] = &[
        "sinterstore",
        "sunionstore",
        "sdiffstore",
        "zremrangebyscore",
        "zremrangebyrank",
        "zremrangebylex",
        "zpopmin",
        "zpopmax",
        "zunionstore",
        "zinterstore",
        "zdiffstore",
        "zrangestore",
    ];
    SAME.iter()
        .find(|s| **s == name)
        .copied()
        .unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<Bytes> {
        args.iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    fn names(args: &[&str], reply: Reply) -> Vec<(&'static str, i32, String)> {
        events(args[0], 0, &argv(args), &reply)
            .into_iter()
            .map(|(_, e, db, k)| (e, db, String::from_utf8_lossy(&k).into_owned()))
            .collect()
    }

    #[test]
    fn flags() {
        assert_eq!(parse(""), 0);
        assert_eq!(parse("K"), 0, "K alone selects no class");
        assert_eq!(parse("g"), 0, "a class alone selects no channel");
        assert_eq!(parse("Kg"), KEYSPACE | GENERIC);
        assert_ne!(parse("AKE") & ZSET, 0);
    }

    #[test]
    fn events_follow_replies() {
        assert_eq!(
            names(&["set", "k", "v"], Reply::ok()),
            [("set", 0, "k".into())]
        );
        assert!(names(&["set", "k", "v", "nx"], Reply::Nil).is_empty());
        assert_eq!(
            names(&["set", "k", "v", "ex", "10"], Reply::ok()),
            [("set", 0, "k".into()), ("expire", 0, "k".into())]
        );
        assert_eq!(names(&["set", "k", "v", "get"], Reply::Nil).len(), 1);
        assert!(names(&["del", "a", "b"], Reply::Int(0)).is_empty());
        assert_eq!(names(&["del", "a", "b"], Reply::Int(2)).len(), 2);
        assert_eq!(names(&["expire", "k", "-1"], Reply::Int(1))[0].0, "del");
        assert_eq!(names(&["expire", "k", "100"], Reply::Int(1))[0].0, "expire");
        assert_eq!(
            names(&["move", "k", "3"], Reply::Int(1))[1],
            ("move_to", 3, "k".into())
        );
        assert_eq!(names(&["incrby", "k", "3"], Reply::Int(3))[0].0, "incrby");
        assert_eq!(
            names(&["lmove", "a", "b", "LEFT", "RIGHT"], Reply::bulk("x")),
            [("lpop", 0, "a".into()), ("rpush", 0, "b".into())]
        );
    }
}
