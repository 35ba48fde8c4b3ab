//! Group commit: concurrent single-key writes of many clients share one transaction, so one
//! commit and one WAL flush serve them all.
//!
//! A write command's own work in PostgreSQL takes tens of microseconds; waiting for its commit to
//! reach the disk takes a millisecond or more. When many clients write at once, the writes that
//! arrive while earlier groups are committing form the next group: one pooled connection runs
//! `BEGIN`, every member's statement, a check and `COMMIT`, all pipelined (one round trip), and each
//! member is answered once the commit is durable.
//!
//! Unlike `batch`, which merges requests of one kind into one statement, a group runs each member's
//! own statement with its own parameters: any command whose work is one statement on one key can
//! join (`Store::write`). Each member sends its statement itself, on the group's connection; the
//! order in which they send is passed along a baton, so that:
//! - statements run in (db, key) order, the order MSET, SET batches and EXEC lock keys in: a group
//!   holding some keys never waits for a key that a holder of its later keys waits for, so groups
//!   cannot deadlock with each other or with those (on this instance or any other);
//! - PostgreSQL sees them in one pipeline (tokio-postgres sends a request when its future is first
//!   polled, and runs requests in that order).
//!
//! DESIGN.md's rules hold: a member is answered only after the group committed (durable,
//! visible to every instance); a connection has one command in a group at a time, so its commands
//! still take effect in order; members of one group were concurrent, so any order among them is one
//! Redis could have produced. When a member's statement fails (WRONGTYPE, not an integer...) the
//! transaction is lost for all: it is rolled back and every member runs again on its own, as if
//! no group had been formed; only the group's first statement, which saw nothing of the others,
//! keeps its error. A group of one member runs its statement alone, without BEGIN and COMMIT, so a
//! lone client pays no more than before.

use std::collections::VecDeque;
use std::pin::pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Poll;

use bytes::Bytes;
use deadpool_postgres::{Object, Pool};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use super::{Params, Store};
use crate::cmd::CmdError;

/// Groups in flight at once; writes that arrive meanwhile form the next group.
const IN_FLIGHT: usize = 4;

/// The group committer of one store: the group now forming and the task that starts groups.
pub struct Committer {
    forming: Mutex<Forming>,
    formed: Notify,
}

#[derive(Default)]
struct Forming {
    group: Option<Arc<Group>>,
    members: Vec<Member>,
}

/// A member of a group: the key it writes and where its baton goes.
type Member = ((i32, Bytes), oneshot::Sender<Baton>);

/// One group: its connection (once started), its outcome, and the slot it holds while any member
/// still uses it. Both go back when the last member and the driver let go of it.
#[derive(Default)]
struct Group {
    conn: OnceLock<Object>,
    slot: OnceLock<OwnedSemaphorePermit>,
    outcome: OnceLock<watch::Sender<Option<Outcome>>>,
}

#[derive(Clone)]
enum Outcome {
    /// COMMIT succeeded: every member's own result stands.
    Committed,
    /// Nothing the group did remains: members run again on their own.
    RolledBack,
    /// BEGIN failed, so each statement ran (or failed) on its own: its own result stands.
    Autocommitted,
    /// COMMIT's fate is unknown (the connection broke): members report this error.
    Failed(CmdError),
}

/// The right to send the next statement on a group's connection. Dropping it passes it on to the
/// next member (skipping members that are gone), and after the last one back to the driver.
struct Baton {
    rest: VecDeque<oneshot::Sender<Baton>>,
    done: Option<oneshot::Sender<()>>,
    /// This member's place in the group; 0 runs first, on an untouched transaction.
    position: usize,
    /// The group has one member: run the statement on its own, without a transaction.
    solo: bool,
}

