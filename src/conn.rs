//! One client connection: owns the socket and its buffers.
//!
//! Every read is followed by parsing every complete request in the buffer, running them in order,
//! and writing all their replies with one write: a pipeline costs one flush, and the commands of
//! a connection take effect in the order they were sent.
//!
//! While it waits for input, the connection also waits on its mailbox: messages pushed to it
//! (Pub/Sub) are written as they come. A connection killed for going over its output buffer
//! limit closes, and so does one killed by CLIENT KILL, without a reply to what it was running.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::watch;

use crate::cmd::{self, Ctx};
use crate::notify::mailbox::Mailbox;
use crate::resp::parse::DEFAULT_MAX_BULK;
use crate::resp::{Parsed, Parser, Protocol, Reply};
use crate::state::{Endpoint, State};

/// The client socket: TCP or Unix.
trait Stream: AsyncRead + AsyncWrite + Unpin {}
impl<S: AsyncRead + AsyncWrite + Unpin> Stream for S {}

pub async fn serve_tcp(stream: TcpStream, state: Arc<State>, shutdown: watch::Receiver<bool>) {
    let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
        return;
    };
    let _ = stream.set_nodelay(true);
    serve(stream, Endpoint::Tcp { peer, local }, state, shutdown).await
}

pub async fn serve_unix(stream: UnixStream, state: Arc<State>, shutdown: watch::Receiver<bool>) {
    let path = state
        .config
        .unixsocket
        .as_ref()
        .map(|p| p.display().to_string());
    serve(
        stream,
        Endpoint::Unix(path.unwrap_or_default()),
        state,
        shutdown,
    )
    .await
}

async fn serve(
    stream: impl Stream,
    endpoint: Endpoint,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let client = state.register_client(endpoint);
    let id = client.id;
    let mut ctx = Ctx::new(state.clone(), client);
    if let Err(e) = run(stream, &mut ctx, &mut shutdown).await {
        tracing::debug!("client {id} ({}): {e}", ctx.client.addr);
    }
    state.unregister_client(id);
}

