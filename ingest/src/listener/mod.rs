//! The embedded MQTT listener: gateways connect to Caretaker itself, so a co-op
//! needs no broker, and every message arrives with the gateway that sent it.
//!
//! Gateways only publish; the listener speaks the part of MQTT 3.1.1 they use
//! (CONNECT, PUBLISH at QoS 0, 1 and 2, SUBSCRIBE to their own topics, PING,
//! DISCONNECT) and routes nothing to subscribers. That is why it is not a
//! general broker, and what it gains:
//!
//! - **Identity.** A gateway logs in with its name as user name and client id
//!   (`caretaker gateway add NAME`). Each message it publishes reaches the
//!   pipeline tagged with that name, so a gateway can store readings only of
//!   the sensors the registry gives it, only on its own topics (quarantined as
//!   `wrong_gateway` otherwise), and no other client can take its session.
//! - **Acknowledged means durable.** A PUBACK (or PUBREC) is sent only once the
//!   message's readings are in the fsynced write-ahead log, so nothing a gateway
//!   saw acknowledged is lost if Caretaker crashes; what was not acknowledged the
//!   gateway sends again.
//! - **Revocation.** Credentials are checked at login and every
//!   [`CREDENTIALS_CHECK_EVERY`]: a revoked gateway, or one whose password was
//!   rotated, is disconnected within seconds, whichever process changed them.
//! - **No eavesdropping.** A gateway may subscribe only under its own topics,
//!   and nothing is ever delivered to a subscription.
//!
//! Failed logins are throttled per client address ([`logins`]).
//!
//! The listener can listen twice: in plain TCP and, with
//! [`ListenerSettings::tls`], in TLS (MQTT over TLS, usually port 8883). Both
//! accept loops hand their connections to the one session code
//! ([`session::run`], generic over [`session::Connection`]), with the same
//! logins, throttles, rights and acks.
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use caretaker_core::Registry;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::IngestError;
use crate::metrics::IngestMetrics;
use crate::service::Arrival;

mod logins;
mod session;

pub use logins::printable;
pub(crate) use session::GatewayLink;

/// How often the listener re-reads every connected gateway's credentials.
pub const CREDENTIALS_CHECK_EVERY: Duration = Duration::from_secs(2);

/// A boxed future, as [`GatewayCredentials`] returns.
pub type CredentialsFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where the listener checks gateways' credentials (the operational store).
///
/// A *stamp* identifies one issue of a gateway's credentials (its password
/// hash): when it changes, the password was rotated.
pub trait GatewayCredentials: Send + Sync + 'static {
    /// The stamp of `name`'s credentials if it is an active gateway and
    /// `password` is its password; `None` otherwise.
    fn login(
        &self,
        name: &str,
        password: &str,
    ) -> CredentialsFuture<'_, Result<Option<String>, String>>;

    /// The stamp of every active gateway, by name.
    fn active(&self) -> CredentialsFuture<'_, Result<HashMap<String, String>, String>>;
}

/// How the listener runs.
#[derive(Clone)]
pub struct ListenerSettings {
    /// Where it listens.
    pub listen: SocketAddr,
    /// Where gateways' credentials are checked.
    pub credentials: Arc<dyn GatewayCredentials>,
    /// A second, TLS listener, if any.
    pub tls: Option<TlsListen>,
}

/// Where the TLS listener listens, and its certificate.
#[derive(Clone)]
pub struct TlsListen {
    /// Where it listens.
    pub listen: SocketAddr,
    /// The server's certificate chain and key (rustls, ring provider).
    pub config: Arc<tokio_rustls::rustls::ServerConfig>,
}

impl std::fmt::Debug for ListenerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerSettings")
            .field("listen", &self.listen)
            .field("tls_listen", &self.tls.as_ref().map(|t| t.listen))
            .finish_non_exhaustive()
    }
}

/// What every session shares.
pub(crate) struct Shared {
    pub credentials: Arc<dyn GatewayCredentials>,
    pub registry: Arc<Registry>,
    pub tx: mpsc::Sender<Arrival>,
    pub waiting_bytes: Arc<Semaphore>,
    pub metrics: Arc<IngestMetrics>,
    /// Largest MQTT packet read; larger ones end the connection.
    pub max_packet: usize,
    pub logins: logins::FailedLogins,
    /// The connected gateways by name.
    pub sessions: Mutex<HashMap<String, LiveSession>>,
}

/// A logged-in session: its number, its credentials stamp, and what closes it.
pub(crate) type LiveSession = (u64, String, watch::Sender<bool>);

impl Shared {
    /// Registers a logged-in session, closing an earlier one of the same gateway.
    fn register(&self, name: &str, id: u64, stamp: String) -> watch::Receiver<bool> {
        let (close, closed) = watch::channel(false);
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, earlier)) = sessions.insert(name.to_owned(), (id, stamp, close)) {
            tracing::info!(gateway = %name, "a new login of the gateway replaces its earlier connection");
            let _ = earlier.send(true);
        }
        self.metrics.gateway_sessions.set(sessions.len() as u64);
        closed
    }

    /// Forgets a session that ended (unless a newer one replaced it).
    fn unregister(&self, name: &str, id: u64) {
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        if sessions
            .get(name)
            .is_some_and(|(current, _, _)| *current == id)
        {
            sessions.remove(name);
        }
        self.metrics.gateway_sessions.set(sessions.len() as u64);
    }

    /// Closes the sessions of gateways no longer active, or whose credentials changed.
    fn close_revoked(&self, active: &HashMap<String, String>) {
        let sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        for (name, (_, stamp, close)) in sessions.iter() {
            if active.get(name) != Some(stamp) {
                tracing::warn!(gateway = %name, "gateway revoked or its password rotated: disconnecting it");
                let _ = close.send(true);
            }
        }
    }
}

