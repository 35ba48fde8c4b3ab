//! Request parsing, resumable on partial input, with Redis 7.0's limits and protocol error texts.
//!
//! Redis accepts two request forms: multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and inline
//! (`GET k\r\n`, split like a shell line). `Parser::next` takes one complete request off the front of
//! the buffer, says it needs more bytes, or reports a protocol error whose text is Redis's own; the
//! connection answers that error and closes, as Redis does.

use bytes::{Buf, Bytes, BytesMut};

use crate::numbers::string2ll;

/// Longest inline request, and longest count line, Redis accepts (PROTO_INLINE_MAX_SIZE).
pub const INLINE_MAX: usize = 64 * 1024;
/// Default `proto-max-bulk-len`.
pub const DEFAULT_MAX_BULK: i64 = 512 * 1024 * 1024;
/// The most buffer space reserved ahead of a large bulk's bytes arriving.
const RESERVE_AHEAD: usize = 1024 * 1024;

/// What one call of `Parser::next` found at the front of the buffer.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// A complete request; empty requests (`*0`, blank lines) are skipped, never returned.
    Command(Vec<Bytes>),
    /// The buffer holds only part of a request; read more and call again.
    Incomplete,
    /// Redis's protocol error text (without the leading `-`); answer it and close the connection.
    Error(String),
}

/// Parser state that survives between reads, so a large multibulk is not rescanned per read.
#[derive(Debug)]
pub struct Parser {
    max_bulk: i64,
    /// Remaining arguments of the multibulk being read, and those read so far.
    pending: Option<(usize, Vec<Bytes>)>,
    /// Set when a client authenticates; unauthenticated clients get tighter limits.
    pub auth_required: bool,
}

impl Parser {
    pub fn new(max_bulk: i64) -> Self {
        Parser {
            max_bulk,
            pending: None,
            auth_required: false,
        }
    }

    /// Takes the next request off the front of `buf`.
    pub fn next(&mut self, buf: &mut BytesMut) -> Parsed {
        loop {
            if self.pending.is_none() {
                if buf.is_empty() {
                    return Parsed::Incomplete;
                }
                if buf[0] != b'*' {
                    match self.inline(buf) {
                        Parsed::Command(args) if args.is_empty() => continue,
                        other => return other,
                    }
                }
                match self.multibulk_header(buf) {
                    Ok(Some(0)) => continue,
                    Ok(Some(n)) => self.pending = Some((n, Vec::with_capacity(n.min(1024)))),
                    Ok(None) => return Parsed::Incomplete,
                    Err(e) => return Parsed::Error(e),
                }
            }
            return match self.bulks(buf) {
                Ok(true) => {
                    let (_, args) = self.pending.take().expect("pending multibulk");
                    Parsed::Command(args)
                }
                Ok(false) => Parsed::Incomplete,
                Err(e) => Parsed::Error(e),
            };
        }
    }

    /// Reads `*<count>\r\n`; `Ok(None)` when the line is not complete yet.
    fn multibulk_header(&self, buf: &mut BytesMut) -> Result<Option<usize>, String> {
        let Some(cr) = memchr(b'\r', buf) else {
            if buf.len() > INLINE_MAX {
                return Err("Protocol error: too big mbulk count string".into());
            }
            return Ok(None);
        };
        if cr + 2 > buf.len() {
            return Ok(None);
        }
        let count = string2ll(&buf[1..cr]);
        let count = match count {
            Some(n) if n <= i32::MAX as i64 => n,
            _ => return Err("Protocol error: invalid multibulk length".into()),
        };
        if count > 10 && self.auth_required {
            return Err("Protocol error: unauthenticated multibulk length".into());
        }
        buf.advance(cr + 2);
        Ok(Some(count.max(0) as usize))
    }

