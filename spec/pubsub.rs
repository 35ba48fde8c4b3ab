//! Pub/Sub across instances: a message published through any instance reaches the subscribers of
//! every instance exactly once, in publish order per publisher, whatever its size; patterns and
//! keyspace notifications too; the listening connection comes back after PostgreSQL kills it; a
//! subscriber that stops reading is disconnected without holding up the others.

mod harness;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use harness::{Pgredis, Postgres, encode, read_value, sql};

/// A subscriber's connection: sends commands, reads pushed messages one by one.
struct Sub {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Sub {
    fn connect(p: &Pgredis) -> Sub {
        let stream = TcpStream::connect(("127.0.0.1", p.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Sub {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    fn send(&mut self, args: &[&[u8]]) {
        self.writer.write_all(&encode(args)).unwrap();
    }

    /// Sends a command and returns its reply as text.
    fn cmd(&mut self, args: &[&str]) -> String {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.send(&args);
        String::from_utf8_lossy(&self.read()).into_owned()
    }

    fn read(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        read_value(&mut self.reader, &mut out).expect("reading from pgredis");
        out
    }

    /// Subscribes (SUBSCRIBE or PSUBSCRIBE) to one channel and reads the confirmation.
    fn subscribe(&mut self, command: &str, channel: &str) -> &mut Sub {
        let reply = self.cmd(&[command, channel]);
        assert!(reply.contains(channel), "{command} {channel}: {reply:?}");
        self
    }

    /// The next pushed message: its fields (kind, [pattern,] channel, payload).
    fn message(&mut self) -> Vec<Vec<u8>> {
        let raw = self.read();
        let (_, items) = harness::elements(&raw).expect("a pushed message is an array");
        items
            .into_iter()
            .map(|item| {
                let body = item.iter().position(|&b| b == b'\n').unwrap() + 1;
                item[body..item.len() - 2].to_vec()
            })
            .collect()
    }

    /// The payload of the next message, as text.
    fn payload(&mut self) -> String {
        String::from_utf8(self.message().pop().unwrap()).unwrap()
    }
}

fn publish(p: &Pgredis, channel: &str, message: &[u8]) -> String {
    let mut c = p.client();
    String::from_utf8_lossy(&c.call(&[b"PUBLISH", channel.as_bytes(), message])).into_owned()
}

/// Publishes `count` numbered messages `<tag>:<n>` in one pipeline.
fn publish_numbered(p: &Pgredis, channel: &str, tag: &str, count: usize) {
    let mut c = p.client();
    let mut batch = Vec::new();
    for n in 0..count {
        let message = format!("{tag}:{n}");
        batch.extend(encode(&[
            b"PUBLISH",
            channel.as_bytes(),
            message.as_bytes(),
        ]));
    }
    c.send_raw(&batch);
    for _ in 0..count {
        let reply = c.read_reply();
        assert_eq!(reply[0], b':', "{}", String::from_utf8_lossy(&reply));
    }
}

fn instances(postgres: &Postgres, n: usize) -> Vec<Pgredis> {
    (0..n)
        .map(|_| Pgredis::start(&postgres.conn_str()))
        .collect()
}

/// Checks that `sub` receives, from every tag, the numbers 0..count in order, interleaved in any
/// way, and then the sentinel `end` with nothing in between: no loss, no duplicate, no reorder.
fn expect_numbered(sub: &mut Sub, tags: &[&str], count: usize) {
    let mut next = vec![0; tags.len()];
    for _ in 0..tags.len() * count {
        let payload = sub.payload();
        let (tag, n) = payload.split_once(':').unwrap();
        let t = tags.iter().position(|x| *x == tag).unwrap();
        assert_eq!(n.parse::<usize>().unwrap(), next[t], "from {tag}");
        next[t] += 1;
    }
    assert_eq!(
        sub.payload(),
        "end",
        "nothing more than the numbered messages"
    );
}

#[test]
fn every_subscriber_on_every_instance_gets_each_message_once_in_order() {
    const COUNT: usize = 1000;
    let postgres = Postgres::start();
    let nodes = instances(&postgres, 3);
    let mut subs: Vec<Sub> = nodes
        .iter()
        .map(|p| {
            let mut s = Sub::connect(p);
            s.subscribe("SUBSCRIBE", "numbers");
            s
        })
        .collect();
    // Two publishers on different instances at once.
    std::thread::scope(|scope| {
        scope.spawn(|| publish_numbered(&nodes[0], "numbers", "a", COUNT));
        scope.spawn(|| publish_numbered(&nodes[1], "numbers", "b", COUNT));
    });
    publish(&nodes[2], "numbers", b"end");
    for sub in &mut subs {
        expect_numbered(sub, &["a", "b"], COUNT);
    }
}

#[test]
fn publish_counts_the_local_receivers() {
    let postgres = Postgres::start();
    let nodes = instances(&postgres, 2);
    let mut local = Sub::connect(&nodes[0]);
    local.subscribe("SUBSCRIBE", "count");
    let mut pattern = Sub::connect(&nodes[0]);
    pattern.subscribe("PSUBSCRIBE", "c*");
    let mut remote = Sub::connect(&nodes[1]);
    remote.subscribe("SUBSCRIBE", "count");
    assert_eq!(publish(&nodes[0], "count", b"x"), ":2\r\n");
    assert_eq!(publish(&nodes[1], "count", b"y"), ":1\r\n");
    let mut c = nodes[1].client();
    assert_eq!(
        c.cmd(&["PUBSUB", "NUMSUB", "count"]),
        "*2\r\n$5\r\ncount\r\n:1\r\n"
    );
    assert_eq!(c.cmd(&["PUBSUB", "NUMPAT"]), ":0\r\n");
    assert_eq!(local.payload(), "x");
    assert_eq!(local.payload(), "y");
    assert_eq!(remote.payload(), "x");
    assert_eq!(remote.payload(), "y");
}

#[test]
fn pattern_and_binary_channels_cross_instances() {
    let postgres = Postgres::start();
    let nodes = instances(&postgres, 2);
    let mut sub = Sub::connect(&nodes[1]);
    sub.subscribe("PSUBSCRIBE", "news.*");
    sub.send(&[b"SUBSCRIBE", b"bin\x00\xff"]);
    sub.read();
    publish(&nodes[0], "news.today", b"headline");
    publish(&nodes[0], "sport", b"ignored");
    let mut c = nodes[0].client();
    c.call(&[b"PUBLISH", b"bin\x00\xff", b"\x00\xff\r\n"]);
    assert_eq!(
        sub.message(),
        [&b"pmessage"[..], b"news.*", b"news.today", b"headline"]
    );
    assert_eq!(
        sub.message(),
        [&b"message"[..], b"bin\x00\xff", b"\x00\xff\r\n"]
    );
}

#[test]
fn large_messages_arrive_whole_everywhere() {
    let postgres = Postgres::start();
    let nodes = instances(&postgres, 3);
    let mut subs: Vec<Sub> = nodes
        .iter()
        .map(|p| {
            let mut s = Sub::connect(p);
            s.subscribe("SUBSCRIBE", "big");
            s
        })
        .collect();
    let medium: Vec<u8> = (0..100 * 1024).map(|i| (i % 251) as u8).collect();
    let large: Vec<u8> = (0..10 * 1024 * 1024).map(|i| (i % 253) as u8).collect();
    publish(&nodes[0], "big", b"before");
    publish(&nodes[1], "big", &medium);
    publish(&nodes[2], "big", &large);
    publish(&nodes[0], "big", b"after");
    for sub in &mut subs {
        assert_eq!(sub.payload(), "before");
        assert!(sub.message().pop().unwrap() == medium, "100 KB message");
        let got = sub.message().pop().unwrap();
        let diff = got.iter().zip(&large).position(|(a, b)| a != b);
        assert!(
            got == large,
            "10 MB message: {} bytes, first difference at {diff:?}",
            got.len()
        );
        assert_eq!(sub.payload(), "after");
    }
}

#[test]
fn messages_flow_again_after_the_listening_connection_is_killed() {
    const COUNT: usize = 100;
    let postgres = Postgres::start();
    let nodes = instances(&postgres, 2);
    let mut subs: Vec<Sub> = nodes
        .iter()
        .map(|p| {
            let mut s = Sub::connect(p);
            s.subscribe("SUBSCRIBE", "survive");
            s
        })
        .collect();
    let listeners = "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgredis listener'";
    let old = sql(&postgres, listeners);
    assert_eq!(old.lines().count(), 2, "one listener per instance: {old}");
    sql(
        &postgres,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'pgredis listener'",
    );
    // Back once each instance has a new listener that has LISTENed and read its settings.
    harness::wait_for("the listeners to reconnect", || {
        let fresh = sql(
            &postgres,
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgredis listener' \
             AND state = 'idle' AND query LIKE 'SELECT value, version FROM pgredis_settings%'",
        );
        let fresh: Vec<&str> = fresh
            .lines()
            .filter(|p| !old.lines().any(|o| o == *p))
            .collect();
        fresh.len() == 2
    });
    publish_numbered(&nodes[0], "survive", "a", COUNT);
    publish_numbered(&nodes[1], "survive", "b", COUNT);
    publish(&nodes[0], "survive", b"end");
    for sub in &mut subs {
        expect_numbered(sub, &["a", "b"], COUNT);
    }
}

#[test]
fn a_subscriber_that_does_not_read_is_disconnected_and_others_still_receive() {
    const COUNT: usize = 80;
    let postgres = Postgres::start();
    let nodes = instances(&postgres, 2);
    let mut slow = Sub::connect(&nodes[0]);
    slow.subscribe("SUBSCRIBE", "flood");
    let mut local = Sub::connect(&nodes[0]);
    local.subscribe("SUBSCRIBE", "flood");
    let mut remote = Sub::connect(&nodes[1]);
    remote.subscribe("SUBSCRIBE", "flood");
    let chunk = vec![b'x'; 1024 * 1024];
    let readers = std::thread::scope(|scope| {
        let readers: Vec<_> = [&mut local, &mut remote]
            .into_iter()
            .map(|sub| {
                scope.spawn(move || {
                    (0..COUNT + 1)
                        .map(|_| sub.message().pop().unwrap().len())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for _ in 0..COUNT {
            publish(&nodes[0], "flood", &chunk);
        }
        publish(&nodes[0], "flood", b"end");
        readers
            .into_iter()
            .map(|r| r.join().unwrap())
            .collect::<Vec<_>>()
    });
    for lengths in readers {
        assert_eq!(lengths.len(), COUNT + 1);
        assert!(lengths[..COUNT].iter().all(|&n| n == chunk.len()));
        assert_eq!(lengths[COUNT], 3);
    }
    // The slow subscriber's connection was closed: reading drains what the kernel held, then ends.
    let mut rest = Vec::new();
    slow.reader
        .read_to_end(&mut rest)
        .expect("the server closes the slow subscriber's connection");
    assert!(
        rest.len() < COUNT * chunk.len(),
        "it did not get everything"
    );
    let mut c = nodes[0].client();
    assert_eq!(
        c.cmd(&["PUBSUB", "NUMSUB", "flood"]),
        "*2\r\n$5\r\nflood\r\n:1\r\n"
    );
}

#[test]
fn keyspace_events_reach_other_instances() {
    let postgres = Postgres::start();
    let nodes = instances(&postgres, 3);
    let mut c = nodes[0].client();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
        "+OK\r\n"
    );
    for p in &nodes {
        harness::wait_for("the setting to reach every instance", || {
            p.client()
                .cmd(&["CONFIG", "GET", "notify-keyspace-events"])
                .contains("AKE")
        });
    }
    let mut sub = Sub::connect(&nodes[1]);
    sub.subscribe("PSUBSCRIBE", "__key*@0__:*");
    let mut writer = nodes[2].client();
    assert_eq!(writer.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(writer.cmd(&["INCR", "n"]), ":1\r\n");
    assert_eq!(writer.cmd(&["DEL", "k"]), ":1\r\n");
    let expected: [[&[u8]; 3]; 6] = [
        [b"__keyspace@0__:k", b"set", b""],
        [b"__keyevent@0__:set", b"k", b""],
        [b"__keyspace@0__:n", b"incrby", b""],
        [b"__keyevent@0__:incrby", b"n", b""],
        [b"__keyspace@0__:k", b"del", b""],
        [b"__keyevent@0__:del", b"k", b""],
    ];
    for [channel, payload, _] in expected {
        let m = sub.message();
        assert_eq!((&m[2][..], &m[3][..]), (channel, payload));
    }
    // Turned off on another instance: off everywhere.
    let mut other = nodes[1].client();
    assert_eq!(
        other.cmd(&["CONFIG", "SET", "notify-keyspace-events", ""]),
        "+OK\r\n"
    );
    harness::wait_for("the setting to reach the writer", || {
        nodes[2]
            .client()
            .cmd(&["CONFIG", "GET", "notify-keyspace-events"])
            .ends_with("$0\r\n\r\n")
    });
    writer.cmd(&["SET", "quiet", "v"]);
    publish(&nodes[0], "__keyspace@0__:marker", b"end");
    assert_eq!(sub.payload(), "end", "no event once notifications are off");
}
