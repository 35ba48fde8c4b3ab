//! Pub/Sub commands: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH, SPUBLISH
//! and PUBSUB. Delivery across instances, and what the counts mean there, is `notify`'s business.
//!
//! Shard channels (SSUBSCRIBE, SPUBLISH) are a namespace of their own, as in a Redis without
//! cluster mode. A RESP2 connection subscribed to anything is in subscribed mode, where
//! `check_context` refuses all but a few commands; RESP3 connections have no such limit.

use bytes::Bytes;

use super::client::help_reply;
use super::errors::{self, CmdError};
use super::table::*;
use super::{Args, Ctx};
use crate::handler;
use crate::notify::Kind;
use crate::resp::{Protocol, Reply};

const FLAGS: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;

/// In the order Redis 7.0's COMMAND lists them.
const SUBCOMMANDS: &[Command] = &[
    Command::new(
        "pubsub|help",
        2,
        LOADING | STALE,
        (0, 0, 0),
        "pubsub",
        "Show helpful text about the different subcommands",
        handler!(help),
    ),
    Command::new(
        "pubsub|shardchannels",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        "pubsub",
        "List active shard channels",
        handler!(shardchannels),
    ),
    Command::new(
        "pubsub|channels",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        "pubsub",
        "List active channels",
        handler!(channels),
    ),
    Command::new(
        "pubsub|numpat",
        2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        "pubsub",
        "Get the count of unique patterns pattern subscriptions",
        handler!(numpat),
    ),
    Command::new(
        "pubsub|numsub",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        "pubsub",
        "Get the count of subscribers for channels",
        handler!(numsub),
    ),
    Command::new(
        "pubsub|shardnumsub",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        "pubsub",
        "Get the count of subscribers for shard channels",
        handler!(shardnumsub),
    ),
];

pub const COMMANDS: &[Command] = &[
    Command::new(
        "subscribe",
        -2,
        FLAGS,
        (0, 0, 0),
        "pubsub",
        "Listen for messages published to the given channels",
        handler!(subscribe),
    ),
    Command::new(
        "psubscribe",
        -2,
        FLAGS,
        (0, 0, 0),
        "pubsub",
        "Listen for messages published to channels matching the given patterns",
        handler!(psubscribe),
    ),
    Command::new(
        "ssubscribe",
        -2,
        FLAGS,
        (1, -1, 1),
        "pubsub",
        "Listen for messages published to the given shard channels",
        handler!(ssubscribe),
    ),
    Command::new(
        "unsubscribe",
        -1,
        FLAGS,
        (0, 0, 0),
        "pubsub",
        "Stop listening for messages posted to the given channels",
        handler!(unsubscribe),
    ),
    Command::new(
        "punsubscribe",
        -1,
        FLAGS,
        (0, 0, 0),
        "pubsub",
        "Stop listening for messages posted to channels matching the given patterns",
        handler!(punsubscribe),
    ),
    Command::new(
        "sunsubscribe",
        -1,
        FLAGS,
        (1, -1, 1),
        "pubsub",
        "Stop listening for messages posted to the given shard channels",
        handler!(sunsubscribe),
    ),
    Command::new(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST,
        (0, 0, 0),
        "pubsub",
        "Post a message to a channel",
        handler!(publish),
    ),
    Command::new(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST,
        (1, 1, 1),
        "pubsub",
        "Post a message to a shard channel",
        handler!(spublish),
    ),
    Command::new(
        "pubsub",
        -2,
        0,
        (0, 0, 0),
        "pubsub",
        "A container for Pub/Sub commands",
        handler!(super::client::container),
    )
    .with_subcommands(SUBCOMMANDS),
];

/// The commands a RESP2 connection may run in subscribed mode.
const ALLOWED_WHEN_SUBSCRIBED: &[&str] = &[
    "ping",
    "subscribe",
    "ssubscribe",
    "unsubscribe",
    "sunsubscribe",
    "psubscribe",
    "punsubscribe",
    "quit",
    "reset",
];

/// Refuses `cmd` when the connection is in RESP2 subscribed mode and `cmd` is not allowed there.
pub fn check_context(ctx: &Ctx, cmd: &Command) -> Result<(), CmdError> {
    if ctx.protocol != Protocol::Resp2
        || !ctx.pubsub.subscribed()
        || ALLOWED_WHEN_SUBSCRIBED.contains(&cmd.name)
    {
        return Ok(());
    }
    Err(CmdError::msg(format!(
        "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET \
         are allowed in this context",
        cmd.name
    )))
}

fn confirmation(kind: &'static str, name: Option<Bytes>, count: i64) -> Reply {
    Reply::Push(vec![
        Reply::bulk(kind),
        Reply::bulk_or_nil(name),
        Reply::Int(count),
    ])
}