impl Drop for Baton {
    fn drop(&mut self) {
        if let Some(next) = self.rest.pop_front() {
            let baton = Baton {
                rest: std::mem::take(&mut self.rest),
                done: self.done.take(),
                position: self.position + 1,
                solo: false,
            };
            // A member that is gone returns the baton, whose drop passes it on again.
            let _ = next.send(baton);
        } else if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
    }
}

impl Committer {
    /// Starts the task that starts groups on `pool`'s connections.
    pub fn start(pool: Pool) -> Arc<Committer> {
        let committer = Arc::new(Committer {
            forming: Mutex::new(Forming::default()),
            formed: Notify::new(),
        });
        tokio::spawn(drive(pool, committer.clone()));
        committer
    }

    /// Joins the forming group with a write on `key`: the group, and where the baton will come.
    fn join(&self, db: i32, key: &[u8]) -> (Arc<Group>, oneshot::Receiver<Baton>) {
        let (sender, receiver) = oneshot::channel();
        let mut forming = self.forming.lock().expect("forming group");
        let group = forming.group.get_or_insert_with(Default::default).clone();
        forming
            .members
            .push(((db, Bytes::copy_from_slice(key)), sender));
        let first = forming.members.len() == 1;
        drop(forming);
        if first {
            self.formed.notify_one();
        }
        (group, receiver)
    }

    fn take(&self) -> Option<(Arc<Group>, Vec<Member>)> {
        let mut forming = self.forming.lock().expect("forming group");
        let group = forming.group.take()?;
        Some((group, std::mem::take(&mut forming.members)))
    }
}

/// Starts a group whenever a slot is free and a group has formed; ends with the committer.
async fn drive(pool: Pool, committer: Arc<Committer>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (group, members) = loop {
            if let Some(formed) = committer.take() {
                break formed;
            }
            committer.formed.notified().await;
        };
        let _ = group.slot.set(slot);
        tokio::spawn(run(pool.clone(), group, members));
    }
}

/// Runs one group: hands the baton along its members in key order, then commits.
async fn run(pool: Pool, group: Arc<Group>, mut members: Vec<Member>) {
    let Ok(conn) = pool.get().await else {
        // Members whose baton never comes run on their own, and meet the error there.
        return;
    };
    let _ = group.conn.set(conn);
    let _ = group.outcome.set(watch::Sender::new(None));
    members.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rest: VecDeque<_> = members.into_iter().map(|(_, sender)| sender).collect();
    let first = rest.pop_front().expect("a group has a member");
    if rest.is_empty() {
        let _ = first.send(Baton {
            rest,
            done: None,
            position: 0,
            solo: true,
        });
        return;
    }
    let client = group.conn.get().expect("connection set above");
    let mut begin = pin!(client.batch_execute("BEGIN"));
    let begun = poll_once(begin.as_mut()).await;
    let (done, chain_end) = oneshot::channel();
    let _ = first.send(Baton {
        rest,
        done: Some(done),
        position: 0,
        solo: false,
    });
    let _ = chain_end.await;
    let begun = match begun {
        Poll::Ready(result) => result,
        Poll::Pending => begin.await,
    };
    let outcome = match begun {
        Err(_) => Outcome::Autocommitted,
        // A statement that failed left the transaction aborted: the check fails then, and COMMIT
        // does not run. A failed COMMIT rolled back as well.
        Ok(()) => match client.batch_execute("SELECT 1; COMMIT").await {
            Ok(()) => Outcome::Committed,
            Err(e) if e.as_db_error().is_some() => {
                let _ = client.batch_execute("ROLLBACK").await;
                Outcome::RolledBack
            }
            Err(e) => Outcome::Failed(e.into()),
        },
    };
    group
        .outcome
        .get()
        .expect("set above")
        .send_replace(Some(outcome));
}

/// Polls a future once, so that a request it makes is sent now, and returns what that gave.
async fn poll_once<F: Future + Unpin>(mut future: F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut future).poll(cx))).await
}

/// What a statement is run for.
enum Op {
    Query,
    Execute,
}

