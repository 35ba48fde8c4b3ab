//! Lifecycle: shutdown on SIGTERM, PostgreSQL going away and coming back, instances starting
//! together, and the embedded default (`pgredis server` with no database URL).

mod harness;

use std::path::Path;
use std::process::{Child, Command};
use std::sync::Barrier;

use harness::{Client, Pgredis, Postgres};

#[test]
fn sigterm_finishes_what_runs_and_exits_0() {
    let postgres = Postgres::start();
    let mut pgredis = Pgredis::start(&postgres.conn_str());
    let mut idle = pgredis.client();
    let mut busy = pgredis.client();
    assert_eq!(idle.cmd(&["SET", "before", "sigterm"]), "+OK\r\n");
    // A pipeline in flight when the signal comes: every reply that is sent is +OK and stands
    // for a committed write; the connection then closes cleanly.
    let count = 3000;
    let mut pipeline = Vec::new();
    for i in 0..count {
        pipeline.extend(harness::encode(&[
            b"SET",
            format!("inflight:{i}").as_bytes(),
            b"v",
        ]));
    }
    busy.send_raw(&pipeline);
    let status = pgredis.terminate();
    assert_eq!(status.code(), Some(0), "pgredis exit status {status:?}");
    let replies = busy.read_to_close();
    assert!(
        replies.len().is_multiple_of(5) && replies.chunks(5).all(|r| r == b"+OK\r\n"),
        "replies to the pipeline: {:?}",
        String::from_utf8_lossy(&replies[..replies.len().min(200)])
    );
    let answered = replies.len() / 5;
    assert_eq!(
        idle.read_to_close(),
        b"",
        "an idle client is closed silently"
    );

    let committed: usize = postgres
        .psql("SELECT count(*) FROM pgredis_keys WHERE key LIKE 'inflight:%'")
        .parse()
        .unwrap();
    assert!(
        committed >= answered,
        "{answered} SETs answered, {committed} committed"
    );
    let again = Pgredis::start(&postgres.conn_str());
    assert_eq!(again.client().cmd(&["GET", "before"]), "$7\r\nsigterm\r\n");
}

/// Sends `args` until the reply is not an error; panics after a minute of errors.
fn until_ok(c: &mut Client, args: &[&str]) -> String {
    let mut reply = String::new();
    harness::wait_for(&format!("a non-error reply to {args:?}"), || {
        reply = c.cmd(args);
        !reply.starts_with('-')
    });
    reply
}

#[test]
fn postgres_down_means_error_replies_and_back_means_service() {
    let postgres = Postgres::start();
    let mut pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    assert_eq!(c.cmd(&["SET", "k", "before"]), "+OK\r\n");
    // HGET runs on the connections reads share (store::shared): opened now, broken below.
    assert_eq!(c.cmd(&["HSET", "h", "f", "v"]), ":1\r\n");
    assert_eq!(c.cmd(&["HGET", "h", "f"]), "$1\r\nv\r\n");
    postgres.psql("CHECKPOINT");

    postgres.stop();
    // Every command that needs PostgreSQL gets an error reply, on old and new connections.
    for args in [
        &["GET", "k"][..],
        &["SET", "k", "during"],
        &["DEL", "k"],
        &["MGET", "k", "j"],
        &["HGET", "h", "f"],
    ] {
        let reply = c.cmd(args);
        assert!(reply.starts_with("-ERR "), "{args:?} -> {reply:?}");
        assert!(reply.ends_with("\r\n") && reply.lines().count() == 1);
    }
    let mut fresh = pgredis.client();
    assert!(fresh.cmd(&["GET", "k"]).starts_with("-ERR "));
    assert_eq!(fresh.cmd(&["PING"]), "+PONG\r\n");
    assert!(pgredis.alive());

    postgres.start_again();
    assert_eq!(until_ok(&mut c, &["GET", "k"]), "$6\r\nbefore\r\n");
    assert_eq!(c.cmd(&["SET", "k", "after"]), "+OK\r\n");
    assert_eq!(fresh.cmd(&["GET", "k"]), "$5\r\nafter\r\n");
    assert_eq!(until_ok(&mut fresh, &["HGET", "h", "f"]), "$1\r\nv\r\n");

    // A crash-like restart in one go, with clients connected throughout.
    postgres.psql("CHECKPOINT");
    postgres.restart();
    assert_eq!(until_ok(&mut fresh, &["GET", "k"]), "$5\r\nafter\r\n");
    assert_eq!(c.cmd(&["SET", "k", "restarted"]), "+OK\r\n");
    assert_eq!(pgredis.client().cmd(&["GET", "k"]), "$9\r\nrestarted\r\n");
    assert_eq!(until_ok(&mut c, &["HGET", "h", "f"]), "$1\r\nv\r\n");
    assert!(pgredis.alive());
}

