//! Scripts running on this instance, for BUSY, SCRIPT KILL, FUNCTION KILL and FUNCTION STATS.
//!
//! Redis runs one script at a time and, once it has run longer than `busy-reply-threshold`
//! (`lua-time-limit`), answers every other client with BUSY until it ends or is killed. pgredis
//! runs each script in its own PostgreSQL transaction, so several may run at once; the rule here
//! is the same per instance: while any script of this instance has run past the threshold, the
//! other clients of this instance get BUSY (except for commands flagged `allow_busy`, such as
//! SCRIPT KILL). Other instances are not told: their clients simply wait on the row locks the
//! script holds, as they would for any other transaction.
//!
//! The time that counts is the time the script spends running Lua, not the time it waits for its
//! commands: a script waiting on PostgreSQL (a row lock, a retried transaction) blocks nobody on
//! this instance, so it does not make the instance busy.
//!
//! A killed script notices at its next hook call (every few thousand Lua instructions) and stops
//! with Redis's error. A script that has written cannot be killed (UNKILLABLE), as in Redis.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::cmd::errors::CmdError;
use crate::state::State;

pub const SLOW_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub const SLOW_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
pub const NOT_BUSY: &str = "NOTBUSY No scripts in execution right now.";
pub const UNKILLABLE: &str = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
pub const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";

/// One running script (or function) and what other clients may ask of it.
pub struct RunningScript {
    pub client_id: u64,
    /// The SHA1 of an EVAL script, or the function's name.
    pub name: String,
    /// The command that runs it, for FUNCTION STATS.
    pub argv: Vec<Bytes>,
    pub is_eval: bool,
    pub started: Instant,
    killed: AtomicBool,
    /// Set when a command of the script failed in a way that must end it (a transaction
    /// conflict, PostgreSQL gone): the script is stopped and its outcome thrown away.
    aborted: AtomicBool,
    /// Set once the script ran a write command; it can no longer be killed.
    dirty: AtomicBool,
    /// The protocol redis.call replies come in (redis.setresp).
    resp: AtomicU8,
    /// FUNCTION LOAD gives a library's code this long to run.
    load_deadline: Option<Instant>,
    clock: Mutex<LuaClock>,
}

/// Time spent running Lua in the current attempt.
struct LuaClock {
    spent: Duration,
    /// Since when Lua runs; `None` while the script waits for a command.
    running_since: Option<Instant>,
}

impl RunningScript {
    pub fn new(client_id: u64, name: String, argv: Vec<Bytes>, is_eval: bool) -> RunningScript {
        RunningScript {
            client_id,
            name,
            argv,
            is_eval,
            started: Instant::now(),
            killed: AtomicBool::new(false),
            aborted: AtomicBool::new(false),
            dirty: AtomicBool::new(false),
            resp: AtomicU8::new(2),
            load_deadline: None,
            clock: Mutex::new(LuaClock {
                spent: Duration::ZERO,
                running_since: Some(Instant::now()),
            }),
        }
    }

    /// How long the script has been running Lua in this attempt.
    pub fn lua_time(&self) -> Duration {
        let clock = self.clock.lock().unwrap();
        clock.spent + clock.running_since.map_or(Duration::ZERO, |t| t.elapsed())
    }

    /// The script waits for a command's reply.
    pub fn pause(&self) {
        let mut clock = self.clock.lock().unwrap();
        if let Some(since) = clock.running_since.take() {
            clock.spent += since.elapsed();
        }
    }

    /// The script runs Lua again.
    pub fn resume(&self) {
        self.clock.lock().unwrap().running_since = Some(Instant::now());
    }

    /// A stand-in for loading a library: it stops with Redis's timeout error after `limit`.
    pub fn library_load(limit: Duration) -> RunningScript {
        RunningScript {
            load_deadline: Some(Instant::now() + limit),
            ..RunningScript::new(0, String::new(), Vec::new(), false)
        }
    }

    /// Clears what one attempt learned, before the transaction runs the script again.
    pub fn new_attempt(&self) {
        self.aborted.store(false, Ordering::SeqCst);
        self.dirty.store(false, Ordering::SeqCst);
        self.resp.store(2, Ordering::SeqCst);
        *self.clock.lock().unwrap() = LuaClock {
            spent: Duration::ZERO,
            running_since: Some(Instant::now()),
        };
    }

