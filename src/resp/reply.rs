//! Reply values and their encoding in RESP2 and RESP3.
//!
//! Handlers build a `Reply` and never see the protocol version: the connection encodes each reply
//! for the version its client chose with HELLO. Types that RESP2 lacks (maps, sets, doubles,
//! booleans, verbatim strings, pushes) degrade to what Redis sends RESP2 clients.

use std::borrow::Cow;

use bytes::{BufMut, Bytes, BytesMut};

use crate::numbers::format_double;

/// The protocol version a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Resp2,
    Resp3,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`: a status line.
    Status(Cow<'static, str>),
    /// `-ERR ...`: the whole text, starting with its code (`ERR`, `WRONGTYPE`, ...).
    Error(Cow<'static, str>),
    Int(i64),
    Bulk(Bytes),
    /// The null bulk string (`$-1` in RESP2).
    Nil,
    /// The null array (`*-1` in RESP2).
    NilArray,
    Array(Vec<Reply>),
    /// A map in RESP3; a flat array of key, value, ... in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// A set in RESP3; an array in RESP2.
    Set(Vec<Reply>),
    /// A double in RESP3; a bulk string formatted like Redis's `%.17g` in RESP2.
    Double(f64),
    /// A boolean in RESP3; the integer 1 or 0 in RESP2.
    Bool(bool),
    /// A verbatim string (`txt`) in RESP3; a bulk string in RESP2.
    Verbatim(Bytes),
    /// An out-of-band push in RESP3; an array in RESP2.
    Push(Vec<Reply>),
    /// Several replies one after another, for a command that answers more than once (SUBSCRIBE
    /// confirms each channel with a reply of its own).
    Many(Vec<Reply>),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Status(Cow::Borrowed("OK"))
    }

    pub fn status(s: &'static str) -> Reply {
        Reply::Status(Cow::Borrowed(s))
    }

    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }

    /// A bulk string, or the null bulk string for `None`.
    pub fn bulk_or_nil(b: Option<impl Into<Bytes>>) -> Reply {
        b.map_or(Reply::Nil, |b| Reply::Bulk(b.into()))
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// Appends this reply's bytes, as `proto` spells them, to `out`.
    pub fn encode(&self, proto: Protocol, out: &mut BytesMut) {
        let resp3 = proto == Protocol::Resp3;
        match self {
            Reply::Status(s) => line(out, b'+', s.as_bytes()),
            Reply::Error(e) => line(out, b'-', e.as_bytes()),
            Reply::Int(n) => line(out, b':', n.to_string().as_bytes()),
            Reply::Bulk(b) => bulk(out, b'$', b),
            Reply::Nil if resp3 => out.put_slice(b"_\r\n"),
            Reply::Nil => out.put_slice(b"$-1\r\n"),
            Reply::NilArray if resp3 => out.put_slice(b"_\r\n"),
            Reply::NilArray => out.put_slice(b"*-1\r\n"),
            Reply::Array(items) => aggregate(out, b'*', items, proto),
            Reply::Set(items) => aggregate(out, if resp3 { b'~' } else { b'*' }, items, proto),
            Reply::Push(items) => aggregate(out, if resp3 { b'>' } else { b'*' }, items, proto),
            Reply::Map(pairs) => {
                if resp3 {
                    line(out, b'%', pairs.len().to_string().as_bytes());
                } else {
                    line(out, b'*', (pairs.len() * 2).to_string().as_bytes());
                }
                for (k, v) in pairs {
                    k.encode(proto, out);
                    v.encode(proto, out);
                }
            }
            Reply::Double(d) => {
                let text = format_double(*d);
                if resp3 {
                    line(out, b',', text.as_bytes());
                } else {
                    bulk(out, b'$', text.as_bytes());
                }
            }
            Reply::Bool(b) if resp3 => out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            Reply::Bool(b) => out.put_slice(if *b { b":1\r\n" } else { b":0\r\n" }),
            Reply::Verbatim(b) if resp3 => {
                let mut body = Vec::with_capacity(b.len() + 4);
                body.extend_from_slice(b"txt:");
                body.extend_from_slice(b);
                bulk(out, b'=', &body);
            }
            Reply::Verbatim(b) => bulk(out, b'$', b),
            Reply::Many(replies) => replies.iter().for_each(|r| r.encode(proto, out)),
        }
    }
}

impl From<i64> for Reply {
    fn from(n: i64) -> Reply {
        Reply::Int(n)
    }
}

fn line(out: &mut BytesMut, kind: u8, body: &[u8]) {
    out.reserve(body.len() + 3);
    out.put_u8(kind);
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

fn bulk(out: &mut BytesMut, kind: u8, body: &[u8]) {
    line(out, kind, body.len().to_string().as_bytes());
    out.reserve(body.len() + 2);
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

fn aggregate(out: &mut BytesMut, kind: u8, items: &[Reply], proto: Protocol) {
    line(out, kind, items.len().to_string().as_bytes());
    for item in items {
        item.encode(proto, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: Reply, p: Protocol) -> Vec<u8> {
        let mut out = BytesMut::new();
        r.encode(p, &mut out);
        out.to_vec()
    }

    #[test]
    fn resp2_and_resp3() {
        let map = Reply::Map(vec![(Reply::bulk("a"), Reply::Int(1))]);
        assert_eq!(
            enc(map.clone(), Protocol::Resp2),
            b"*2\r\n$1\r\na\r\n:1\r\n"
        );
        assert_eq!(enc(map, Protocol::Resp3), b"%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(Reply::Nil, Protocol::Resp2), b"$-1\r\n");
        assert_eq!(enc(Reply::Nil, Protocol::Resp3), b"_\r\n");
        assert_eq!(enc(Reply::Double(1.5), Protocol::Resp2), b"$3\r\n1.5\r\n");
        assert_eq!(enc(Reply::Double(1.5), Protocol::Resp3), b",1.5\r\n");
    }
}
