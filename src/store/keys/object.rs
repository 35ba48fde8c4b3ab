//! SQL for OBJECT: what a key's encoding and reference count are computed from.

use bytes::Bytes;

use super::super::Store;
use crate::cmd::CmdError;

/// What OBJECT needs to know about a live key.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyObject {
    /// The type name (`string`, `list`, ...).
    pub type_name: String,
    /// A string's length in bytes.
    pub len: Option<i32>,
    /// A string's value when it is short enough to be an integer (20 bytes at most); longer
    /// values are not fetched, their encoding follows from their length.
    pub short_value: Option<Bytes>,
}

/// The live key's type and, for a string, its length and short value. Reads only.
pub async fn object(store: &Store, db: i32, key: &[u8]) -> Result<Option<KeyObject>, CmdError> {
    const SQL: &str = "SELECT type::text, length(value),
                              CASE WHEN length(value) <= 20 THEN value END
                         FROM pgredis_keys
                        WHERE db = $1 AND key = $2
                          AND (expires_at_ms IS NULL OR expires_at_ms > pgredis_now_ms())";
    Ok(store
        .query_opt(SQL, &[&db, &key])
        .await?
        .map(|row| KeyObject {
            type_name: row.get(0),
            len: row.get(1),
            short_value: row.get::<_, Option<Vec<u8>>>(2).map(Bytes::from),
        }))
}
