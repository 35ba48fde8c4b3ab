//! The command table: the single source of truth for each command's name, arity, flags and key
//! positions. Lookup, arity errors, COMMAND, COMMAND GETKEYS and the read-only checks all come from
//! here. Each type's handler module declares its own `COMMANDS`; `all()` gathers them.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use bytes::Bytes;

use super::errors::CmdError;
use super::{Args, Ctx};
use crate::numbers::string2ll;
use crate::resp::Reply;

pub type CmdResult = Result<Reply, CmdError>;
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = CmdResult> + Send + 'a>>;
pub type Handler = for<'a> fn(&'a mut Ctx, Args) -> HandlerFuture<'a>;

/// Wraps `async fn f(&mut Ctx, Args) -> CmdResult` into a table `Handler`.
#[macro_export]
macro_rules! handler {
    ($f:path) => {{
        fn boxed(
            ctx: &mut $crate::cmd::Ctx,
            args: $crate::cmd::Args,
        ) -> $crate::cmd::HandlerFuture<'_> {
            Box::pin($f(ctx, args))
        }
        boxed as $crate::cmd::Handler
    }};
}

pub const WRITE: u32 = 1;
pub const READONLY: u32 = 1 << 1;
pub const DENYOOM: u32 = 1 << 2;
pub const ADMIN: u32 = 1 << 3;
pub const PUBSUB: u32 = 1 << 4;
pub const NOSCRIPT: u32 = 1 << 5;
pub const BLOCKING: u32 = 1 << 6;
pub const LOADING: u32 = 1 << 7;
pub const STALE: u32 = 1 << 8;
pub const SKIP_MONITOR: u32 = 1 << 9;
pub const SKIP_SLOWLOG: u32 = 1 << 10;
pub const FAST: u32 = 1 << 11;
pub const NO_AUTH: u32 = 1 << 12;
pub const MAY_REPLICATE: u32 = 1 << 13;
pub const NO_MULTI: u32 = 1 << 14;
pub const ALLOW_BUSY: u32 = 1 << 15;
pub const MOVABLE_KEYS: u32 = 1 << 16;

/// Flag names as COMMAND prints them, in Redis's order.
pub const FLAG_NAMES: &[(u32, &str)] = &[
    (WRITE, "write"),
    (READONLY, "readonly"),
    (DENYOOM, "denyoom"),
    (ADMIN, "admin"),
    (PUBSUB, "pubsub"),
    (NOSCRIPT, "noscript"),
    (BLOCKING, "blocking"),
    (LOADING, "loading"),
    (STALE, "stale"),
    (SKIP_MONITOR, "skip_monitor"),
    (SKIP_SLOWLOG, "skip_slowlog"),
    (FAST, "fast"),
    (NO_AUTH, "no_auth"),
    (MAY_REPLICATE, "may_replicate"),
    (NO_MULTI, "no_multi"),
    (ALLOW_BUSY, "allow_busy"),
    (MOVABLE_KEYS, "movablekeys"),
];

pub struct Command {
    /// Lower-case full name: `get`, or `config|get` for a subcommand.
    pub name: &'static str,
    /// Redis's arity: positive is exact, negative is "at least", both counting the name.
    pub arity: i32,
    pub flags: u32,
    /// First key, last key (negative counts from the end) and step; 0, 0, 0 for no keys.
    pub keys: (i32, i32, i32),
    /// The group COMMAND DOCS reports (`string`, `generic`, `server`, ...).
    pub group: &'static str,
    pub summary: &'static str,
    pub handler: Handler,
    pub subcommands: &'static [Command],
    /// For commands whose keys are counted by an argument (`LMPOP numkeys key ...`,
    /// `ZUNIONSTORE dest numkeys key ...`, `EVAL script numkeys key ...`): that argument's index;
    /// the keys follow it. 0 when the key spec above says it all.
    pub key_count_at: usize,
}

impl Command {
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: u32,
        keys: (i32, i32, i32),
        group: &'static str,
        summary: &'static str,
        handler: Handler,
    ) -> Command {
        Command {
            name,
            arity,
            flags,
            keys,
            group,
            summary,
            handler,
            subcommands: &[],
            key_count_at: 0,
        }
    }

    pub const fn with_key_count_at(mut self, index: usize) -> Command {
        self.key_count_at = index;
        self
    }

    pub const fn with_subcommands(mut self, subcommands: &'static [Command]) -> Command {
        self.subcommands = subcommands;
        self
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }

    /// Whether the table knows where this command's keys are.
    pub fn has_keys(&self) -> bool {
        self.keys.0 > 0 || self.key_count_at > 0
    }

    /// Positions of the key arguments in `argv` (name at 0), from the table's key spec; empty
    /// when a key count argument is not a number that fits the arguments.
    pub fn key_positions(&self, argv: &[Bytes]) -> Vec<usize> {
        let argc = argv.len() as i32;
        let (first, last, step) = self.keys;
        let mut positions: Vec<usize> = Vec::new();
        if first > 0 && step > 0 {
            let last = if last < 0 { argc + last } else { last };
            positions.extend(
                (first..=last.min(argc - 1))
                    .step_by(step as usize)
                    .map(|i| i as usize),
            );
        }
        if self.key_count_at > 0 {
            let at = self.key_count_at;
            let count = argv.get(at).and_then(|n| string2ll(n)).unwrap_or(0);
            if count < 1 || count > (argv.len() - at - 1) as i64 {
                return Vec::new();
            }
            positions.extend(at + 1..=at + count as usize);
        }
        positions
    }
}

/// Every top-level command, by lower-case name.
static TABLE: LazyLock<HashMap<&'static str, &'static Command>> = LazyLock::new(|| {
    let mut table = HashMap::new();
    for group in super::GROUPS {
        for cmd in group.iter() {
            table.insert(cmd.name, cmd);
        }
    }
    table
});

pub fn all() -> impl Iterator<Item = &'static Command> {
    let mut cmds: Vec<_> = TABLE.values().copied().collect();
    cmds.sort_by_key(|c| c.name);
    cmds.into_iter()
}

/// The top-level command named `name`, in any case.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    // Command names are short: lower-case them on the stack, not in a String per request.
    let mut buf = [0u8; 32];
    let lower = buf.get_mut(..name.len())?;
    for (to, from) in lower.iter_mut().zip(name) {
        *to = from.to_ascii_lowercase();
    }
    TABLE.get(std::str::from_utf8(lower).ok()?).copied()
}

/// The subcommand `sub` of a container command, in any case.
pub fn lookup_sub(parent: &'static Command, sub: &[u8]) -> Option<&'static Command> {
    let lower = String::from_utf8_lossy(sub).to_ascii_lowercase();
    parent
        .subcommands
        .iter()
        .find(|c| c.name.split('|').nth(1) == Some(lower.as_str()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_lowercase_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for group in super::super::GROUPS {
            for cmd in group.iter() {
                assert_eq!(cmd.name, cmd.name.to_ascii_lowercase());
                assert!(cmd.name.len() <= 32, "lookup lower-cases at most 32 bytes");
                let found = super::lookup(cmd.name.to_ascii_uppercase().as_bytes());
                assert_eq!(found.map(|c| c.name), Some(cmd.name));
                assert!(seen.insert(cmd.name), "{} twice", cmd.name);
                for sub in cmd.subcommands {
                    assert!(
                        sub.name.starts_with(&format!("{}|", cmd.name)),
                        "{}",
                        sub.name
                    );
                }
            }
        }
    }
}
