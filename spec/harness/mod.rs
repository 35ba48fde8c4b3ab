//! The test harness: throwaway PostgreSQL clusters, reference redis-servers and pgredis
//! processes, each in its own temporary directory on free ports, and a raw RESP client.
//!
//! Nothing here touches the machine's own services. A missing program is a panic that says what
//! to install, never a skipped test. Every process is stopped when its handle is dropped, also
//! when a test panics.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn require(program: &str, package: &str) -> PathBuf {
    which(program).unwrap_or_else(|| {
        panic!("{program} is not installed: run ./auto/setup or apt-get install {package}")
    })
}

/// Waits until `ready` says yes, panicking with `what` after a minute.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} did not come up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A throwaway PostgreSQL cluster listening only on a Unix socket in its temporary directory.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    owner: Option<(u32, u32)>,
}

impl Postgres {
    pub fn start() -> Postgres {
        let bin = pgredis::embedded::find_binaries()
            .unwrap_or_else(|e| panic!("{e}: run ./auto/setup or apt-get install postgresql"));
        // initdb on PATH may be a lone symlink: psql and friends live beside its target.
        let bin = std::fs::canonicalize(bin.join("initdb"))
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or(bin);
        let dir = tempfile::Builder::new()
            .prefix("pgredis-pg-")
            .tempdir()
            .unwrap();
        let owner = unsafe { libc::geteuid() == 0 }.then(postgres_user);
        if let Some((uid, gid)) = owner {
            chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let pg = Postgres { dir, bin, owner };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "pgredis",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        );
        let conf = format!(
            "listen_addresses = ''\nunix_socket_directories = '{}'\nport = 5432\nfsync = off\n\
             synchronous_commit = off\nfull_page_writes = off\nmax_connections = 300\n",
            pg.socket_dir()
        );
        let conf_path = Path::new(&data).join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf_path).unwrap();
        text.push_str(&conf);
        std::fs::write(&conf_path, text).unwrap();
        let log = pg.dir.path().join("postgres.log").display().to_string();
        pg.run(
            "pg_ctl",
            &["start", "-w", "-t", "60", "-D", &data, "-l", &log],
        );
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    pub fn socket_dir(&self) -> String {
        self.dir.path().display().to_string()
    }

    /// A libpq-style connection string pgredis accepts as --database.
    pub fn conn_str(&self) -> String {
        format!(
            "host={} port=5432 user=pgredis dbname=postgres",
            self.socket_dir()
        )
    }

    pub fn psql(&self, sql: &str) -> String {
        let out = self
            .command("psql")
            .args([
                "-h",
                &self.socket_dir(),
                "-U",
                "pgredis",
                "-d",
                "postgres",
                "-At",
                "-c",
                sql,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Stops and starts the cluster, as a crash-and-recover would look to pgredis.
    pub fn restart(&self) {
        let data = self.data();
        self.run("pg_ctl", &["stop", "-w", "-m", "immediate", "-D", &data]);
        let log = self.dir.path().join("postgres.log").display().to_string();
        self.run(
            "pg_ctl",
            &["start", "-w", "-t", "60", "-D", &data, "-l", &log],
        );
    }

    pub fn stop(&self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .args(["stop", "-w", "-m", "immediate", "-D", &data])
            .output();
    }

    pub fn start_again(&self) {
        let data = self.data();
        let log = self.dir.path().join("postgres.log").display().to_string();
        self.run(
            "pg_ctl",
            &["start", "-w", "-t", "60", "-D", &data, "-l", &log],
        );
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid).current_dir(self.dir.path());
        }
        cmd
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn postgres_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    for wanted in ["postgres", "nobody"] {
        for line in passwd.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() > 3 && f[0] == wanted {
                return (f[2].parse().unwrap(), f[3].parse().unwrap());
            }
        }
    }
    panic!("running as root and no 'postgres' or 'nobody' user exists to run PostgreSQL as");
}

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The reference: Debian's redis-server 7.0, on a free port, persisting nothing.
pub struct Redis {
    _process: Process,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl Redis {
    pub fn start() -> Redis {
        let bin = require("redis-server", "redis-server");
        let dir = tempfile::Builder::new()
            .prefix("pgredis-redis-")
            .tempdir()
            .unwrap();
        let port = free_port();
        let child = Command::new(bin)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let redis = Redis {
            _process: Process(child),
            _dir: dir,
            port,
        };
        wait_until("redis-server", || Client::try_connect(port).is_some());
        redis
    }

    pub fn client(&self) -> Client {
        Client::connect(self.port)
    }
}

/// A pgredis process on a free port, on the given database.
pub struct Pgredis {
    process: Option<Process>,
    pub port: u16,
    database: String,
    extra: Vec<String>,
}

impl Pgredis {
    pub fn start(database: &str) -> Pgredis {
        Pgredis::start_with(database, &[])
    }

