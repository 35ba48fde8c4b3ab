//! Error replies, worded byte for byte as Redis 7.0 words them, in one place so every command says
//! the same thing the same way.

use std::borrow::Cow;

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const SYNTAX: &str = "ERR syntax error";
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const NO_SUCH_KEY: &str = "ERR no such key";
pub const DB_INDEX: &str = "ERR DB index is out of range";
pub const NOAUTH: &str = "NOAUTH Authentication required.";
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
pub const OUT_OF_RANGE: &str = "ERR value is out of range, must be positive";
pub const SAME_OBJECT: &str = "ERR source and destination objects are the same";
pub const NAN_OR_INF: &str = "ERR increment would produce NaN or Infinity";
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
pub const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
pub const BIT_VALUE: &str = "ERR bit is not an integer or out of range";
pub const DECREMENT_OVERFLOW: &str = "ERR decrement would overflow";
pub const OFFSET_OUT_OF_RANGE: &str = "ERR offset is out of range";
pub const LCS_NOT_STRINGS: &str = "ERR The specified keys must contain string values";
pub const LCS_LEN_AND_IDX: &str =
    "ERR If you want both the length and indexes, please just use IDX.";
pub const LCS_TOO_BIG: &str =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";

/// A transaction lost a serialization race with another client. Never reaches a client from
/// `cmd::atomic`, which runs the transaction again; a single statement outside a transaction can
/// only see it as a deadlock, which PostgreSQL resolves by failing one side.
pub const TX_CONFLICT: &str = "ERR PostgreSQL: transaction conflict with another client, try again";

/// An error reply: the whole text, starting with its code (`ERR`, `WRONGTYPE`, ...).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct CmdError(pub Cow<'static, str>);

impl CmdError {
    pub fn msg(text: impl Into<Cow<'static, str>>) -> CmdError {
        CmdError(text.into())
    }
}

impl From<&'static str> for CmdError {
    fn from(text: &'static str) -> CmdError {
        CmdError(Cow::Borrowed(text))
    }
}

/// "ERR wrong number of arguments for 'get' command".
pub fn wrong_arity(full_name: &str) -> CmdError {
    CmdError::msg(format!(
        "ERR wrong number of arguments for '{full_name}' command"
    ))
}

/// "ERR invalid expire time in 'set' command".
pub fn invalid_expire(name: &str) -> CmdError {
    CmdError::msg(format!("ERR invalid expire time in '{name}' command"))
}

/// Redis turns newlines in error texts into spaces so the reply stays one line.
pub fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// Text of an argument as Redis prints it with `%s`: up to the first NUL, lossy UTF-8.
pub fn c_str(arg: &[u8]) -> String {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    String::from_utf8_lossy(&arg[..end]).into_owned()
}
pub const BIT_ARGUMENT: &str = "ERR The bit argument must be 1 or 0.";
pub const BITOP_NOT_ONE_KEY: &str = "ERR BITOP NOT must be called with a single source key.";
pub const BITFIELD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
pub const BITFIELD_OVERFLOW: &str = "ERR Invalid OVERFLOW type specified";
pub const BITFIELD_RO_WRITE: &str = "ERR BITFIELD_RO only supports the GET subcommand";

// Generic key commands (EXPIRE family, SCAN, COPY, MOVE, SWAPDB, OBJECT).
pub const INVALID_CURSOR: &str = "ERR invalid cursor";
/// Redis's `getIntFromObjectOrReply` for a number that fits 64 bits but not 32 (the typo is
/// Redis's).
pub const INT_RANGE: &str =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
pub const EXPIRE_NX_WITH_OTHERS: &str =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
pub const EXPIRE_GT_AND_LT: &str = "ERR GT and LT options at the same time are not compatible";
pub const SWAPDB_FIRST_INDEX: &str = "ERR invalid first DB index";
pub const SWAPDB_SECOND_INDEX: &str = "ERR invalid second DB index";
pub const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// "ERR Unsupported option foo", for the EXPIRE family.
pub fn unsupported_option(arg: &[u8]) -> CmdError {
    CmdError::msg(one_line(&format!("ERR Unsupported option {}", c_str(arg))))
}

pub const NOPROTO: &str = "NOPROTO unsupported protocol version";
pub const PROTOCOL_VERSION: &str = "ERR Protocol version is not an integer or out of range";
pub const HELLO_NOAUTH: &str = "NOAUTH HELLO must be called with the client already authenticated, \
     otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and \
     select the RESP protocol version at the same time";
pub const AUTH_NOT_CONFIGURED: &str = "ERR AUTH <password> called without any password configured \
     for the default user. Are you sure your configuration is correct?";