/// The running listener.
pub(crate) struct GatewayListener {
    pub listen: SocketAddr,
    /// Where the TLS listener listens, if there is one.
    pub tls_listen: Option<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

impl GatewayListener {
    /// Binds `settings.listen` and starts accepting gateways, whose messages go to `tx`.
    pub(crate) async fn start(
        settings: ListenerSettings,
        registry: Arc<Registry>,
        max_packet: usize,
        tx: mpsc::Sender<Arrival>,
        waiting_bytes: Arc<Semaphore>,
        metrics: Arc<IngestMetrics>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Self, IngestError> {
        let (listener, listen) = bind(settings.listen, "mqtt.embedded_listen").await?;
        let tls = match settings.tls {
            Some(tls) => {
                let (listener, listen) = bind(tls.listen, "mqtt.embedded_tls_listen").await?;
                Some((listener, listen, TlsAcceptor::from(tls.config)))
            }
            None => None,
        };
        let shared = Arc::new(Shared {
            credentials: settings.credentials,
            registry,
            tx,
            waiting_bytes,
            metrics,
            max_packet,
            logins: logins::FailedLogins::default(),
            sessions: Mutex::new(HashMap::new()),
        });
        let mut tasks = vec![tokio::spawn(accept_loop(
            listener,
            shared.clone(),
            shutdown.clone(),
        ))];
        tracing::info!(%listen, "embedded MQTT listener ready");
        let tls_listen = match tls {
            Some((listener, tls_listen, acceptor)) => {
                tasks.push(tokio::spawn(accept_tls_loop(
                    listener,
                    acceptor,
                    shared.clone(),
                    shutdown.clone(),
                )));
                tracing::info!(listen = %tls_listen, "embedded MQTT listener ready for TLS");
                Some(tls_listen)
            }
            None => None,
        };
        tasks.push(tokio::spawn(watch_credentials(shared, shutdown)));
        Ok(Self {
            listen,
            tls_listen,
            tasks,
        })
    }

    /// Waits for the accept loop and the credentials watcher to end (after shutdown).
    pub(crate) async fn join(self) {
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Binds `addr` (the value of the configuration key `key`).
async fn bind(addr: SocketAddr, key: &str) -> Result<(TcpListener, SocketAddr), IngestError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| IngestError::Mqtt {
            broker: format!("embedded MQTT listener on {addr}"),
            message: format!(
                "cannot listen ({e}): another MQTT broker may be running there. Point Caretaker \
             at it with --broker mqtt://{addr} (or mqtt.broker in the configuration), or move the \
             embedded listener with {key}"
            ),
        })?;
    let bound = listener.local_addr().map_err(|e| IngestError::Mqtt {
        broker: addr.to_string(),
        message: e.to_string(),
    })?;
    Ok((listener, bound))
}

/// Session numbers, shared by both listeners (a session's number tells a
/// gateway's newer login from an older one).
static NEXT_SESSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_session() -> u64 {
    NEXT_SESSION.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The next connection, or `None` once ingest stops.
async fn accept(
    listener: &TcpListener,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<(TcpStream, SocketAddr)> {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return None,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    return Some((stream, peer));
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept an MQTT connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    while let Some((stream, peer)) = accept(&listener, &mut shutdown).await {
        tokio::spawn(session::run(
            stream,
            peer,
            next_session(),
            shared.clone(),
            shutdown.clone(),
        ));
    }
}

/// Accepts TLS connections: each one's handshake (within the time a CONNECT
/// may take) in its own task, then the same session as a plain connection.
async fn accept_tls_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    while let Some((stream, peer)) = accept(&listener, &mut shutdown).await {
        let (acceptor, shared, shutdown) = (acceptor.clone(), shared.clone(), shutdown.clone());
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(session::CONNECT_TIMEOUT, acceptor.accept(stream));
            match handshake.await {
                Ok(Ok(stream)) => {
                    session::run(stream, peer, next_session(), shared, shutdown).await;
                }
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %printable(&e.to_string()), "MQTT TLS handshake failed");
                }
                Err(_) => tracing::debug!(%peer, "MQTT TLS handshake timed out"),
            }
        });
    }
}

/// Every [`CREDENTIALS_CHECK_EVERY`], closes the sessions of revoked or rotated gateways.
async fn watch_credentials(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(CREDENTIALS_CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tick.tick() => {}
        }
        let empty = shared
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty();
        if empty {
            continue;
        }
        match shared.credentials.active().await {
            Ok(active) => shared.close_revoked(&active),
            Err(e) => tracing::error!(error = %e, "cannot re-check gateway credentials"),
        }
    }
}
