//! Transactions where a case file cannot reach: WATCH against writes by other clients and other
//! instances, expiry as stored, keys of other types inside EXEC, authentication, and
//! transactions from many clients through two instances at once.

mod harness;

use std::sync::atomic::{AtomicBool, Ordering};

use harness::{Client, Pgredis, Postgres, Redis, sql};

const NULL_ARRAY: &str = "*-1\r\n";

/// MULTI, SET `key` `value`, EXEC on `c`; returns EXEC's reply.
fn set_in_transaction(c: &mut Client, key: &str, value: &str) -> String {
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.cmd(&["SET", key, value]), "+QUEUED\r\n");
    c.cmd(&["EXEC"])
}

/// Sends the same commands to Redis and pgredis and expects the same replies.
fn same_replies(redis: &mut Client, pgredis: &mut Client, commands: &[&[&str]]) {
    for command in commands {
        let expected = redis.cmd(command);
        let actual = pgredis.cmd(command);
        assert_eq!(actual, expected, "{command:?}");
    }
}

/// Every kind of write, by another connection of the same instance or by a client of another
/// instance, makes the watcher's EXEC return the null array and run nothing.
#[test]
fn watch_sees_writes_from_other_clients_and_instances() {
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    let mut watcher = a.client();
    let writes: &[&[&str]] = &[
        &["SET", "k", "same"],
        &["INCR", "n"],
        &["APPEND", "k", "x"],
        &["DEL", "k"],
        &["EXPIRE", "k", "1000"],
        &["FLUSHALL"],
        &["FLUSHDB"],
        &["RENAME", "other", "k"],
        &["SETBIT", "k", "0", "1"],
    ];
    for (i, write) in writes.iter().enumerate() {
        for writer_instance in [&a, &b] {
            let mut writer = writer_instance.client();
            writer.cmd(&["SET", "k", "same"]);
            writer.cmd(&["SET", "n", "1"]);
            writer.cmd(&["SET", "other", "o"]);
            assert_eq!(watcher.cmd(&["WATCH", "k", "n"]), "+OK\r\n");
            let reply = writer.cmd(write);
            assert!(!reply.starts_with('-'), "{write:?}: {reply}");
            let marker = format!("tx{i}");
            assert_eq!(
                set_in_transaction(&mut watcher, "marker", &marker),
                NULL_ARRAY,
                "{write:?} on port {}",
                writer_instance.port
            );
            assert_eq!(watcher.cmd(&["EXISTS", "marker"]), ":0\r\n", "{write:?}");
        }
    }

    // No write: EXEC runs. RESP3 spells the null array `_`.
    let mut other = b.client();
    other.cmd(&["SET", "k", "v"]);
    watcher.cmd(&["WATCH", "k"]);
    other.cmd(&["GET", "k"]);
    other.cmd(&["SET", "unrelated", "v"]);
    assert_eq!(set_in_transaction(&mut watcher, "m", "1"), "*1\r\n+OK\r\n");
    watcher.cmd(&["HELLO", "3"]);
    watcher.cmd(&["WATCH", "k"]);
    other.cmd(&["SET", "k", "w"]);
    assert_eq!(set_in_transaction(&mut watcher, "m", "2"), "_\r\n");
    assert_eq!(watcher.cmd(&["GET", "m"]), "$1\r\n1\r\n");

    // A watch in database 1 sees writes there only.
    watcher.cmd(&["SELECT", "1"]);
    watcher.cmd(&["WATCH", "k"]);
    watcher.cmd(&["SELECT", "0"]);
    other.cmd(&["SET", "k", "db0"]);
    assert_eq!(set_in_transaction(&mut watcher, "m", "3"), "*1\r\n+OK\r\n");
    watcher.cmd(&["SELECT", "1"]);
    watcher.cmd(&["WATCH", "k"]);
    watcher.cmd(&["SELECT", "0"]);
    other.cmd(&["SELECT", "1"]);
    other.cmd(&["SET", "k", "db1"]);
    assert_eq!(set_in_transaction(&mut watcher, "m", "4"), "_\r\n");
}

