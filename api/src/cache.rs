//! Small in-memory caches that keep the hot reads off SQLite: bearer tokens
//! (their role, unit and label, for [`TOKEN_TTL`]; whether a cached token is
//! still active is checked in the store on every request, see [`crate::auth`])
//! and serialized list responses (dropped whenever anything in this process
//! writes to the operational store).
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use caretaker_data::ApiToken;

/// How long a looked-up token's role, unit and label are kept (its revocation is
/// checked on every request regardless).
pub const TOKEN_TTL: Duration = Duration::from_secs(30);

/// Most entries each cache holds; it is emptied when full.
const MAX_ENTRIES: usize = 1_024;

/// Tokens by the hash of their secret.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (ApiToken, Instant)>>,
}

impl TokenCache {
    /// The token for a secret hash, if cached and fresh.
    pub fn get(&self, hash: &str) -> Option<ApiToken> {
        let entries = self.entries.lock().expect("token cache lock");
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_TTL)
            .map(|(t, _)| t.clone())
    }

    /// Remembers a token found in the database.
    pub fn put(&self, hash: String, token: ApiToken) {
        let mut entries = self.entries.lock().expect("token cache lock");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(hash, (token, Instant::now()));
    }

    /// Forgets a token (revoked).
    pub fn forget(&self, id: i64) {
        let mut entries = self.entries.lock().expect("token cache lock");
        entries.retain(|_, (t, _)| t.id != id);
    }
}

/// Serialized responses by request, valid for one generation of the store.
#[derive(Debug, Default)]
pub struct ResponseCache {
    generation: AtomicU64,
    entries: Mutex<HashMap<String, (u64, Bytes)>>,
}

impl ResponseCache {
    /// The current generation: read it before computing a response to cache.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// A cached response for `key`, if it is of the current generation.
    pub fn get(&self, key: &str) -> Option<Bytes> {
        let current = self.generation();
        let entries = self.entries.lock().expect("response cache lock");
        entries
            .get(key)
            .filter(|(g, _)| *g == current)
            .map(|(_, b)| b.clone())
    }

    /// Caches a response computed at `generation` (ignored if the store changed since).
    pub fn put(&self, key: String, generation: u64, body: Bytes) {
        if generation != self.generation() {
            return;
        }
        let mut entries = self.entries.lock().expect("response cache lock");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (generation, body));
    }

    /// Drops every cached response: call after any write.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries.lock().expect("response cache lock").clear();
    }
}

/// Views (the data a page shows, before rendering) computed for one generation
/// of the [`ResponseCache`] and kept at most `max_age`, for what changes without
/// a write in this process (alarms, silent gateways, the clock).
#[derive(Debug)]
pub struct ViewCache<T> {
    max_age: Duration,
    entries: Mutex<HashMap<String, CachedView<T>>>,
}

/// A view with the generation it was computed at and when.
#[derive(Debug)]
struct CachedView<T> {
    generation: u64,
    at: Instant,
    view: Arc<T>,
}

impl<T> ViewCache<T> {
    /// An empty cache whose views expire after `max_age`.
    pub fn new(max_age: Duration) -> Self {
        Self {
            max_age,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The view for `key`, if computed at `generation` and young enough.
    pub fn get(&self, key: &str, generation: u64) -> Option<Arc<T>> {
        let entries = self.entries.lock().expect("view cache lock");
        entries
            .get(key)
            .filter(|c| c.generation == generation && c.at.elapsed() < self.max_age)
            .map(|c| Arc::clone(&c.view))
    }

    /// Keeps a view computed at `generation`.
    pub fn put(&self, key: String, generation: u64, view: Arc<T>) {
        let mut entries = self.entries.lock().expect("view cache lock");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let at = Instant::now();
        entries.insert(
            key,
            CachedView {
                generation,
                at,
                view,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_is_served_for_its_generation_and_age_only() {
        let views = ViewCache::new(Duration::from_millis(200));
        views.put("k".into(), 1, Arc::new(7));
        assert_eq!(views.get("k", 1).as_deref(), Some(&7));
        assert!(views.get("k", 2).is_none());
        std::thread::sleep(Duration::from_millis(250));
        assert!(views.get("k", 1).is_none());
    }

    #[test]
    fn a_response_computed_before_a_write_is_never_served_after_it() {
        let cache = ResponseCache::default();
        let g = cache.generation();
        cache.invalidate();
        cache.put("k".into(), g, Bytes::from_static(b"old"));
        assert!(cache.get("k").is_none());
        let g = cache.generation();
        cache.put("k".into(), g, Bytes::from_static(b"new"));
        assert_eq!(cache.get("k").unwrap(), "new");
        cache.invalidate();
        assert!(cache.get("k").is_none());
    }
}
