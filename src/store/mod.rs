//! The store: every byte pgredis keeps lives in PostgreSQL, reached through this module.
//!
//! Each Redis type has a file here holding its SQL and the functions that run it; handlers in
//! `cmd` call those functions and never write SQL themselves. Rules every statement follows:
//! - one round trip per command: a single statement, or one server-side function from
//!   `migrations/` when a command needs several steps;
//! - parameters only, never user data formatted into SQL;
//! - prepared statements cached per pooled connection (`prepare_cached`);
//! - reads see expired keys as absent and never write; writes remove an expired key first.
//!
//! Server-side functions raise Redis's error texts themselves (SQLSTATE P0001), so an error reply
//! from SQL reaches the client unchanged.

pub mod batch;
pub mod bits;
pub mod blocking;
pub mod group;
pub mod hashes;
pub mod keys;
pub mod lists;
pub mod migrate;
pub mod multi;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod shared;
pub mod sort;
pub mod strings;
pub mod sweeper;
pub mod zsets;

use std::ops::Deref;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::cmd::CmdError;

/// How long a command waits for a pooled connection, or for a new one, before it gets an error.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections for batched and grouped statements, beside `--pool-size`: room for what `batch`
/// (two GET and four SET statements) and `group` (four groups) keep in flight at once.
const GROUP_CONNECTIONS: usize = 12;

