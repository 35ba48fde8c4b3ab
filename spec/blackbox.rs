//! Black-box tests of what the differential spec cannot compare with Redis: replies that depend
//! on the server itself (INFO, CLIENT LIST, CONFIG), authentication and shutdown.

mod harness;

use harness::{Pgredis, Postgres};

#[test]
fn set_then_get_over_tcp() {
    let postgres = Postgres::start();
    let pgredis = Pgredis::start(&postgres.conn_str());
    let mut c = pgredis.client();
    assert_eq!(c.cmd(&["SET", "foo", "bar"]), "+OK\r\n");
    assert_eq!(c.cmd(&["GET", "foo"]), "$3\r\nbar\r\n");
}
