//! State shared by every connection of this instance: configuration, the store, the list of
//! connected clients (for CLIENT LIST and INFO) and counters. None of it is data: every key lives
//! in PostgreSQL, so an instance can stop at any moment and nothing is lost.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime};

use tokio::sync::{Notify, oneshot};

use crate::config::Config;
use crate::notify::Hub;
use crate::store::Store;

pub struct State {
    pub config: Config,
    pub store: Store,
    /// Where the data lives, as the startup line and INFO say it.
    pub data_location: String,
    pub started: Instant,
    pub stats: Stats,
    /// CONFIG SET values, by lower-case name, over the defaults.
    pub runtime_config: Mutex<BTreeMap<String, String>>,
    /// The password clients must AUTH with: `--requirepass`, changed by CONFIG SET requirepass.
    requirepass: RwLock<Option<String>>,
    clients: Mutex<BTreeMap<u64, Arc<ClientInfo>>>,
    next_client_id: AtomicU64,
    pub run_id: String,
    /// Pub/Sub: local subscriptions, keyspace event flags, key waiters.
    pub pubsub: Arc<Hub>,
}

/// The id of the first connection. Redis gives ids 1 and 2 to its internal Lua and functions
/// clients, so its first connection is 3; starting there too keeps CLIENT ID and HELLO replies
/// comparable with Redis in the differential spec. Ids are per instance, as in Redis.
const FIRST_CLIENT_ID: u64 = 3;

#[derive(Default)]
pub struct Stats {
    pub connections_received: AtomicU64,
    pub commands_processed: AtomicU64,
}

impl Stats {
    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        self.connections_received.store(0, Ordering::Relaxed);
        self.commands_processed.store(0, Ordering::Relaxed);
    }
}

impl State {
    pub fn new(config: Config, store: Store, data_location: String) -> State {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let run_id = format!(
            "{:024x}{:016x}",
            nanos,
            std::process::id() as u64 * 0x9e37_79b9
        );
        State {
            requirepass: RwLock::new(config.requirepass.clone().filter(|p| !p.is_empty())),
            config,
            store,
            data_location,
            started: Instant::now(),
            stats: Stats::default(),
            runtime_config: Mutex::new(BTreeMap::new()),
            clients: Mutex::new(BTreeMap::new()),
            next_client_id: AtomicU64::new(FIRST_CLIENT_ID),
            pubsub: Arc::new(Hub::new(&run_id[..40])),
            run_id: run_id[..40].to_string(),
        }
    }

    /// The password clients must AUTH with, if any.
    pub fn requirepass(&self) -> Option<String> {
        self.requirepass.read().unwrap().clone()
    }

    /// Whether clients must authenticate; false when no password is set.
    pub fn auth_required(&self) -> bool {
        self.requirepass.read().unwrap().is_some()
    }

    /// CONFIG SET requirepass: an empty password means none, as in Redis.
    pub fn set_requirepass(&self, password: &str) {
        *self.requirepass.write().unwrap() = (!password.is_empty()).then(|| password.to_string());
    }

    /// Registers a new connection and returns its CLIENT INFO record.
    pub fn register_client(&self, endpoint: Endpoint) -> Arc<ClientInfo> {
        let id = self.next_client_id.fetch_add(1, Ordering::Relaxed);
        let info = Arc::new(ClientInfo::new(id, endpoint));
        self.clients.lock().unwrap().insert(id, info.clone());
        self.stats
            .connections_received
            .fetch_add(1, Ordering::Relaxed);
        info
    }

    pub fn unregister_client(&self, id: u64) {
        self.clients.lock().unwrap().remove(&id);
    }

    /// Every connected client, by id.
    pub fn clients(&self) -> Vec<Arc<ClientInfo>> {
        self.clients.lock().unwrap().values().cloned().collect()
    }

    /// The connected client with this id.
    pub fn client(&self, id: u64) -> Option<Arc<ClientInfo>> {
        self.clients.lock().unwrap().get(&id).cloned()
    }

    pub fn client_count(&self) -> usize {
        self.clients.lock().unwrap().len()
    }

    /// A CONFIG SET value, by canonical lower-case name.
    pub fn runtime_value(&self, name: &str) -> Option<String> {
        self.runtime_config.lock().unwrap().get(name).cloned()
    }
}

/// Where a client connected from, and to.
pub enum Endpoint {
    Tcp {
        peer: SocketAddr,
        local: SocketAddr,
    },
    /// Through the Unix socket at this path.
    Unix(String),
}

