//! The command line. Every flag can also come from an environment variable, so the same binary
//! is configured the same way by hand, by docker-compose and by the test harness.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "pgredis",
    version,
    about = "A Redis 7.0 server that keeps every byte in PostgreSQL"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: CliCommand,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Serve the Redis protocol, storing data in PostgreSQL.
    Server(Config),
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "PGREDIS_BIND", default_value = "127.0.0.1")]
    pub bind: String,

    /// TCP port to listen on (0 picks a free one and logs it).
    #[arg(long, env = "PGREDIS_PORT", default_value_t = 6379)]
    pub port: u16,

    /// Also listen on this Unix socket (a file left there is replaced; removed at shutdown).
    #[arg(long, env = "PGREDIS_UNIXSOCKET")]
    pub unixsocket: Option<PathBuf>,

    /// Permissions of the Unix socket, in octal as in Redis (700, 770...) [default: the umask's].
    #[arg(long, env = "PGREDIS_UNIXSOCKETPERM", value_parser = parse_octal_mode)]
    pub unixsocketperm: Option<u32>,

    /// PostgreSQL connection string (postgres://user:pass@host:port/db or "host=... dbname=...").
    /// Without it, pgredis runs its own PostgreSQL cluster in --dir.
    #[arg(long, env = "DATABASE_URL")]
    pub database: Option<String>,

    /// Data directory of the embedded PostgreSQL cluster (used only without --database).
    #[arg(long, env = "PGREDIS_DIR", default_value = "./pgredis-data")]
    pub dir: PathBuf,

    /// Number of logical databases (SELECT 0 .. N-1).
    #[arg(long, env = "PGREDIS_DATABASES", default_value_t = 16)]
    pub databases: i32,

    /// Maximum number of PostgreSQL connections in the pool.
    #[arg(long, env = "PGREDIS_POOL_SIZE", default_value_t = 32)]
    pub pool_size: usize,

    /// Threads serving clients [default: half the CPU cores, at least 1]. PostgreSQL does most
    /// of the work of every command: on a machine pgredis shares with it, leaving it cores pays.
    #[arg(long, env = "PGREDIS_THREADS", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Require clients to AUTH with this password.
    #[arg(long, env = "PGREDIS_REQUIREPASS")]
    pub requirepass: Option<String>,

    /// Log level: error, warn, info, debug (each command and reply) or trace.
    #[arg(long, env = "PGREDIS_LOG_LEVEL", default_value = "info")]
    pub log_level: String,
}

/// A file mode in octal, at most 777.
fn parse_octal_mode(text: &str) -> Result<u32, String> {
    u32::from_str_radix(text, 8)
        .ok()
        .filter(|mode| *mode <= 0o777)
        .ok_or_else(|| format!("'{text}' is not an octal mode between 0 and 777"))
}