#[test]
fn instances_started_together_on_a_fresh_database_all_come_up() {
    let postgres = Postgres::start();
    let database = postgres.conn_str();
    let n = 4;
    let barrier = Barrier::new(n);
    let instances: Vec<Pgredis> = std::thread::scope(|s| {
        let started: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    Pgredis::start(&database)
                })
            })
            .collect();
        started.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for (i, p) in instances.iter().enumerate() {
        let key = format!("from:{i}");
        assert_eq!(p.client().cmd(&["SET", &key, "up"]), "+OK\r\n");
    }
    for p in &instances {
        for i in 0..n {
            assert_eq!(
                p.client().cmd(&["GET", &format!("from:{i}")]),
                "$2\r\nup\r\n"
            );
        }
    }
    // Each migration was applied exactly once.
    assert_eq!(
        postgres.psql("SELECT count(*) = count(DISTINCT version) FROM pgredis_migrations"),
        "t"
    );
}

/// `pgredis server` without a database, run on a data directory; stopped by SIGTERM, or failing
/// that killed along with the PostgreSQL cluster it started.
struct Embedded<'a> {
    child: Option<Child>,
    dir: &'a Path,
    port: u16,
}

impl<'a> Embedded<'a> {
    fn start(dir: &'a Path) -> Embedded<'a> {
        let port = harness::free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_pgredis"))
            .args(["server", "--port", &port.to_string(), "--dir"])
            .arg(dir)
            .env_remove("DATABASE_URL")
            .env("PGREDIS_LOG_LEVEL", "warn")
            .spawn()
            .unwrap();
        let mut embedded = Embedded {
            child: Some(child),
            dir,
            port,
        };
        harness::wait_for("pgredis with its embedded PostgreSQL", || {
            let exited = embedded.child.as_mut().unwrap().try_wait().unwrap();
            assert!(exited.is_none(), "pgredis exited: {exited:?}");
            Client::try_client(port).is_some()
        });
        embedded
    }

    fn client(&self) -> Client {
        Client::connect(self.port)
    }

    fn postmaster_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.dir.join("postgres/postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        harness::terminate(&mut self.child.take().unwrap())
    }
}

impl Drop for Embedded<'_> {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            harness::terminate(&mut child);
        }
        if let Some(pid) = self.postmaster_pid() {
            unsafe { libc::kill(pid, libc::SIGQUIT) };
        }
    }
}

#[test]
fn the_embedded_default_initialises_serves_stops_and_keeps_the_data() {
    let dir = tempfile::Builder::new()
        .prefix("pgredis-embedded-")
        .tempdir()
        .unwrap();
    let mut first = Embedded::start(dir.path());
    assert!(dir.path().join("postgres/PG_VERSION").is_file());
    let mut c = first.client();
    assert_eq!(c.cmd(&["SET", "kept", "across restarts"]), "+OK\r\n");
    assert_eq!(c.cmd(&["GET", "kept"]), "$15\r\nacross restarts\r\n");
    let status = first.terminate();
    assert_eq!(status.code(), Some(0), "exit status {status:?}");
    assert_eq!(
        first.postmaster_pid(),
        None,
        "the embedded PostgreSQL was stopped"
    );
    drop(first);

    let mut second = Embedded::start(dir.path());
    assert_eq!(
        second.client().cmd(&["GET", "kept"]),
        "$15\r\nacross restarts\r\n"
    );
    assert_eq!(second.terminate().code(), Some(0));
}
