//! What every handler shares: the operational store, the registry, the readings
//! folder, the ranking policy and the current risk board.
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use caretaker_core::Registry;
use caretaker_data::Store;
use caretaker_ingest::metrics::IngestMetrics;

use crate::board::RiskBoard;
use crate::cache::{ResponseCache, TokenCache};
use crate::ranking::RankingPolicy;

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
    /// Tokens recently looked up.
    pub tokens: TokenCache,
    /// Serialized list responses, dropped on every write.
    pub responses: ResponseCache,
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
            tokens: TokenCache::default(),
            responses: ResponseCache::default(),
            board: RwLock::new(Arc::new(RiskBoard::default())),
        }
    }

    /// The current risk board.
    pub fn board(&self) -> Arc<RiskBoard> {
        self.board.read().expect("board lock").clone()
    }

    /// Replaces the risk board.
    pub(crate) fn set_board(&self, board: RiskBoard) {
        *self.board.write().expect("board lock") = Arc::new(board);
        self.responses.invalidate();
    }
}
