//! Lists where a case file cannot reach: many clients on two instances pushing, popping and
//! moving at once; long random edit sequences checked against Redis and against the storage
//! invariants (positions list_head .. list_head + size - 1, no gaps); expired lists; and the
//! rows an emptied or deleted list leaves behind.

mod harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use harness::{Client, Pgredis, Postgres, Redis, sql};

/// Lists whose items are not exactly at list_head .. list_head + size - 1, by key; empty when
/// every list is sound.
fn broken_lists(postgres: &Postgres) -> String {
    sql(
        postgres,
        "SELECT encode(k.key, 'escape') FROM pgredis_keys k
          CROSS JOIN LATERAL (SELECT count(*) AS n, min(pos) AS lo, max(pos) AS hi
                                FROM pgredis_list_items WHERE key_id = k.key_id) i
          WHERE k.type = 'list'
            AND (k.size < 1 OR i.n <> k.size OR i.lo <> k.list_head
                 OR i.hi <> k.list_head + k.size - 1)",
    )
}

/// The elements of a RESP array of bulk strings, or nothing for a null reply.
fn bulk_elements(reply: &[u8]) -> Vec<Vec<u8>> {
    let mut r = std::io::Cursor::new(reply);
    let mut out = Vec::new();
    let mut line = String::new();
    use std::io::{BufRead, Read};
    r.read_line(&mut line).unwrap();
    let bulk = |r: &mut std::io::Cursor<&[u8]>, header: &str| {
        let n: usize = header[1..].trim().parse().unwrap();
        let mut buf = vec![0; n + 2];
        r.read_exact(&mut buf).unwrap();
        buf.truncate(n);
        buf
    };
    match line.as_bytes()[0] {
        b'$' if !line.starts_with("$-1") => out.push(bulk(&mut r, &line)),
        b'*' => {
            let n: i64 = line[1..].trim().parse().unwrap();
            for _ in 0..n.max(0) {
                let mut header = String::new();
                r.read_line(&mut header).unwrap();
                out.push(bulk(&mut r, &header));
            }
        }
        _ => {}
    }
    out
}