fn subscribe_to(ctx: &mut Ctx, mut args: Args, kind: Kind, confirm: &'static str) -> CmdResult {
    let mut replies = Vec::new();
    for name in args.rest() {
        ctx.pubsub.subscribe(kind, name.clone());
        replies.push(confirmation(confirm, Some(name), ctx.pubsub.count(kind)));
    }
    Ok(Reply::Many(replies))
}

/// Leaves the named subscriptions, or all of them without names; confirms each, or says there
/// was nothing to leave.
fn unsubscribe_from(ctx: &mut Ctx, mut args: Args, kind: Kind, confirm: &'static str) -> CmdResult {
    let mut names = args.rest();
    if names.is_empty() {
        names = ctx.pubsub.names(kind);
        if names.is_empty() {
            return Ok(confirmation(confirm, None, ctx.pubsub.count(kind)));
        }
    }
    let mut replies = Vec::new();
    for name in names {
        ctx.pubsub.unsubscribe(kind, &name);
        replies.push(confirmation(confirm, Some(name), ctx.pubsub.count(kind)));
    }
    Ok(Reply::Many(replies))
}

/// SUBSCRIBE channel [channel ...]
async fn subscribe(ctx: &mut Ctx, args: Args) -> CmdResult {
    subscribe_to(ctx, args, Kind::Channel, "subscribe")
}

/// PSUBSCRIBE pattern [pattern ...]
async fn psubscribe(ctx: &mut Ctx, args: Args) -> CmdResult {
    subscribe_to(ctx, args, Kind::Pattern, "psubscribe")
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
async fn ssubscribe(ctx: &mut Ctx, args: Args) -> CmdResult {
    subscribe_to(ctx, args, Kind::Shard, "ssubscribe")
}

/// UNSUBSCRIBE [channel [channel ...]]
async fn unsubscribe(ctx: &mut Ctx, args: Args) -> CmdResult {
    unsubscribe_from(ctx, args, Kind::Channel, "unsubscribe")
}

/// PUNSUBSCRIBE [pattern [pattern ...]]
async fn punsubscribe(ctx: &mut Ctx, args: Args) -> CmdResult {
    unsubscribe_from(ctx, args, Kind::Pattern, "punsubscribe")
}

/// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
async fn sunsubscribe(ctx: &mut Ctx, args: Args) -> CmdResult {
    unsubscribe_from(ctx, args, Kind::Shard, "sunsubscribe")
}

/// PUBLISH channel message
///
/// Replies with the number of this instance's clients that received the message (see `notify`).
async fn publish(ctx: &mut Ctx, args: Args) -> CmdResult {
    publish_to(ctx, args, false).await
}

/// SPUBLISH shardchannel message
async fn spublish(ctx: &mut Ctx, args: Args) -> CmdResult {
    publish_to(ctx, args, true).await
}

async fn publish_to(ctx: &mut Ctx, mut args: Args, shard: bool) -> CmdResult {
    let channel = args.next_bytes()?;
    let message = args.next_bytes()?;
    let hub = ctx.state.pubsub.clone();
    let receivers = hub.publish(&ctx.store, shard, channel, message).await?;
    Ok(Reply::Int(receivers))
}

/// PUBSUB CHANNELS [pattern]
async fn channels(ctx: &mut Ctx, args: Args) -> CmdResult {
    list_channels(ctx, args, Kind::Channel)
}

/// PUBSUB SHARDCHANNELS [pattern]
async fn shardchannels(ctx: &mut Ctx, args: Args) -> CmdResult {
    list_channels(ctx, args, Kind::Shard)
}

fn list_channels(ctx: &mut Ctx, mut args: Args, kind: Kind) -> CmdResult {
    if args.remaining() > 1 {
        return Err(CmdError::msg(errors::one_line(&format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            errors::c_str(&args.argv()[1])
        ))));
    }
    let pattern = args.rest().pop();
    let names = ctx.state.pubsub.registry.channels(kind, pattern.as_deref());
    Ok(Reply::Array(names.into_iter().map(Reply::Bulk).collect()))
}

/// PUBSUB NUMSUB [channel [channel ...]]
async fn numsub(ctx: &mut Ctx, args: Args) -> CmdResult {
    count_subscribers(ctx, args, Kind::Channel)
}

/// PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]
async fn shardnumsub(ctx: &mut Ctx, args: Args) -> CmdResult {
    count_subscribers(ctx, args, Kind::Shard)
}

fn count_subscribers(ctx: &mut Ctx, mut args: Args, kind: Kind) -> CmdResult {
    let registry = &ctx.state.pubsub.registry;
    let mut out = Vec::new();
    for channel in args.rest() {
        let n = registry.numsub(kind, &channel);
        out.extend([Reply::Bulk(channel), Reply::Int(n)]);
    }
    Ok(Reply::Array(out))
}

/// PUBSUB NUMPAT
async fn numpat(ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(Reply::Int(ctx.state.pubsub.registry.numpat()))
}

/// PUBSUB HELP
async fn help(_ctx: &mut Ctx, _args: Args) -> CmdResult {
    Ok(help_reply(
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    ))
}
