//! RESP, the Redis serialization protocol, with no I/O: `parse` turns request bytes into argument
//! vectors and `reply` turns `Reply` values into RESP2 or RESP3 bytes. Keeping both pure lets the
//! connection layer own the socket and lets unit tests and the fuzzer drive them directly.

pub mod parse;
pub mod reply;

pub use parse::{Parsed, Parser};
pub use reply::{Protocol, Reply};