enum Output {
    Rows(Vec<Row>),
    Count(u64),
}

/// A single-key write outside a transaction, which may share a group commit (`Store::write`).
pub struct Write<'a> {
    pub(super) store: &'a Store,
    pub(super) db: i32,
    /// `None`: never grouped (a write of several keys).
    pub(super) key: Option<&'a [u8]>,
}

impl Write<'_> {
    pub async fn query(self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, CmdError> {
        match self.run(Op::Query, sql, params).await? {
            Output::Rows(rows) => Ok(rows),
            Output::Count(_) => unreachable!("a query returns rows"),
        }
    }

    pub async fn query_one(self, sql: &str, params: Params<'_>) -> Result<Row, CmdError> {
        super::one_row(self.query(sql, params).await?)
    }

    pub async fn query_opt(self, sql: &str, params: Params<'_>) -> Result<Option<Row>, CmdError> {
        super::at_most_one_row(self.query(sql, params).await?)
    }

    pub async fn execute(self, sql: &str, params: Params<'_>) -> Result<u64, CmdError> {
        match self.run(Op::Execute, sql, params).await? {
            Output::Count(count) => Ok(count),
            Output::Rows(_) => unreachable!("execute returns a count"),
        }
    }

    async fn run(&self, op: Op, sql: &str, params: Params<'_>) -> Result<Output, CmdError> {
        let (Some(committer), Some(key)) = (self.store.committer(), self.key) else {
            return self.alone(&op, sql, params).await;
        };
        let (group, baton) = committer.join(self.db, key);
        let Ok(baton) = baton.await else {
            drop(group);
            return self.alone(&op, sql, params).await;
        };
        let (solo, position) = (baton.solo, baton.position);
        let own = {
            // The baton must not outlive this block: later members wait for it, and the group
            // commits only after it went round.
            let baton = baton;
            let client = group
                .conn
                .get()
                .expect("a group with a baton has its connection");
            // Preparing (the first time on this connection) is a round trip of its own: the
            // baton stays here until the statement itself is sent.
            match client.prepare_cached(sql).await {
                Err(e) => {
                    drop(baton);
                    Err(e)
                }
                Ok(stmt) => {
                    let own = async {
                        match op {
                            Op::Query => client.query(&stmt, params).await.map(Output::Rows),
                            Op::Execute => client.execute(&stmt, params).await.map(Output::Count),
                        }
                    };
                    let mut own = pin!(own);
                    let sent = poll_once(own.as_mut()).await;
                    drop(baton);
                    match sent {
                        Poll::Ready(result) => result,
                        Poll::Pending => own.await,
                    }
                }
            }
        };
        if solo {
            return match own {
                // A deadlock victim had no effect; `Store` runs it again.
                Err(e) if e.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED) => {
                    drop(group);
                    self.alone(&op, sql, params).await
                }
                own => Ok(own?),
            };
        }
        let mut watch = group
            .outcome
            .get()
            .expect("set before the baton")
            .subscribe();
        let outcome = match watch.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone().expect("waited for it"),
            Err(_) => Outcome::RolledBack,
        };
        drop(group);
        match outcome {
            Outcome::Committed | Outcome::Autocommitted => Ok(own?),
            Outcome::Failed(e) => Err(own.err().map(CmdError::from).unwrap_or(e)),
            Outcome::RolledBack => match own {
                Err(e) if position == 0 && e.code() == Some(&SqlState::RAISE_EXCEPTION) => {
                    Err(e.into())
                }
                _ => self.alone(&op, sql, params).await,
            },
        }
    }

    /// Runs the statement on its own, as a command outside any group does.
    async fn alone(&self, op: &Op, sql: &str, params: Params<'_>) -> Result<Output, CmdError> {
        match op {
            Op::Query => self.store.query(sql, params).await.map(Output::Rows),
            Op::Execute => self.store.execute(sql, params).await.map(Output::Count),
        }
    }
}
