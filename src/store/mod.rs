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

pub mod bits;
pub mod keys;
pub mod migrate;
pub mod server;
pub mod strings;
pub mod sweeper;
pub mod zsets;

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::cmd::CmdError;

/// How long a command waits for a pooled connection, or for a new one, before it gets an error.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Store {
    pool: Pool,
    pg_config: tokio_postgres::Config,
}

pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Store {
    /// A pool over the database at `conn_str` (a URL or key=value string). Connects lazily.
    pub fn new(conn_str: &str, pool_size: usize) -> anyhow::Result<Store> {
        let mut pg_config = tokio_postgres::Config::from_str(conn_str)?;
        pg_config.connect_timeout(POOL_TIMEOUT);
        pg_config.application_name("pgredis");
        let manager = Manager::from_config(
            pg_config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .recycle_timeout(Some(POOL_TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()?;
        Ok(Store { pool, pg_config })
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

    pub async fn conn(&self) -> Result<Object, CmdError> {
        self.pool.get().await.map_err(|e| {
            tracing::warn!("no PostgreSQL connection: {e}");
            CmdError::msg(format!("ERR PostgreSQL is unavailable: {e}"))
        })
    }

    pub async fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, CmdError> {
        let conn = self.conn().await?;
        let stmt = conn.prepare_cached(sql).await?;
        Ok(conn.query(&stmt, params).await?)
    }

    pub async fn query_opt(&self, sql: &str, params: Params<'_>) -> Result<Option<Row>, CmdError> {
        let conn = self.conn().await?;
        let stmt = conn.prepare_cached(sql).await?;
        Ok(conn.query_opt(&stmt, params).await?)
    }

    pub async fn query_one(&self, sql: &str, params: Params<'_>) -> Result<Row, CmdError> {
        let conn = self.conn().await?;
        let stmt = conn.prepare_cached(sql).await?;
        Ok(conn.query_one(&stmt, params).await?)
    }

    pub async fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64, CmdError> {
        let conn = self.conn().await?;
        let stmt = conn.prepare_cached(sql).await?;
        Ok(conn.execute(&stmt, params).await?)
    }
}

impl From<tokio_postgres::Error> for CmdError {
    fn from(e: tokio_postgres::Error) -> CmdError {
        if let Some(db) = e.as_db_error() {
            if db.code() == &tokio_postgres::error::SqlState::RAISE_EXCEPTION {
                return CmdError::msg(db.message().to_string());
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
