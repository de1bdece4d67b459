//! What every handler shares: the operational store, the registry, the readings
//! folder, the ranking policy, the current risk board, and the limits and
//! throttles that keep one client from overloading the service.
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, RwLock};

use caretaker_core::Registry;
use caretaker_dashboards::pages::view::CommitteeHome;
use caretaker_data::Store;
use caretaker_ingest::metrics::IngestMetrics;
use tokio::sync::{Notify, Semaphore};

use crate::auth::MetricsToken;
use crate::board::RiskBoard;
use crate::cache::{ResponseCache, TokenCache, ViewCache};
use crate::ranking::RankingPolicy;
use crate::ranking::budget::DEFAULT_MAX_NODES;
use crate::throttle::{LoginThrottle, RateLimiter};

/// How long the committee's first screen is reused without a write: its alarms,
/// silent gateways and "since" dates may change without one.
pub const HOME_VIEW_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(30);

/// Limits on what one request may ask for.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Page size when the client gives none.
    pub default_page: i64,
    /// Largest page size; larger requests are capped.
    pub max_page: i64,
    /// Longest a request may take (slow clients included), seconds.
    pub request_timeout_s: f64,
    /// Requests handled at once; more get 429.
    pub max_concurrent: usize,
    /// Most points a readings query returns (it downsamples to fit).
    pub max_points: usize,
    /// Heavy requests (readings series, budget plans) handled at once; more get 503.
    pub max_heavy: usize,
    /// Problem reports one resident token may send per hour; more get 429.
    pub reports_per_hour: u32,
    /// Unknown or revoked tokens one client address may present within a minute
    /// before it is refused (429) for [`Limits::auth_lockout_s`].
    pub auth_failures_per_minute: u32,
    /// How long a client address is refused after too many failed logins, seconds.
    pub auth_lockout_s: u64,
    /// Most nodes the budget plan's branch and bound visits before it returns the
    /// best plan found so far (marked `cut_short`).
    pub plan_max_nodes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            default_page: 50,
            max_page: 200,
            request_timeout_s: 10.0,
            max_concurrent: 512,
            max_points: 5_000,
            max_heavy: 4,
            reports_per_hour: 10,
            auth_failures_per_minute: 10,
            auth_lockout_s: 300,
            plan_max_nodes: DEFAULT_MAX_NODES,
        }
    }
}

/// The state behind every handler.
pub struct AppState {
    /// The operational store.
    pub store: Store,
    /// The co-op registry.
    pub registry: Arc<Registry>,
    /// The Parquet readings store's folder.
    pub readings_dir: PathBuf,
    /// Assumptions of the ranking.
    pub policy: RankingPolicy,
    /// Request limits.
    pub limits: Limits,
    /// Ingest counters, when ingest runs in this process.
    pub ingest_metrics: Option<Arc<IngestMetrics>>,
    /// The token `/metrics` asks for, if any.
    pub metrics_token: Option<MetricsToken>,
    /// Tokens recently looked up.
    pub tokens: TokenCache,
    /// Serialized list responses, dropped on every write.
    pub responses: ResponseCache,
    /// The committee's first screen by budget, for [`HOME_VIEW_MAX_AGE`] at most.
    pub committee_views: ViewCache<CommitteeHome>,
    /// Problem reports sent per resident token (by token id), per hour.
    pub report_limiter: RateLimiter<i64>,
    /// Failed logins by client address.
    pub login_throttle: LoginThrottle,
    /// The models folder (its `CURRENT` model's card is the `/model` page).
    pub models_dir: Option<PathBuf>,
    /// Whether session cookies are marked `Secure` (served over HTTPS).
    pub secure_cookies: bool,
    /// Signalled when new evidence (a report) calls for weighing the board again;
    /// the reassessment task started by [`crate::serve`] waits on it.
    pub reassess: Notify,
    heavy: OnceLock<Arc<Semaphore>>,
    board: RwLock<Arc<RiskBoard>>,
}

impl AppState {
    /// State for a store and registry, with an empty board until the first scores.
    pub fn new(store: Store, registry: Arc<Registry>, readings_dir: PathBuf) -> Self {
        Self {
            store,
            registry,
            readings_dir,
            policy: RankingPolicy::default(),
            limits: Limits::default(),
            ingest_metrics: None,
            metrics_token: None,
            tokens: TokenCache::default(),
            responses: ResponseCache::default(),
            committee_views: ViewCache::new(HOME_VIEW_MAX_AGE),
            report_limiter: RateLimiter::default(),
            login_throttle: LoginThrottle::default(),
            models_dir: None,
            secure_cookies: false,
            reassess: Notify::new(),
            heavy: OnceLock::new(),
            board: RwLock::new(Arc::new(RiskBoard::default())),
        }
    }

    /// The current risk board.
    pub fn board(&self) -> Arc<RiskBoard> {
        self.board.read().expect("board lock").clone()
    }

    /// The permits for heavy requests: [`Limits::max_heavy`] of them, sized on
    /// first use (set `limits` before serving).
    pub fn heavy_permits(&self) -> Arc<Semaphore> {
        self.heavy
            .get_or_init(|| Arc::new(Semaphore::new(self.limits.max_heavy.max(1))))
            .clone()
    }

    /// Replaces the risk board.
    pub(crate) fn set_board(&self, board: RiskBoard) {
        *self.board.write().expect("board lock") = Arc::new(board);
        self.responses.invalidate();
    }
}
