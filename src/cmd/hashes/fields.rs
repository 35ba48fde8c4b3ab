//! HSET, HSETNX, HMSET, HGET, HMGET, HGETALL, HDEL, HEXISTS, HLEN, HSTRLEN, HKEYS, HVALS.

use bytes::Bytes;

use crate::cmd::errors::wrong_arity;
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, CmdError, Ctx};
use crate::resp::Reply;
use crate::store::hashes as sql;

/// The field/value pairs after the key; an odd count is an arity error, as Redis reports it.
fn pairs(args: &mut Args, name: &str) -> Result<(Vec<Bytes>, Vec<Bytes>), CmdError> {
    let rest = args.rest();
    if rest.is_empty() || rest.len() % 2 == 1 {
        return Err(wrong_arity(name));
    }
    let (fields, values) = rest.chunks(2).map(|p| (p[0].clone(), p[1].clone())).unzip();
    Ok((fields, values))
}

fn slices(v: &[Bytes]) -> Vec<&[u8]> {
    v.iter().map(|b| &b[..]).collect()
}

async fn set_pairs(ctx: &mut Ctx, mut args: Args, name: &str) -> Result<i64, CmdError> {
    let key = args.next_bytes()?;
    let (fields, values) = pairs(&mut args, name)?;
    let (fields, values) = (slices(&fields), slices(&values));
    sql::hset(&ctx.store, ctx.db, &key, &fields, &values, false).await
}

/// HSET key field value [field value ...]
pub async fn hset(ctx: &mut Ctx, args: Args) -> CmdResult {
    Ok(Reply::Int(set_pairs(ctx, args, "hset").await?))
}

/// HMSET key field value [field value ...]
pub async fn hmset(ctx: &mut Ctx, args: Args) -> CmdResult {
    set_pairs(ctx, args, "hmset").await?;
    Ok(Reply::ok())
}

/// HSETNX key field value
pub async fn hsetnx(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let field = args.next_bytes()?;
    let value = args.next_bytes()?;
    let added = sql::hset(&ctx.store, ctx.db, &key, &[&field], &[&value], true).await?;
    Ok(Reply::Int(added))
}

/// HGET key field
pub async fn hget(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let field = args.next_bytes()?;
    Ok(Reply::bulk_or_nil(
        sql::hget(&ctx.store, ctx.db, &key, &field).await?,
    ))
}

/// HMGET key field [field ...]
pub async fn hmget(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let fields = args.rest();
    let values = sql::hmget(&ctx.store, ctx.db, &key, &slices(&fields)).await?;
    Ok(Reply::Array(
        values.into_iter().map(Reply::bulk_or_nil).collect(),
    ))
}

/// HGETALL key
pub async fn hgetall(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let pairs = sql::hgetall(&ctx.store, ctx.db, &key).await?;
    Ok(Reply::Map(
        pairs
            .into_iter()
            .map(|(f, v)| (Reply::Bulk(f), Reply::Bulk(v)))
            .collect(),
    ))
}

/// HKEYS key
pub async fn hkeys(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let pairs = sql::hgetall(&ctx.store, ctx.db, &key).await?;
    Ok(Reply::Array(
        pairs.into_iter().map(|(f, _)| Reply::Bulk(f)).collect(),
    ))
}

/// HVALS key
pub async fn hvals(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let pairs = sql::hgetall(&ctx.store, ctx.db, &key).await?;
    Ok(Reply::Array(
        pairs.into_iter().map(|(_, v)| Reply::Bulk(v)).collect(),
    ))
}

/// HDEL key field [field ...]
pub async fn hdel(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let fields = args.rest();
    Ok(Reply::Int(
        sql::hdel(&ctx.store, ctx.db, &key, &slices(&fields)).await?,
    ))
}

/// HEXISTS key field
pub async fn hexists(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let field = args.next_bytes()?;
    let len = sql::field_len(&ctx.store, ctx.db, &key, &field).await?;
    Ok(Reply::Int(len.is_some() as i64))
}

/// HSTRLEN key field
pub async fn hstrlen(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    let field = args.next_bytes()?;
    let len = sql::field_len(&ctx.store, ctx.db, &key, &field).await?;
    Ok(Reply::Int(len.unwrap_or(0)))
}

/// HLEN key
pub async fn hlen(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    Ok(Reply::Int(sql::hlen(&ctx.store, ctx.db, &key).await?))
}
