//! Scripting across clients and instances: scripts and functions loaded through one instance run
//! on another, scripts stay atomic when many clients of two instances run them at once, and a
//! long script makes its instance answer BUSY until SCRIPT KILL (or FUNCTION KILL) stops it.

mod harness;

use harness::{Client, Pgredis, Postgres, wait_for};

const MOVE: &str = "local v = tonumber(redis.call('get', KEYS[1]) or '0')
if v <= 0 then return 0 end
redis.call('decrby', KEYS[1], ARGV[1])
redis.call('incrby', KEYS[2], ARGV[1])
return 1";

fn sha1_of(client: &mut Client, script: &str) -> String {
    let reply = client.cmd(&["SCRIPT", "LOAD", script]);
    reply.lines().nth(1).unwrap().to_string()
}

#[test]
fn scripts_and_functions_loaded_on_one_instance_run_on_another() {
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    let (mut ca, mut cb) = (a.client(), b.client());

    let sha = sha1_of(&mut ca, "return 'loaded on a'");
    assert_eq!(cb.cmd(&["EVALSHA", &sha, "0"]), "$11\r\nloaded on a\r\n");
    assert_eq!(cb.cmd(&["SCRIPT", "EXISTS", &sha]), "*1\r\n:1\r\n");
    // EVAL caches too.
    ca.cmd(&["EVAL", "return 'by eval'", "0"]);
    let sha2 = sha1_of(&mut cb, "return 'by eval'");
    assert_eq!(cb.cmd(&["EVALSHA", &sha2, "0"]), "$7\r\nby eval\r\n");
    // SCRIPT FLUSH empties the shared cache.
    assert_eq!(ca.cmd(&["SCRIPT", "FLUSH"]), "+OK\r\n");
    assert_eq!(cb.cmd(&["SCRIPT", "EXISTS", &sha]), "*1\r\n:0\r\n");

    let library = "#!lua name=shared\nredis.register_function('where', function(keys, args) return redis.call('incr', keys[1]) end)";
    assert_eq!(ca.cmd(&["FUNCTION", "LOAD", library]), "$6\r\nshared\r\n");
    assert_eq!(cb.cmd(&["FCALL", "where", "1", "counter"]), ":1\r\n");
    assert_eq!(ca.cmd(&["FCALL", "where", "1", "counter"]), ":2\r\n");
    let replaced = "#!lua name=shared\nredis.register_function('where', function(keys, args) return 'replaced' end)";
    ca.cmd(&["FUNCTION", "LOAD", "REPLACE", replaced]);
    assert_eq!(cb.cmd(&["FCALL", "where", "0"]), "$8\r\nreplaced\r\n");
    assert_eq!(ca.cmd(&["FUNCTION", "DELETE", "shared"]), "+OK\r\n");
    assert_eq!(
        cb.cmd(&["FCALL", "where", "0"]),
        "-ERR Function not found\r\n"
    );
}

/// Many clients of two instances move units between two counters with a script; whatever the
/// interleaving, no unit is lost or created, and every move that reported success happened.
#[test]
fn concurrent_scripts_on_two_instances_are_atomic() {
    const THREADS: usize = 6;
    const ROUNDS: usize = 40;
    const TOTAL: i64 = 50;
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    let mut setup = a.client();
    setup.cmd(&["SET", "left", &TOTAL.to_string()]);
    setup.cmd(&["SET", "right", "0"]);
    let sha = sha1_of(&mut setup, MOVE);

    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let mut c = if t % 2 == 0 { a.client() } else { b.client() };
            let sha = sha.clone();
            std::thread::spawn(move || {
                let mut moved_right = 0i64;
                for i in 0..ROUNDS {
                    let (from, to, sign) = if (t + i) % 3 == 0 {
                        ("right", "left", -1)
                    } else {
                        ("left", "right", 1)
                    };
                    let reply = if i % 2 == 0 {
                        c.cmd(&["EVALSHA", &sha, "2", from, to, "1"])
                    } else {
                        c.cmd(&["EVAL", MOVE, "2", from, to, "1"])
                    };
                    match reply.as_str() {
                        ":1\r\n" => moved_right += sign,
                        ":0\r\n" => {}
                        other => panic!("unexpected reply {other}"),
                    }
                }
                moved_right
            })
        })
        .collect();
    let moved_right: i64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let mut check = b.client();
    let left = check.cmd(&["GET", "left"]);
    let right = check.cmd(&["GET", "right"]);
    let value = |reply: &str| reply.lines().nth(1).unwrap().parse::<i64>().unwrap();
    assert_eq!(value(&left) + value(&right), TOTAL, "{left} {right}");
    assert_eq!(value(&right), moved_right);
    assert!(value(&left) >= 0 && value(&right) >= 0);
}

