//! HRANDFIELD: random fields, checked by their properties in `spec/hashes.rs` since no two runs
//! (and no two servers) agree on them.

use bytes::Bytes;

use crate::cmd::errors::{self, LONG_RANGE, NOT_INTEGER, SYNTAX, VALUE_OUT_OF_RANGE, WRONGTYPE};
use crate::cmd::table::CmdResult;
use crate::cmd::{Args, Ctx};
use crate::numbers::string2ll;
use crate::resp::{Protocol, Reply};
use crate::store::hashes::{self as sql, Pick};

/// HRANDFIELD key [count [WITHVALUES]]
pub async fn hrandfield(ctx: &mut Ctx, mut args: Args) -> CmdResult {
    let key = args.next_bytes()?;
    if args.is_empty() {
        let picked = sql::hrandfield(&ctx.store, ctx.db, &key, Pick::Repeating(1)).await?;
        return Ok(Reply::bulk_or_nil(
            picked.into_iter().next().map(|(f, _)| f),
        ));
    }
    // Redis's getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX).
    let count = string2ll(&args.next_bytes()?).ok_or(NOT_INTEGER)?;
    if count == i64::MIN {
        return Err(LONG_RANGE.into());
    }
    let with_values = match args.remaining() {
        0 => false,
        1 if errors::c_str(&args.next_bytes()?).eq_ignore_ascii_case("withvalues") => true,
        _ => return Err(SYNTAX.into()),
    };
    // Two replies per field must still fit the count.
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(VALUE_OUT_OF_RANGE.into());
    }
    if count == 0 {
        // Still WRONGTYPE for a key of another type.
        return match crate::store::keys::key_type(&ctx.store, ctx.db, &key).await? {
            Some(t) if t != "hash" => Err(WRONGTYPE.into()),
            _ => Ok(Reply::Array(Vec::new())),
        };
    }
    let pick = if count < 0 || count == 1 {
        Pick::Repeating(count.unsigned_abs() as i64)
    } else {
        Pick::Distinct(count)
    };
    let picked = sql::hrandfield(&ctx.store, ctx.db, &key, pick).await?;
    Ok(reply(picked, with_values, ctx.protocol))
}

/// Fields alone; or with values, flat in RESP2 and as [field, value] pairs in RESP3.
fn reply(picked: Vec<(Bytes, Bytes)>, with_values: bool, protocol: Protocol) -> Reply {
    if !with_values {
        return Reply::Array(picked.into_iter().map(|(f, _)| Reply::Bulk(f)).collect());
    }
    if protocol == Protocol::Resp3 {
        return Reply::Array(
            picked
                .into_iter()
                .map(|(f, v)| Reply::Array(vec![Reply::Bulk(f), Reply::Bulk(v)]))
                .collect(),
        );
    }
    Reply::Array(
        picked
            .into_iter()
            .flat_map(|(f, v)| [Reply::Bulk(f), Reply::Bulk(v)])
            .collect(),
    )
}
