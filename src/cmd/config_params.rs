//! The parameters CONFIG GET and CONFIG SET know: the ones clients and tools commonly read or
//! set, with Redis 7.0's defaults, aliases and validation.
//!
//! Most of them describe Redis's memory, persistence or replication machinery, which pgredis
//! does not have (the data lives in PostgreSQL), so they have no effect: CONFIG SET validates and
//! remembers them in `State::runtime_config` for this instance, and CONFIG GET reports them, so
//! tools that set and read them back keep working. `requirepass` takes effect at once. `databases`
//! comes from `--databases`; `port` and `bind` describe the listener and cannot change while it
//! runs, so they are immutable here.

use crate::state::State;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// `yes` or `no`.
    Bool,
    /// A 64-bit integer in a range.
    Int(i64, i64),
    /// A byte count with an optional unit (`1gb`), in a range.
    Memory(u64, u64),
    /// One of a fixed set of words.
    Enum(&'static [&'static str]),
    /// Any text.
    Text,
    /// The `save` parameter: pairs of seconds and changes.
    Save,
    /// The keyspace event classes of notify-keyspace-events.
    Events,
}

/// Where a parameter's value comes from before any CONFIG SET.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    Fixed(&'static str),
    Databases,
    Port,
    Bind,
    Dir,
    Requirepass,
    UnixSocket,
    UnixSocketPerm,
}

pub struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub default: Default,
    pub immutable: bool,
}

const fn p(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        alias: None,
        kind,
        default: Default::Fixed(default),
        immutable: false,
    }
}

impl Param {
    const fn alias(mut self, alias: &'static str) -> Param {
        self.alias = Some(alias);
        self
    }

    const fn immutable(mut self) -> Param {
        self.immutable = true;
        self
    }

    const fn from(mut self, default: Default) -> Param {
        self.default = default;
        self
    }
}

const INT: Kind = Kind::Int(0, i32::MAX as i64);
const POSITIVE_INT: Kind = Kind::Int(1, i32::MAX as i64);
const LONG: Kind = Kind::Int(0, i64::MAX);
const MEMORY: Kind = Kind::Memory(0, u64::MAX);
const BUFFER: Kind = Kind::Memory(1024 * 1024, i64::MAX as u64);
const POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];
const LOG_LEVELS: &[&str] = &["debug", "verbose", "notice", "warning"];