/// Expiry changes no row, so a watch remembers whether its key was live. As in Redis: a key
/// live at WATCH and expired at EXEC has changed; a key expired at WATCH has not, also once the
/// sweeper removed it, until someone writes it. Time passing is played by moving the stored
/// expiry with SQL, without a new version.
#[test]
fn watch_sees_expiry_as_redis_does() {
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    let (mut c, mut other) = (a.client(), b.client());
    let expire_now = "UPDATE pgredis_keys SET expires_at_ms = 1 WHERE db = 0 AND key = 'k'::bytea";

    c.cmd(&["SET", "k", "v", "EX", "1000"]);
    c.cmd(&["WATCH", "k"]);
    sql(&postgres, expire_now);
    assert_eq!(set_in_transaction(&mut c, "m", "1"), NULL_ARRAY);

    // Expired before WATCH: no change, nor when the expired row is swept away.
    assert_eq!(c.cmd(&["WATCH", "k"]), "+OK\r\n");
    assert_eq!(set_in_transaction(&mut c, "m", "2"), "*1\r\n+OK\r\n");
    c.cmd(&["WATCH", "k"]);
    sql(&postgres, "DELETE FROM pgredis_keys WHERE key = 'k'::bytea");
    assert_eq!(set_in_transaction(&mut c, "m", "3"), "*1\r\n+OK\r\n");

    // Expired before WATCH, then written by another instance: changed.
    other.cmd(&["SET", "k", "v", "EX", "1000"]);
    sql(&postgres, expire_now);
    c.cmd(&["WATCH", "k"]);
    other.cmd(&["SET", "k", "w"]);
    assert_eq!(set_in_transaction(&mut c, "m", "4"), NULL_ARRAY);

    // Absent at WATCH, then written and expired since: changed.
    other.cmd(&["DEL", "k"]);
    c.cmd(&["WATCH", "k"]);
    other.cmd(&["SET", "k", "v", "EX", "1000"]);
    sql(&postgres, expire_now);
    assert_eq!(set_in_transaction(&mut c, "m", "5"), NULL_ARRAY);
    assert_eq!(c.cmd(&["GET", "m"]), "$1\r\n3\r\n");
}

/// Commands that meet a key of another type fail inside EXEC as they do in Redis, each as its
/// own element, and the others take effect. (No list commands exist yet on this branch, so the
/// list is written with SQL.)
#[test]
fn wrong_types_inside_exec_match_redis() {
    let postgres = Postgres::start();
    let redis = Redis::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let (mut r, mut p) = (redis.client(), pgredis.client());
    r.cmd(&["RPUSH", "l", "x"]);
    sql(
        &postgres,
        "INSERT INTO pgredis_keys (db, key, type, size) VALUES (0, 'l', 'list', 1)",
    );
    same_replies(
        &mut r,
        &mut p,
        &[
            &["MULTI"],
            &["SET", "s", "1"],
            &["GET", "l"],
            &["INCR", "l"],
            &["INCR", "s"],
            &["APPEND", "l", "x"],
            &["SET", "l", "v", "GET"],
            &["SETRANGE", "l", "0", "x"],
            &["GETBIT", "l", "0"],
            &["MGET", "l", "s"],
            &["TYPE", "l"],
            &["EXEC"],
            &["GET", "s"],
            &["TYPE", "l"],
            &["WATCH", "l"],
            &["MULTI"],
            &["INCR", "l"],
            &["SET", "l", "now a string"],
            &["GET", "l"],
            &["EXEC"],
            &["TYPE", "l"],
        ],
    );
}

/// EXEC refused before it runs (not authenticated) ends the transaction with Redis's words.
#[test]
fn exec_without_auth_matches_redis() {
    let postgres = Postgres::start();
    let redis = Redis::start_with(&["--requirepass", "pw"]);
    let pgredis = Pgredis::start_with_password(&postgres.conn_str(), &["--requirepass", "pw"]);
    let mut r = Client::connect_unauthenticated(redis.port);
    let mut p = Client::connect_unauthenticated(pgredis.port);
    same_replies(
        &mut r,
        &mut p,
        &[
            &["EXEC"],
            &["EXEC", "x"],
            &["MULTI"],
            &["DISCARD"],
            &["WATCH", "a"],
            &["UNWATCH"],
            &["AUTH", "pw"],
            &["MULTI"],
            &["AUTH", "wrong"],
            &["AUTH", "pw"],
            &["EXEC"],
        ],
    );
}

