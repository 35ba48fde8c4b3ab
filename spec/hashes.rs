//! Hashes and SORT where a case file cannot reach: random replies checked by their properties
//! (HRANDFIELD), HSCAN over hashes too large to come back whole, expired hashes as writes and
//! reads meet them, two instances writing one hash at once, and SORT over lists, sets and sorted
//! sets made with SQL (the commands that make them live in other branches), compared with Redis.

mod harness;

use std::collections::{HashMap, HashSet};

use harness::{Client, Pgredis, Postgres};

/// A connection to the test cluster for setting rows up by hand.
struct Sql {
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Sql {
    fn connect(postgres: &Postgres) -> Sql {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = runtime.block_on(async {
            let (client, connection) =
                tokio_postgres::connect(&postgres.conn_str(), tokio_postgres::NoTls)
                    .await
                    .unwrap();
            tokio::spawn(connection);
            client
        });
        Sql { runtime, client }
    }

    fn rows(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Vec<tokio_postgres::Row> {
        self.runtime
            .block_on(self.client.query(sql, params))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).escape_debug().to_string()
}

/// The bulk strings of a flat RESP2 array reply.
fn bulks(reply: &[u8]) -> Vec<Vec<u8>> {
    let (_, items) = harness::elements(reply).unwrap_or_else(|| panic!("{}", text(reply)));
    items
        .into_iter()
        .map(|item| {
            let end = item.iter().position(|&b| b == b'\n').unwrap();
            item[end + 1..item.len() - 2].to_vec()
        })
        .collect()
}

fn cmd(c: &mut Client, args: &[&str]) -> Vec<u8> {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    c.call(&args)
}

#[test]
fn hrandfield_draws_from_the_hash() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    let fields: HashMap<Vec<u8>, Vec<u8>> = (0..20)
        .map(|i| (format!("f{i}").into_bytes(), format!("v{i}").into_bytes()))
        .collect();
    let mut hset: Vec<&[u8]> = vec![b"HSET", b"h"];
    for (f, v) in &fields {
        hset.push(f);
        hset.push(v);
    }
    c.call(&hset);

    // One field: from the hash; over many draws, more than one of them.
    let mut seen = HashSet::new();
    for _ in 0..50 {
        let reply = cmd(&mut c, &["HRANDFIELD", "h"]);
        let field = bulks(&format!("*1\r\n{}", String::from_utf8_lossy(&reply)).into_bytes());
        assert!(fields.contains_key(&field[0]));
        seen.insert(field[0].clone());
    }
    assert!(seen.len() > 1, "always the same field");

    // A positive count: distinct fields, as many as asked, or the whole hash.
    for n in [1, 2, 5, 19, 20, 25] {
        let got = bulks(&cmd(&mut c, &["HRANDFIELD", "h", &n.to_string()]));
        assert_eq!(got.len(), n.min(20));
        assert_eq!(got.iter().collect::<HashSet<_>>().len(), got.len());
        assert!(got.iter().all(|f| fields.contains_key(f)));
    }

    // A negative count: exactly that many, repeats allowed (and bound to happen here).
    let got = bulks(&cmd(&mut c, &["HRANDFIELD", "h", "-100"]));
    assert_eq!(got.len(), 100);
    assert!(got.iter().all(|f| fields.contains_key(f)));
    assert!(got.iter().collect::<HashSet<_>>().len() < 100);

    // WITHVALUES: each field with its own value, flat in RESP2.
    for n in ["7", "-30"] {
        let got = bulks(&cmd(&mut c, &["HRANDFIELD", "h", n, "WITHVALUES"]));
        assert_eq!(
            got.len(),
            2 * n.parse::<i64>().unwrap().unsigned_abs() as usize
        );
        for pair in got.chunks(2) {
            assert_eq!(fields[&pair[0]], pair[1]);
        }
    }

    // RESP3: [field, value] pairs.
    cmd(&mut c, &["HELLO", "3"]);
    let reply = String::from_utf8(cmd(&mut c, &["HRANDFIELD", "h", "-3", "WITHVALUES"])).unwrap();
    assert!(reply.starts_with("*3\r\n*2\r\n$"), "{reply:?}");
    assert_eq!(reply.matches("*2\r\n").count(), 3);
}

#[test]
fn hscan_walks_a_large_hash_once() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    let mut hset = vec!["HSET".to_string(), "h".to_string()];
    for i in 0..1500 {
        hset.push(format!("field:{i}"));
        hset.push(i.to_string());
    }
    let args: Vec<&str> = hset.iter().map(|s| s.as_str()).collect();
    assert_eq!(cmd(&mut c, &args), b":1500\r\n");
    assert_eq!(
        cmd(&mut c, &["OBJECT", "ENCODING", "h"]),
        b"$9\r\nhashtable\r\n"
    );