pub const PARAMS: &[Param] = &[
    p("databases", POSITIVE_INT, "16")
        .from(Default::Databases)
        .immutable(),
    p("port", Kind::Int(0, 65535), "6379")
        .from(Default::Port)
        .immutable(),
    p("bind", Kind::Text, "").from(Default::Bind).immutable(),
    p("dir", Kind::Text, "").from(Default::Dir),
    p("requirepass", Kind::Text, "").from(Default::Requirepass),
    p("maxmemory", MEMORY, "0"),
    p("maxmemory-policy", Kind::Enum(POLICIES), "noeviction"),
    p("maxmemory-samples", POSITIVE_INT, "5"),
    p("maxmemory-eviction-tenacity", Kind::Int(0, 100), "10"),
    p("maxmemory-clients", MEMORY, "0"),
    p("maxclients", POSITIVE_INT, "10000"),
    p("save", Kind::Save, ""),
    p("appendonly", Kind::Bool, "no"),
    p(
        "appendfsync",
        Kind::Enum(&["always", "everysec", "no"]),
        "everysec",
    ),
    p("appendfilename", Kind::Text, "appendonly.aof").immutable(),
    p("appenddirname", Kind::Text, "appendonlydir").immutable(),
    p("dbfilename", Kind::Text, "dump.rdb"),
    p("stop-writes-on-bgsave-error", Kind::Bool, "yes"),
    p("rdbcompression", Kind::Bool, "yes"),
    p("rdbchecksum", Kind::Bool, "yes"),
    p("timeout", INT, "0"),
    p("tcp-keepalive", INT, "300"),
    p("tcp-backlog", INT, "511").immutable(),
    p("proto-max-bulk-len", BUFFER, "536870912"),
    p("client-query-buffer-limit", BUFFER, "1073741824"),
    p("notify-keyspace-events", Kind::Events, ""),
    p("busy-reply-threshold", LONG, "5000").alias("lua-time-limit"),
    p("hz", INT, "10"),
    p("dynamic-hz", Kind::Bool, "yes"),
    p("loglevel", Kind::Enum(LOG_LEVELS), "notice"),
    p("logfile", Kind::Text, "").immutable(),
    p("daemonize", Kind::Bool, "no").immutable(),
    p("protected-mode", Kind::Bool, "yes"),
    p("io-threads", Kind::Int(1, 128), "1").immutable(),
    p("unixsocket", Kind::Text, "")
        .from(Default::UnixSocket)
        .immutable(),
    p("unixsocketperm", Kind::Text, "0")
        .from(Default::UnixSocketPerm)
        .immutable(),
    p("cluster-enabled", Kind::Bool, "no").immutable(),
    p("slowlog-log-slower-than", Kind::Int(-1, i64::MAX), "10000"),
    p("slowlog-max-len", LONG, "128"),
    p("latency-monitor-threshold", LONG, "0"),
    p("latency-tracking", Kind::Bool, "yes"),
    p("activerehashing", Kind::Bool, "yes"),
    p("activedefrag", Kind::Bool, "no"),
    p("active-expire-effort", Kind::Int(1, 10), "1"),
    p("lazyfree-lazy-eviction", Kind::Bool, "no"),
    p("lazyfree-lazy-expire", Kind::Bool, "no"),
    p("lazyfree-lazy-server-del", Kind::Bool, "no"),
    p("lazyfree-lazy-user-del", Kind::Bool, "no"),
    p("lazyfree-lazy-user-flush", Kind::Bool, "no"),
    p("lfu-log-factor", INT, "10"),
    p("lfu-decay-time", INT, "1"),
    p("hash-max-listpack-entries", LONG, "512").alias("hash-max-ziplist-entries"),
    p("hash-max-listpack-value", LONG, "64").alias("hash-max-ziplist-value"),
    p("zset-max-listpack-entries", LONG, "128").alias("zset-max-ziplist-entries"),
    p("zset-max-listpack-value", LONG, "64").alias("zset-max-ziplist-value"),
    p(
        "list-max-listpack-size",
        Kind::Int(i32::MIN as i64, i32::MAX as i64),
        "-2",
    )
    .alias("list-max-ziplist-size"),
    p("list-compress-depth", INT, "0"),
    p("set-max-intset-entries", LONG, "512"),
    p("stream-node-max-bytes", MEMORY, "4096"),
    p("stream-node-max-entries", LONG, "100"),
    p("hll-sparse-max-bytes", MEMORY, "3000"),
    p("tracking-table-max-keys", LONG, "1000000"),
    p("acllog-max-len", LONG, "128"),
    p("replica-read-only", Kind::Bool, "yes").alias("slave-read-only"),
    p("replica-serve-stale-data", Kind::Bool, "yes").alias("slave-serve-stale-data"),
    p("replica-priority", INT, "100").alias("slave-priority"),
    p("replica-lazy-flush", Kind::Bool, "no").alias("slave-lazy-flush"),
    p("replica-ignore-maxmemory", Kind::Bool, "yes").alias("slave-ignore-maxmemory"),
    p("replica-announce-ip", Kind::Text, "").alias("slave-announce-ip"),
    p("replica-announce-port", Kind::Int(0, 65535), "0").alias("slave-announce-port"),
    p("repl-backlog-size", MEMORY, "1048576"),
    p("repl-timeout", POSITIVE_INT, "60"),
    p("min-replicas-to-write", INT, "0").alias("min-slaves-to-write"),
    p("min-replicas-max-lag", INT, "10").alias("min-slaves-max-lag"),
    p("masterauth", Kind::Text, ""),
    p("masteruser", Kind::Text, ""),
    p("cluster-node-timeout", LONG, "15000"),
    p("shutdown-timeout", INT, "10"),
];

