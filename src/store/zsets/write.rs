//! SQL for ZADD (and ZINCRBY), ZREM and the pops. Each is one call of a server-side function
//! that locks the key first (`migrations/0009_zsets.sql`).

use bytes::Bytes;

use super::super::Store;
use crate::cmd::CmdError;

/// ZADD's flags.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AddFlags {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
    pub incr: bool,
}

/// What ZADD did: members added, members whose score changed, and INCR's new score (`None`
/// when a condition stopped it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Added {
    pub added: i64,
    pub changed: i64,
    pub score: Option<f64>,
}

/// ZADD and ZINCRBY: all pairs in one call; scores are checked by the caller.
pub async fn add(
    store: &Store,
    db: i32,
    key: &[u8],
    pairs: &[(f64, Bytes)],
    flags: AddFlags,
) -> Result<Added, CmdError> {
    if let [(score, member)] = pairs
        && flags == AddFlags::default()
    {
        const SQL: &str = "SELECT added, changed FROM pgredis_zadd_plain($1, $2, $3, $4)";
        let row = store
            .write(db, key)
            .query_one(SQL, &[&db, &key, &&member[..], score])
            .await?;
        return Ok(Added {
            added: row.get(0),
            changed: row.get(1),
            score: Some(*score),
        });
    }
    const SQL: &str = "SELECT added, changed, new_score
                         FROM pgredis_zadd($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let members: Vec<&[u8]> = pairs.iter().map(|(_, m)| &m[..]).collect();
    let scores: Vec<f64> = pairs.iter().map(|(s, _)| *s).collect();
    let row = store
        .write(db, key)
        .query_one(
            SQL,
            &[
                &db,
                &key,
                &members,
                &scores,
                &flags.nx,
                &flags.xx,
                &flags.gt,
                &flags.lt,
                &flags.incr,
            ],
        )
        .await?;
    Ok(Added {
        added: row.get(0),
        changed: row.get(1),
        score: row.get(2),
    })
}

/// ZREM: removes members, returns how many there were.
pub async fn rem(store: &Store, db: i32, key: &[u8], members: &[Bytes]) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_zrem($1, $2, $3)";
    let members: Vec<&[u8]> = members.iter().map(|m| &m[..]).collect();
    Ok(store
        .write(db, key)
        .query_one(SQL, &[&db, &key, &members])
        .await?
        .get(0))
}

/// Which end a pop takes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Min,
    Max,
}

/// What a pop took: the key it popped from and the members with their scores, in pop order.
#[derive(Debug, Clone, PartialEq)]
pub struct Popped {
    pub key: Bytes,
    pub members: Vec<(Bytes, f64)>,
}

/// ZPOPMIN, ZPOPMAX, ZMPOP (and the blocking pops to come): pops up to `count` members from the
/// first of `keys` that holds a sorted set; `None` when none does. WRONGTYPE for a key of
/// another type met first. An emptied set loses its key.
pub async fn pop(
    store: &Store,
    db: i32,
    keys: &[Bytes],
    count: i64,
    end: End,
) -> Result<Option<Popped>, CmdError> {
    const SQL: &str = "SELECT key, member, score FROM pgredis_zpop($1, $2, $3, $4)";
    let slices: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
    let rows = store
        .write_keys(db, keys)
        .query(SQL, &[&db, &slices, &count, &(end == End::Max)])
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(Popped {
        key: Bytes::from(first.get::<_, Vec<u8>>(0)),
        members: super::scored_rows(&rows, 1),
    }))
}