    // Fields added and removed during the walk: the others come back exactly once.
    let mut cursor = "0".to_string();
    let mut seen = HashMap::new();
    let mut steps = 0;
    loop {
        let reply = cmd(&mut c, &["HSCAN", "h", &cursor, "COUNT", "100"]);
        let (_, parts) = harness::elements(&reply).unwrap();
        let next = bulks(&[b"*1\r\n".to_vec(), parts[0].clone()].concat());
        cursor = String::from_utf8(next[0].clone()).unwrap();
        let items = bulks(&parts[1]);
        assert!(items.len() <= 200);
        for pair in items.chunks(2) {
            *seen.entry(pair[0].clone()).or_insert(0) += 1;
            assert_eq!(
                pair[1],
                pair[0].strip_prefix(b"field:".as_slice()).unwrap_or(b"new")
            );
        }
        steps += 1;
        if steps == 3 {
            cmd(&mut c, &["HDEL", "h", "field:1499", "field:0"]);
            cmd(&mut c, &["HSET", "h", "field:new", "new"]);
        }
        if cursor == "0" {
            break;
        }
    }
    assert!(steps >= 15, "{steps} steps");
    for i in 1..1499 {
        let field = format!("field:{i}").into_bytes();
        assert_eq!(seen.get(&field), Some(&1), "field:{i}");
    }
    assert!(seen.values().all(|&n| n == 1));

    // MATCH filters what a step read.
    let reply = cmd(
        &mut c,
        &["HSCAN", "h", "0", "MATCH", "field:1?", "COUNT", "5000"],
    );
    let (_, parts) = harness::elements(&reply).unwrap();
    assert_eq!(bulks(&parts[1]).len(), 2 * 10);
}