/// The parameter named `name` (its name or alias), in any case.
pub fn lookup(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| {
        p.name.eq_ignore_ascii_case(name) || p.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

/// A parameter's current value on this instance.
pub fn value(state: &State, param: &Param) -> String {
    if param.default == Default::Requirepass {
        return state.requirepass().unwrap_or_default();
    }
    if let Some(v) = state.runtime_value(param.name) {
        return v;
    }
    match param.default {
        Default::Fixed(v) => v.to_string(),
        Default::Databases => state.config.databases.to_string(),
        Default::Port => state.config.port.to_string(),
        Default::Bind => state.config.bind.clone(),
        Default::Dir => std::path::absolute(&state.config.dir)
            .unwrap_or_else(|_| state.config.dir.clone())
            .display()
            .to_string(),
        Default::Requirepass => unreachable!("answered above"),
        Default::UnixSocket => state
            .config
            .unixsocket
            .as_ref()
            .map(|path| path.display().to_string())
            .unwrap_or_default(),
        Default::UnixSocketPerm => format!("{:o}", state.config.unixsocketperm.unwrap_or(0)),
    }
}

/// The current value of the parameter `name`, which must be in the table.
pub fn value_of(state: &State, name: &str) -> String {
    value(state, lookup(name).expect("a known parameter"))
}

/// Checks a CONFIG SET value and returns it as CONFIG GET will show it, or Redis's reason for
/// refusing it.
pub fn normalise(param: &Param, value: &str) -> Result<String, String> {
    match param.kind {
        Kind::Text => Ok(value.to_string()),
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            v @ ("yes" | "no") => Ok(v.to_string()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int(min, max) => {
            let n = crate::numbers::string2ll(value.as_bytes())
                .ok_or("argument couldn't be parsed into an integer")?;
            if n < min || n > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            // Redis keeps hz within 1..=500 whatever is asked.
            let n = if param.name == "hz" {
                n.clamp(1, 500)
            } else {
                n
            };
            Ok(n.to_string())
        }
        Kind::Memory(min, max) => {
            let n = memory_value(value).ok_or("argument must be a memory value")?;
            if n < min || n > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            Ok(n.to_string())
        }
        Kind::Enum(words) => {
            let lower = value.to_ascii_lowercase();
            if words.contains(&lower.as_str()) {
                Ok(lower)
            } else {
                Err(format!(
                    "argument(s) must be one of the following: {}",
                    words.join(", ")
                ))
            }
        }
        Kind::Save => save_value(value).ok_or_else(|| "Invalid save parameters".into()),
        Kind::Events => keyspace_events(value)
            .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
    }
}

/// Redis's `memtoull`: digits with an optional unit (b, k, kb, m, mb, g, gb; any case).
fn memory_value(value: &str) -> Option<u64> {
    let lower = value.to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(digits_end);
    let multiplier: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // As in Redis: no digits is 0, too many saturate, and the unit multiplies with wrap-around.
    let number = if digits.is_empty() {
        0
    } else {
        digits.parse::<u64>().unwrap_or(u64::MAX)
    };
    Some(number.wrapping_mul(multiplier))
}

/// The `save` value: space-separated pairs of seconds (at least 1) and changes (at least 0),
/// shown as Redis prints them back; empty turns snapshots off.
fn save_value(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some(String::new());
    }
    let parts: Vec<&str> = value.split(' ').collect();
    if parts.len() % 2 == 1 {
        return None;
    }
    let mut numbers = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let n = strtoll(part)?;
        if (i % 2 == 0 && n < 1) || (i % 2 == 1 && n < 0) {
            return None;
        }
        numbers.push(n.to_string());
    }
    Some(numbers.join(" "))
}

/// C's `strtoll` where the whole text must be used: leading blanks and a sign allowed, the empty
/// text is 0, out-of-range values saturate.
fn strtoll(text: &str) -> Option<i64> {
    if text.is_empty() {
        return Some(0);
    }
    let t = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.trim_start_matches('0');
    let value: i128 = if magnitude.len() > 20 {
        i128::MAX
    } else {
        magnitude.parse().unwrap_or(0)
    };
    let value = if negative { -value } else { value };
    Some(value.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

/// The event classes of notify-keyspace-events as Redis normalises them: `A` stands for every
/// type class; `n` (new keys) is not part of `A` and, as in Redis, is dropped when `A` is shown.
fn keyspace_events(value: &str) -> Option<String> {
    const TYPES: &str = "g$lshzxetd";
    let mut flags = std::collections::BTreeSet::new();
    for c in value.chars() {
        match c {
            'A' => flags.extend(TYPES.chars()),
            'g' | '$' | 'l' | 's' | 'h' | 'z' | 'x' | 'e' | 't' | 'd' | 'n' | 'K' | 'E' | 'm' => {
                flags.insert(c);
            }
            _ => return None,
        }
    }
    let mut out = String::new();
    if TYPES.chars().all(|c| flags.contains(&c)) {
        out.push('A');
    } else {
        out.extend("g$lshzxetdn".chars().filter(|c| flags.contains(c)));
    }
    out.extend("KEm".chars().filter(|c| flags.contains(c)));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_values() {
        assert_eq!(memory_value("1gb"), Some(1 << 30));
        assert_eq!(memory_value("1GB"), Some(1 << 30));
        assert_eq!(memory_value("1k"), Some(1000));
        assert_eq!(memory_value("10"), Some(10));
        assert_eq!(memory_value("-1"), None);
        assert_eq!(memory_value("abc"), None);
        assert_eq!(memory_value("mb"), Some(0));
        assert_eq!(memory_value(""), Some(0));
        assert_eq!(memory_value("+5"), None);
        assert_eq!(memory_value("18446744073709551616"), Some(u64::MAX));
    }

    #[test]
    fn keyspace_event_classes() {
        assert_eq!(keyspace_events("KEA").as_deref(), Some("AKE"));
        assert_eq!(keyspace_events("xA").as_deref(), Some("A"));
        assert_eq!(keyspace_events("Ex$").as_deref(), Some("$xE"));
        assert_eq!(keyspace_events("").as_deref(), Some(""));
        assert_eq!(keyspace_events("Z"), None);
    }

    #[test]
    fn save_parameters() {
        assert_eq!(save_value("100 10").as_deref(), Some("100 10"));
        assert_eq!(save_value("0100 +10").as_deref(), Some("100 10"));
        assert_eq!(save_value("").as_deref(), Some(""));
        assert_eq!(save_value("100"), None);
        assert_eq!(save_value("0 10"), None);
        assert_eq!(save_value("100 x"), None);
        assert_eq!(save_value("100  10"), None);
    }

    #[test]
    fn every_default_is_valid() {
        for param in PARAMS {
            if let Default::Fixed(v) = param.default {
                assert_eq!(normalise(param, v).as_deref(), Ok(v), "{}", param.name);
            }
        }
    }
}