/// Producers LPUSH distinct elements through one instance while consumers RPOP through both:
/// every element comes out exactly once, and the emptied list is gone.
#[test]
fn pushes_and_pops_across_instances_lose_nothing() {
    const PRODUCERS: usize = 3;
    const BATCHES: usize = 60;
    const CONSUMERS: usize = 4;
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    let done = Arc::new(AtomicBool::new(false));

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let mut c = a.client();
            std::thread::spawn(move || {
                let mut pushed = 0;
                for batch in 0..BATCHES {
                    let size = 1 + batch % 3;
                    let elements: Vec<String> =
                        (0..size).map(|i| format!("p{p}-b{batch}-{i}")).collect();
                    let mut args = vec!["LPUSH", "queue"];
                    args.extend(elements.iter().map(|e| e.as_str()));
                    let reply = c.cmd(&args);
                    assert!(reply.starts_with(':'), "{reply}");
                    pushed += size;
                }
                pushed
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|n| {
            let mut c = if n % 2 == 0 { a.client() } else { b.client() };
            let done = done.clone();
            std::thread::spawn(move || {
                let mut popped = Vec::new();
                loop {
                    // Read the flag first: an empty pop after it means nothing more will come.
                    let finished = done.load(Ordering::SeqCst);
                    let reply = if n < 2 {
                        c.call(&[b"RPOP", b"queue"])
                    } else {
                        c.call(&[b"RPOP", b"queue", b"2"])
                    };
                    let got = bulk_elements(&reply);
                    if got.is_empty() && finished {
                        break;
                    }
                    popped.extend(got);
                }
                popped
            })
        })
        .collect();

    let pushed: usize = producers.into_iter().map(|p| p.join().unwrap()).sum();
    done.store(true, Ordering::SeqCst);
    let mut popped: Vec<Vec<u8>> = consumers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert_eq!(popped.len(), pushed, "as many pops as pushes");
    popped.sort();
    popped.dedup();
    assert_eq!(popped.len(), pushed, "no element popped twice");
    assert_eq!(a.client().cmd(&["EXISTS", "queue"]), ":0\r\n");
    assert_eq!(sql(&postgres, "SELECT count(*) FROM pgredis_keys"), "0");
}

/// LMOVE and RPOPLPUSH between two short lists in both directions at once, on two instances:
/// the lists keep emptying and being created again, no call deadlocks, nothing is lost.
#[test]
fn moves_between_two_lists_both_ways_lose_nothing() {
    const THREADS: usize = 6;
    const ROUNDS: usize = 80;
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    let mut c = a.client();
    assert_eq!(c.cmd(&["RPUSH", "x", "1", "2"]), ":2\r\n");
    assert_eq!(c.cmd(&["RPUSH", "y", "3"]), ":1\r\n");

    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let mut c = if t % 2 == 0 { a.client() } else { b.client() };
            std::thread::spawn(move || {
                let (src, dst) = if t % 2 == 0 { ("x", "y") } else { ("y", "x") };
                for i in 0..ROUNDS {
                    let reply = match (t + i) % 3 {
                        0 => c.cmd(&["LMOVE", src, dst, "LEFT", "RIGHT"]),
                        1 => c.cmd(&["LMOVE", src, dst, "RIGHT", "RIGHT"]),
                        _ => c.cmd(&["RPOPLPUSH", src, dst]),
                    };
                    assert!(
                        reply.starts_with('$'),
                        "{src} -> {dst}: unexpected reply {reply}"
                    );
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let mut all = bulk_elements(&c.call(&[b"LRANGE", b"x", b"0", b"-1"]));
    all.extend(bulk_elements(&c.call(&[b"LRANGE", b"y", b"0", b"-1"])));
    all.sort();
    assert_eq!(all, vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
    assert_eq!(broken_lists(&postgres), "");
}

/// A small deterministic generator, so a failing sequence can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn int(&mut self, lo: i64, hi: i64) -> String {
        (lo + self.below((hi - lo + 1) as u64) as i64).to_string()
    }
}

/// Random pushes, pops, inserts, removals, trims, sets and moves on a few keys, sent to Redis and
/// pgredis alike: every reply the same, and the positions always contiguous.
#[test]
fn random_edits_match_redis_and_keep_positions_contiguous() {
    let postgres = Postgres::start();
    let redis = Redis::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let (mut r, mut p): (Client, Client) = (redis.client(), pgredis.client());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let keys = ["k1", "k2"];
    let values = ["a", "b", "c", "", "\u{0}"];
    for step in 0..1500 {
        let key = keys[rng.below(2) as usize];
        let other = keys[rng.below(2) as usize];
        let v = values[rng.below(values.len() as u64) as usize];
        let w = values[rng.below(values.len() as u64) as usize];
        let end = |rng: &mut Rng| if rng.below(2) == 0 { "LEFT" } else { "RIGHT" };
        let cmd: Vec<String> = match rng.below(14) {
            0 | 1 => vec!["LPUSH".into(), key.into(), v.into(), w.into()],
            2 | 3 => vec!["RPUSH".into(), key.into(), v.into()],
            4 => vec!["LPOP".into(), key.into(), rng.int(0, 3)],
            5 => vec!["RPOP".into(), key.into()],
            6 => {
                let place = if rng.below(2) == 0 { "BEFORE" } else { "AFTER" };
                vec![
                    "LINSERT".into(),
                    key.into(),
                    place.into(),
                    v.into(),
                    w.into(),
                ]
            }
            7 => vec!["LREM".into(), key.into(), rng.int(-2, 2), v.into()],
            8 => vec!["LTRIM".into(), key.into(), rng.int(-3, 3), rng.int(-3, 20)],
            9 => vec!["LSET".into(), key.into(), rng.int(-6, 6), w.into()],
            10 => vec![
                "LMOVE".into(),
                key.into(),
                other.into(),
                end(&mut rng).into(),
                end(&mut rng).into(),
            ],
            11 => vec!["LINDEX".into(), key.into(), rng.int(-8, 8)],
            12 => vec![
                "LPOS".into(),
                key.into(),
                v.into(),
                "RANK".into(),
                ["-2", "-1", "1", "2"][rng.below(4) as usize].into(),
                "COUNT".into(),
                rng.int(0, 3),
            ],
            _ => vec![
                "LRANGE".into(),
                key.into(),
                rng.int(-10, 10),
                rng.int(-10, 10),
            ],
        };
        let argv: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
        let expected = r.call(&argv);
        let actual = p.call(&argv);
        assert_eq!(
            String::from_utf8_lossy(&actual),
            String::from_utf8_lossy(&expected),
            "step {step}: {cmd:?}"
        );
        if step % 100 == 0 {
            assert_eq!(broken_lists(&postgres), "", "after step {step}: {cmd:?}");
        }
        // Now and then, compare the whole lists.
        if step % 25 == 0 {
            for k in keys {
                let all: &[&[u8]] = &[b"LRANGE", k.as_bytes(), b"0", b"-1"];
                assert_eq!(p.call(all), r.call(all), "step {step}: {k}");
            }
        }
    }
    assert_eq!(broken_lists(&postgres), "");
}

/// An expired list is absent to reads and to writes, and a write gives the key a new key_id.
#[test]
fn expired_lists_are_absent() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    let cases: &[(&[&str], &str)] = &[
        (&["LLEN", "k"], ":0\r\n"),
        (&["LRANGE", "k", "0", "-1"], "*0\r\n"),
        (&["LINDEX", "k", "0"], "$-1\r\n"),
        (&["LPOS", "k", "old"], "$-1\r\n"),
        (&["LPOP", "k"], "$-1\r\n"),
        (&["RPOP", "k"], "$-1\r\n"),
        (&["RPOP", "k", "2"], "*-1\r\n"),
        (&["LPOP", "k", "0"], "*-1\r\n"),
        (&["LMPOP", "1", "k", "LEFT"], "*-1\r\n"),
        (&["LPUSHX", "k", "x"], ":0\r\n"),
        (&["RPUSHX", "k", "x"], ":0\r\n"),
        (&["LSET", "k", "0", "x"], "-ERR no such key\r\n"),
        (&["LINSERT", "k", "BEFORE", "old", "x"], ":0\r\n"),
        (&["LREM", "k", "0", "old"], ":0\r\n"),
        (&["LTRIM", "k", "0", "0"], "+OK\r\n"),
        (&["LMOVE", "k", "k", "LEFT", "RIGHT"], "$-1\r\n"),
        (&["LPUSH", "k", "x"], ":1\r\n"),
        (&["RPUSH", "k", "x"], ":1\r\n"),
        (&["RPUSH", "k", "x", "y"], ":2\r\n"),
        (&["LMOVE", "src", "k", "LEFT", "RIGHT"], "$3\r\nnew\r\n"),
    ];
    for (args, reply) in cases {
        c.cmd(&["FLUSHALL"]);
        c.cmd(&["RPUSH", "k", "old", "old"]);
        c.cmd(&["RPUSH", "src", "new"]);
        sql(
            &postgres,
            "UPDATE pgredis_keys SET expires_at_ms = 1 WHERE key = 'k'",
        );
        let old_id = sql(&postgres, "SELECT key_id FROM pgredis_keys WHERE key = 'k'");
        assert_eq!(c.cmd(args), *reply, "{args:?} on an expired list");
        let new_id = sql(
            &postgres,
            "SELECT key_id FROM pgredis_keys WHERE key = 'k' AND expires_at_ms IS NULL",
        );
        if !new_id.is_empty() {
            assert_ne!(new_id, old_id, "{args:?} kept the expired key's id");
            let len = c.cmd(&["LLEN", "k"]);
            assert_eq!(
                c.cmd(&["LRANGE", "k", "0", "-1"]).matches("old").count(),
                0,
                "{args:?}: old elements came back ({len})"
            );
        }
        assert_eq!(broken_lists(&postgres), "", "{args:?}");
    }
}

/// An emptied list is deleted; DEL and LTRIM to nothing leave the items to the sweeper (the key
/// is noted as an orphan); COPY copies the items.
#[test]
fn emptied_and_deleted_lists_leave_their_rows_to_the_sweeper() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    let rows = |key: &str| {
        sql(
            &postgres,
            &format!("SELECT count(*) FROM pgredis_keys WHERE key = '{key}'"),
        )
    };

    c.cmd(&["RPUSH", "a", "1", "2", "3"]);
    c.cmd(&["LPOP", "a", "2"]);
    c.cmd(&["RPOP", "a"]);
    assert_eq!(rows("a"), "0");
    c.cmd(&["RPUSH", "a", "1", "2", "1"]);
    c.cmd(&["LREM", "a", "0", "1"]);
    c.cmd(&["LREM", "a", "0", "2"]);
    assert_eq!(rows("a"), "0");

    c.cmd(&["RPUSH", "t", "1", "2", "3"]);
    let id = sql(&postgres, "SELECT key_id FROM pgredis_keys WHERE key = 't'");
    assert_eq!(c.cmd(&["LTRIM", "t", "5", "9"]), "+OK\r\n");
    assert_eq!(rows("t"), "0");
    assert_eq!(
        sql(
            &postgres,
            &format!("SELECT count(*) FROM pgredis_orphans WHERE key_id = {id}")
        ),
        "1"
    );

    c.cmd(&["RPUSH", "l", "x", "y"]);
    c.cmd(&["LPUSH", "l", "w"]);
    assert_eq!(c.cmd(&["COPY", "l", "copy"]), ":1\r\n");
    assert_eq!(c.cmd(&["DEL", "l"]), ":1\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "copy", "0", "-1"]),
        "*3\r\n$1\r\nw\r\n$1\r\nx\r\n$1\r\ny\r\n"
    );
    assert_eq!(broken_lists(&postgres), "");
}