    pub fn start_with(database: &str, extra: &[&str]) -> Pgredis {
        let mut p = Pgredis {
            process: None,
            port: free_port(),
            database: database.to_string(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        p.spawn();
        p
    }

    fn spawn(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_pgredis"))
            .args([
                "server",
                "--port",
                &self.port.to_string(),
                "--database",
                &self.database,
            ])
            .args(&self.extra)
            .env("PGREDIS_LOG_LEVEL", "warn")
            .spawn()
            .unwrap();
        self.process = Some(Process(child));
        let port = self.port;
        wait_until("pgredis", || Client::try_connect(port).is_some());
    }

    pub fn client(&self) -> Client {
        Client::connect(self.port)
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(
            self.process.as_mut().map(|p| p.0.try_wait()),
            Some(Ok(None))
        )
    }
}

/// A raw RESP client: sends commands, reads whole replies as bytes.
pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    pub fn connect(port: u16) -> Client {
        Client::try_connect(port).unwrap_or_else(|| panic!("cannot connect to port {port}"))
    }

    fn try_connect(port: u16) -> Option<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut client = Client {
            reader: BufReader::new(stream.try_clone().ok()?),
            writer: stream,
        };
        client.writer.write_all(b"*1\r\n$4\r\nPING\r\n").ok()?;
        let mut line = String::new();
        client.reader.read_line(&mut line).ok()?;
        (line == "+PONG\r\n").then_some(client)
    }

    /// Sends raw bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
    }

    pub fn send(&mut self, args: &[&[u8]]) {
        self.send_raw(&encode(args));
    }

    /// Sends a command and returns its whole reply, as bytes.
    pub fn call(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send(args);
        self.read_reply()
    }

    /// Like `call`, with string arguments, returning the reply as (lossy) text.
    pub fn cmd(&mut self, args: &[&str]) -> String {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        String::from_utf8_lossy(&self.call(&args)).into_owned()
    }

    /// Reads one complete reply.
    pub fn read_reply(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        read_value(&mut self.reader, &mut out).expect("reading a reply");
        out
    }

    /// Reads until the server closes the connection; returns what came.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = self.reader.read_to_end(&mut out);
        out
    }
}

pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads one RESP2/RESP3 value, appending its exact bytes to `out`.
pub fn read_value(r: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<()> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    out.extend_from_slice(&line);
    let body = String::from_utf8_lossy(&line[1..line.len().saturating_sub(2)]).into_owned();
    let n: i64 = body.parse().unwrap_or(0);
    match line[0] {
        b'$' | b'=' | b'!' if n >= 0 => {
            let mut buf = vec![0; n as usize + 2];
            r.read_exact(&mut buf)?;
            out.extend_from_slice(&buf);
        }
        b'*' | b'~' | b'>' => {
            for _ in 0..n.max(0) {
                read_value(r, out)?;
            }
        }
        b'%' | b'|' => {
            for _ in 0..n.max(0) * 2 {
                read_value(r, out)?;
            }
            if line[0] == b'|' {
                read_value(r, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Splits one reply into its top-level elements' bytes (for unordered comparison); `None` when
/// it is not an aggregate.
pub fn elements(reply: &[u8]) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    if !matches!(reply.first(), Some(b'*' | b'~' | b'%')) {
        return None;
    }
    let mut r = std::io::Cursor::new(reply);
    let mut header = Vec::new();
    r.read_until(b'\n', &mut header).ok()?;
    let count: usize = String::from_utf8_lossy(&header[1..header.len() - 2])
        .parse()
        .ok()?;
    let per = if reply[0] == b'%' { 2 } else { 1 };
    let mut items = Vec::new();
    for _ in 0..count {
        let mut item = Vec::new();
        for _ in 0..per {
            read_value(&mut r, &mut item).ok()?;
        }
        items.push(item);
    }
    Some((header, items))
}

impl Redis {
    /// The reference redis-server with extra arguments (for example `--requirepass pw`).
    pub fn start_with(extra: &[&str]) -> Redis {
        let bin = require("redis-server", "redis-server");
        let dir = tempfile::Builder::new()
            .prefix("pgredis-redis-")
            .tempdir()
            .unwrap();
        let port = free_port();
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .args(extra)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let redis = Redis {
            _process: Process(child),
            _dir: dir,
            port,
        };
        // With a password, PING is refused until AUTH, so wait for any reply instead.
        wait_until("redis-server", || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        redis
    }
}

impl Client {
    /// A connection that does not PING first, for servers that require AUTH.
    pub fn connect_unauthenticated(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }
}

impl Client {
    /// Closes the sending side: the server sees end of input, answers what it has, and closes.
    pub fn shutdown_write(&mut self) {
        let _ = self.writer.shutdown(std::net::Shutdown::Write);
    }

    /// Everything the server says to `input` before it closes, the client having sent `input`
    /// and then closed its sending side. Deterministic whether or not `input` is complete.
    pub fn answer(port: u16, input: &[u8]) -> Vec<u8> {
        let mut c = Client::connect(port);
        c.send_raw(input);
        c.shutdown_write();
        c.read_to_close()
    }
}

impl Pgredis {
    /// A pgredis started with `--requirepass`: its PING is refused, so wait for the port only.
    pub fn start_with_password(database: &str, extra: &[&str]) -> Pgredis {
        let mut p = Pgredis {
            process: None,
            port: free_port(),
            database: database.to_string(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        let child = Command::new(env!("CARGO_BIN_EXE_pgredis"))
            .args(["server", "--port", &p.port.to_string()])
            .args(["--database", &p.database])
            .args(&p.extra)
            .env("PGREDIS_LOG_LEVEL", "warn")
            .spawn()
            .unwrap();
        p.process = Some(Process(child));
        let port = p.port;
        wait_until("pgredis", || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        p
    }

    /// Sends SIGTERM and waits for the process to exit (a minute at most, then it is killed and
    /// the test fails); returns its exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut process = self.process.take().expect("pgredis is running");
        let status = terminate(&mut process.0);
        // Already reaped: dropping the handle must not signal a pid that may be reused.
        std::mem::forget(process);
        status
    }
}

/// SIGTERM, then wait up to a minute for `child` to exit; kills it and panics after that.
pub fn terminate(child: &mut Child) -> std::process::ExitStatus {
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "process {} did not exit within a minute of SIGTERM",
                child.id()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Client {
    /// A client, or `None` when nothing answers PING on the port yet.
    pub fn try_client(port: u16) -> Option<Client> {
        Client::try_connect(port)
    }
}

/// Waits until `ready` says yes, panicking with `what` after a minute.
pub fn wait_for(what: &str, ready: impl FnMut() -> bool) {
    wait_until(what, ready)
}

/// Runs SQL on a test cluster and returns the first column of each row, one row per line (NULL as
/// an empty string), for tests that look at or prepare what pgredis stores.
pub fn sql(postgres: &Postgres, query: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) =
            tokio_postgres::connect(&postgres.conn_str(), tokio_postgres::NoTls)
                .await
                .unwrap();
        tokio::spawn(connection);
        let messages = client.simple_query(query).await.unwrap();
        let rows: Vec<String> = messages
            .iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => {
                    Some(row.get(0).unwrap_or("").to_string())
                }
                _ => None,
            })
            .collect();
        rows.join("\n")
    })
}