pub const CLIENT_NAME: &str =
    "ERR Client names cannot contain spaces, newlines or special characters.";
pub const INVALID_CLIENT_ID: &str = "ERR Invalid client ID";
pub const INVALID_COMMAND: &str = "ERR Invalid command specified";
pub const NO_KEY_ARGUMENTS: &str = "ERR The command has no key arguments";
pub const INVALID_COMMAND_ARITY: &str = "ERR Invalid number of arguments specified for command";
pub const INVALID_COMMAND_ARGS: &str = "ERR Invalid arguments specified for command";

/// "ERR Syntax error in HELLO option 'x'".
pub fn hello_option(option: &[u8]) -> CmdError {
    CmdError::msg(one_line(&format!(
        "ERR Syntax error in HELLO option '{}'",
        c_str(option)
    )))
}
pub const NO_CONFIG_FILE: &str = "ERR The server is running without a config file";

// Sets.
pub const SINTERCARD_TOO_MANY_KEYS: &str =
    "ERR Number of keys can't be greater than number of args";
pub const LIMIT_NEGATIVE: &str = "ERR LIMIT can't be negative";
/// pgredis's own limit on SRANDMEMBER's negative count (`cmd::sets::MAX_DRAWS`).
pub const SRANDMEMBER_TOO_MANY: &str =
    "ERR value is out of range, pgredis returns at most 10000000 random members at once";
// Lists.
/// LMPOP (and the blocking BLMPOP) for a numkeys that is not a positive integer.
pub const NUMKEYS_POSITIVE: &str = "ERR numkeys should be greater than 0";
/// LMPOP's COUNT that is not a positive integer.
pub const COUNT_POSITIVE: &str = "ERR count should be greater than 0";
pub const LPOS_RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
pub const LPOS_COUNT_NEGATIVE: &str = "ERR COUNT can't be negative";
pub const LPOS_MAXLEN_NEGATIVE: &str = "ERR MAXLEN can't be negative";
// Hashes and SORT.
pub const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
pub const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
pub const VALUE_NAN_OR_INF: &str = "ERR value is NaN or Infinity";
pub const VALUE_OUT_OF_RANGE: &str = "ERR value is out of range";
/// getRangeLongFromObjectOrReply's text for -LONG_MAX..LONG_MAX (Redis's typo included).
pub const LONG_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
pub const SORT_SCORES: &str = "ERR One or more scores can't be converted into double";
// Sorted sets.
pub const ZADD_XX_AND_NX: &str = "ERR XX and NX options at the same time are not compatible";
pub const ZADD_GT_LT_NX: &str = "ERR GT, LT, and/or NX options at the same time are not compatible";
pub const ZADD_INCR_PAIRS: &str = "ERR INCR option supports a single increment-element pair";
pub const ZSCORE_NAN: &str = "ERR resulting score is not a number (NaN)";
pub const MIN_MAX_NOT_FLOAT: &str = "ERR min or max is not a float";
pub const MIN_MAX_NOT_LEX: &str = "ERR min or max not valid string range item";
pub const ZRANGE_LIMIT: &str =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
pub const ZRANGE_BYLEX_WITHSCORES: &str =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
pub const WEIGHT_NOT_FLOAT: &str = "ERR weight value is not a float";

/// "ERR at least 1 input key is needed for 'zunion' command".
pub fn no_input_keys(name: &str) -> CmdError {
    CmdError::msg(format!(
        "ERR at least 1 input key is needed for '{name}' command"
    ))
}

// Transactions (MULTI, EXEC, DISCARD, WATCH).
pub const MULTI_NESTED: &str = "ERR MULTI calls can not be nested";
pub const EXEC_WITHOUT_MULTI: &str = "ERR EXEC without MULTI";
pub const DISCARD_WITHOUT_MULTI: &str = "ERR DISCARD without MULTI";
pub const WATCH_INSIDE_MULTI: &str = "ERR WATCH inside MULTI is not allowed";
pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";
pub const NOT_ALLOWED_IN_MULTI: &str = "ERR Command not allowed inside a transaction";

/// "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command",
/// when EXEC itself is refused; Redis quotes the refusal without an ERR code.
pub fn execabort_because(refusal: &CmdError) -> CmdError {
    let why = refusal.0.strip_prefix("ERR ").unwrap_or(&refusal.0);
    CmdError::msg(format!("EXECABORT Transaction discarded because of: {why}"))
}

// Blocking commands and CLIENT UNBLOCK / KILL.
pub const TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
pub const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";
pub const UNBLOCKED: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
pub const UNBLOCK_REASON: &str = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR";
pub const NO_SUCH_CLIENT: &str = "ERR No such client";
pub const CLIENT_ID_POSITIVE: &str = "ERR client-id should be greater than 0";