    /// Reads as many `$<len>\r\n<bytes>\r\n` arguments as the buffer holds; true when all are in.
    fn bulks(&mut self, buf: &mut BytesMut) -> Result<bool, String> {
        let (remaining, args) = self.pending.as_mut().expect("pending multibulk");
        while *remaining > 0 {
            let Some(cr) = memchr(b'\r', buf) else {
                if buf.len() > INLINE_MAX {
                    return Err("Protocol error: too big bulk count string".into());
                }
                return Ok(false);
            };
            if cr + 2 > buf.len() {
                return Ok(false);
            }
            if buf[0] != b'$' {
                // Redis turns a CR or LF in an error text into a blank.
                let got = match buf[0] {
                    b'\r' | b'\n' => ' ',
                    other => other as char,
                };
                return Err(format!("Protocol error: expected '$', got '{got}'"));
            }
            let len = match string2ll(&buf[1..cr]) {
                Some(n) if n >= 0 && n <= self.max_bulk => n as usize,
                _ => return Err("Protocol error: invalid bulk length".into()),
            };
            if len > 16384 && self.auth_required {
                return Err("Protocol error: unauthenticated bulk length".into());
            }
            // Like Redis, the two bytes after the payload are skipped unchecked.
            if buf.len() < cr + 2 + len + 2 {
                // Room for the payload as it arrives, not at once: a client that declares 512MB
                // and sends nothing gets no 512MB buffer.
                buf.reserve((cr + 2 + len + 2 - buf.len()).min(RESERVE_AHEAD));
                return Ok(false);
            }
            buf.advance(cr + 2);
            args.push(buf.split_to(len).freeze());
            buf.advance(2);
            *remaining -= 1;
        }
        Ok(true)
    }

    /// Reads one inline request line; an empty argument list means a blank line.
    fn inline(&self, buf: &mut BytesMut) -> Parsed {
        let Some(nl) = memchr(b'\n', buf) else {
            if buf.len() > INLINE_MAX {
                return Parsed::Error("Protocol error: too big inline request".into());
            }
            return Parsed::Incomplete;
        };
        let end = if nl > 0 && buf[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let line = buf.split_to(nl + 1);
        match split_args(&line[..end]) {
            Some(args) => Parsed::Command(args.into_iter().map(Bytes::from).collect()),
            None => Parsed::Error("Protocol error: unbalanced quotes in request".into()),
        }
    }
}

/// Where the line ending `needle` is, searched the way Redis's `strchr` over its query buffer
/// does: the search stops at a NUL byte, so a line holding one never ends (the client waits until
/// the size limit closes it), exactly as with Redis.
fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter()
        .position(|&b| b == needle || b == 0)
        .filter(|&i| hay[i] == needle)
}

/// Splits a line into arguments the way Redis's `sdssplitargs` does: blanks separate, double
/// quotes understand `\xHH` and C escapes, single quotes understand only `\'`, and a closing quote
/// must be followed by a blank. `None` means unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut i = 0;
    let is_space = |b: u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c);
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            if in_double {
                if i >= line.len() {
                    return None;
                }
                let c = line[i];
                if c == b'\\'
                    && i + 3 < line.len()
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    current.push(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                    i += 3;
                } else if c == b'\\' && i + 1 < line.len() {
                    i += 1;
                    current.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < line.len() && !is_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    current.push(c);
                }
            } else if in_single {
                if i >= line.len() {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < line.len() && line[i + 1] == b'\'' {
                    i += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < line.len() && !is_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    current.push(c);
                }
            } else {
                if i >= line.len() {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        i += 1;
                        break;
                    }
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    c => current.push(c),
                }
            }
            i += 1;
        }
        args.push(current);
    }
}

