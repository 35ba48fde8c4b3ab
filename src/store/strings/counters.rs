//! SQL for INCR, DECR, INCRBY, DECRBY (one upsert each) and INCRBYFLOAT (compare-and-set).

use bytes::Bytes;

use super::super::Store;
use crate::cmd::CmdError;
use crate::numbers::string2ll;

/// INCRBY and friends in one upsert: an absent or expired key starts from 0; otherwise
/// `pgredis_incr` (inlined) checks the stored value with Redis's integer rules and the sum for
/// overflow, and raises Redis's error. The expiry is kept. Returns the new value.
pub async fn incrby(store: &Store, db: i32, key: &[u8], by: i64) -> Result<i64, CmdError> {
    const SQL: &str = "INSERT INTO pgredis_keys AS k (db, key, type, value)
                       VALUES ($1, $2, 'string', convert_to($3::bigint::text, 'UTF8'))
                       ON CONFLICT (db, key) DO UPDATE
                          SET type = 'string',
                              value = CASE
                                  WHEN k.expires_at_ms <= pgredis_now_ms() THEN EXCLUDED.value
                                  WHEN k.type <> 'string' THEN pgredis_fail(
                                      'WRONGTYPE Operation against a key holding the wrong kind of value')::text::bytea
                                  ELSE pgredis_incr(k.value, $3) END,
                              expires_at_ms = CASE WHEN k.expires_at_ms <= pgredis_now_ms() THEN NULL
                                                   ELSE k.expires_at_ms END,
                              key_id = CASE WHEN k.expires_at_ms <= pgredis_now_ms()
                                            THEN nextval('pgredis_key_id') ELSE k.key_id END,
                              version = nextval('pgredis_version')
                       RETURNING value";
    let row = store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &by])
        .await?;
    let value: &[u8] = row.get(0);
    string2ll(value).ok_or_else(|| CmdError::msg("ERR PostgreSQL: INCRBY stored a non-integer"))
}

/// A string as INCRBYFLOAT reads it: at most its first 5120 bytes (Redis rejects anything longer
/// as a float anyway), and the row version to write against.
pub struct FloatRead {
    pub is_string: bool,
    pub head: Bytes,
    pub version: i64,
}

/// Reads a live key for INCRBYFLOAT; `None` when it is absent.
pub async fn read_for_float(
    store: &Store,
    db: i32,
    key: &[u8],
) -> Result<Option<FloatRead>, CmdError> {
    const SQL: &str = "SELECT type = 'string', substring(value FROM 1 FOR 5120), version
                         FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    Ok(store
        .query_opt(SQL, &[&db, &key])
        .await?
        .map(|row| FloatRead {
            is_string: row.get(0),
            head: Bytes::from(row.get::<_, Option<Vec<u8>>>(1).unwrap_or_default()),
            version: row.get(2),
        }))
}

/// Writes INCRBYFLOAT's result if the key is still as it was read: at `version` (keeping its
/// expiry), or still absent (`None`; an expired row counts as absent). False when another client
/// wrote first, and the caller reads again.
pub async fn write_if_unchanged(
    store: &Store,
    db: i32,
    key: &[u8],
    version: Option<i64>,
    value: &[u8],
) -> Result<bool, CmdError> {
    const UPDATE: &str = "UPDATE pgredis_keys SET value = $4, version = nextval('pgredis_version')
                           WHERE db = $1 AND key = $2 AND version = $3
                             AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    const INSERT: &str = "INSERT INTO pgredis_keys AS k (db, key, type, value)
                          VALUES ($1, $2, 'string', $3)
                          ON CONFLICT (db, key) DO UPDATE
                             SET type = 'string', value = EXCLUDED.value, expires_at_ms = NULL,
                                 key_id = nextval('pgredis_key_id'),
                                 version = nextval('pgredis_version')
                           WHERE k.expires_at_ms <= pgredis_now_ms()";
    let written = match version {
        Some(version) => {
            store
                .execute(UPDATE, &[&db, &key, &version, &value])
                .await?
        }
        None => store.execute(INSERT, &[&db, &key, &value]).await?,
    };
    Ok(written == 1)
}