/// Scripts that fail half-way keep their earlier writes, also when run concurrently.
#[test]
fn a_failing_call_keeps_earlier_writes() {
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let mut c = a.client();
    c.cmd(&["SET", "text", "abc"]);
    let reply = c.cmd(&[
        "EVAL",
        "redis.call('incr', KEYS[1]); redis.call('incr', KEYS[2]); redis.call('incr', KEYS[1])",
        "2",
        "n",
        "text",
    ]);
    assert!(reply.starts_with("-ERR value is not an integer"), "{reply}");
    assert_eq!(c.cmd(&["GET", "n"]), "$1\r\n1\r\n");
}

#[test]
fn a_long_script_makes_the_instance_busy_until_killed() {
    let postgres = Postgres::start();
    let a = Pgredis::start(&postgres.conn_str());
    let b = Pgredis::start(&postgres.conn_str());
    let mut runner = a.client();
    let mut other = a.client();
    let mut admin = a.client();
    let mut elsewhere = b.client();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "busy-reply-threshold", "50"]),
        "+OK\r\n"
    );
    assert_eq!(
        admin.cmd(&["SCRIPT", "KILL"]),
        "-NOTBUSY No scripts in execution right now.\r\n"
    );

    runner.send(&[b"EVAL", b"local i = 0 while true do i = i + 1 end", b"0"]);
    wait_for("BUSY", || {
        other.cmd(&["GET", "x"])
            == "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
    });
    // Another instance is not blocked by a script that holds no locks.
    assert_eq!(elsewhere.cmd(&["SET", "x", "1"]), "+OK\r\n");
    let stats = admin.cmd(&["FUNCTION", "STATS"]);
    assert!(
        stats.contains("running_script") && stats.contains("duration_ms"),
        "{stats}"
    );
    assert_eq!(
        admin.cmd(&["FUNCTION", "KILL"]),
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
    );
    assert_eq!(admin.cmd(&["SCRIPT", "KILL"]), "+OK\r\n");
    let killed = String::from_utf8_lossy(&runner.read_reply()).into_owned();
    assert!(
        killed.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "),
        "{killed}"
    );
    assert_eq!(other.cmd(&["GET", "x"]), "$1\r\n1\r\n");

    // A function: BUSY names FUNCTION KILL.
    let library =
        "#!lua name=spin\nredis.register_function('spin', function() while true do end end)";
    admin.cmd(&["FUNCTION", "LOAD", library]);
    runner.send(&[b"FCALL", b"spin", b"0"]);
    wait_for("BUSY from a function", || {
        other.cmd(&["PING"])
            == "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n"
    });
    assert_eq!(admin.cmd(&["FUNCTION", "KILL"]), "+OK\r\n");
    let killed = String::from_utf8_lossy(&runner.read_reply()).into_owned();
    assert!(
        killed.contains("script: spin, on @user_function:2."),
        "{killed}"
    );

    // A script that has written cannot be killed; it ends by itself.
    runner.send(&[
        b"EVAL",
        b"redis.call('set', 'w', '1') local i = 0 while i < 100000000 do i = i + 1 end return i",
        b"0",
    ]);
    wait_for("BUSY after a write", || {
        other.cmd(&["PING"]).starts_with("-BUSY")
    });
    let reply = admin.cmd(&["SCRIPT", "KILL"]);
    let finished = reply.starts_with("-NOTBUSY");
    assert!(
        finished
            || reply.starts_with("-UNKILLABLE Sorry the script already executed write commands"),
        "{reply}"
    );
    assert_eq!(runner.read_reply(), b":100000000\r\n");
    assert_eq!(other.cmd(&["GET", "w"]), "$1\r\n1\r\n");
}