fn hex(c: u8) -> u8 {
    (c as char).to_digit(16).unwrap_or(0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Vec<Parsed> {
        let mut p = Parser::new(DEFAULT_MAX_BULK);
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match p.next(&mut buf) {
                Parsed::Incomplete => break,
                e @ Parsed::Error(_) => {
                    out.push(e);
                    break;
                }
                c => out.push(c),
            }
        }
        out
    }

    fn cmd(args: &[&[u8]]) -> Parsed {
        Parsed::Command(args.iter().map(|a| Bytes::copy_from_slice(a)).collect())
    }

    #[test]
    fn multibulk_and_inline() {
        assert_eq!(
            parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n"),
            vec![cmd(&[b"GET", b"k"]), cmd(&[b"PING"])]
        );
        assert_eq!(
            parse_all(b"set \"a\\x00b\" 'it\\'s'\n"),
            vec![cmd(&[b"set", b"a\0b", b"it's"])]
        );
    }

    #[test]
    fn resumes_on_partial_input() {
        let whole = b"*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n";
        let mut p = Parser::new(DEFAULT_MAX_BULK);
        let mut buf = BytesMut::new();
        for (i, b) in whole.iter().enumerate() {
            buf.extend_from_slice(&[*b]);
            let r = p.next(&mut buf);
            if i + 1 < whole.len() {
                assert_eq!(r, Parsed::Incomplete, "at byte {i}");
            } else {
                assert_eq!(r, cmd(&[b"GET", b"hello"]));
            }
        }
    }

    #[test]
    fn protocol_errors_match_redis() {
        let err = |s: &str| vec![Parsed::Error(s.to_string())];
        assert_eq!(
            parse_all(b"*x\r\n"),
            err("Protocol error: invalid multibulk length")
        );
        assert_eq!(
            parse_all(b"*1\r\n$-1\r\n"),
            err("Protocol error: invalid bulk length")
        );
        assert_eq!(
            parse_all(b"*1\r\nfoo\r\n"),
            err("Protocol error: expected '$', got 'f'")
        );
        assert_eq!(
            parse_all(b"\"unbalanced\n"),
            err("Protocol error: unbalanced quotes in request")
        );
        assert_eq!(
            parse_all(b"*1\r\n$999999999999\r\n"),
            err("Protocol error: invalid bulk length")
        );
        assert_eq!(parse_all(b"*0\r\n\r\n*-1\r\n"), vec![]);
        assert_eq!(
            parse_all(b"*1\r\r\n$4\r\nPING\r\n"),
            err("Protocol error: expected '$', got ' '")
        );
    }

    #[test]
    fn a_nul_byte_keeps_a_line_from_ending_as_in_redis() {
        // Redis finds line ends with strchr, which stops at NUL: the request waits for more
        // bytes until the size limit answers it.
        assert_eq!(parse_all(b"\0\r\nPING\r\n"), vec![]);
        assert_eq!(parse_all(b"ECHO a\0b\n"), vec![]);
        assert_eq!(parse_all(b"*1\0\r\n"), vec![]);
        let mut long = b"ECHO \0\n".to_vec();
        long.resize(INLINE_MAX + 1, b'a');
        assert_eq!(
            parse_all(&long),
            vec![Parsed::Error(
                "Protocol error: too big inline request".into()
            )]
        );
        // A NUL inside a bulk payload is data.
        assert_eq!(parse_all(b"*1\r\n$3\r\na\0b\r\n"), vec![cmd(&[b"a\0b"])]);
    }

    #[test]
    fn size_limits() {
        let err = |s: &str| vec![Parsed::Error(s.to_string())];
        let mut inline = vec![b'A'; INLINE_MAX + 1];
        assert_eq!(
            parse_all(&inline),
            err("Protocol error: too big inline request")
        );
        inline.pop();
        assert_eq!(parse_all(&inline), vec![]);
        let mut count = vec![b'1'; INLINE_MAX + 1];
        count[0] = b'*';
        assert_eq!(
            parse_all(&count),
            err("Protocol error: too big mbulk count string")
        );
        let mut bulk = b"*1\r\n$".to_vec();
        bulk.resize(4 + INLINE_MAX + 1, b'9');
        assert_eq!(
            parse_all(&bulk),
            err("Protocol error: too big bulk count string")
        );
        assert_eq!(
            parse_all(b"*2147483648\r\n"),
            err("Protocol error: invalid multibulk length")
        );
        assert_eq!(parse_all(b"*2147483647\r\n"), vec![]);
        assert_eq!(parse_all(b"*1\r\n$536870912\r\n"), vec![]);
        assert_eq!(
            parse_all(b"*1\r\n$536870913\r\n"),
            err("Protocol error: invalid bulk length")
        );
    }

    #[test]
    fn a_large_bulk_arrives_in_pieces() {
        let value: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let wire = multibulk(&[b"SET", b"k", &value]);
        let mut p = Parser::new(DEFAULT_MAX_BULK);
        let mut buf = BytesMut::new();
        for piece in wire.chunks(64 * 1024) {
            assert_eq!(p.next(&mut buf), Parsed::Incomplete);
            buf.extend_from_slice(piece);
        }
        assert_eq!(p.next(&mut buf), cmd(&[b"SET", b"k", &value]));
        assert!(buf.is_empty());
    }

    #[test]
    fn unauthenticated_limits() {
        let mut p = Parser::new(DEFAULT_MAX_BULK);
        p.auth_required = true;
        let mut buf = BytesMut::from(&b"*11\r\n"[..]);
        assert_eq!(
            p.next(&mut buf),
            Parsed::Error("Protocol error: unauthenticated multibulk length".into())
        );
        let mut p = Parser::new(DEFAULT_MAX_BULK);
        p.auth_required = true;
        let mut buf = BytesMut::from(&b"*1\r\n$16385\r\n"[..]);
        assert_eq!(
            p.next(&mut buf),
            Parsed::Error("Protocol error: unauthenticated bulk length".into())
        );
    }

    /// SplitMix64: a tiny deterministic PRNG, so property tests reproduce from their seed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// A number in `0..n`.
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        /// Bytes that hit the parser's interesting paths more often than uniform noise would.
        fn protocol_ish(&mut self, len: usize) -> Vec<u8> {
            const ALPHABET: &[u8] = b"*$\r\n\r\n0123456789-+ \"'\\xaF\0\t";
            (0..len)
                .map(|_| match self.below(3) {
                    0 => self.next() as u8,
                    _ => ALPHABET[self.below(ALPHABET.len())],
                })
                .collect()
        }
    }

    /// Every result of feeding `input` in pieces of random size, up to the first error.
    fn parse_chunked(input: &[u8], rng: &mut Rng, max_chunk: usize) -> Vec<Parsed> {
        let mut p = Parser::new(DEFAULT_MAX_BULK);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let n = (1 + rng.below(max_chunk)).min(rest.len());
            buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            loop {
                match p.next(&mut buf) {
                    Parsed::Incomplete => break,
                    e @ Parsed::Error(_) => {
                        out.push(e);
                        return out;
                    }
                    c => out.push(c),
                }
            }
        }
        out
    }

    #[test]
    fn random_bytes_never_panic_and_chunking_does_not_matter() {
        let mut rng = Rng(0x5eed_0001);
        for case in 0..20_000 {
            let len = rng.below(120);
            let input = rng.protocol_ish(len);
            let whole = parse_all(&input);
            let chunked = parse_chunked(&input, &mut rng, 8);
            assert_eq!(whole, chunked, "case {case}: input {input:?}");
        }
    }

    /// A request written the way a client might send it, and the arguments it stands for.
    fn random_request(rng: &mut Rng) -> (Vec<u8>, Vec<Vec<u8>>) {
        let argc = 1 + rng.below(5);
        let args: Vec<Vec<u8>> = (0..argc)
            .map(|_| {
                let len = rng.below(12);
                match rng.below(3) {
                    0 => (0..len).map(|_| b'a' + rng.below(26) as u8).collect(),
                    _ => (0..len).map(|_| rng.next() as u8).collect(),
                }
            })
            .collect();
        let mut wire = Vec::new();
        if rng.below(4) == 0 {
            // Inline, every argument double-quoted with \xHH escapes.
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    wire.push(b' ');
                }
                wire.push(b'"');
                for b in arg {
                    wire.extend_from_slice(format!("\\x{b:02x}").as_bytes());
                }
                wire.push(b'"');
            }
            wire.extend_from_slice(if rng.below(2) == 0 { b"\r\n" } else { b"\n" });
        } else {
            let refs: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
            wire.extend_from_slice(&multibulk(&refs));
        }
        (wire, args)
    }

    fn multibulk(args: &[&[u8]]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    #[test]
    fn a_pipeline_in_random_pieces_parses_like_the_whole() {
        let mut rng = Rng(0x5eed_0002);
        for case in 0..500 {
            let mut wire = Vec::new();
            let mut expected = Vec::new();
            for _ in 0..1 + rng.below(20) {
                match rng.below(10) {
                    // Empty requests Redis skips silently.
                    0 => wire.extend_from_slice(
                        [&b"*0\r\n"[..], b"*-1\r\n", b"\r\n", b" \n"][rng.below(4)],
                    ),
                    _ => {
                        let (bytes, args) = random_request(&mut rng);
                        wire.extend_from_slice(&bytes);
                        expected.push(Parsed::Command(args.into_iter().map(Bytes::from).collect()));
                    }
                }
            }
            assert_eq!(parse_all(&wire), expected, "case {case}: whole");
            for max_chunk in [1, 3, 16, 1000] {
                assert_eq!(
                    parse_chunked(&wire, &mut rng, max_chunk),
                    expected,
                    "case {case}: pieces of up to {max_chunk} bytes"
                );
            }
        }
    }
}
