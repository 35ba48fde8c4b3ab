//! The embedded default: without `--database`, pgredis runs a private PostgreSQL cluster in its
//! data directory, reachable only through a Unix socket in that directory (no TCP port).
//!
//! initdb runs on first start; later starts reuse the data. PostgreSQL refuses to run as root, so
//! when pgredis runs as root the cluster belongs to the `postgres` user (or `nobody`) and its
//! programs run as that user.

use std::ffi::OsStr;
use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

pub struct Embedded {
    bin: PathBuf,
    pgdata: PathBuf,
    owner: Option<(u32, u32)>,
}

impl Embedded {
    /// Initialises (if needed) and starts the cluster under `dir`.
    pub fn start(dir: &Path) -> anyhow::Result<Embedded> {
        let bin = find_binaries()?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = dir.canonicalize()?;
        let pgdata = dir.join("postgres");
        let owner = if unsafe { libc::geteuid() } == 0 {
            let owner = unprivileged_user()?;
            chown(&dir, Some(owner.0), Some(owner.1))?;
            Some(owner)
        } else {
            None
        };
        let pg = Embedded { bin, pgdata, owner };
        if !pg.pgdata.join("PG_VERSION").exists() {
            pg.initdb()?;
        }
        pg.run(
            "pg_ctl",
            [
                OsStr::new("start"),
                OsStr::new("-w"),
                OsStr::new("-t"),
                OsStr::new("120"),
                OsStr::new("-D"),
                pg.pgdata.as_os_str(),
                OsStr::new("-l"),
                dir.join("postgres.log").as_os_str(),
            ],
        )
        .with_context(|| {
            format!(
                "starting PostgreSQL; see {}",
                dir.join("postgres.log").display()
            )
        })?;
        Ok(pg)
    }

    /// The connection string for the cluster's socket.
    pub fn conn_str(&self) -> String {
        format!(
            "host={} port=5432 user=pgredis dbname=postgres",
            self.pgdata.display()
        )
    }

    pub fn data_dir(&self) -> &Path {
        &self.pgdata
    }

    /// Stops the cluster, waiting for it to shut down cleanly.
    pub fn stop(&self) {
        let stopped = self.run(
            "pg_ctl",
            [
                OsStr::new("stop"),
                OsStr::new("-w"),
                OsStr::new("-m"),
                OsStr::new("fast"),
                OsStr::new("-D"),
                self.pgdata.as_os_str(),
            ],
        );
        if let Err(e) = stopped {
            tracing::error!("stopping PostgreSQL: {e:#}");
        }
    }

    fn initdb(&self) -> anyhow::Result<()> {
        tracing::info!("creating a PostgreSQL cluster in {}", self.pgdata.display());
        self.run(
            "initdb",
            [
                OsStr::new("-D"),
                self.pgdata.as_os_str(),
                OsStr::new("-U"),
                OsStr::new("pgredis"),
                OsStr::new("--auth=trust"),
                OsStr::new("-E"),
                OsStr::new("UTF8"),
                OsStr::new("--locale=C"),
            ],
        )?;
        let socket_dir = self.pgdata.display().to_string().replace('\'', "''");
        let settings = format!(
            "\n# pgredis: reachable only through the socket in this directory\n\
             listen_addresses = ''\n\
             unix_socket_directories = '{socket_dir}'\n\
             port = 5432\n\
             max_connections = 200\n"
        );
        let conf = self.pgdata.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)?;
        text.push_str(&settings);
        std::fs::write(&conf, text)?;
        Ok(())
    }

    fn run<I, S>(&self, program: &str, args: I) -> anyhow::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.args(args);
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
            cmd.current_dir(self.pgdata.parent().unwrap_or(Path::new("/")));
        }
        let out = cmd
            .output()
            .with_context(|| format!("running {}", self.bin.join(program).display()))?;
        if !out.status.success() {
            bail!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }
}

/// The directory holding initdb and pg_ctl (links followed): on PATH, or the newest
/// /usr/lib/postgresql/*/bin.
pub fn find_binaries() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                // Follow links such as /usr/local/bin/initdb to the installation's own bin
                // directory, where its psql and pgbench live too.
                let real = dir.join("initdb").canonicalize()?;
                return Ok(real.parent().map_or(dir, Path::to_path_buf));
            }
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "PostgreSQL's initdb and pg_ctl were not found on PATH or in /usr/lib/postgresql/*/bin: \
             install PostgreSQL (apt-get install postgresql) or pass --database postgres://..."
        ),
    }
}

/// The user the cluster runs as when pgredis runs as root: `postgres`, else `nobody`.
fn unprivileged_user() -> anyhow::Result<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    for wanted in ["postgres", "nobody"] {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() > 3 && fields[0] == wanted {
                return Ok((fields[2].parse()?, fields[3].parse()?));
            }
        }
    }
    bail!("running as root, and there is no 'postgres' or 'nobody' user to run PostgreSQL as")
}
