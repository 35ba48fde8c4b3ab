//! String commands where a case file cannot reach: keys of another type (no collection commands
//! exist yet to make one, so the row is written with SQL), expiry as stored, expired rows that
//! writes must treat as absent, and counters hit by two instances at once.

mod harness;

use harness::{Client, Pgredis, Postgres, Redis, sql};

/// Sends the same commands to Redis and pgredis and expects the same replies.
fn same_replies(redis: &mut Client, pgredis: &mut Client, commands: &[&[&str]]) {
    for command in commands {
        let expected = redis.cmd(command);
        let actual = pgredis.cmd(command);
        assert_eq!(actual, expected, "{command:?}");
    }
}

/// Whether `key` in database 0 has a future expiry ("true"), none ("none"), or is "absent".
fn expiry_of(postgres: &Postgres, key: &str) -> String {
    let out = sql(
        postgres,
        &format!(
            "SELECT coalesce((expires_at_ms > pgredis_now_ms())::text, 'none') \
           FROM pgredis_keys WHERE db = 0 AND key = '{key}'::bytea"
        ),
    );
    if out.is_empty() { "absent".into() } else { out }
}

#[test]
fn other_types_are_refused_like_redis() {
    let postgres = Postgres::start();
    let redis = Redis::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let (mut r, mut p) = (redis.client(), pgredis.client());
    r.cmd(&["RPUSH", "l", "x"]);
    sql(
        &postgres,
        "INSERT INTO pgredis_keys (db, key, type) VALUES (0, 'l', 'list')",
    );
    same_replies(
        &mut r,
        &mut p,
        &[
            &["SET", "s", "abc"],
            &["SETNX", "l", "x"],
            &["MSETNX", "l", "1", "z", "2"],
            &["EXISTS", "z"],
            &["GETSET", "l", "v"],
            &["GETDEL", "l"],
            &["GETEX", "l"],
            &["GETEX", "l", "EX", "10"],
            &["GETEX", "l", "EX", "abc"],
            &["GETEX", "l", "EX", "0"],
            &["GETEX", "l", "PERSIST"],
            &["GETEX", "l", "PXAT", "1"],
            &["APPEND", "l", "x"],
            &["STRLEN", "l"],
            &["GETRANGE", "l", "0", "1"],
            &["GETRANGE", "l", "x", "1"],
            &["SUBSTR", "l", "0", "1"],
            &["SETRANGE", "l", "0", "x"],
            &["SETRANGE", "l", "0", ""],
            &["SETRANGE", "l", "-1", "x"],
            &["SETRANGE", "l", "536870912", "x"],
            &["INCR", "l"],
            &["DECR", "l"],
            &["INCRBY", "l", "1"],
            &["INCRBY", "l", "x"],
            &["DECRBY", "l", "1"],
            &["DECRBY", "l", "-9223372036854775808"],
            &["INCRBYFLOAT", "l", "1"],
            &["INCRBYFLOAT", "l", "x"],
            &["LCS", "l", "s"],
            &["LCS", "s", "l", "FOO"],
            &["LCS", "missing", "l", "LEN", "IDX"],
            &["TYPE", "l"],
            &["SETEX", "l", "100", "v"],
            &["GET", "l"],
            &["TYPE", "l"],
        ],
    );
}

#[test]
fn expiry_is_set_kept_and_removed() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    let cmd = |c: &mut Client, args: &[&str]| c.cmd(args);
    assert_eq!(cmd(&mut c, &["SETEX", "k", "100", "v"]), "+OK\r\n");
    assert_eq!(expiry_of(&postgres, "k"), "true");
    assert_eq!(cmd(&mut c, &["GETEX", "k", "PERSIST"]), "$1\r\nv\r\n");
    assert_eq!(expiry_of(&postgres, "k"), "none");
    assert_eq!(cmd(&mut c, &["GETEX", "k", "PX", "100000"]), "$1\r\nv\r\n");
    assert_eq!(expiry_of(&postgres, "k"), "true");
    // Writes that keep the expiry.
    for args in [
        &["APPEND", "k", "1"][..],
        &["SETRANGE", "k", "0", "1"],
        &["INCR", "k"],
        &["INCRBYFLOAT", "k", "1"],
        &["GETEX", "k"],
    ] {
        assert!(!cmd(&mut c, args).starts_with('-'), "{args:?}");
        assert_eq!(expiry_of(&postgres, "k"), "true", "{args:?}");
    }
    // Writes that remove it.
    for args in [&["GETSET", "k", "v"][..], &["SET", "k", "v"]] {
        cmd(&mut c, &["GETEX", "k", "EXAT", "99999999999"]);
        assert_eq!(expiry_of(&postgres, "k"), "true");
        cmd(&mut c, args);
        assert_eq!(expiry_of(&postgres, "k"), "none", "{args:?}");
    }
    assert_eq!(cmd(&mut c, &["PSETEX", "k", "100000", "v"]), "+OK\r\n");
    assert_eq!(expiry_of(&postgres, "k"), "true");
    assert_eq!(cmd(&mut c, &["GETEX", "k", "PXAT", "1"]), "$1\r\nv\r\n");
    assert_eq!(expiry_of(&postgres, "k"), "absent");
}

