//! Bad input: malformed, truncated, oversized and random requests. Protocol errors get Redis's
//! own reply and close the connection; incomplete requests wait; a client that vanishes mid-request
//! leaves no trace. In every case the server stays up and a bystander client is unaffected.
//!
//! Where Redis answers deterministically, the same bytes go to the reference redis-server and the
//! answers must be identical. `Client::answer` sends the input and then closes the sending side,
//! so what a server says before it closes is deterministic even for incomplete input.

mod harness;

use harness::{Client, Pgredis, Postgres, Redis};

const QUIT: &[u8] = b"*1\r\n$4\r\nQUIT\r\n";

/// Inputs, and what Redis 7.0 answers to each before closing.
fn known_cases() -> Vec<(Vec<u8>, Vec<u8>)> {
    let proto = |e: &str| format!("-ERR Protocol error: {e}\r\n").into_bytes();
    let mut cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
        // Absurd and non-numeric multibulk counts.
        (
            b"*99999999999\r\n".to_vec(),
            proto("invalid multibulk length"),
        ),
        (
            b"*2147483648\r\n".to_vec(),
            proto("invalid multibulk length"),
        ),
        (b"*abc\r\n".to_vec(), proto("invalid multibulk length")),
        (b"*\r\n".to_vec(), proto("invalid multibulk length")),
        (
            b"*+1\r\n$4\r\nPING\r\n".to_vec(),
            proto("invalid multibulk length"),
        ),
        (
            b"*01\r\n$4\r\nPING\r\n".to_vec(),
            proto("invalid multibulk length"),
        ),
        (
            b"*1 \r\n$4\r\nPING\r\n".to_vec(),
            proto("invalid multibulk length"),
        ),
        (b"*\xff\xfe\r\n".to_vec(), proto("invalid multibulk length")),
        // Absurd and non-numeric bulk lengths: negative, 600MB, over 512MB, junk.
        (b"*1\r\n$-5\r\n".to_vec(), proto("invalid bulk length")),
        (
            b"*1\r\n$600000000\r\n".to_vec(),
            proto("invalid bulk length"),
        ),
        (
            b"*1\r\n$536870913\r\n".to_vec(),
            proto("invalid bulk length"),
        ),
        (
            b"*1\r\n$999999999999\r\n".to_vec(),
            proto("invalid bulk length"),
        ),
        (b"*1\r\n$abc\r\n".to_vec(), proto("invalid bulk length")),
        (b"*1\r\n$\r\n".to_vec(), proto("invalid bulk length")),
        (
            b"*1\r\n$+4\r\nPING\r\n".to_vec(),
            proto("invalid bulk length"),
        ),
        (
            b"*1\r\n$04\r\nPING\r\n".to_vec(),
            proto("invalid bulk length"),
        ),
        (b"*1\r\n$4\nPING\r\n".to_vec(), proto("invalid bulk length")),
        // Something else where a bulk should start.
        (b"*1\r\nPING\r\n".to_vec(), proto("expected '$', got 'P'")),
        (
            b"*1\r\r\n$4\r\nPING\r\n".to_vec(),
            proto("expected '$', got ' '"),
        ),
        (
            b"*2\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n".to_vec(),
            proto("expected '$', got '*'"),
        ),
        // Inline requests with broken quoting.
        (
            b"SET \"a b\n".to_vec(),
            proto("unbalanced quotes in request"),
        ),
        (
            b"ECHO \"a\"b\r\n".to_vec(),
            proto("unbalanced quotes in request"),
        ),
        (
            b"ECHO 'a\r\n".to_vec(),
            proto("unbalanced quotes in request"),
        ),
        // Replies already earned are sent before the error.
        (
            b"*1\r\n$4\r\nPING\r\n*x\r\n".to_vec(),
            [&b"+PONG\r\n"[..], &proto("invalid multibulk length")].concat(),
        ),
        // Empty requests are skipped; the two bytes after a bulk are not checked.
        (
            [b"*-5\r\n*0\r\n\r\n  \r\n\n", QUIT].concat(),
            b"+OK\r\n".to_vec(),
        ),
        (
            [b"*1\r\n$4\r\nPINGxx", QUIT].concat(),
            b"+PONG\r\n+OK\r\n".to_vec(),
        ),
        // Junk as inline commands: error replies, and the connection stays open.
        (
            [b"!@#$ %^&\r\n", QUIT].concat(),
            b"-ERR unknown command '!@#$', with args beginning with: '%^&' \r\n+OK\r\n".to_vec(),
        ),
        (
            [b"$4\r\n", QUIT].concat(),
            b"-ERR unknown command '$4', with args beginning with: \r\n+OK\r\n".to_vec(),
        ),
        (
            [b"*1\r\n$4\r\r\nPING\r\n", QUIT].concat(),
            b"-ERR unknown command ' PIN', with args beginning with: \r\n+OK\r\n".to_vec(),
        ),
        // Truncated requests: nothing is answered, and nothing happens.
        (
            b"*3\r\n$3\r\nSET\r\n$4\r\ngone\r\n$5\r\nva".to_vec(),
            vec![],
        ),
        (b"*3\r\n$3\r\nSET\r\n$4\r\ngone\r\n".to_vec(), vec![]),
        (b"*3\r\n$3\r\nSET\r\n$4\r\ngo".to_vec(), vec![]),
        (b"*3\r\n$3".to_vec(), vec![]),
        (b"*3".to_vec(), vec![]),
        (b"SET gone value".to_vec(), vec![]),
        (b"*1\n$4\nPING\n".to_vec(), vec![]),
        // Lengths at the limit, declared but never sent.
        (b"*2147483647\r\n".to_vec(), vec![]),
        (b"*1\r\n$536870912\r\nabc".to_vec(), vec![]),
        // A NUL ends Redis's line search (strchr), so these lines never end.
        (b"\0\r\nPING\r\n".to_vec(), vec![]),
        (b"ECHO a\0b\r\n".to_vec(), vec![]),
        // Binary garbage without a line end.
        (b"\xff\xfe\xfd\x00\x01".to_vec(), vec![]),
    ];
    // Lines longer than 64KB without an end.
    let mut inline = vec![b'A'; 64 * 1024 + 1];
    cases.push((inline.clone(), proto("too big inline request")));
    inline[0] = 0;
    cases.push((inline, proto("too big inline request")));
    let mut count = vec![b'1'; 64 * 1024 + 1];
    count[0] = b'*';
    cases.push((count, proto("too big mbulk count string")));
    let mut bulk = b"*1\r\n$".to_vec();
    bulk.resize(4 + 64 * 1024 + 1, b'9');
    cases.push((bulk, proto("too big bulk count string")));
    cases
}

fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
    format!("{text:?}{}", if bytes.len() > 80 { "..." } else { "" })
}

#[test]
fn protocol_errors_match_redis() {
    let postgres = Postgres::start();
    let mut pgredis = Pgredis::start(&postgres.conn_str());
    let redis = Redis::start();
    let mut bystander = pgredis.client();
    assert_eq!(bystander.cmd(&["SET", "bystander", "here"]), "+OK\r\n");
    for (input, expected) in known_cases() {
        let from_redis = Client::answer(redis.port, &input);
        assert_eq!(
            shown(&from_redis),
            shown(&expected),
            "the reference redis-server, input {}",
            shown(&input)
        );
        let from_pgredis = Client::answer(pgredis.port, &input);
        assert_eq!(
            shown(&from_pgredis),
            shown(&expected),
            "pgredis, input {}",
            shown(&input)
        );
        assert!(pgredis.alive(), "pgredis died on input {}", shown(&input));
    }
    // The truncated SETs did nothing.
    assert_eq!(bystander.cmd(&["EXISTS", "gone"]), ":0\r\n");
    assert_eq!(bystander.cmd(&["GET", "bystander"]), "$4\r\nhere\r\n");
}

/// SplitMix64: a tiny deterministic PRNG, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random protocol-flavoured garbage gets the same answer from pgredis as from Redis. The bytes
/// are ASCII (see the report on non-UTF-8 bytes in error texts) and spell no real command.
#[test]
fn random_garbage_gets_the_answers_redis_gives() {
    const ALPHABET: &[u8] = b"**$$\r\n\r\n\r\n0123456789-+  \"'\\xabf\0\t";
    let postgres = Postgres::start();
    let mut pgredis = Pgredis::start(&postgres.conn_str());
    let redis = Redis::start();
    let mut bystander = pgredis.client();
    let mut rng = Rng(0xbad1);
    for case in 0..300 {
        let len = 1 + rng.below(48);
        let mut input: Vec<u8> = (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect();
        if rng.below(3) == 0 {
            input.splice(0..0, b"*2\r\n$1\r\n".iter().copied());
        }
        let from_redis = Client::answer(redis.port, &input);
        let from_pgredis = Client::answer(pgredis.port, &input);
        assert_eq!(
            shown(&from_pgredis),
            shown(&from_redis),
            "case {case}, input {}",
            shown(&input)
        );
    }
    assert!(pgredis.alive());
    assert_eq!(bystander.cmd(&["PING"]), "+PONG\r\n");
}

/// Clients that leave halfway: mid-request, after declaring huge lengths, or before reading the
/// replies to a pipeline. None of it reaches the data or the other clients.
#[test]
fn clients_that_vanish_mid_request_disturb_nobody() {
    let postgres = Postgres::start();
    let mut pgredis = Pgredis::start(&postgres.conn_str());
    let mut bystander = pgredis.client();
    assert_eq!(bystander.cmd(&["SET", "bystander", "here"]), "+OK\r\n");

    // Every proper prefix of a SET, each from a client that then disconnects.
    let set = harness::encode(&[b"SET", b"half", b"value"]);
    for end in 1..set.len() {
        let mut c = pgredis.client();
        c.send_raw(&set[..end]);
    }
    // Huge declared lengths, part of the payload, then gone.
    for header in [
        &b"*1\r\n$536870912\r\n"[..],
        b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$536870912\r\n",
        b"*2147483647\r\n$3\r\nSET\r\n",
    ] {
        let mut c = pgredis.client();
        c.send_raw(header);
        c.send_raw(&vec![b'x'; 100_000]);
    }
    // A pipeline whose replies nobody reads, the client closing while it runs.
    let mut pipeline = Vec::new();
    for i in 0..2000 {
        pipeline.extend(harness::encode(&[
            b"SET",
            format!("left:{i}").as_bytes(),
            b"v",
        ]));
    }
    for _ in 0..5 {
        let mut c = pgredis.client();
        c.send_raw(&pipeline);
    }
    // A request that is completed slowly, byte by byte, still works.
    let mut slow = pgredis.client();
    for b in harness::encode(&[b"SET", b"slow", b"done"]) {
        slow.send_raw(&[b]);
    }
    assert_eq!(slow.read_reply(), b"+OK\r\n");

    assert!(pgredis.alive());
    assert_eq!(bystander.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(bystander.cmd(&["EXISTS", "half"]), ":0\r\n");
    assert_eq!(bystander.cmd(&["GET", "bystander"]), "$4\r\nhere\r\n");
    assert_eq!(bystander.cmd(&["GET", "slow"]), "$4\r\ndone\r\n");
    // New clients are served as before.
    assert_eq!(pgredis.client().cmd(&["GET", "slow"]), "$4\r\ndone\r\n");
}