    pub fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
    }

    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::SeqCst);
    }

    pub fn resp(&self) -> u8 {
        self.resp.load(Ordering::SeqCst)
    }

    pub fn set_resp(&self, resp: u8) {
        self.resp.store(resp, Ordering::SeqCst);
    }

    /// Why the script must stop now, as the error it stops with; `None` to go on.
    pub fn stop_reason(&self) -> Option<&'static str> {
        if self.killed.load(Ordering::SeqCst) {
            Some(KILLED)
        } else if self.aborted.load(Ordering::SeqCst) {
            Some("ERR script aborted")
        } else if self.load_deadline.is_some_and(|d| Instant::now() > d) {
            Some("ERR FUNCTION LOAD timeout")
        } else {
            None
        }
    }
}

static RUNNING: LazyLock<Mutex<Vec<Arc<RunningScript>>>> = LazyLock::new(Default::default);
/// How many scripts run now, so that commands skip the lock when none does.
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// Keeps a script in the running list while it lives.
pub struct Registration(pub Arc<RunningScript>);

impl Registration {
    pub fn new(script: RunningScript) -> Registration {
        let script = Arc::new(script);
        RUNNING.lock().unwrap().push(script.clone());
        COUNT.fetch_add(1, Ordering::SeqCst);
        Registration(script)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut running = RUNNING.lock().unwrap();
        running.retain(|s| !Arc::ptr_eq(s, &self.0));
        COUNT.fetch_sub(1, Ordering::SeqCst);
    }
}

fn threshold(state: &State) -> Duration {
    let ms = crate::cmd::config_params::value_of(state, "busy-reply-threshold")
        .parse::<u64>()
        .unwrap_or(5000);
    Duration::from_millis(ms)
}

/// The script that has been running Lua longest, if it is past the busy threshold.
fn busy_script(state: &State) -> Option<Arc<RunningScript>> {
    let limit = threshold(state);
    let running = RUNNING.lock().unwrap();
    running
        .iter()
        .map(|s| (s.lua_time(), s))
        .filter(|(time, _)| *time >= limit)
        .max_by_key(|(time, _)| *time)
        .map(|(_, s)| s.clone())
}

/// Whether any script runs on this instance: pipelined runs of GETs and SETs (which skip
/// `check`) are then not formed, so their commands get BUSY like any other.
pub fn any_running() -> bool {
    COUNT.load(Ordering::SeqCst) > 0
}

/// BUSY for a command of `client_id` while a script of another client is past the threshold.
/// Commands flagged `allow_busy` are not checked (the caller knows the flags).
pub fn check(state: &State, client_id: u64) -> Result<(), CmdError> {
    if COUNT.load(Ordering::SeqCst) == 0 {
        return Ok(());
    }
    if RUNNING
        .lock()
        .unwrap()
        .iter()
        .any(|s| s.client_id == client_id)
    {
        return Ok(()); // the script's own commands
    }
    match busy_script(state) {
        Some(s) if s.is_eval => Err(SLOW_EVAL.into()),
        Some(_) => Err(SLOW_FUNCTION.into()),
        None => Ok(()),
    }
}

/// SCRIPT KILL (`is_eval`) or FUNCTION KILL.
pub fn kill(state: &State, is_eval: bool) -> Result<(), CmdError> {
    let Some(script) = busy_script(state) else {
        return Err(NOT_BUSY.into());
    };
    if script.dirty.load(Ordering::SeqCst) {
        return Err(UNKILLABLE.into());
    }
    if is_eval && !script.is_eval {
        return Err(SLOW_FUNCTION.into());
    }
    if !is_eval && script.is_eval {
        return Err(SLOW_EVAL.into());
    }
    script.killed.store(true, Ordering::SeqCst);
    Ok(())
}

/// The script FUNCTION STATS reports as running.
pub fn running(state: &State) -> Option<Arc<RunningScript>> {
    if COUNT.load(Ordering::SeqCst) == 0 {
        return None;
    }
    busy_script(state)
}