/// Optimistic increments, the way WATCH is meant to be used: clients of two instances read a
/// counter, then write the value plus one in a transaction guarded by WATCH, and retry when EXEC
/// returns the null array. No increment is lost or counted twice.
#[test]
fn optimistic_increments_through_two_instances_end_at_the_exact_sum() {
    const THREADS: usize = 8;
    const INCREMENTS: usize = 25;
    let postgres = Postgres::start();
    let instances = [
        Pgredis::start(&postgres.conn_str()),
        Pgredis::start(&postgres.conn_str()),
    ];
    let retries: usize = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let mut c = instances[t % 2].client();
                s.spawn(move || {
                    let mut retries = 0;
                    for _ in 0..INCREMENTS {
                        loop {
                            assert_eq!(c.cmd(&["WATCH", "counter"]), "+OK\r\n");
                            let current = parse_bulk_int(&c.cmd(&["GET", "counter"]));
                            let next = (current + 1).to_string();
                            match set_in_transaction(&mut c, "counter", &next).as_str() {
                                "*1\r\n+OK\r\n" => break,
                                NULL_ARRAY => retries += 1,
                                other => panic!("EXEC replied {other:?}"),
                            }
                        }
                    }
                    retries
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    let total = THREADS * INCREMENTS;
    let mut c = instances[1].client();
    assert_eq!(
        c.cmd(&["GET", "counter"]),
        format!("${}\r\n{total}\r\n", total.to_string().len())
    );
    println!("{total} increments, {retries} retried after a conflict");
}

/// The value of a GET reply, 0 for nil.
fn parse_bulk_int(reply: &str) -> i64 {
    if reply == "$-1\r\n" {
        return 0;
    }
    reply
        .lines()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("not a number: {reply:?}"))
}

/// Writers on both instances each set 50 keys to one value per transaction; readers on both
/// instances read all of them with one MGET and must always see a single value (or none yet):
/// never a transaction half done, never two mixed.
#[test]
fn a_transaction_is_never_seen_half_done() {
    const KEYS: usize = 50;
    const ROUNDS: usize = 30;
    let postgres = Postgres::start();
    let instances = [
        Pgredis::start(&postgres.conn_str()),
        Pgredis::start(&postgres.conn_str()),
    ];
    let keys: Vec<String> = (0..KEYS).map(|i| format!("key:{i}")).collect();
    let done = AtomicBool::new(false);
    let reads: usize = std::thread::scope(|s| {
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let mut c = instances[w].client();
                let keys = &keys;
                s.spawn(move || {
                    for round in 0..ROUNDS {
                        let value = format!("w{w}r{round}");
                        assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
                        for key in keys {
                            assert_eq!(c.cmd(&["SET", key, &value]), "+QUEUED\r\n");
                        }
                        let reply = c.cmd(&["EXEC"]);
                        assert_eq!(reply, format!("*{KEYS}\r\n{}", "+OK\r\n".repeat(KEYS)));
                    }
                })
            })
            .collect();
        let readers: Vec<_> = (0..2)
            .map(|r| {
                let mut c = instances[1 - r].client();
                let (keys, done) = (&keys, &done);
                s.spawn(move || {
                    let mut mget = vec!["MGET"];
                    mget.extend(keys.iter().map(String::as_str));
                    let mut reads = 0;
                    while !done.load(Ordering::Relaxed) || reads == 0 {
                        let reply = c.cmd(&mget);
                        let mut values: Vec<&str> = reply
                            .lines()
                            .skip(1)
                            .filter(|l| !l.starts_with('$'))
                            .collect();
                        let nils = reply.matches("$-1\r\n").count();
                        assert!(
                            nils == KEYS || (nils == 0 && values.len() == KEYS),
                            "{reply}"
                        );
                        values.dedup();
                        assert!(values.len() <= 1, "a mix of transactions: {reply}");
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        readers.into_iter().map(|r| r.join().unwrap()).sum()
    });
    let mut c = instances[0].client();
    let last = c.cmd(&["GET", "key:0"]);
    assert!(last.contains(&format!("r{}", ROUNDS - 1)), "{last}");
    println!("{reads} MGETs saw whole transactions only");
}

/// Transactions writing the same keys in opposite orders, and MSETs of those keys, through two
/// instances: EXEC locks the keys it writes in sorted order first, as MSET does, so nobody
/// deadlocks and every command succeeds.
#[test]
fn opposite_write_orders_neither_deadlock_nor_fail() {
    const ROUNDS: usize = 40;
    let postgres = Postgres::start();
    let instances = [
        Pgredis::start(&postgres.conn_str()),
        Pgredis::start(&postgres.conn_str()),
    ];
    std::thread::scope(|s| {
        for t in 0..4 {
            let mut c = instances[t % 2].client();
            s.spawn(move || {
                let keys = ["a", "b", "c"];
                for round in 0..ROUNDS {
                    let value = format!("{t}:{round}");
                    if t == 3 {
                        let reply = c.cmd(&["MSET", "a", &value, "b", &value, "c", &value]);
                        assert_eq!(reply, "+OK\r\n");
                        continue;
                    }
                    c.cmd(&["MULTI"]);
                    for i in 0..keys.len() {
                        let key = if t % 2 == 0 {
                            keys[i]
                        } else {
                            keys[keys.len() - 1 - i]
                        };
                        assert_eq!(c.cmd(&["SET", key, &value]), "+QUEUED\r\n");
                    }
                    c.cmd(&["INCR", "n"]);
                    let reply = c.cmd(&["EXEC"]);
                    assert!(reply.starts_with("*4\r\n+OK\r\n+OK\r\n+OK\r\n:"), "{reply}");
                }
            });
        }
    });
    let mut c = instances[0].client();
    assert_eq!(c.cmd(&["GET", "n"]), format!("$3\r\n{}\r\n", 3 * ROUNDS));
    let values = c.cmd(&["MGET", "a", "b", "c"]);
    let lines: Vec<&str> = values.lines().skip(2).step_by(2).collect();
    assert!(lines.iter().all(|v| *v == lines[0]), "{values}");
}
