//! Set commands where a case file cannot reach: random replies checked by their properties,
//! SSCAN over a set too big to come back whole, expired sets, and many clients on two instances
//! changing the same sets at once.

mod harness;

use std::collections::{HashMap, HashSet};

use harness::{Client, Pgredis, Postgres, sql};

/// The strings of a reply that is an array (or RESP3 set) of bulk strings, or a single bulk.
fn strings(reply: &str) -> Vec<String> {
    let mut lines = reply.split("\r\n");
    let head = lines.next().unwrap();
    let n: usize = match head.as_bytes()[0] {
        b'*' | b'~' => head[1..].parse().unwrap(),
        b'$' if head == "$-1" => return Vec::new(),
        b'$' => return vec![lines.next().unwrap().to_string()],
        _ => panic!("not strings: {reply:?}"),
    };
    (0..n)
        .map(|_| {
            lines.next().unwrap();
            lines.next().unwrap().to_string()
        })
        .collect()
}

fn int(reply: &str) -> i64 {
    reply
        .strip_prefix(':')
        .and_then(|r| r.strip_suffix("\r\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not an integer: {reply:?}"))
}

/// Adds `n` members named `{prefix}{i}` to `key` in one SADD.
fn fill(c: &mut Client, key: &str, prefix: &str, n: usize) -> HashSet<String> {
    let members: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    let mut args = vec!["SADD", key];
    args.extend(members.iter().map(String::as_str));
    assert_eq!(int(&c.cmd(&args)), n as i64);
    members.into_iter().collect()
}

/// Checks SRANDMEMBER and SPOP on a set of `size` members: small sets are drawn from whole,
/// sets over 1000 members by probes, and a count of a quarter or more reads the set whole.
fn random_replies_keep_their_promises(c: &mut Client, size: usize) {
    let all = fill(c, "s", "m", size);
    for count in [1, 3, size / 2, size - 1, size, size + 5] {
        let drawn = strings(&c.cmd(&["SRANDMEMBER", "s", &count.to_string()]));
        let distinct: HashSet<_> = drawn.iter().cloned().collect();
        assert_eq!(drawn.len(), count.min(size), "SRANDMEMBER {count}");
        assert_eq!(distinct.len(), drawn.len(), "SRANDMEMBER {count} repeats");
        assert!(distinct.is_subset(&all));
    }
    for count in [1, 7, 3 * size] {
        let drawn = strings(&c.cmd(&["SRANDMEMBER", "s", &format!("-{count}")]));
        assert_eq!(drawn.len(), count);
        assert!(drawn.iter().all(|m| all.contains(m)));
        if count > size {
            let distinct: HashSet<_> = drawn.iter().collect();
            assert!(distinct.len() < drawn.len(), "a negative count repeats");
        }
    }
    let one = strings(&c.cmd(&["SRANDMEMBER", "s"]));
    assert!(all.contains(&one[0]));
    assert_eq!(
        int(&c.cmd(&["SCARD", "s"])),
        size as i64,
        "reads change nothing"
    );

    let mut left = all.clone();
    for count in [1, 2, size / 8, size / 3] {
        let popped = strings(&c.cmd(&["SPOP", "s", &count.to_string()]));
        assert_eq!(popped.len(), count, "SPOP {count}");
        for m in &popped {
            assert!(left.remove(m), "{m} popped twice or never there");
            assert_eq!(int(&c.cmd(&["SISMEMBER", "s", m])), 0);
        }
        assert_eq!(int(&c.cmd(&["SCARD", "s"])), left.len() as i64);
    }
    let single = strings(&c.cmd(&["SPOP", "s"]));
    assert!(left.remove(&single[0]));
    let rest: HashSet<_> = strings(&c.cmd(&["SPOP", "s", &size.to_string()]))
        .into_iter()
        .collect();
    assert_eq!(rest, left);
    assert_eq!(int(&c.cmd(&["EXISTS", "s"])), 0);
}

#[test]
fn random_members_small_and_big_sets() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    random_replies_keep_their_promises(&mut c, 5);
    random_replies_keep_their_promises(&mut c, 40);
    random_replies_keep_their_promises(&mut c, 3000);
    let huge = c.cmd(&["SRANDMEMBER", "missing", "-10000001"]);
    assert!(huge.starts_with("-ERR value is out of range"), "{huge}");
}

#[test]
fn sscan_walks_a_big_set_in_steps() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    let all = fill(&mut c, "big", "member:", 2000);
    let mut seen = HashMap::new();
    let mut cursor = "0".to_string();
    let mut steps = 0;
    loop {
        let reply = c.cmd(&["SSCAN", "big", &cursor, "COUNT", "100"]);
        // *2, then the cursor as a bulk string, then the members' array.
        let parts: Vec<&str> = reply.splitn(4, "\r\n").collect();
        cursor = parts[2].to_string();
        let members = strings(parts[3]);
        assert!(
            members.len() >= 100 || cursor == "0",
            "a short step goes on"
        );
        for m in members {
            *seen.entry(m).or_insert(0) += 1;
        }
        steps += 1;
        if cursor == "0" {
            break;
        }
    }
    assert!(steps >= 20, "{steps} steps");
    assert_eq!(seen.len(), all.len());
    assert!(seen.values().all(|&n| n == 1), "each member once");

    let matched = c.cmd(&["SSCAN", "big", "0", "MATCH", "member:1999", "COUNT", "5000"]);
    assert_eq!(matched, "*2\r\n$1\r\n0\r\n*1\r\n$11\r\nmember:1999\r\n");
    let beyond = c.cmd(&["SSCAN", "big", "18446744073709551615"]);
    assert_eq!(beyond, "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "big"]), "$9\r\nhashtable\r\n");
}