async fn run(
    mut stream: impl Stream,
    ctx: &mut Ctx,
    shutdown: &mut watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut input = BytesMut::with_capacity(16 * 1024);
    let mut output = BytesMut::with_capacity(16 * 1024);
    let mut parser = Parser::new(DEFAULT_MAX_BULK);
    let mut mailbox = ctx
        .pubsub
        .take_mailbox()
        .expect("a new connection's mailbox");
    let killed = mailbox.kill_signal();
    let client = ctx.client.clone();
    // What the pushed messages now in `output` cost against the limit, until they are written.
    let mut pushed = 0;
    // A request parsed while collecting a pipelined run that did not belong to it.
    let mut held: Option<Parsed> = None;
    loop {
        let mut close = false;
        loop {
            parser.auth_required = !ctx.authenticated;
            match held.take().unwrap_or_else(|| parser.next(&mut input)) {
                Parsed::Command(argv) => {
                    if let Some(kind) = cmd::pipeline::run_kind(ctx, &argv)
                        .filter(|_| !tracing::enabled!(tracing::Level::DEBUG))
                    {
                        let mut run = vec![argv];
                        while run.len() < cmd::pipeline::MAX_RUN {
                            match parser.next(&mut input) {
                                Parsed::Command(next)
                                    if cmd::pipeline::run_kind(ctx, &next) == Some(kind) =>
                                {
                                    run.push(next)
                                }
                                other => {
                                    held = Some(other);
                                    break;
                                }
                            }
                        }
                        for reply in cmd::pipeline::execute_run(ctx, kind, run).await {
                            reply.encode(ctx.protocol, &mut output);
                        }
                        continue;
                    }
                    let log = tracing::enabled!(tracing::Level::DEBUG).then(|| describe(&argv));
                    let reply = execute(ctx, argv, &mut stream, &mut input).await;
                    if client.is_killed() && !ctx.close_after_reply {
                        return Ok(());
                    }
                    // As in Redis, messages delivered while the command ran (its own PUBLISH, a
                    // keyspace event of its own write) come before its reply, unless the command
                    // replies first.
                    let reply_first = ctx.pubsub.take_reply_first();
                    if !reply_first {
                        pushed += drain(&mut mailbox, ctx.protocol, &mut output);
                    }
                    if let Some(request) = log {
                        tracing::debug!("client {}: {} -> {:?}", ctx.client.id, request, reply);
                    }
                    reply.encode(ctx.protocol, &mut output);
                    if reply_first {
                        pushed += drain(&mut mailbox, ctx.protocol, &mut output);
                    }
                    if ctx.close_after_reply {
                        close = true;
                        break;
                    }
                }
                Parsed::Incomplete => break,
                Parsed::Error(text) => {
                    tracing::debug!("client {}: {text}; closing", ctx.client.id);
                    Reply::Error(format!("ERR {text}").into()).encode(ctx.protocol, &mut output);
                    close = true;
                    break;
                }
            }
        }
        if !output.is_empty() {
            tokio::select! {
                written = stream.write_all(&output) => written?,
                _ = killed.wait() => {}
            }
            output.clear();
            mailbox.written(std::mem::take(&mut pushed));
        }
        if killed.is_set() {
            tracing::info!(
                "client {}: over the Pub/Sub output buffer limit; closing",
                ctx.client.id
            );
            return Ok(());
        }
        if close {
            return stream.shutdown().await;
        }
        tokio::select! {
            read = stream.read_buf(&mut input) => {
                if read? == 0 {
                    return Ok(());
                }
            }
            Some((message, cost)) = mailbox.recv() => {
                message.encode(ctx.protocol, &mut output);
                pushed += cost + drain(&mut mailbox, ctx.protocol, &mut output);
            }
            _ = killed.wait() => {}
            _ = client.gone() => return Ok(()),
            _ = shutdown.changed() => return Ok(()),
        }
    }
}

/// Runs one request. Meanwhile the socket is read too (into `input`, for the requests that
/// follow), so that a client that hangs up while its command waits (BLPOP) is noticed and its
/// wait ends.
async fn execute(
    ctx: &mut Ctx,
    argv: Vec<Bytes>,
    stream: &mut impl Stream,
    input: &mut BytesMut,
) -> Reply {
    let client = ctx.client.clone();
    let running = cmd::execute(ctx, argv);
    tokio::pin!(running);
    let mut open = true;
    loop {
        tokio::select! {
            reply = &mut running => return reply,
            read = stream.read_buf(input), if open => {
                if !matches!(read, Ok(n) if n > 0) {
                    open = false;
                    client.hang_up();
                }
            }
        }
    }
}

/// Moves pushed messages that are waiting into `output`, about a megabyte at most so that a
/// client that does not read leaves its backlog counted in the mailbox; returns their cost.
fn drain(mailbox: &mut Mailbox, protocol: Protocol, output: &mut BytesMut) -> usize {
    let mut cost = 0;
    while output.len() < 1 << 20 {
        let Some((message, size)) = mailbox.try_recv() else {
            break;
        };
        message.encode(protocol, output);
        cost += size;
    }
    cost
}

/// A request as the debug log shows it, with AUTH's arguments redacted.
fn describe(argv: &[Bytes]) -> String {
    let secret = argv[0].eq_ignore_ascii_case(b"auth")
        || argv[0].eq_ignore_ascii_case(b"hello")
        || (argv.len() > 2
            && argv[0].eq_ignore_ascii_case(b"config")
            && argv[2].eq_ignore_ascii_case(b"requirepass"));
    let shown = if secret { &argv[..1] } else { argv };
    let mut text: Vec<String> = shown
        .iter()
        .map(|a| format!("{:?}", String::from_utf8_lossy(a)))
        .collect();
    if secret && argv.len() > 1 {
        text.push("(arguments redacted)".into());
    }
    text.join(" ")
}
