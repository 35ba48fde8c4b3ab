//! INFO: Redis's report of the server, in Redis's sections and field names, so that clients,
//! monitoring tools and dashboards that parse it find what they look for.
//!
//! Fields about machinery pgredis does not have (RDB, AOF, replication, eviction) carry the values
//! of a Redis that never used it. Counters are per instance. The keyspace section is real and
//! shared: it counts the keys in PostgreSQL, in one statement.

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use super::config_params::value_of;
use super::hello::REDIS_VERSION;
use super::table::*;
use super::{Args, Ctx};
use crate::handler;
use crate::resp::Reply;
use crate::store;

pub const COMMANDS: &[Command] = &[Command::new(
    "info",
    -1,
    LOADING | STALE,
    (0, 0, 0),
    "server",
    "Returns information and statistics about the server.",
    handler!(info),
)];

/// Every section, in the order Redis prints them, and whether `INFO` without arguments shows it.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

/// INFO [section [section ...]]
async fn info(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let wanted = chosen_sections(&args.rest());
    let keyspace = if wanted.contains(&"keyspace") {
        store::server::keyspace(&ctx.store).await?
    } else {
        Vec::new()
    };
    let mut text = String::new();
    for section in wanted {
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        let title = match section {
            "cpu" => "CPU".to_string(),
            _ => {
                let mut t = section.to_string();
                t[..1].make_ascii_uppercase();
                t
            }
        };
        let _ = write!(text, "# {title}\r\n");
        for (name, value) in fields(ctx, section, &keyspace) {
            let _ = write!(text, "{name}:{value}\r\n");
        }
    }
    Ok(Reply::Verbatim(text.into()))
}

/// The sections asked for, in Redis's order; no argument means "default".
fn chosen_sections(args: &[bytes::Bytes]) -> Vec<&'static str> {
    let mut all = false;
    let mut defaults = args.is_empty();
    let mut named = Vec::new();
    for arg in args {
        let arg = String::from_utf8_lossy(arg).to_ascii_lowercase();
        match arg.as_str() {
            "all" | "everything" => all = true,
            "default" => defaults = true,
            _ => named.push(arg),
        }
    }
    SECTIONS
        .iter()
        .filter(|(name, default)| all || (defaults && *default) || named.iter().any(|n| n == name))
        .map(|(name, _)| *name)
        .collect()
}