#[test]
fn expired_sets_are_absent_and_old_members_are_orphans() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    fill(&mut c, "old", "x", 3);
    fill(&mut c, "src", "x", 2);
    sql(
        &postgres,
        "UPDATE pgredis_keys SET expires_at_ms = 1 WHERE key = 'old'",
    );
    let reads: &[(&[&str], &str)] = &[
        (&["SCARD", "old"], ":0\r\n"),
        (&["SMEMBERS", "old"], "*0\r\n"),
        (&["SISMEMBER", "old", "x0"], ":0\r\n"),
        (&["SRANDMEMBER", "old"], "$-1\r\n"),
        (&["SINTER", "src", "old"], "*0\r\n"),
        (&["SSCAN", "old", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"),
    ];
    for (args, reply) in reads {
        assert_eq!(c.cmd(args), *reply, "{args:?}");
    }
    assert_eq!(sql(&postgres, "SELECT count(*) FROM pgredis_keys"), "2");
    // A write meets the expired key, removes it and starts a new set.
    assert_eq!(int(&c.cmd(&["SADD", "old", "x0", "y"])), 2);
    assert_eq!(int(&c.cmd(&["SCARD", "old"])), 2);
    assert_eq!(c.cmd(&["TTL", "old"]), ":-1\r\n");
    // The expired set's members wait for the sweeper, as do those of an overwritten or deleted
    // set: every member row belongs to a live key or to a noted orphan (the sweeper may have
    // deleted some already, which this check does not mind).
    let strays = "SELECT count(*) FROM pgredis_set_members m
                   WHERE NOT EXISTS (SELECT 1 FROM pgredis_keys k WHERE k.key_id = m.key_id)
                     AND NOT EXISTS (SELECT 1 FROM pgredis_orphans o WHERE o.key_id = m.key_id)";
    assert_eq!(sql(&postgres, strays), "0");
    assert_eq!(int(&c.cmd(&["SUNIONSTORE", "old", "src"])), 2);
    assert_eq!(int(&c.cmd(&["DEL", "src"])), 1);
    assert_eq!(sql(&postgres, strays), "0");
    // Sizes always match the member rows.
    let sizes = "SELECT count(*) FROM pgredis_keys k
                  WHERE size <> (SELECT count(*) FROM pgredis_set_members m
                                  WHERE m.key_id = k.key_id)";
    assert_eq!(sql(&postgres, sizes), "0");
}

/// Many clients on two instances add, remove, move and pop members of two sets at once. Every
/// member is added once, so at the end each one is in exactly one of: pool, other, popped by
/// exactly one SPOP, or removed by exactly one SREM or SPOP.
#[test]
fn set_writes_are_atomic_across_instances() {
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    let ports = [a.port, b.port, a.port, b.port, a.port, b.port];
    let threads: Vec<_> = ports
        .into_iter()
        .enumerate()
        .map(|(t, port)| {
            std::thread::spawn(move || {
                let mut c = Client::connect(port);
                let mut popped = Vec::new();
                let mut removed = 0;
                for j in 0..150 {
                    let m = |k: usize| format!("t{t}-{k}");
                    assert_eq!(int(&c.cmd(&["SADD", "pool", &m(j), &m(j)])), 1);
                    if j % 3 == 0 {
                        // Another thread's member, maybe already gone.
                        let other = format!("t{}-{}", (t + 1) % 6, j);
                        int(&c.cmd(&["SMOVE", "pool", "other", &other]));
                    }
                    if j % 5 == 0 && j >= 2 {
                        removed += int(&c.cmd(&["SREM", "pool", &m(j - 2), "nobody"]));
                    }
                    if j % 4 == 0 {
                        popped.extend(strings(&c.cmd(&["SPOP", "pool", "2"])));
                    }
                    if j % 7 == 0 {
                        popped.extend(strings(&c.cmd(&["SPOP", "other"])));
                    }
                }
                (popped, removed)
            })
        })
        .collect();
    let mut popped = Vec::new();
    let mut removed = 0;
    for t in threads {
        let (p, r) = t.join().unwrap();
        popped.extend(p);
        removed += r;
    }
    let mut c = a.client();
    let pool: HashSet<_> = strings(&c.cmd(&["SMEMBERS", "pool"])).into_iter().collect();
    let other: HashSet<_> = strings(&c.cmd(&["SMEMBERS", "other"]))
        .into_iter()
        .collect();
    assert_eq!(int(&c.cmd(&["SCARD", "pool"])), pool.len() as i64);
    assert_eq!(int(&c.cmd(&["SCARD", "other"])), other.len() as i64);
    let distinct: HashSet<_> = popped.iter().cloned().collect();
    assert_eq!(distinct.len(), popped.len(), "a member popped twice");
    assert!(pool.is_disjoint(&other));
    assert!(distinct.is_disjoint(&pool) && distinct.is_disjoint(&other));
    assert_eq!(
        pool.len() + other.len() + popped.len() + removed as usize,
        6 * 150,
        "every member accounted for once"
    );
}
