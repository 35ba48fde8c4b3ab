//! Blocking commands across instances: a client blocked on one instance is served by a write on
//! another; every pushed element goes to exactly one waiter; waiters of one instance are served
//! in arrival order; a thousand blocked clients hold no PostgreSQL connection; a killed listener
//! strands nobody; CLIENT UNBLOCK and CLIENT KILL reach blocked clients. No test asserts on time.

mod harness;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use harness::{Client, Pgredis, Postgres, wait_for};

/// The number of blocked clients `instance` reports.
fn blocked(instance: &Pgredis) -> usize {
    let info = instance.client().cmd(&["INFO", "clients"]);
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .expect("INFO clients has blocked_clients")
        .trim()
        .parse()
        .unwrap()
}

fn wait_blocked(instance: &Pgredis, n: usize) {
    wait_for(&format!("{n} blocked clients"), || blocked(instance) == n);
}

/// Sends a blocking command without reading its reply.
fn send(client: &mut Client, args: &[&str]) {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    client.send(&args);
}

fn text(reply: Vec<u8>) -> String {
    String::from_utf8_lossy(&reply).into_owned()
}

fn bulk_array(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for i in items {
        out.push_str(&format!("${}\r\n{i}\r\n", i.len()));
    }
    out
}

#[test]
fn a_write_on_another_instance_serves_the_waiter() {
    let pg = Postgres::start();
    let a = Pgredis::start(&pg.conn_str());
    let b = Pgredis::start(&pg.conn_str());
    let c = Pgredis::start(&pg.conn_str());
    let mut writer = b.client();

    let mut w = a.client();
    send(&mut w, &["BLPOP", "none", "q", "0"]);
    wait_blocked(&a, 1);
    assert_eq!(writer.cmd(&["RPUSH", "q", "x"]), ":1\r\n");
    assert_eq!(text(w.read_reply()), bulk_array(&["q", "x"]));
    wait_blocked(&a, 0);

    // Waiters on two instances, writes on a third: each gets one element.
    let mut wa = a.client();
    let mut wc = c.client();
    send(&mut wa, &["BRPOP", "q2", "0"]);
    send(&mut wc, &["BRPOP", "q2", "0"]);
    wait_blocked(&a, 1);
    wait_blocked(&c, 1);
    writer.cmd(&["RPUSH", "q2", "one", "two"]);
    let mut got = vec![text(wa.read_reply()), text(wc.read_reply())];
    got.sort();
    assert_eq!(
        got,
        vec![bulk_array(&["q2", "one"]), bulk_array(&["q2", "two"])]
    );
    assert_eq!(writer.cmd(&["EXISTS", "q2"]), ":0\r\n");

    send(&mut w, &["BZPOPMIN", "z", "0"]);
    wait_blocked(&a, 1);
    writer.cmd(&["ZADD", "z", "2.5", "m"]);
    assert_eq!(text(w.read_reply()), bulk_array(&["z", "m", "2.5"]));

    send(
        &mut w,
        &["BZMPOP", "0", "2", "z1", "z2", "MAX", "COUNT", "5"],
    );
    wait_blocked(&a, 1);
    writer.cmd(&["ZADD", "z2", "1", "a", "2", "b"]);
    assert_eq!(
        text(w.read_reply()),
        "*2\r\n$2\r\nz2\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );

    send(&mut w, &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]);
    wait_blocked(&a, 1);
    writer.cmd(&["RPUSH", "src", "e1", "e2"]);
    assert_eq!(text(w.read_reply()), "$2\r\ne2\r\n");
    assert_eq!(
        writer.cmd(&["LRANGE", "dst", "0", "-1"]),
        bulk_array(&["e2"])
    );

    send(&mut w, &["BLMPOP", "0", "1", "m", "LEFT", "COUNT", "2"]);
    wait_blocked(&a, 1);
    writer.cmd(&["RPUSH", "m", "1", "2", "3"]);
    assert_eq!(
        text(w.read_reply()),
        "*2\r\n$1\r\nm\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
}

#[test]
fn every_writer_that_creates_the_key_wakes_the_waiter() {
    let pg = Postgres::start();
    let a = Pgredis::start(&pg.conn_str());
    let b = Pgredis::start(&pg.conn_str());
    let mut w = a.client();
    let mut x = b.client();
    // Each writer makes a list appear under "w" (in database 0) on instance B.
    let writers: &[&[&[&str]]] = &[
        &[&["RPUSH", "w", "v"]],
        &[
            &["LPUSH", "other", "v"],
            &["LMOVE", "other", "w", "LEFT", "LEFT"],
        ],
        &[&["RPUSH", "other", "v"], &["RPOPLPUSH", "other", "w"]],
        &[&["RPUSH", "other", "v"], &["RENAME", "other", "w"]],
        &[&["RPUSH", "other", "v"], &["COPY", "other", "w"]],
        &[
            &["RPUSH", "other", "v"],
            &["SORT", "other", "ALPHA", "STORE", "w"],
        ],
        &[
            &["SELECT", "1"],
            &["RPUSH", "w", "v"],
            &["MOVE", "w", "0"],
            &["SELECT", "0"],
        ],
        &[
            &["SELECT", "1"],
            &["RPUSH", "w", "v"],
            &["SWAPDB", "0", "1"],
            &["SELECT", "0"],
        ],
        &[
            &["MULTI"],
            &["SET", "s", "1"],
            &["RPUSH", "w", "v"],
            &["EXEC"],
        ],
        &[&["SET", "w", "string"], &["DEL", "w"], &["RPUSH", "w", "v"]],
    ];
    for (i, writer) in writers.iter().enumerate() {
        x.cmd(&["FLUSHALL"]);
        send(&mut w, &["BLPOP", "w", "0"]);
        wait_blocked(&a, 1);
        for command in writer.iter() {
            x.cmd(command);
        }
        assert_eq!(
            text(w.read_reply()),
            bulk_array(&["w", "v"]),
            "writer {i}: {writer:?}"
        );
        wait_blocked(&a, 0);
    }
    // Sorted sets: ZADD, ZUNIONSTORE, ZINCRBY, EXEC.
    let writers: &[&[&[&str]]] = &[
        &[&["ZADD", "w", "1", "v"]],
        &[&["ZINCRBY", "w", "1", "v"]],
        &[&["ZADD", "o", "1", "v"], &["ZUNIONSTORE", "w", "1", "o"]],
        &[&["MULTI"], &["ZADD", "w", "1", "v"], &["EXEC"]],
    ];
    for (i, writer) in writers.iter().enumerate() {
        x.cmd(&["FLUSHALL"]);
        send(&mut w, &["BZPOPMAX", "w", "0"]);
        wait_blocked(&a, 1);
        for command in writer.iter() {
            x.cmd(command);
        }
        assert_eq!(
            text(w.read_reply()),
            bulk_array(&["w", "v", "1"]),
            "writer {i}: {writer:?}"
        );
    }
}

#[test]
fn a_key_of_another_type_keeps_the_client_waiting() {
    let pg = Postgres::start();
    let a = Pgredis::start(&pg.conn_str());
    let b = Pgredis::start(&pg.conn_str());
    let mut w = a.client();
    let mut x = b.client();
    send(&mut w, &["BLPOP", "k", "0"]);
    wait_blocked(&a, 1);
    // A sorted set wakes the waiter, which finds no list and waits on, as in Redis 7.0.
    x.cmd(&["ZADD", "k", "1", "m"]);
    x.cmd(&["DEL", "k"]);
    x.cmd(&["RPUSH", "k", "v"]);
    assert_eq!(text(w.read_reply()), bulk_array(&["k", "v"]));
}

#[test]
fn elements_are_consumed_exactly_once_across_instances() {
    let pg = Postgres::start();
    let instances: Vec<Pgredis> = (0..3).map(|_| Pgredis::start(&pg.conn_str())).collect();
    let ports: Vec<u16> = instances.iter().map(|p| p.port).collect();
    const CONSUMERS: usize = 9;
    const PRODUCERS: usize = 6;
    const EACH: usize = 150;
    let received = Arc::new(Mutex::new(Vec::new()));
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|i| {
            let port = ports[i % ports.len()];
            let received = received.clone();
            std::thread::spawn(move || {
                let mut c = Client::connect(port);
                let mut mine = Vec::new();
                loop {
                    // Alternate the forms: every one must hand out each element once.
                    let reply = match mine.len() % 3 {
                        0 => text(c.call(&[b"BLPOP", b"q1", b"q2", b"0"])),
                        1 => text(c.call(&[b"BRPOP", b"q2", b"q1", b"0"])),
                        _ => text(c.call(&[b"BLMPOP", b"0", b"2", b"q1", b"q2", b"LEFT"])),
                    };
                    let value = reply.lines().last().unwrap().to_string();
                    if value == "stop" {
                        break;
                    }
                    mine.push(value);
                }
                received.lock().unwrap().extend(mine);
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let port = ports[(p + 1) % ports.len()];
            std::thread::spawn(move || {
                let mut c = Client::connect(port);
                for i in 0..EACH {
                    let key = if i % 2 == 0 { "q1" } else { "q2" };
                    let value = format!("p{p}-{i}");
                    c.cmd(&["RPUSH", key, &value]);
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    // Everything pushed is consumed before the stops, which come last on one list.
    let mut c = instances[0].client();
    wait_for("the lists drained", || {
        c.cmd(&["EXISTS", "q1", "q2"]) == ":0\r\n"
    });
    for _ in 0..CONSUMERS {
        c.cmd(&["RPUSH", "q1", "stop"]);
    }
    for t in consumers {
        t.join().unwrap();
    }
    let mut got = received.lock().unwrap().clone();
    got.sort();
    let mut expected: Vec<String> = (0..PRODUCERS)
        .flat_map(|p| (0..EACH).map(move |i| format!("p{p}-{i}")))
        .collect();
    expected.sort();
    assert_eq!(got.len(), expected.len(), "elements lost or duplicated");
    assert_eq!(got, expected);
    assert_eq!(c.cmd(&["EXISTS", "q1", "q2"]), ":0\r\n");
}

#[test]
fn the_longest_waiting_client_of_an_instance_is_served_first() {
    let pg = Postgres::start();
    let a = Pgredis::start(&pg.conn_str());
    let b = Pgredis::start(&pg.conn_str());
    let mut waiters: Vec<Client> = Vec::new();
    for i in 0..5 {
        let mut c = a.client();
        send(&mut c, &["BLPOP", "fifo", "0"]);
        wait_blocked(&a, i + 1);
        waiters.push(c);
    }
    b.client()
        .cmd(&["RPUSH", "fifo", "e0", "e1", "e2", "e3", "e4"]);
    for (i, c) in waiters.iter_mut().enumerate() {
        assert_eq!(
            text(c.read_reply()),
            bulk_array(&["fifo", &format!("e{i}")])
        );
    }
    // One element at a time, from the waiters' own instance.
    for (i, c) in waiters.iter_mut().enumerate() {
        send(c, &["BRPOP", "fifo", "0"]);
        wait_blocked(&a, i + 1);
    }
    let mut pusher = a.client();
    for (i, c) in waiters.iter_mut().enumerate() {
        pusher.cmd(&["RPUSH", "fifo", &format!("f{i}")]);
        assert_eq!(
            text(c.read_reply()),
            bulk_array(&["fifo", &format!("f{i}")])
        );
    }
}

/// PostgreSQL backends connected to the test database.
fn backends(pg: &Postgres) -> usize {
    pg.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        .parse()
        .unwrap()
}

#[test]
fn a_thousand_blocked_clients_hold_no_connections() {
    let pg = Postgres::start();
    let a = Pgredis::start_with(&pg.conn_str(), &["--pool-size", "8"]);
    let b = Pgredis::start_with(&pg.conn_str(), &["--pool-size", "8"]);
    const N: usize = 1000;
    let mut clients: Vec<Client> = Vec::with_capacity(N);
    for i in 0..N {
        let mut c = a.client();
        send(&mut c, &["BLPOP", &format!("k{}", i % 10), "shared", "0"]);
        clients.push(c);
    }
    wait_blocked(&a, N);
    // Two pools of at most 8, and each instance's listener and sweeper: nothing per client, and
    // no backend is in a transaction or waiting for a lock.
    let connections = backends(&pg);
    assert!(
        connections <= 2 * 8 + 4,
        "{connections} PostgreSQL connections"
    );
    let busy = pg.psql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND state <> 'idle'",
    );
    assert_eq!(busy, "0");
    let mut writer = b.client();
    for i in 0..10 {
        let values: Vec<String> = (0..N / 10).map(|j| format!("v{i}-{j}")).collect();
        let mut args = vec!["RPUSH".to_string(), format!("k{i}")];
        args.extend(values);
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        writer.cmd(&args);
    }
    let mut got: Vec<String> = clients
        .iter_mut()
        .map(|c| text(c.read_reply()).lines().last().unwrap().to_string())
        .collect();
    got.sort();
    got.dedup();
    assert_eq!(got.len(), N);
    assert_eq!(writer.cmd(&["EXISTS", "k0", "k9"]), ":0\r\n");
    wait_blocked(&a, 0);
    assert!(backends(&pg) <= 2 * 8 + 4);
}

#[test]
fn a_killed_listener_strands_no_waiter() {
    let pg = Postgres::start();
    let a = Pgredis::start(&pg.conn_str());
    let b = Pgredis::start(&pg.conn_str());
    let mut w = a.client();
    let mut x = b.client();
    for round in 0..3 {
        send(&mut w, &["BLPOP", "q", "0"]);
        wait_blocked(&a, 1);
        pg.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'pgredis listener'",
        );
        // The push may come before the listeners are back: its notification is lost, and the
        // waiter must still get the element (reconnect wake-up, or the periodic look).
        let value = format!("v{round}");
        x.cmd(&["RPUSH", "q", &value]);
        assert_eq!(text(w.read_reply()), bulk_array(&["q", &value]));
    }
}

#[test]
fn client_unblock_and_kill_reach_blocked_clients() {
    let pg = Postgres::start();
    let a = Pgredis::start(&pg.conn_str());
    let mut admin = a.client();
    let mut w = a.client();
    let id = text(w.call(&[b"CLIENT", b"ID"]));
    let id = id.trim().trim_start_matches(':').to_string();

    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id]), ":0\r\n");
    send(&mut w, &["BLPOP", "q", "0"]);
    wait_blocked(&a, 1);
    assert!(admin.cmd(&["CLIENT", "LIST"]).contains("flags=b"));
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id]), ":1\r\n");
    assert_eq!(text(w.read_reply()), "*-1\r\n");

    send(&mut w, &["BLMOVE", "q", "d", "LEFT", "LEFT", "0"]);
    wait_blocked(&a, 1);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]), ":1\r\n");
    assert_eq!(text(w.read_reply()), "*-1\r\n");

    send(&mut w, &["BZPOPMIN", "z", "0"]);
    wait_blocked(&a, 1);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]), ":1\r\n");
    assert_eq!(
        text(w.read_reply()),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(w.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id]), ":0\r\n");

    // CLIENT KILL ID closes a blocked client's connection without a reply; the element pushed
    // afterwards stays for the next client.
    send(&mut w, &["BLPOP", "q", "0"]);
    wait_blocked(&a, 1);
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "ID", &id]), ":1\r\n");
    assert_eq!(w.read_to_close(), b"");
    wait_blocked(&a, 0);
    admin.cmd(&["RPUSH", "q", "kept"]);
    assert_eq!(admin.cmd(&["LLEN", "q"]), ":1\r\n");
    admin.cmd(&["DEL", "q"]);

    // By address, in both forms.
    let mut w2 = a.client();
    let info = text(w2.call(&[b"CLIENT", b"INFO"]));
    let addr = info
        .split_whitespace()
        .find_map(|f| f.strip_prefix("addr="))
        .unwrap()
        .to_string();
    send(&mut w2, &["BRPOP", "q", "0"]);
    wait_blocked(&a, 1);
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "ADDR", &addr]), ":1\r\n");
    assert_eq!(w2.read_to_close(), b"");
    let mut w3 = a.client();
    let info = text(w3.call(&[b"CLIENT", b"INFO"]));
    let addr = info
        .split_whitespace()
        .find_map(|f| f.strip_prefix("addr="))
        .unwrap()
        .to_string();
    send(&mut w3, &["BZPOPMAX", "z", "0"]);
    wait_blocked(&a, 1);
    assert_eq!(admin.cmd(&["CLIENT", "KILL", &addr]), "+OK\r\n");
    assert_eq!(w3.read_to_close(), b"");
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", &addr]),
        "-ERR No such client\r\n"
    );

    // Killing oneself: the reply comes, then the connection closes.
    let mut me = a.client();
    let info = text(me.call(&[b"CLIENT", b"INFO"]));
    let my_id = info
        .split_whitespace()
        .find_map(|f| f.strip_prefix("id="))
        .unwrap()
        .to_string();
    assert_eq!(me.cmd(&["CLIENT", "KILL", "ID", &my_id]), ":0\r\n");
    assert_eq!(
        me.cmd(&["CLIENT", "KILL", "ID", &my_id, "SKIPME", "no"]),
        ":1\r\n"
    );
    assert_eq!(me.read_to_close(), b"");
    // An idle client is killed too.
    let mut idle = a.client();
    let info = text(idle.call(&[b"CLIENT", b"INFO"]));
    let idle_id = info
        .split_whitespace()
        .find_map(|f| f.strip_prefix("id="))
        .unwrap()
        .to_string();
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "ID", &idle_id]), ":1\r\n");
    assert_eq!(idle.read_to_close(), b"");
}

