//! The accept loop and shutdown. On SIGINT or SIGTERM the listeners close, connections finish the
//! commands they are running and close, and `run` returns so the caller can stop PostgreSQL.
//!
//! Clients connect over TCP and, with `--unixsocket`, over a Unix socket too: the same protocol,
//! at a lower kernel cost per request for clients on the same machine.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener, UnixStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::state::State;

/// How long shutdown waits for connections to finish their commands.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Listens on the Unix socket at `path`, replacing a file left there (as Redis does), with the
/// permissions `mode` when given.
pub fn bind_unix(path: &Path, mode: Option<u32>) -> std::io::Result<UnixListener> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = UnixListener::bind(path)?;
    if let Some(mode) = mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(listener)
}

pub async fn run(
    tcp: TcpListener,
    mut unix: Option<UnixListener>,
    state: Arc<State>,
) -> anyhow::Result<()> {
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let (stop, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = tcp.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(crate::conn::serve_tcp(stream, state.clone(), stopped.clone()));
                }
                Err(e) => refused(e).await,
            },
            accepted = accept_unix(unix.as_ref()) => match accepted {
                Ok(stream) => {
                    connections.spawn(crate::conn::serve_unix(stream, state.clone(), stopped.clone()));
                }
                Err(e) => refused(e).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    tracing::info!("shutting down: finishing in-flight commands");
    drop(tcp);
    if let (Some(_), Some(path)) = (unix.take(), &state.config.unixsocket) {
        let _ = std::fs::remove_file(path);
    }
    let _ = stop.send(true);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("some connections did not finish in time");
    }
    Ok(())
}

/// The next client on the Unix socket; never, without one.
async fn accept_unix(listener: Option<&UnixListener>) -> std::io::Result<UnixStream> {
    match listener {
        Some(listener) => listener.accept().await.map(|(stream, _)| stream),
        None => std::future::pending().await,
    }
}

/// A failed accept (out of descriptors...): logged, and a pause before the next.
async fn refused(e: std::io::Error) {
    tracing::warn!("accept: {e}");
    tokio::time::sleep(Duration::from_millis(50)).await;
}
