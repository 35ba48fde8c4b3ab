//! Several pgredis processes on one database behave as one server: a write acknowledged by one
//! is seen by the others, and concurrent commands through different instances stay atomic.

mod harness;

use std::sync::atomic::{AtomicBool, Ordering};

use harness::{Pgredis, Postgres};

#[test]
fn a_write_on_one_instance_is_read_on_the_other() {
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    assert_eq!(a.client().cmd(&["SET", "shared", "value"]), "+OK\r\n");
    assert_eq!(b.client().cmd(&["GET", "shared"]), "$5\r\nvalue\r\n");
}

/// BITFIELD and BITOP compute in Rust and write with a compare-and-set; SETBIT runs under the
/// row lock. Clients of two instances hammering the same keys lose no update.
#[test]
fn concurrent_bit_writes_lose_nothing() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 40;
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let mut c = if t % 2 == 0 { a.client() } else { b.client() };
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                for i in 0..ROUNDS {
                    let bit = (t * ROUNDS + i).to_string();
                    let own = format!("own{t}");
                    seen.push(c.cmd(&["BITFIELD", "counter", "INCRBY", "u32", "0", "1"]));
                    assert_eq!(c.cmd(&["SETBIT", "bits", &bit, "1"]), ":0\r\n");
                    assert_eq!(c.cmd(&["SETBIT", &own, &bit, "1"]), ":0\r\n");
                    let reply = c.cmd(&["BITOP", "OR", "acc", "acc", &own]);
                    assert!(reply.starts_with(':'), "{reply}");
                }
                seen
            })
        })
        .collect();
    let mut seen: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen.len(),
        THREADS * ROUNDS,
        "every INCRBY saw its own value"
    );
    let total = format!(":{}\r\n", THREADS * ROUNDS);
    let mut c = a.client();
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "counter", "GET", "u32", "0"]),
        format!("*1\r\n{total}")
    );
    assert_eq!(c.cmd(&["BITCOUNT", "bits"]), total);
    assert_eq!(c.cmd(&["BITCOUNT", "acc"]), total);
}