/// What CLIENT LIST and CLIENT INFO show of one connection.
pub struct ClientInfo {
    pub id: u64,
    /// The client's address and the server's, as CLIENT LIST shows them (a Unix socket's are
    /// its path with port 0, as in Redis).
    pub addr: String,
    pub local: String,
    pub unix: bool,
    pub created: Instant,
    pub details: Mutex<ClientDetails>,
    /// Set while the client waits in a blocking command: CLIENT UNBLOCK ends the wait through it.
    blocked: Mutex<Option<oneshot::Sender<Unblock>>>,
    /// Set by CLIENT KILL: the connection closes at its next chance, without a reply.
    killed: AtomicBool,
    /// Set when the client closed its side while a command ran: a blocked wait ends.
    hung_up: AtomicBool,
    kill: Notify,
}

/// How CLIENT UNBLOCK ends a blocked client's wait: as if it timed out, or with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unblock {
    Timeout,
    Error,
}

#[derive(Clone, Default)]
pub struct ClientDetails {
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    pub db: i32,
    pub resp: u8,
    pub last_command: &'static str,
    pub last_active: Option<Instant>,
}

impl ClientInfo {
    fn new(id: u64, endpoint: Endpoint) -> ClientInfo {
        let (addr, local, unix) = match endpoint {
            Endpoint::Tcp { peer, local } => (peer.to_string(), local.to_string(), false),
            Endpoint::Unix(path) => (format!("{path}:0"), format!("{path}:0"), true),
        };
        ClientInfo {
            id,
            addr,
            local,
            unix,
            created: Instant::now(),
            details: Mutex::new(ClientDetails {
                resp: 2,
                last_command: "NULL",
                ..ClientDetails::default()
            }),
            blocked: Mutex::new(None),
            killed: AtomicBool::new(false),
            hung_up: AtomicBool::new(false),
            kill: Notify::new(),
        }
    }

    /// Marks the client blocked; the receiver hears CLIENT UNBLOCK.
    pub fn block(&self) -> oneshot::Receiver<Unblock> {
        let (tx, rx) = oneshot::channel();
        *self.blocked.lock().unwrap() = Some(tx);
        rx
    }

    /// The client no longer waits.
    pub fn unblocked(&self) {
        self.blocked.lock().unwrap().take();
    }

    pub fn is_blocked(&self) -> bool {
        self.blocked.lock().unwrap().is_some()
    }

    /// CLIENT UNBLOCK: ends the client's wait; false when it was not blocked.
    pub fn unblock(&self, how: Unblock) -> bool {
        match self.blocked.lock().unwrap().take() {
            Some(tx) => tx.send(how).is_ok(),
            None => false,
        }
    }

    /// CLIENT KILL: closes the connection at its next chance (at once if it waits).
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.kill.notify_waiters();
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    /// The client closed its side of the connection: nobody will read a blocked command's
    /// reply, so its wait ends (as Redis frees such a client).
    pub fn hang_up(&self) {
        self.hung_up.store(true, Ordering::SeqCst);
        self.kill.notify_waiters();
    }

    /// Resolves once the client has been killed or has hung up.
    pub async fn gone(&self) {
        loop {
            let notified = self.kill.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_killed() || self.hung_up.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }

    pub fn set_last_command(&self, name: &'static str) {
        let mut d = self.details.lock().unwrap();
        d.last_command = name;
        d.last_active = Some(Instant::now());
    }

    pub fn update(&self, f: impl FnOnce(&mut ClientDetails)) {
        f(&mut self.details.lock().unwrap());
    }

    pub fn snapshot(&self) -> ClientDetails {
        self.details.lock().unwrap().clone()
    }

    /// One line of CLIENT LIST, in Redis 7.0's field order.
    pub fn list_line(&self) -> String {
        let d = self.snapshot();
        let age = self.created.elapsed().as_secs();
        let idle = d.last_active.map_or(age, |t| t.elapsed().as_secs());
        let text = |v: &Option<Vec<u8>>| -> String {
            v.as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default()
        };
        format!(
            "id={} addr={} laddr={} fd=8 name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 \
             multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 \
             tot-mem=0 events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.local,
            text(&d.name),
            age,
            idle,
            match (self.is_blocked(), self.unix) {
                (false, false) => "N",
                (false, true) => "U",
                (true, false) => "b",
                (true, true) => "bU",
            },
            d.db,
            d.last_command,
            d.resp,
            text(&d.lib_name),
            text(&d.lib_ver),
        )
    }
}