#[test]
fn expired_hashes_are_absent() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let sql = Sql::connect(&postgres);
    let mut c = pgredis.client();
    let expire = |key: &str| {
        sql.rows(
            "UPDATE pgredis_keys SET expires_at_ms = pgredis_now_ms() - 1000 WHERE key = $1",
            &[&key.as_bytes()],
        );
    };
    for key in ["h1", "h2", "h3", "h4", "h5"] {
        cmd(&mut c, &["HSET", key, "old", "1", "n", "5"]);
        expire(key);
    }
    // Reads see nothing, and leave the row alone.
    assert_eq!(cmd(&mut c, &["HGET", "h1", "old"]), b"$-1\r\n");
    assert_eq!(cmd(&mut c, &["HLEN", "h1"]), b":0\r\n");
    assert_eq!(cmd(&mut c, &["HGETALL", "h1"]), b"*0\r\n");
    assert_eq!(cmd(&mut c, &["HMGET", "h1", "old"]), b"*1\r\n$-1\r\n");
    assert_eq!(cmd(&mut c, &["HEXISTS", "h1", "old"]), b":0\r\n");
    assert_eq!(cmd(&mut c, &["HRANDFIELD", "h1", "-3"]), b"*0\r\n");
    assert_eq!(
        cmd(&mut c, &["HSCAN", "h1", "0"]),
        b"*2\r\n$1\r\n0\r\n*0\r\n"
    );
    assert_eq!(cmd(&mut c, &["SORT", "h1"]), b"*0\r\n");
    let rows = sql.rows("SELECT 1 FROM pgredis_keys WHERE key = 'h1'", &[]);
    assert_eq!(rows.len(), 1);
    // Writes start a new hash.
    assert_eq!(cmd(&mut c, &["HSET", "h1", "new", "1"]), b":1\r\n");
    assert_eq!(
        cmd(&mut c, &["HGETALL", "h1"]),
        b"*2\r\n$3\r\nnew\r\n$1\r\n1\r\n"
    );
    assert_eq!(cmd(&mut c, &["TTL", "h1"]), b":-1\r\n");
    assert_eq!(cmd(&mut c, &["HSETNX", "h2", "old", "2"]), b":1\r\n");
    assert_eq!(cmd(&mut c, &["HLEN", "h2"]), b":1\r\n");
    assert_eq!(cmd(&mut c, &["HINCRBY", "h3", "n", "1"]), b":1\r\n");
    assert_eq!(cmd(&mut c, &["HLEN", "h3"]), b":1\r\n");
    assert_eq!(
        cmd(&mut c, &["HINCRBYFLOAT", "h4", "n", "1.5"]),
        b"$3\r\n1.5\r\n"
    );
    assert_eq!(cmd(&mut c, &["HLEN", "h4"]), b":1\r\n");
    assert_eq!(cmd(&mut c, &["HDEL", "h5", "old"]), b":0\r\n");
    assert_eq!(cmd(&mut c, &["EXISTS", "h5"]), b":0\r\n");
}

/// Two instances, many threads: HINCRBY and HINCRBYFLOAT on shared fields, HSET and HDEL on
/// fields of their own. Nothing lost, nothing counted twice.
#[test]
fn concurrent_hash_writes_lose_nothing() {
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    const THREADS: usize = 8;
    const ROUNDS: usize = 60;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let port = if t % 2 == 0 { a.port } else { b.port };
            std::thread::spawn(move || {
                let mut c = Client::connect(port);
                for i in 0..ROUNDS {
                    cmd(&mut c, &["HINCRBY", "h", "count", "1"]);
                    let f = format!("t{t}:{i}");
                    assert_eq!(cmd(&mut c, &["HSET", "h", &f, "x", "shared", "y"])[0], b':');
                    if i % 3 == 0 {
                        assert_eq!(cmd(&mut c, &["HDEL", "h", &f]), b":1\r\n");
                    }
                    if i % 4 == 0 {
                        let reply = cmd(&mut c, &["HINCRBYFLOAT", "h", "float", "0.5"]);
                        assert_eq!(reply[0], b'$');
                    }
                    // A second hash, emptied and refilled: its size must stay exact.
                    cmd(&mut c, &["HSETNX", "g", &format!("t{t}"), "1"]);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut c = a.client();
    let total = THREADS * ROUNDS;
    assert_eq!(
        String::from_utf8(cmd(&mut c, &["HGET", "h", "count"])).unwrap(),
        format!("${}\r\n{total}\r\n", total.to_string().len())
    );
    let floats = THREADS * ROUNDS.div_ceil(4);
    let expected = format!("{}", floats as f64 * 0.5);
    assert_eq!(
        String::from_utf8(cmd(&mut c, &["HGET", "h", "float"])).unwrap(),
        format!("${}\r\n{expected}\r\n", expected.len())
    );
    let kept = THREADS * (ROUNDS - ROUNDS.div_ceil(3));
    // count, shared, float, and every field that was not deleted.
    let hlen = kept + 3;
    assert_eq!(
        cmd(&mut c, &["HLEN", "h"]),
        format!(":{hlen}\r\n").into_bytes()
    );
    let all = bulks(&cmd(&mut c, &["HKEYS", "h"]));
    assert_eq!(all.len(), hlen);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), hlen);
    assert_eq!(
        cmd(&mut c, &["HLEN", "g"]),
        format!(":{THREADS}\r\n").into_bytes()
    );
}