fn fields(ctx: &Ctx, section: &str, keyspace: &[store::server::DbStats]) -> Vec<(String, String)> {
    let state = &ctx.state;
    let mut f: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, value: String| f.push((name.to_string(), value));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let uptime = state.started.elapsed().as_secs();
    match section {
        "server" => {
            add("redis_version", REDIS_VERSION.into());
            add("pgredis_version", env!("CARGO_PKG_VERSION").into());
            add("pgredis_storage", one_line(&state.data_location));
            add("redis_git_sha1", "00000000".into());
            add("redis_git_dirty", "0".into());
            add("redis_build_id", "0".into());
            add("redis_mode", "standalone".into());
            add("os", os_name());
            add("arch_bits", (usize::BITS).to_string());
            add("monotonic_clock", "POSIX clock_gettime".into());
            add("multiplexing_api", "epoll".into());
            add("atomicvar_api", "c11-builtin".into());
            add("gcc_version", "0.0.0".into());
            add("process_id", std::process::id().to_string());
            add("process_supervised", "no".into());
            add("run_id", state.run_id.clone());
            add("tcp_port", state.config.port.to_string());
            add("server_time_usec", now.as_micros().to_string());
            add("uptime_in_seconds", uptime.to_string());
            add("uptime_in_days", (uptime / 86400).to_string());
            add("hz", value_of(state, "hz"));
            add("configured_hz", value_of(state, "hz"));
            add("lru_clock", (now.as_secs() & ((1 << 24) - 1)).to_string());
            let exe = std::env::current_exe().map(|p| p.display().to_string());
            add("executable", exe.unwrap_or_default());
            add("config_file", String::new());
            add("io_threads_active", "0".into());
        }
        "clients" => {
            add("connected_clients", state.client_count().to_string());
            add("cluster_connections", "0".into());
            add("maxclients", value_of(state, "maxclients"));
            add("client_recent_max_input_buffer", "0".into());
            add("client_recent_max_output_buffer", "0".into());
            let blocked = state.clients().iter().filter(|c| c.is_blocked()).count();
            add("blocked_clients", blocked.to_string());
            add("tracking_clients", "0".into());
            add("clients_in_timeout_table", "0".into());
        }
        "memory" => {
            let rss = resident_bytes();
            let maxmemory: u64 = value_of(state, "maxmemory").parse().unwrap_or(0);
            for (name, bytes) in [
                ("used_memory", rss),
                ("used_memory_rss", rss),
                ("used_memory_peak", rss),
            ] {
                add(name, bytes.to_string());
                add(&format!("{name}_human"), human_bytes(bytes));
            }
            add("used_memory_peak_perc", "100.00%".into());
            add("used_memory_overhead", "0".into());
            add("used_memory_startup", "0".into());
            add("used_memory_dataset", "0".into());
            add("used_memory_dataset_perc", "0.00%".into());
            let total = total_system_memory();
            add("total_system_memory", total.to_string());
            add("total_system_memory_human", human_bytes(total));
            add("used_memory_lua", "0".into());
            add("used_memory_lua_human", "0B".into());
            add("used_memory_scripts", "0".into());
            add("used_memory_scripts_human", "0B".into());
            add("number_of_cached_scripts", "0".into());
            add("maxmemory", maxmemory.to_string());
            add("maxmemory_human", human_bytes(maxmemory));
            add("maxmemory_policy", value_of(state, "maxmemory-policy"));
            add("mem_fragmentation_ratio", "1.00".into());
            add("mem_fragmentation_bytes", "0".into());
            add("mem_allocator", "libc".into());
            add("active_defrag_running", "0".into());
            add("lazyfree_pending_objects", "0".into());
            add("lazyfreed_objects", "0".into());
        }
        "persistence" => {
            let started = now.as_secs().saturating_sub(uptime);
            for (name, value) in [
                ("loading", "0".to_string()),
                ("async_loading", "0".into()),
                ("current_cow_peak", "0".into()),
                ("current_cow_size", "0".into()),
                ("current_fork_perc", "0.00".into()),
                ("rdb_changes_since_last_save", "0".into()),
                ("rdb_bgsave_in_progress", "0".into()),
                ("rdb_last_save_time", started.to_string()),
                ("rdb_last_bgsave_status", "ok".into()),
                ("rdb_last_bgsave_time_sec", "-1".into()),
                ("rdb_current_bgsave_time_sec", "-1".into()),
                ("rdb_saves", "0".into()),
                ("rdb_last_cow_size", "0".into()),
                ("aof_enabled", "0".into()),
                ("aof_rewrite_in_progress", "0".into()),
                ("aof_rewrite_scheduled", "0".into()),
                ("aof_last_rewrite_time_sec", "-1".into()),
                ("aof_current_rewrite_time_sec", "-1".into()),
                ("aof_last_bgrewrite_status", "ok".into()),
                ("aof_rewrites", "0".into()),
                ("aof_last_write_status", "ok".into()),
                ("aof_last_cow_size", "0".into()),
                ("module_fork_in_progress", "0".into()),
                ("module_fork_last_cow_size", "0".into()),
            ] {
                add(name, value);
            }
        }
        "stats" => {
            let stats = &state.stats;
            add(
                "total_connections_received",
                stats
                    .connections_received
                    .load(Ordering::Relaxed)
                    .to_string(),
            );
            add(
                "total_commands_processed",
                stats.commands_processed.load(Ordering::Relaxed).to_string(),
            );
            for name in [
                "instantaneous_ops_per_sec",
                "total_net_input_bytes",
                "total_net_output_bytes",
            ] {
                add(name, "0".into());
            }
            add("instantaneous_input_kbps", "0.00".into());
            add("instantaneous_output_kbps", "0.00".into());
            for name in [
                "rejected_connections",
                "sync_full",
                "sync_partial_ok",
                "sync_partial_err",
                "expired_keys",
            ] {
                add(name, "0".into());
            }
            add("expired_stale_perc", "0.00".into());
            for name in [
                "expired_time_cap_reached_count",
                "evicted_keys",
                "evicted_clients",
                "keyspace_hits",
                "keyspace_misses",
                "pubsub_channels",
                "pubsub_patterns",
                "pubsubshard_channels",
                "latest_fork_usec",
                "total_forks",
                "migrate_cached_sockets",
                "slave_expires_tracked_keys",
                "active_defrag_hits",
                "active_defrag_misses",
                "active_defrag_key_hits",
                "active_defrag_key_misses",
                "tracking_total_keys",
                "tracking_total_items",
                "tracking_total_prefixes",
                "unexpected_error_replies",
                "total_error_replies",
                "dump_payload_sanitizations",
                "total_reads_processed",
                "total_writes_processed",
            ] {
                add(name, "0".into());
            }
        }
        "replication" => {
            add("role", "master".into());
            add("connected_slaves", "0".into());
            add("master_failover_state", "no-failover".into());
            add("master_replid", state.run_id.clone());
            add("master_replid2", "0".repeat(40));
            add("master_repl_offset", "0".into());
            add("second_repl_offset", "-1".into());
            add("repl_backlog_active", "0".into());
            add("repl_backlog_size", value_of(state, "repl-backlog-size"));
            add("repl_backlog_first_byte_offset", "0".into());
            add("repl_backlog_histlen", "0".into());
        }
        "cpu" => {
            let (user, sys) = cpu_seconds(libc::RUSAGE_SELF);
            let (child_user, child_sys) = cpu_seconds(libc::RUSAGE_CHILDREN);
            add("used_cpu_sys", format!("{sys:.6}"));
            add("used_cpu_user", format!("{user:.6}"));
            add("used_cpu_sys_children", format!("{child_sys:.6}"));
            add("used_cpu_user_children", format!("{child_user:.6}"));
            add("used_cpu_sys_main_thread", format!("{sys:.6}"));
            add("used_cpu_user_main_thread", format!("{user:.6}"));
        }
        "cluster" => add("cluster_enabled", "0".into()),
        "keyspace" => {
            for db in keyspace {
                add(
                    &format!("db{}", db.db),
                    format!("keys={},expires={},avg_ttl=0", db.keys, db.expires),
                );
            }
        }
        // modules, commandstats, errorstats, latencystats: nothing to report yet.
        _ => {}
    }
    f
}

fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// Redis's `bytesToHuman`: B, K, M, G, T, P with two decimals.
fn human_bytes(n: u64) -> String {
    let units = [
        (1u64 << 50, "P"),
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    for (size, unit) in units {
        if n >= size {
            return format!("{:.2}{unit}", n as f64 / size as f64);
        }
    }
    format!("{n}B")
}

fn os_name() -> String {
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut uts) } != 0 {
        return String::new();
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!(
        "{} {} {}",
        field(&uts.sysname),
        field(&uts.release),
        field(&uts.machine)
    )
}

/// This process's resident memory, from /proc (0 where there is none).
fn resident_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(0) as u64
}

fn total_system_memory() -> u64 {
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    (pages.max(0) as u64) * (page.max(0) as u64)
}

/// User and system CPU seconds of this process or of its children.
fn cpu_seconds(who: libc::c_int) -> (f64, f64) {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return (0.0, 0.0);
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(usage.ru_utime), secs(usage.ru_stime))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn sections() {
        assert!(!chosen_sections(&[]).contains(&"commandstats"));
        assert!(chosen_sections(&[]).contains(&"keyspace"));
        assert_eq!(
            chosen_sections(&[Bytes::from("KEYSPACE"), Bytes::from("server")]),
            ["server", "keyspace"]
        );
        assert_eq!(
            chosen_sections(&[Bytes::from("everything")]).len(),
            SECTIONS.len()
        );
        assert!(chosen_sections(&[Bytes::from("nosuch")]).is_empty());
    }

    #[test]
    fn human() {
        assert_eq!(human_bytes(0), "0B");
        assert_eq!(human_bytes(1536), "1.50K");
        assert_eq!(human_bytes(1 << 30), "1.00G");
    }
}
