//! SQL for SET and its relatives: SETNX, SETEX/PSETEX, GETSET (through `set`), GETDEL, GETEX,
//! MSET and MSETNX.

use bytes::Bytes;

use super::super::Store;
use crate::cmd::CmdError;

/// `SET key value` with no options: one upsert.
pub async fn set_plain(store: &Store, db: i32, key: &[u8], value: &[u8]) -> Result<(), CmdError> {
    if let Some(batchers) = store.batchers() {
        let item = (
            db,
            Bytes::copy_from_slice(key),
            Bytes::copy_from_slice(value),
        );
        batchers.set.submit(vec![item]).await?;
        return Ok(());
    }
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
        .write(db, key)
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

/// SETNX: inserts the key unless a live key of any type holds the name; an expired row is
/// replaced. Whether it was set.
pub async fn setnx(store: &Store, db: i32, key: &[u8], value: &[u8]) -> Result<bool, CmdError> {
    const SQL: &str = "INSERT INTO pgredis_keys AS k (db, key, type, value)
                       VALUES ($1, $2, 'string', $3)
                       ON CONFLICT (db, key) DO UPDATE
                          SET type = 'string', value = EXCLUDED.value, expires_at_ms = NULL,
                              key_id = nextval('pgredis_key_id'),
                              version = nextval('pgredis_version')
                        WHERE k.expires_at_ms <= pgredis_now_ms()";
    Ok(store
        .write(db, key)
        .execute(SQL, &[&db, &key, &value])
        .await?
        == 1)
}

/// SETEX and PSETEX: the value, expiring `ms` milliseconds from now (the database's now).
pub async fn setex(
    store: &Store,
    db: i32,
    key: &[u8],
    value: &[u8],
    ms: i64,
) -> Result<(), CmdError> {
    const SQL: &str = "INSERT INTO pgredis_keys AS k (db, key, type, value, expires_at_ms)
                       VALUES ($1, $2, 'string', $3, pgredis_now_ms() + $4)
                       ON CONFLICT (db, key) DO UPDATE
                          SET type = 'string', value = EXCLUDED.value,
                              expires_at_ms = EXCLUDED.expires_at_ms,
                              key_id = CASE WHEN k.type = 'string' THEN k.key_id
                                            ELSE nextval('pgredis_key_id') END,
                              version = nextval('pgredis_version')";
    store
        .write(db, key)
        .execute(SQL, &[&db, &key, &value, &ms])
        .await?;
    Ok(())
}

/// GETDEL: deletes a live string and returns its value; `None` for an absent key. An expired row
/// is deleted too (the write Redis would do), and another type is WRONGTYPE with nothing deleted.
pub async fn getdel(store: &Store, db: i32, key: &[u8]) -> Result<Option<Bytes>, CmdError> {
    const SQL: &str = "WITH cur AS (
                           SELECT type, value, expires_at_ms <= pgredis_now_ms() AS expired
                             FROM pgredis_keys WHERE db = $1 AND key = $2 FOR UPDATE),
                       gone AS (
                           DELETE FROM pgredis_keys k USING cur
                            WHERE k.db = $1 AND k.key = $2 AND (cur.expired OR cur.type = 'string'))
                       SELECT CASE WHEN expired THEN NULL
                                   WHEN type <> 'string' THEN pgredis_fail(
                                       'WRONGTYPE Operation against a key holding the wrong kind of value')::text::bytea
                                   ELSE value END
                         FROM cur";
    let row = store.write(db, key).query_opt(SQL, &[&db, &key]).await?;
    Ok(row
        .and_then(|r| r.get::<_, Option<Vec<u8>>>(0))
        .map(Bytes::from))
}

/// GETEX with PERSIST (`expiry` is `None`) or a new expiry: the value, `None` for an absent key.
pub async fn getex(
    store: &Store,
    db: i32,
    key: &[u8],
    expiry: Option<Expiry>,
) -> Result<Option<Bytes>, CmdError> {
    const SQL: &str = "SELECT pgredis_getex($1, $2, $3, $4, $5)";
    let (expire_ms, relative) = match expiry {
        Some(Expiry::In(ms)) => (Some(ms), true),
        Some(Expiry::At(ms)) => (Some(ms), false),
        _ => (None, false),
    };
    let persist = expiry.is_none();
    let row = store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &persist, &expire_ms, &relative])
        .await?;
    Ok(row.get::<_, Option<Vec<u8>>>(0).map(Bytes::from))
}

/// MSETNX: sets every pair, or none when any key exists. Pairs must be unique by key and sorted,
/// as for `mset`. Whether they were set.
pub async fn msetnx(store: &Store, db: i32, pairs: &[(Bytes, Bytes)]) -> Result<bool, CmdError> {
    const SQL: &str = "SELECT pgredis_msetnx($1, $2, $3)";
    let keys: Vec<&[u8]> = pairs.iter().map(|(k, _)| &k[..]).collect();
    let values: Vec<&[u8]> = pairs.iter().map(|(_, v)| &v[..]).collect();
    Ok(store.query_one(SQL, &[&db, &keys, &values]).await?.get(0))
}
