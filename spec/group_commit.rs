//! Group commit (src/store/group.rs) under load: many clients of two instances writing a few hot
//! keys at once, so that their writes share transactions, with failing writes mixed in (which
//! roll a group back and make its members run again on their own) and blocked clients waiting on
//! the same keys. Nothing may be lost, doubled, or left hanging.

mod harness;

use harness::{Pgredis, Postgres};

const THREADS: usize = 16;
const ROUNDS: usize = 60;

#[test]
fn grouped_writes_lose_nothing_and_failures_stay_their_own() {
    let pg = Postgres::start();
    let a = Pgredis::start(&pg.conn_str());
    let b = Pgredis::start(&pg.conn_str());
    a.client().cmd(&["LPUSH", "not-a-counter", "x"]);
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let mut c = if t % 2 == 0 { a.client() } else { b.client() };
            std::thread::spawn(move || {
                for i in 0..ROUNDS {
                    let counter = format!("counter{}", i % 3);
                    assert_eq!(c.cmd(&["INCR", &counter]).as_bytes()[0], b':');
                    if (t + i) % 5 == 0 {
                        // Fails inside whichever group it joins.
                        assert_eq!(
                            c.cmd(&["INCR", "not-a-counter"]),
                            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
                        );
                    }
                    let member = format!("{t}:{i}");
                    assert_eq!(c.cmd(&["SADD", "members", &member]), ":1\r\n");
                    assert_eq!(
                        c.cmd(&["HINCRBY", "hash", "total", "2"]).as_bytes()[0],
                        b':'
                    );
                    assert_eq!(c.cmd(&["RPUSH", "queue", &member]).as_bytes()[0], b':');
                    assert_eq!(c.cmd(&["ZADD", "zset", "1", &member]), ":1\r\n");
                }
            })
        })
        .collect();
    // Consumers blocked on the queue take every element exactly once, meanwhile.
    let consumers: Vec<_> = (0..4)
        .map(|n| {
            let mut c = if n % 2 == 0 { a.client() } else { b.client() };
            std::thread::spawn(move || {
                let mut taken = Vec::new();
                loop {
                    let reply = c.cmd(&["BLPOP", "queue", "done", "0"]);
                    if reply.contains("done") {
                        return taken;
                    }
                    taken.push(reply);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let mut c = a.client();
    for _ in 0..4 {
        c.cmd(&["RPUSH", "done", "1"]);
    }
    let mut taken: Vec<String> = consumers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let total = THREADS * ROUNDS;
    let per_counter: usize = (0..ROUNDS).filter(|i| i % 3 == 0).count() * THREADS;
    assert_eq!(
        c.cmd(&["GET", "counter0"]),
        format!("${}\r\n{per_counter}\r\n", per_counter.to_string().len())
    );
    assert_eq!(c.cmd(&["SCARD", "members"]), format!(":{total}\r\n"));
    assert_eq!(c.cmd(&["ZCARD", "zset"]), format!(":{total}\r\n"));
    let sum = (2 * total).to_string();
    assert_eq!(
        c.cmd(&["HGET", "hash", "total"]),
        format!("${}\r\n{sum}\r\n", sum.len())
    );
    assert_eq!(
        c.cmd(&["LRANGE", "not-a-counter", "0", "-1"]),
        "*1\r\n$1\r\nx\r\n"
    );
    taken.sort();
    let before = taken.len();
    taken.dedup();
    assert_eq!(taken.len(), before, "no element was popped twice");
    assert_eq!(
        taken.len()
            + c.cmd(&["LLEN", "queue"])[1..]
                .trim()
                .parse::<usize>()
                .unwrap(),
        total,
        "every element was popped or is still there"
    );
}
