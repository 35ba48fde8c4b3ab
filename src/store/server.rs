//! SQL for the server commands: INFO's keyspace section and TIME.

use super::Store;
use crate::cmd::CmdError;

/// One database's line of INFO keyspace.
#[derive(Debug, Clone, PartialEq)]
pub struct DbStats {
    pub db: i32,
    pub keys: i64,
    pub expires: i64,
}

/// Live keys and keys with an expiry, for every database that has keys, in one statement.
pub async fn keyspace(store: &Store) -> Result<Vec<DbStats>, CmdError> {
    const SQL: &str = "SELECT db, count(*), count(expires_at_ms)
                         FROM pgredis_keys
                        WHERE expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms()
                        GROUP BY db
                        ORDER BY db";
    let rows = store.query(SQL, &[]).await?;
    Ok(rows
        .iter()
        .map(|r| DbStats {
            db: r.get(0),
            keys: r.get(1),
            expires: r.get(2),
        })
        .collect())
}

/// The database's clock as Unix seconds and microseconds: every instance on one database answers
/// TIME from the same clock that decides expiry.
pub async fn time(store: &Store) -> Result<(i64, i64), CmdError> {
    const SQL: &str = "SELECT floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint";
    let micros: i64 = store.query_one(SQL, &[]).await?.get(0);
    Ok((micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000)))
}
