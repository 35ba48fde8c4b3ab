//! Two pgredis processes on one database behave as one server.

mod harness;

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
