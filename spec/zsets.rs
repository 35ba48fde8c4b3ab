//! Sorted sets where a case file cannot reach: random replies checked by their properties,
//! plain sets as inputs of the set operations (no SADD on this branch: written with SQL),
//! expired keys, sets too big for a listpack, and many clients of two instances at once.

mod harness;

use std::collections::{BTreeMap, BTreeSet};

use harness::{Client, Pgredis, Postgres, Redis, sql};

/// The bulk strings of a flat array reply (members without CR or LF in them).
fn strings(reply: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = reply.split("\r\n");
    while let Some(line) = lines.next() {
        if line.starts_with('$') {
            out.push(lines.next().unwrap().to_string());
        }
    }
    out
}

fn integer(reply: &str) -> i64 {
    reply
        .strip_prefix(':')
        .and_then(|r| r.strip_suffix("\r\n"))
        .unwrap_or_else(|| panic!("not an integer: {reply}"))
        .parse()
        .unwrap()
}

#[test]
fn zrandmember_by_its_properties() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    let members: BTreeSet<String> = (0..20).map(|i| format!("m{i}")).collect();
    for i in 0..20 {
        c.cmd(&["ZADD", "z", &i.to_string(), &format!("m{i}")]);
    }
    for _ in 0..10 {
        let one = strings(&c.cmd(&["ZRANDMEMBER", "z"]));
        assert!(members.contains(&one[0]));
    }
    // Positive counts: distinct members, at most the set's size.
    let five = strings(&c.cmd(&["ZRANDMEMBER", "z", "5"]));
    assert_eq!(five.len(), 5);
    assert_eq!(five.iter().collect::<BTreeSet<_>>().len(), 5);
    assert!(five.iter().all(|m| members.contains(m)));
    let all = strings(&c.cmd(&["ZRANDMEMBER", "z", "100"]));
    assert_eq!(all.iter().cloned().collect::<BTreeSet<_>>(), members);
    assert_eq!(all.len(), 20);
    // Negative counts: exactly that many, repeats allowed.
    let many = strings(&c.cmd(&["ZRANDMEMBER", "z", "-200"]));
    assert_eq!(many.len(), 200);
    assert!(many.iter().all(|m| members.contains(m)));
    assert!(many.iter().collect::<BTreeSet<_>>().len() < 200);
    // WITHSCORES pairs each member with its own score.
    let pairs = strings(&c.cmd(&["ZRANDMEMBER", "z", "-30", "WITHSCORES"]));
    assert_eq!(pairs.len(), 60);
    for pair in pairs.chunks(2) {
        let n: usize = pair[0][1..].parse().unwrap();
        assert_eq!(pair[1], n.to_string());
    }
    let pairs = strings(&c.cmd(&["ZRANDMEMBER", "z", "7", "WITHSCORES"]));
    assert_eq!(pairs.len(), 14);
}

#[test]
fn plain_sets_are_inputs_with_score_one() {
    let postgres = Postgres::start();
    let redis = Redis::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let (mut r, mut p) = (redis.client(), pgredis.client());
    r.cmd(&["SADD", "s", "a", "b", "x"]);
    sql(
        &postgres,
        "WITH k AS (INSERT INTO pgredis_keys (db, key, type, size) VALUES (0, 's', 'set', 3)
                    RETURNING key_id)
         INSERT INTO pgredis_set_members (key_id, member)
         SELECT key_id, m::bytea FROM k, unnest(ARRAY['a', 'b', 'x']) m",
    );
    let commands: &[&[&str]] = &[
        &["ZADD", "z", "5", "a", "7", "c"],
        &["ZUNION", "2", "s", "z", "WITHSCORES"],
        &["ZUNION", "2", "s", "z", "WEIGHTS", "3", "1", "WITHSCORES"],
        &["ZINTER", "2", "z", "s", "AGGREGATE", "MIN", "WITHSCORES"],
        &["ZINTER", "1", "s", "WITHSCORES"],
        &["ZDIFF", "2", "s", "z", "WITHSCORES"],
        &["ZDIFF", "2", "z", "s", "WITHSCORES"],
        &["ZINTERCARD", "2", "s", "z"],
        &["ZUNIONSTORE", "d", "2", "s", "z"],
        &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        &["ZINTERSTORE", "d", "2", "s", "z", "WEIGHTS", "2", "2"],
        &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        &["ZRANGE", "s", "0", "-1"],
        &["ZRANGESTORE", "d", "s", "0", "-1"],
        &["ZSCORE", "s", "a"],
        &["ZPOPMIN", "s"],
    ];
    for command in commands {
        assert_eq!(p.cmd(command), r.cmd(command), "{command:?}");
    }
}

