//! Protection against unrestricted resource use: requests at once (429 beyond
//! the limit), time per request including slow clients (408), page sizes (capped).
//! Body size is limited by `DefaultBodyLimit` on the router (413 from the JSON
//! extractor).
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// Shared by the limit middleware.
#[derive(Debug, Clone)]
pub struct Guard {
    permits: Arc<Semaphore>,
    timeout: Duration,
}

impl Guard {
    /// At most `concurrent` requests at once, each at most `timeout`.
    pub fn new(concurrent: usize, timeout: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrent)),
            timeout,
        }
    }
}

/// Middleware: 429 when too many requests run, 408 when one takes too long.
pub async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let Ok(_permit) = guard.permits.clone().try_acquire_owned() else {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "too many requests at once; retry shortly",
        )
        .retry_after(Duration::from_secs(1))
        .into_response();
    };
    match tokio::time::timeout(guard.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the request took longer than {} s (a slow client or a slow query)",
                guard.timeout.as_secs_f64()
            ),
        )
        .into_response(),
    }
}

/// The limit and offset of a list page: the limit defaults to `default` and is
/// capped at `max` (a larger request gets a full page, not an error); the offset
/// is never negative.
pub fn page(limit: Option<i64>, offset: Option<i64>, default: i64, max: i64) -> (i64, i64) {
    let limit = limit.unwrap_or(default).clamp(1, max);
    let offset = offset.unwrap_or(0).max(0);
    (limit, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_capped_and_never_negative() {
        assert_eq!(page(None, None, 50, 200), (50, 0));
        assert_eq!(page(Some(1_000_000), Some(-5), 50, 200), (200, 0));
        assert_eq!(page(Some(0), Some(10), 50, 200), (1, 10));
    }
}
