//! SQL for expiry: setting it (EXPIRE and friends, through `pgredis_expire`), reading it (TTL and
//! friends) and removing it (PERSIST). Times are Unix milliseconds from the database's clock,
//! `pgredis_now_ms()`, so that every instance agrees on them.

use super::super::Store;
use crate::cmd::CmdError;

/// The conditions EXPIRE accepts: NX, XX, GT, LT.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Conditions {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// When an EXPIRE-family command sets the key to expire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    /// Milliseconds from now (EXPIRE, PEXPIRE).
    In(i64),
    /// A Unix time in milliseconds (EXPIREAT, PEXPIREAT).
    At(i64),
}

/// Sets a key's expiry, deleting the key when the time has passed. Returns 1 when done, 0 when
/// the key is absent or a condition failed. `command` names the command in the overflow error.
pub async fn expire(
    store: &Store,
    db: i32,
    key: &[u8],
    when: When,
    conditions: Conditions,
    command: &str,
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_expire($1, $2, $3, $4, $5, $6, $7, $8, $9)::bigint";
    let (ms, relative) = match when {
        When::In(ms) => (ms, true),
        When::At(ms) => (ms, false),
    };
    let Conditions { nx, xx, gt, lt } = conditions;
    let row = store
        .write(db, key)
        .query_one(
            SQL,
            &[&db, &key, &ms, &relative, &nx, &xx, &gt, &lt, &command],
        )
        .await?;
    Ok(row.get(0))
}

/// A live key's expiry as TTL and friends need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyExpiry {
    /// When the key expires, in Unix milliseconds; `None` when it does not.
    pub at_ms: Option<i64>,
    /// The database's clock when it was read.
    pub now_ms: i64,
}

/// The expiry of a live key, `None` when the key is absent. Reads only.
pub async fn expiry(store: &Store, db: i32, key: &[u8]) -> Result<Option<KeyExpiry>, CmdError> {
    const SQL: &str = "SELECT expires_at_ms, pgredis_now_ms() FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    Ok(store
        .query_opt(SQL, &[&db, &key])
        .await?
        .map(|row| KeyExpiry {
            at_ms: row.get(0),
            now_ms: row.get(1),
        }))
}

/// Removes a live key's expiry; false when the key is absent or has none. An expired key is
/// left to the sweeper: the condition already treats it as absent.
pub async fn persist(store: &Store, db: i32, key: &[u8]) -> Result<bool, CmdError> {
    const SQL: &str = "UPDATE pgredis_keys
                          SET expires_at_ms = NULL, version = nextval('pgredis_version')
                        WHERE db = $1 AND key = $2 AND expires_at_ms > pgredis_now_ms()";
    Ok(store.write(db, key).execute(SQL, &[&db, &key]).await? == 1)
}