#[test]
fn expired_sorted_sets_are_absent() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    c.cmd(&["ZADD", "z", "1", "a", "2", "b"]);
    c.cmd(&["ZADD", "y", "1", "a"]);
    sql(
        &postgres,
        "UPDATE pgredis_keys SET expires_at_ms = 1 WHERE key IN ('z', 'y')",
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "a"]), "$-1\r\n");
    assert_eq!(c.cmd(&["ZCARD", "z"]), ":0\r\n");
    assert_eq!(c.cmd(&["ZRANGE", "z", "0", "-1"]), "*0\r\n");
    assert_eq!(c.cmd(&["ZPOPMIN", "z"]), "*0\r\n");
    assert_eq!(c.cmd(&["ZUNION", "2", "z", "y"]), "*0\r\n");
    assert_eq!(c.cmd(&["ZADD", "z", "XX", "5", "a"]), ":0\r\n");
    // A write starts a new, empty set with a new key_id.
    let old_id = sql(&postgres, "SELECT key_id FROM pgredis_keys WHERE key = 'z'");
    assert_eq!(c.cmd(&["ZADD", "z", "3", "c"]), ":1\r\n");
    let new_id = sql(&postgres, "SELECT key_id FROM pgredis_keys WHERE key = 'z'");
    assert_ne!(old_id, new_id);
    assert_eq!(c.cmd(&["ZRANGE", "z", "0", "-1"]), "*1\r\n$1\r\nc\r\n");
    assert_eq!(c.cmd(&["TTL", "z"]), ":-1\r\n");
}

#[test]
fn big_sorted_sets() {
    let postgres = Postgres::start();
    let redis = Redis::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let (mut r, mut p) = (redis.client(), pgredis.client());
    let mut zadd = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..1000 {
        zadd.push((i % 97).to_string());
        zadd.push(format!("member{i}"));
    }
    let zadd: Vec<&str> = zadd.iter().map(|s| s.as_str()).collect();
    let commands: &[&[&str]] = &[
        &zadd,
        &["OBJECT", "ENCODING", "big"],
        &["ZCARD", "big"],
        &[
            "ZRANGEBYSCORE",
            "big",
            "(5",
            "50",
            "LIMIT",
            "100",
            "7",
            "WITHSCORES",
        ],
        &["ZREVRANGEBYSCORE", "big", "50", "(5", "LIMIT", "100", "7"],
        &["ZRANGE", "big", "500", "505", "WITHSCORES"],
        &["ZRANK", "big", "member500"],
        &["ZREVRANK", "big", "member500"],
        &["ZCOUNT", "big", "10", "20"],
        &["ZREMRANGEBYRANK", "big", "0", "899"],
        &["ZCARD", "big"],
        &["ZRANGE", "big", "0", "4"],
    ];
    assert_eq!(p.cmd(&zadd), r.cmd(&zadd));
    // ZSCAN of a set beyond the listpack limits: pages whose union is every member, once.
    let mut seen = BTreeMap::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let reply = p.cmd(&["ZSCAN", "big", &cursor, "COUNT", "7"]);
        let items = strings(&reply);
        cursor = items[0].clone();
        for pair in items[1..].chunks(2) {
            assert!(seen.insert(pair[0].clone(), pair[1].clone()).is_none());
        }
        calls += 1;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    assert!(calls > 100);
    for command in commands {
        assert_eq!(p.cmd(command), r.cmd(command), "{command:?}");
    }
    let long = "x".repeat(65);
    assert_eq!(p.cmd(&["ZADD", "long", "1", &long]), ":1\r\n");
    assert_eq!(p.cmd(&["OBJECT", "ENCODING", "long"]), "$8\r\nskiplist\r\n");
}

/// Many clients of two instances: ZINCRBY on one member loses no increment, ZADD of distinct
/// members loses none, and ZPOPMIN from both instances pops every member exactly once.
#[test]
fn concurrent_writes_across_instances() {
    const THREADS: usize = 6;
    const ROUNDS: usize = 40;
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    let client = |t: usize| -> Client {
        if t.is_multiple_of(2) {
            a.client()
        } else {
            b.client()
        }
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let mut c = client(t);
            std::thread::spawn(move || {
                for i in 0..ROUNDS {
                    let reply = c.cmd(&["ZINCRBY", "counter", "1", "hits"]);
                    assert!(reply.starts_with('$'), "{reply}");
                    let member = format!("t{t}-{i}");
                    assert_eq!(
                        c.cmd(&["ZADD", "members", &i.to_string(), &member]),
                        ":1\r\n"
                    );
                    c.cmd(&["ZADD", "queue", &(t * ROUNDS + i).to_string(), &member]);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let mut c = a.client();
    let total = (THREADS * ROUNDS).to_string();
    assert_eq!(
        c.cmd(&["ZSCORE", "counter", "hits"]),
        format!("${}\r\n{total}\r\n", total.len())
    );
    assert_eq!(
        integer(&c.cmd(&["ZCARD", "members"])),
        (THREADS * ROUNDS) as i64
    );
    assert_eq!(
        integer(&c.cmd(&["ZCARD", "queue"])),
        (THREADS * ROUNDS) as i64
    );

    let poppers: Vec<_> = (0..THREADS)
        .map(|t| {
            let mut c = client(t);
            std::thread::spawn(move || {
                let mut got = Vec::new();
                loop {
                    let popped = strings(&c.cmd(&["ZPOPMIN", "queue", "3"]));
                    if popped.is_empty() {
                        return got;
                    }
                    got.extend(popped.chunks(2).map(|p| p[0].clone()));
                }
            })
        })
        .collect();
    let mut popped: Vec<String> = poppers
        .into_iter()
        .flat_map(|p| p.join().unwrap())
        .collect();
    assert_eq!(popped.len(), THREADS * ROUNDS, "no member popped twice");
    popped.sort();
    popped.dedup();
    assert_eq!(popped.len(), THREADS * ROUNDS);
    assert_eq!(c.cmd(&["EXISTS", "queue"]), ":0\r\n");
}