#[test]
fn a_client_that_hangs_up_stops_waiting_and_takes_nothing() {
    let pg = Postgres::start();
    let a = Pgredis::start(&pg.conn_str());
    let b = Pgredis::start(&pg.conn_str());
    {
        let mut w = a.client();
        send(&mut w, &["BLPOP", "q", "0"]);
        wait_blocked(&a, 1);
    }
    wait_blocked(&a, 0);
    let mut x = b.client();
    x.cmd(&["RPUSH", "q", "v"]);
    assert_eq!(x.cmd(&["LLEN", "q"]), ":1\r\n");
    wait_for("registrations removed", || {
        pg.psql("SELECT count(*) FROM pgredis_blocked") == "0"
    });
}

/// Not a check: prints how long a push on one instance takes to reach a client blocked on
/// another (run with --nocapture to see it).
#[test]
fn wake_up_latency_across_instances() {
    let pg = Postgres::start();
    let a = Pgredis::start(&pg.conn_str());
    let b = Pgredis::start(&pg.conn_str());
    let mut w = a.client();
    let mut x = b.client();
    let mut samples = Vec::new();
    for i in 0..200 {
        send(&mut w, &["BLPOP", "lat", "0"]);
        wait_blocked(&a, 1);
        let value = format!("v{i}");
        let start = Instant::now();
        x.send(&[b"RPUSH", b"lat", value.as_bytes()]);
        let reply = text(w.read_reply());
        samples.push(start.elapsed());
        x.read_reply();
        assert_eq!(reply, bulk_array(&["lat", &value]));
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    let mut report = BTreeMap::new();
    report.insert("p50", at(0.5));
    report.insert("p90", at(0.9));
    report.insert("p99", at(0.99));
    report.insert("max", at(1.0));
    println!(
        "push on B -> BLPOP reply on A, {} samples: {report:?}",
        samples.len()
    );
}
