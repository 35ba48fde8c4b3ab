//! Bad input: malformed protocol gets Redis's protocol error and the connection closes; the server
//! stays up and other clients are unaffected.

mod harness;

use harness::{Client, Pgredis, Postgres};

fn closes_with(pgredis: &Pgredis, input: &[u8], error: &str) {
    let mut c: Client = pgredis.client();
    c.send_raw(input);
    let got = String::from_utf8_lossy(&c.read_to_close()).into_owned();
    assert_eq!(
        got,
        format!("-{error}\r\n"),
        "input {:?}",
        String::from_utf8_lossy(input)
    );
}

#[test]
fn protocol_errors_close_the_connection() {
    let postgres = Postgres::start();
    let mut pgredis = Pgredis::start(&postgres.conn_str());
    let mut bystander = pgredis.client();
    closes_with(
        &pgredis,
        b"*x\r\n",
        "ERR Protocol error: invalid multibulk length",
    );
    closes_with(
        &pgredis,
        b"*1\r\n$-5\r\n",
        "ERR Protocol error: invalid bulk length",
    );
    closes_with(
        &pgredis,
        b"*1\r\n$999999999999\r\n",
        "ERR Protocol error: invalid bulk length",
    );
    closes_with(
        &pgredis,
        b"*1\r\nPING\r\n",
        "ERR Protocol error: expected '$', got 'P'",
    );
    closes_with(
        &pgredis,
        b"SET \"a b\n",
        "ERR Protocol error: unbalanced quotes in request",
    );
    assert!(pgredis.alive());
    assert_eq!(bystander.cmd(&["PING"]), "+PONG\r\n");
}
