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