fn new_pool(pg_config: &tokio_postgres::Config, size: usize) -> anyhow::Result<Pool> {
    let manager = Manager::from_config(
        pg_config.clone(),
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Ok(Pool::builder(manager)
        .max_size(size.max(1))
        .wait_timeout(Some(POOL_TIMEOUT))
        .create_timeout(Some(POOL_TIMEOUT))
        .recycle_timeout(Some(POOL_TIMEOUT))
        .runtime(Runtime::Tokio1)
        .build()?)
}

#[derive(Clone)]
pub struct Store {
    pool: Pool,
    pg_config: tokio_postgres::Config,
    /// Inside MULTI/EXEC or a script: the connection whose transaction every statement joins.
    pinned: Option<Arc<Mutex<TxConn>>>,
    /// Group execution of independent single-key commands (`batch`); none inside a transaction.
    batchers: Option<Arc<batch::Batchers>>,
    /// Group commit of single-key writes (`group`); none inside a transaction.
    committer: Option<Arc<group::Committer>>,
    /// Connections that single-key reads share (`shared`).
    shared: Arc<shared::SharedReads>,
    /// Set by `cmd::dispatch` while a single-key read command runs: its queries (outside a
    /// transaction) go to the shared connections.
    pub share_reads: bool,
}

/// A connection for one statement: from the pool, or the pinned one of an open transaction.
/// It lives on the stack for one statement; boxing the pooled variant would allocate per command.
#[allow(clippy::large_enum_variant)]
pub enum Conn {
    Pooled(Object),
    Pinned(OwnedMutexGuard<TxConn>),
}

impl Deref for Conn {
    type Target = deadpool_postgres::ClientWrapper;

    fn deref(&self) -> &Self::Target {
        match self {
            Conn::Pooled(object) => object,
            Conn::Pinned(guard) => guard.object.as_deref().expect("open transaction"),
        }
    }
}

/// The connection of an open transaction. Dropped before COMMIT or ROLLBACK ran on it (a handler
/// panicked, a task was cancelled), it leaves the pool and closes instead of going back: PostgreSQL
/// then rolls the transaction back and releases its locks, and no later command can ever run
/// inside it by accident.
pub struct TxConn {
    object: Option<Object>,
    ended: bool,
}

impl Drop for TxConn {
    fn drop(&mut self) {
        if !self.ended
            && let Some(object) = self.object.take()
        {
            tracing::warn!("a transaction was abandoned before it ended; closing its connection");
            drop(Object::take(object));
        }
    }
}

pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Store {
    /// A pool over the database at `conn_str` (a URL or key=value string). Connects lazily.
    pub fn new(conn_str: &str, pool_size: usize) -> anyhow::Result<Store> {
        let mut pg_config = tokio_postgres::Config::from_str(conn_str)?;
        pg_config.connect_timeout(POOL_TIMEOUT);
        pg_config.application_name("pgredis");
        let pool = new_pool(&pg_config, pool_size)?;
        // Batch and group statements get connections of their own, whose plans never depend on
        // parameter values: their statements take arrays of any length, or are the same one-key
        // writes every time, and planning them anew per batch cost several times running them.
        let mut generic = pg_config.clone();
        let options = match pg_config.get_options() {
            // Keep the user's own options (a search_path, say), which this must not replace.
            Some(own) => format!("{own} -c plan_cache_mode=force_generic_plan"),
            None => "-c plan_cache_mode=force_generic_plan".to_string(),
        };
        generic.options(&options);
        let batch_pool = new_pool(&generic, GROUP_CONNECTIONS)?;
        let mut store = Store {
            pool: batch_pool.clone(),
            shared: Arc::new(shared::SharedReads::new(pg_config.clone())),
            share_reads: false,
            pg_config,
            pinned: None,
            batchers: None,
            committer: None,
        };
        store.batchers = Some(Arc::new(batch::Batchers::start(&store)));
        store.committer = Some(group::Committer::start(batch_pool));
        store.pool = pool;
        Ok(store)
    }

    /// A connection of its own, outside the pool, for session-long work (migrations, sweeping).
    pub async fn dedicated(&self) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let (client, connection) = self.pg_config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("dedicated connection ended: {e}");
            }
        });
        Ok(client)
    }

    /// A connection of its own, outside the pool, shown as `application_name` in
    /// pg_stat_activity; the caller drives its connection half (to read notifications).
    pub async fn dedicated_named(
        &self,
        application_name: &str,
    ) -> Result<
        (
            tokio_postgres::Client,
            tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>,
        ),
        tokio_postgres::Error,
    > {
        let mut config = self.pg_config.clone();
        config.application_name(application_name);
        // Such a connection may sit idle for hours: notice a dead peer within about half a minute.
        config.keepalives_idle(Duration::from_secs(10));
        config.keepalives_interval(Duration::from_secs(5));
        config.keepalives_retries(3);
        config.connect(NoTls).await
    }

    pub async fn conn(&self) -> Result<Conn, CmdError> {
        if let Some(pinned) = &self.pinned {
            return Ok(Conn::Pinned(pinned.clone().lock_owned().await));
        }
        let object = self.pool.get().await.map_err(|e| {
            tracing::warn!("no PostgreSQL connection: {e}");
            CmdError::msg(format!("ERR PostgreSQL is unavailable: {e}"))
        })?;
        Ok(Conn::Pooled(object))
    }

    /// Starts a transaction on a connection of its own and returns a store whose every statement
    /// runs in it, until `commit` or `rollback`. `begin_sql` is the BEGIN statement (it chooses
    /// the isolation level).
    pub async fn begin(&self, begin_sql: &str) -> Result<Store, CmdError> {
        let object = match self.conn().await? {
            Conn::Pooled(object) => object,
            Conn::Pinned(_) => return Err(CmdError::msg("ERR transaction already open")),
        };
        object.batch_execute(begin_sql).await?;
        let tx = TxConn {
            object: Some(object),
            ended: false,
        };
        Ok(Store {
            pinned: Some(Arc::new(Mutex::new(tx))),
            ..self.clone()
        })
    }

    /// Ends the transaction `begin` opened with COMMIT. Its connection returns to the pool when
    /// the last handle on this store is dropped.
    pub async fn commit(&self) -> Result<(), CmdError> {
        self.end("COMMIT").await
    }

    /// Ends the transaction `begin` opened with ROLLBACK.
    pub async fn rollback(&self) -> Result<(), CmdError> {
        self.end("ROLLBACK").await
    }

    /// Runs `sql` as the last statement on the pinned connection and gives the connection back to
    /// the pool (COMMIT, ROLLBACK, or a cleanup such as releasing session locks).
    pub async fn end(&self, sql: &str) -> Result<(), CmdError> {
        let Some(pinned) = &self.pinned else {
            return Err(CmdError::msg("ERR no transaction open"));
        };
        let mut tx = pinned.lock().await;
        let client = tx.object.as_deref().expect("open transaction");
        let result = client.batch_execute(sql).await;
        // Whatever the outcome, the transaction is over: a failed COMMIT rolls back, and a
        // broken connection is dropped by the pool's recycling check.
        tx.ended = true;
        Ok(result?)
    }

    /// The batchers; none inside a transaction, whose statements must run on its connection.
    pub fn batchers(&self) -> Option<&batch::Batchers> {
        match self.pinned {
            Some(_) => None,
            None => self.batchers.as_deref(),
        }
    }

    /// The group committer; none inside a transaction, whose statements must run on its connection.
    fn committer(&self) -> Option<&group::Committer> {
        match self.pinned {
            Some(_) => None,
            None => self.committer.as_deref(),
        }
    }

    /// A write whose whole work is one statement on `key`: outside a transaction it may share a
    /// group commit with other clients' writes (`group`), inside one it runs on its connection.
    pub fn write<'a>(&'a self, db: i32, key: &'a [u8]) -> group::Write<'a> {
        group::Write {
            store: self,
            db,
            key: Some(key),
        }
    }

    /// A write whose whole work is one statement on `keys`: it may share a group commit only when
    /// there is one key, since a group orders its members by their one key.
    pub fn write_keys<'a>(&'a self, db: i32, keys: &'a [Bytes]) -> group::Write<'a> {
        group::Write {
            store: self,
            db,
            key: match keys {
                [key] => Some(key),
                _ => None,
            },
        }
    }

    /// The shared read connections, while a single-key read command runs outside a transaction.
    fn shared_reads(&self) -> Option<&shared::SharedReads> {
        (self.share_reads && self.pinned.is_none()).then_some(&*self.shared)
    }

    /// Whether statements run inside an open transaction.
    pub fn in_transaction(&self) -> bool {
        self.pinned.is_some()
    }

    /// Runs `sql` (SAVEPOINT, RELEASE ...) on the pinned connection; `commit` and `rollback` end
    /// the transaction.
    pub async fn batch(&self, sql: &str) -> Result<(), CmdError> {
        Ok(self.conn().await?.batch_execute(sql).await?)
    }

    pub async fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, CmdError> {
        if let Some(shared) = self.shared_reads() {
            return shared.query(sql, params).await;
        }
        let mut attempt = 0;
        loop {
            let (conn, stmt) = self.statement(sql).await?;
            match conn.query(&stmt, params).await {
                Err(e) if self.retry_after(&e, &mut attempt) => continue,
                result => return Ok(result?),
            }
        }
    }

    pub async fn query_opt(&self, sql: &str, params: Params<'_>) -> Result<Option<Row>, CmdError> {
        if let Some(shared) = self.shared_reads() {
            return at_most_one_row(shared.query(sql, params).await?);
        }
        let mut attempt = 0;
        loop {
            let (conn, stmt) = self.statement(sql).await?;
            match conn.query_opt(&stmt, params).await {
                Err(e) if self.retry_after(&e, &mut attempt) => continue,
                result => return Ok(result?),
            }
        }
    }

    pub async fn query_one(&self, sql: &str, params: Params<'_>) -> Result<Row, CmdError> {
        if let Some(shared) = self.shared_reads() {
            return one_row(shared.query(sql, params).await?);
        }
        let mut attempt = 0;
        loop {
            let (conn, stmt) = self.statement(sql).await?;
            match conn.query_one(&stmt, params).await {
                Err(e) if self.retry_after(&e, &mut attempt) => continue,
                result => return Ok(result?),
            }
        }
    }

    pub async fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64, CmdError> {
        let mut attempt = 0;
        loop {
            let (conn, stmt) = self.statement(sql).await?;
            match conn.execute(&stmt, params).await {
                Err(e) if self.retry_after(&e, &mut attempt) => continue,
                result => return Ok(result?),
            }
        }
    }

    /// A connection and the prepared statement for `sql` on it.
    async fn statement(&self, sql: &str) -> Result<(Conn, tokio_postgres::Statement), CmdError> {
        let conn = self.conn().await?;
        let stmt = conn.prepare_cached(sql).await?;
        Ok((conn, stmt))
    }

    /// Whether a statement that failed with `e` runs again. A single statement outside a
    /// transaction that PostgreSQL chose as a deadlock victim had no effect, and running it again
    /// is what Redis's one-at-a-time execution would have done; inside a transaction the whole
    /// transaction is retried instead (`cmd::atomic`).
    fn retry_after(&self, e: &tokio_postgres::Error, attempt: &mut u32) -> bool {
        const MAX_ATTEMPTS: u32 = 10;
        let deadlock = e.code() == Some(&tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED);
        *attempt += 1;
        deadlock && self.pinned.is_none() && *attempt < MAX_ATTEMPTS
    }
}