#[test]
fn writes_treat_expired_keys_as_absent() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    let cases: &[(&[&str], &str)] = &[
        (&["INCR", "k"], ":1\r\n"),
        (&["DECRBY", "k", "5"], ":-5\r\n"),
        (&["INCRBYFLOAT", "k", "1.5"], "$3\r\n1.5\r\n"),
        (&["APPEND", "k", "xy"], ":2\r\n"),
        (&["SETRANGE", "k", "1", "x"], ":2\r\n"),
        (&["SETNX", "k", "x"], ":1\r\n"),
        (&["MSETNX", "k", "x", "other", "y"], ":1\r\n"),
        (&["GETSET", "k", "x"], "$-1\r\n"),
        (&["GETDEL", "k"], "$-1\r\n"),
        (&["GETEX", "k", "PERSIST"], "$-1\r\n"),
        (&["STRLEN", "k"], ":0\r\n"),
        (&["GETRANGE", "k", "0", "-1"], "$0\r\n\r\n"),
        (&["LCS", "k", "k"], "$0\r\n\r\n"),
    ];
    for (args, reply) in cases {
        c.cmd(&["FLUSHALL"]);
        // An expired string holding a non-integer, and an expired key of another type.
        c.cmd(&["SET", "k", "old value", "EX", "100"]);
        sql(
            &postgres,
            "UPDATE pgredis_keys SET expires_at_ms = 1 WHERE key = 'k'",
        );
        let old_id = sql(&postgres, "SELECT key_id FROM pgredis_keys WHERE key = 'k'");
        assert_eq!(c.cmd(args), *reply, "{args:?} on an expired string");
        let new_id = sql(&postgres, "SELECT key_id FROM pgredis_keys WHERE key = 'k'");
        let writes = !["STRLEN", "GETRANGE", "LCS", "GETEX"].contains(&args[0]);
        if writes && !new_id.is_empty() {
            assert_ne!(new_id, old_id, "{args:?} kept the expired key's id");
            assert_eq!(expiry_of(&postgres, "k"), "none", "{args:?}");
        }

        c.cmd(&["FLUSHALL"]);
        sql(
            &postgres,
            "INSERT INTO pgredis_keys (db, key, type, expires_at_ms) VALUES (0, 'k', 'list', 1)",
        );
        assert_eq!(c.cmd(args), *reply, "{args:?} on an expired list");
    }
}

#[test]
fn counters_are_atomic_across_instances() {
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    let ports = [a.port, b.port, a.port, b.port];
    let threads: Vec<_> = ports
        .into_iter()
        .map(|port| {
            std::thread::spawn(move || {
                let mut c = Client::connect(port);
                for _ in 0..100 {
                    assert!(c.cmd(&["INCR", "n"]).starts_with(':'));
                    assert!(c.cmd(&["INCRBYFLOAT", "f", "0.5"]).starts_with('$'));
                    assert!(c.cmd(&["APPEND", "s", "x"]).starts_with(':'));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = a.client();
    assert_eq!(c.cmd(&["GET", "n"]), "$3\r\n400\r\n");
    assert_eq!(c.cmd(&["GET", "f"]), "$3\r\n200\r\n");
    assert_eq!(c.cmd(&["STRLEN", "s"]), ":400\r\n");
}

#[test]
fn racing_msetnx_calls_sharing_a_key_set_all_or_nothing() {
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    let race = |port: u16, first: &'static str, last: &'static str| {
        std::thread::spawn(move || {
            let mut c = Client::connect(port);
            (0..100)
                .map(|i| {
                    let keys = [
                        format!("{first}{i}"),
                        format!("shared{i}"),
                        format!("{last}{i}"),
                    ];
                    c.cmd(&["MSETNX", &keys[0], first, &keys[1], first, &keys[2], first])
                })
                .collect::<Vec<_>>()
        })
    };
    let (one, other) = (race(a.port, "a", "b"), race(b.port, "c", "d"));
    let (one, other) = (one.join().unwrap(), other.join().unwrap());
    let mut c = a.client();
    for i in 0..100 {
        let won: Vec<bool> = [&one[i], &other[i]]
            .iter()
            .map(|r| *r == ":1\r\n")
            .collect();
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "round {i}: {one:?} {other:?}"
        );
        let winner = if won[0] { "a" } else { "c" };
        let loser = if won[0] { "c" } else { "a" };
        let shared = c.cmd(&["GET", &format!("shared{i}")]);
        assert_eq!(shared, format!("$1\r\n{winner}\r\n"));
        assert_eq!(c.cmd(&["EXISTS", &format!("{loser}{i}")]), ":0\r\n");
    }
}

#[test]
fn incr_helpers_are_inlined() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    pgredis.client().cmd(&["SET", "n", "1"]);
    // Functions Postgres inlines are never called, so they never show in the call statistics;
    // pgredis_getrange (not inlinable) shows that the statistics do count.
    let called = sql(
        &postgres,
        "SET track_functions = 'all';
         INSERT INTO pgredis_keys AS k (db, key, type, value) VALUES (0, 'n', 'string', '1')
         ON CONFLICT (db, key) DO UPDATE SET value = pgredis_incr(k.value, 1);
         SELECT pgredis_getrange('abc', 0, 1);
         SELECT string_agg(funcname, ',' ORDER BY funcname) FROM pg_stat_xact_user_functions",
    );
    assert_eq!(called.lines().last(), Some("pgredis_getrange"), "{called}");
}
