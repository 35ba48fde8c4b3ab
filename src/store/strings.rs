//! SQL for strings. A string's value lives in its keyspace row, so reads are one index lookup and
//! plain writes are one upsert.

use bytes::Bytes;

use super::Store;
use crate::cmd::CmdError;
use crate::cmd::errors::WRONGTYPE;

/// A live string value, `None` for an absent (or expired) key, WRONGTYPE for another type.
pub async fn get(store: &Store, db: i32, key: &[u8]) -> Result<Option<Bytes>, CmdError> {
    const SQL: &str = "SELECT type = 'string', value FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    match store.query_opt(SQL, &[&db, &key]).await? {
        None => Ok(None),
        Some(row) if row.get::<_, bool>(0) => Ok(Some(Bytes::from(row.get::<_, Vec<u8>>(1)))),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// Values of many keys in one statement; `None` for absent keys and keys of other types.
pub async fn mget(store: &Store, db: i32, keys: &[Bytes]) -> Result<Vec<Option<Bytes>>, CmdError> {
    const SQL: &str = "SELECT k.value
                         FROM unnest($2::bytea[]) WITH ORDINALITY AS wanted(key, n)
                         LEFT JOIN pgredis_keys k
                           ON k.db = $1 AND k.key = wanted.key AND k.type = 'string'
                          AND (k.expires_at_ms IS NULL OR k.expires_at_ms > pgredis_now_ms())
                        ORDER BY wanted.n";
    let keys: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    let rows = store.query(SQL, &[&db, &keys]).await?;
    Ok(rows
        .iter()
        .map(|r| r.get::<_, Option<Vec<u8>>>(0).map(Bytes::from))
        .collect())
}

/// `SET key value` with no options: one upsert.
pub async fn set_plain(store: &Store, db: i32, key: &[u8], value: &[u8]) -> Result<(), CmdError> {
    const SQL: &str = "INSERT INTO pgredis_keys AS k (db, key, type, value)
                       VALUES ($1, $2, 'string', $3)
                       ON CONFLICT (db, key) DO UPDATE
                          SET type = 'string', value = EXCLUDED.value, expires_at_ms = NULL,
                              key_id = CASE WHEN k.type = 'string' THEN k.key_id
                                            ELSE nextval('pgredis_key_id') END,
                              version = nextval('pgredis_version')";
    store.execute(SQL, &[&db, &key, &value]).await?;
    Ok(())
}

/// How SET sets the expiry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expiry {
    /// Remove any expiry.
    None,
    /// Keep the key's current expiry (KEEPTTL).
    Keep,
    /// Milliseconds from now (EX, PX).
    In(i64),
    /// A Unix time in milliseconds (EXAT, PXAT).
    At(i64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    Always,
    /// NX: only if the key does not exist.
    IfAbsent,
    /// XX: only if the key exists.
    IfPresent,
}

/// What a SET with options did: whether it wrote, and the old value when GET was asked.
pub struct SetOutcome {
    pub applied: bool,
    pub old_value: Option<Bytes>,
}

/// SET with every option, in one call of `pgredis_set`.
pub async fn set(
    store: &Store,
    db: i32,
    key: &[u8],
    value: &[u8],
    expiry: Expiry,
    condition: Condition,
    get: bool,
) -> Result<SetOutcome, CmdError> {
    const SQL: &str =
        "SELECT applied, old_value FROM pgredis_set($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let (expire_ms, relative) = match expiry {
        Expiry::In(ms) => (Some(ms), true),
        Expiry::At(ms) => (Some(ms), false),
        Expiry::None | Expiry::Keep => (None, false),
    };
    let keep = expiry == Expiry::Keep;
    let nx = condition == Condition::IfAbsent;
    let xx = condition == Condition::IfPresent;
    let row = store
        .query_one(
            SQL,
            &[
                &db, &key, &value, &expire_ms, &relative, &keep, &nx, &xx, &get,
            ],
        )
        .await?;
    Ok(SetOutcome {
        applied: row.get(0),
        old_value: row.get::<_, Option<Vec<u8>>>(1).map(Bytes::from),
    })
}

/// MSET: every pair in one upsert. Pairs must be unique by key (the last one wins in Redis) and
/// sorted, so that concurrent MSETs lock rows in the same order and cannot deadlock.
pub async fn mset(store: &Store, db: i32, pairs: &[(Bytes, Bytes)]) -> Result<(), CmdError> {
    const SQL: &str = "INSERT INTO pgredis_keys AS k (db, key, type, value)
                       SELECT $1, key, 'string', value FROM unnest($2::bytea[], $3::bytea[]) AS p(key, value)
                       ON CONFLICT (db, key) DO UPDATE
                          SET type = 'string', value = EXCLUDED.value, expires_at_ms = NULL,
                              key_id = CASE WHEN k.type = 'string' THEN k.key_id
                                            ELSE nextval('pgredis_key_id') END,
                              version = nextval('pgredis_version')";
    let keys: Vec<&[u8]> = pairs.iter().map(|(k, _)| &k[..]).collect();
    let values: Vec<&[u8]> = pairs.iter().map(|(_, v)| &v[..]).collect();
    store.execute(SQL, &[&db, &keys, &values]).await?;
    Ok(())
}
