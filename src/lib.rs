//! pgredis: a Redis 7.0 server that keeps every byte in PostgreSQL.
//!
//! # Layout
//!
//! A request travels top to bottom, and each layer knows only the one below it:
//!
//! - `server`: the accept loops (TCP, and a Unix socket with `--unixsocket`) and graceful
//!   shutdown.
//! - `conn`: one connection; reads, parses every complete request, runs them in order, and
//!   writes all replies with one flush.
//! - `resp`: the protocol, without I/O: request parsing and reply encoding (RESP2 and RESP3).
//! - `cmd`: the command table (`cmd::table`), argument parsing (`cmd::args`), the shared error
//!   texts (`cmd::errors`), and one handler module per Redis type or area.
//! - `store`: the SQL, one module per Redis type; schema and server-side functions live in
//!   `migrations/`. Concurrent commands of many clients share round trips and commits there:
//!   `store::batch` (GETs, plain SETs: one statement), `store::group` (other single-key
//!   writes: one transaction) and `store::shared` (other single-key reads: pipelined on a few
//!   shared connections).
//! - `notify`: Pub/Sub, keyspace notifications and key wake-ups across instances, through one
//!   LISTENing PostgreSQL connection per instance.
//! - `embedded`: the private PostgreSQL cluster used when no database URL is given.
//! - `state`: what connections of one instance share (configuration, clients, counters). No data:
//!   every key lives in PostgreSQL, so instances can come and go.

pub mod cmd;
pub mod config;
pub mod conn;
pub mod embedded;
pub mod glob;
pub mod notify;
pub mod numbers;
pub mod resp;
pub mod server;
pub mod state;
pub mod store;

use std::sync::Arc;

use anyhow::Context;

use config::Config;
use state::State;
use store::Store;

/// Starts everything `pgredis server` runs, and returns after a clean shutdown.
pub fn run(config: Config) -> anyhow::Result<()> {
    let embedded = match &config.database {
        Some(_) => None,
        None => Some(embedded::Embedded::start(&config.dir)?),
    };
    let threads = match config.threads {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
    };
    // One thread: tokio's current-thread scheduler, which skips the multi-thread one's cross-thread
    // hand-offs (measured: about 10% less CPU per GET at 50 clients).
    let mut builder = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(threads);
        builder
    };
    let runtime = builder.enable_all().build()?;
    let result = runtime.block_on(serve(config, embedded.as_ref()));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    if let Some(pg) = embedded {
        pg.stop();
    }
    result
}

async fn serve(mut config: Config, embedded: Option<&embedded::Embedded>) -> anyhow::Result<()> {
    let (conn_str, location) = match (&config.database, embedded) {
        (Some(url), _) => (url.clone(), redact_url(url)),
        (None, Some(pg)) => (
            pg.conn_str(),
            format!("embedded cluster in {}", pg.data_dir().display()),
        ),
        (None, None) => unreachable!("no database and no embedded cluster"),
    };
    let store = Store::new(&conn_str, config.pool_size)?;
    store::migrate::run(&store)
        .await
        .with_context(|| format!("preparing the schema in {location}"))?;
    tokio::spawn(store::sweeper::run(store.clone()));
    let tcp = tokio::net::TcpListener::bind((config.bind.as_str(), config.port))
        .await
        .with_context(|| format!("listening on {}:{}", config.bind, config.port))?;
    let mut listening = tcp.local_addr()?.to_string();
    // CONFIG GET port and INFO's tcp_port give the port actually taken (--port 0 picks one).
    config.port = tcp.local_addr()?.port();
    let unix = match &config.unixsocket {
        Some(path) => {
            let listener = server::bind_unix(path, config.unixsocketperm)
                .with_context(|| format!("listening on {}", path.display()))?;
            listening += &format!(" and {}", path.display());
            Some(listener)
        }
        None => None,
    };
    tracing::info!(
        "pgredis {} ready: listening on {listening}, data in PostgreSQL ({location})",
        env!("CARGO_PKG_VERSION"),
    );
    let state = Arc::new(State::new(config, store, location));
    notify::listener::start(state.clone()).await;
    tokio::spawn(cmd::blocking::backstop(state.clone()));
    server::run(tcp, unix, state).await
}

/// A connection URL without its password, for logs.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url
            .split_whitespace()
            .map(|kv| {
                if kv.starts_with("password=") {
                    "password=***"
                } else {
                    kv
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}