impl From<tokio_postgres::Error> for CmdError {
    fn from(e: tokio_postgres::Error) -> CmdError {
        if let Some(db) = e.as_db_error() {
            use tokio_postgres::error::SqlState;
            if db.code() == &SqlState::RAISE_EXCEPTION {
                return CmdError::msg(db.message().to_string());
            }
            if db.code() == &SqlState::T_R_SERIALIZATION_FAILURE
                || db.code() == &SqlState::T_R_DEADLOCK_DETECTED
            {
                return CmdError::from(crate::cmd::errors::TX_CONFLICT);
            }
            tracing::warn!("PostgreSQL error: {db}");
            return CmdError::msg(crate::cmd::errors::one_line(&format!(
                "ERR PostgreSQL: {}",
                db.message()
            )));
        }
        tracing::warn!("PostgreSQL connection error: {e}");
        CmdError::msg(crate::cmd::errors::one_line(&format!(
            "ERR PostgreSQL is unavailable: {e}"
        )))
    }
}

/// The one row a statement must return.
fn one_row(mut rows: Vec<Row>) -> Result<Row, CmdError> {
    match rows.len() {
        1 => Ok(rows.pop().expect("one row")),
        n => Err(CmdError::msg(format!(
            "ERR PostgreSQL: expected one row, got {n}"
        ))),
    }
}

/// The row, if any, of a statement that returns at most one.
fn at_most_one_row(mut rows: Vec<Row>) -> Result<Option<Row>, CmdError> {
    match rows.len() {
        0 | 1 => Ok(rows.pop()),
        n => Err(CmdError::msg(format!(
            "ERR PostgreSQL: expected at most one row, got {n}"
        ))),
    }
}

/// A stable 64-bit hash of a key in a database (FNV-1a), used for advisory locks: the same on
/// every instance, so instances lock the same key the same way.
pub fn key_hash(db: i32, key: &[u8]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in db.to_le_bytes().iter().chain(key) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

/// Redis's clock for expiry checks made in Rust, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