/// 20 clients INCR one key through two instances: every reply is a distinct count, and the
/// key ends at exactly the number of INCRs.
#[test]
fn concurrent_incr_through_two_instances_loses_nothing() {
    let postgres = Postgres::start();
    let instances = [
        Pgredis::start(&postgres.conn_str()),
        Pgredis::start(&postgres.conn_str()),
    ];
    let (threads, per_thread) = (20, 100);
    let mut replies: Vec<i64> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let instance = &instances[t % 2];
                s.spawn(move || {
                    let mut c = instance.client();
                    (0..per_thread)
                        .map(|_| {
                            let reply = c.cmd(&["INCR", "counter"]);
                            reply
                                .strip_prefix(':')
                                .and_then(|n| n.trim_end().parse().ok())
                                .unwrap_or_else(|| panic!("INCR replied {reply:?}"))
                        })
                        .collect::<Vec<i64>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let total = (threads * per_thread) as i64;
    replies.sort();
    assert_eq!(replies, (1..=total).collect::<Vec<_>>());
    for p in &instances {
        assert_eq!(
            p.client().cmd(&["GET", "counter"]),
            format!("${}\r\n{total}\r\n", total.to_string().len())
        );
    }
}

/// MSET through one instance is read by GET and MGET through the other.
#[test]
fn mset_on_one_instance_get_on_the_other() {
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    assert_eq!(
        a.client().call(&[
            b"MSET",
            b"k1",
            b"one",
            b"k\x00\xff",
            b"bin\x00\xff",
            b"k1",
            b"last"
        ]),
        b"+OK\r\n"
    );
    let mut c = b.client();
    assert_eq!(c.cmd(&["GET", "k1"]), "$4\r\nlast\r\n");
    assert_eq!(c.call(&[b"GET", b"k\x00\xff"]), b"$5\r\nbin\x00\xff\r\n");
    assert_eq!(
        c.call(&[b"MGET", b"k1", b"missing", b"k\x00\xff"]),
        b"*3\r\n$4\r\nlast\r\n$-1\r\n$5\r\nbin\x00\xff\r\n"
    );
}

/// Writers MSET the same ten keys (in different orders) through both instances while readers
/// MGET them through both: no deadlock or error, and every MGET sees one MSET whole, never a mix.
#[test]
fn concurrent_msets_across_instances_are_atomic() {
    let postgres = Postgres::start();
    let instances = [
        Pgredis::start(&postgres.conn_str()),
        Pgredis::start(&postgres.conn_str()),
    ];
    let keys: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
    let writing = AtomicBool::new(true);
    std::thread::scope(|s| {
        let readers: Vec<_> = (0..4)
            .map(|r| {
                let (instance, keys, writing) = (&instances[r % 2], &keys, &writing);
                s.spawn(move || {
                    let mut c = instance.client();
                    let mut mget = vec!["MGET"];
                    mget.extend(keys.iter().map(String::as_str));
                    let mut reads = 0;
                    while writing.load(Ordering::Relaxed) || reads == 0 {
                        let reply = c.cmd(&mget);
                        let values = bulks(&reply);
                        assert_eq!(values.len(), keys.len(), "{reply:?}");
                        assert!(
                            values.iter().all(|v| *v == values[0]),
                            "MGET saw a mix: {reply:?}"
                        );
                        reads += 1;
                    }
                })
            })
            .collect();
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let (instance, keys) = (&instances[w % 2], &keys);
                s.spawn(move || {
                    let mut c = instance.client();
                    for i in 0..50 {
                        let value = format!("w{w}-{i}");
                        let mut mset = vec!["MSET"];
                        // Each writer its own key order.
                        for k in 0..keys.len() {
                            mset.push(&keys[(k * 3 + w + i) % keys.len()]);
                            mset.push(&value);
                        }
                        assert_eq!(c.cmd(&mset), "+OK\r\n");
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        writing.store(false, Ordering::Relaxed);
        for r in readers {
            r.join().unwrap();
        }
    });
}

/// The elements of an array of bulk strings, `None` for nulls.
fn bulks(reply: &str) -> Vec<Option<&str>> {
    let mut lines = reply.split("\r\n").skip(1);
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        match line {
            "" => break,
            "$-1" => out.push(None),
            _ => out.push(lines.next()),
        }
    }
    out
}

/// Reads of one key share a few connections (store::shared) while writes commit in groups:
/// under concurrent writers on both instances, a client that has its reply to a write reads
/// that write back at once, on either instance, and never an older value.
#[test]
fn reads_on_shared_connections_see_every_acknowledged_write() {
    const WRITERS: usize = 8;
    const ROUNDS: usize = 150;
    let postgres = Postgres::start();
    let instances = [
        Pgredis::start(&postgres.conn_str()),
        Pgredis::start(&postgres.conn_str()),
    ];
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let (mine, other) = (&instances[w % 2], &instances[(w + 1) % 2]);
            scope.spawn(move || {
                let (mut writer, mut reader) = (mine.client(), other.client());
                let (hash, zset) = (format!("h{w}"), format!("z{w}"));
                for round in 0..ROUNDS {
                    let value = round.to_string();
                    writer.cmd(&["HSET", &hash, "f", &value]);
                    writer.cmd(&["ZADD", &zset, &value, "m"]);
                    let expected = format!("${}\r\n{value}\r\n", value.len());
                    assert_eq!(reader.cmd(&["HGET", &hash, "f"]), expected);
                    assert_eq!(writer.cmd(&["HGET", &hash, "f"]), expected);
                    assert_eq!(reader.cmd(&["ZSCORE", &zset, "m"]), expected);
                    let range = reader.cmd(&["ZRANGEBYSCORE", &zset, &value, &value]);
                    assert_eq!(range, "*1\r\n$1\r\nm\r\n");
                }
            });
        }
    });
}
