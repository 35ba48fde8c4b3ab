//! Fuzzes the request parser: any bytes, fed whole or in pieces, must never panic or loop, and
//! the pieces must parse exactly like the whole (while the input stays under the size limits,
//! where Redis's own answer also depends on how the bytes arrive).

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use pgredis::resp::parse::{DEFAULT_MAX_BULK, INLINE_MAX};
use pgredis::resp::{Parsed, Parser};

/// Every result up to the first error, feeding `input` in pieces of `piece()` bytes.
fn parse(input: &[u8], mut piece: impl FnMut() -> usize, auth_required: bool) -> Vec<Parsed> {
    let mut parser = Parser::new(DEFAULT_MAX_BULK);
    parser.auth_required = auth_required;
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let n = piece().clamp(1, rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        loop {
            let before = buf.len();
            match parser.next(&mut buf) {
                Parsed::Incomplete => break,
                e @ Parsed::Error(_) => {
                    out.push(e);
                    return out;
                }
                c => {
                    assert!(buf.len() < before, "a command consumed no bytes");
                    out.push(c);
                }
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    // The first bytes choose the piece sizes and the authentication state; the rest is the input.
    if data.len() < 4 {
        return;
    }
    let (head, input) = data.split_at(4);
    let auth_required = head[0] & 1 == 1;
    let whole = parse(input, || usize::MAX, auth_required);
    let mut sizes = head[1..].iter().cycle();
    let pieces = parse(input, || *sizes.next().unwrap() as usize, auth_required);
    if input.len() <= INLINE_MAX {
        assert_eq!(whole, pieces);
    }
});
