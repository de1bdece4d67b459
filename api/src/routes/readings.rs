//! A sensor's readings over a time range, downsampled to buckets: never more
//! than the server's point limit, only the sensor's rows read from the store,
//! and a bounded number of such reads at once.
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use caretaker_core::{SensorId, Timestamp};
use serde::Deserialize;
use tokio::sync::OwnedSemaphorePermit;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use crate::views::{ReadingPoint, ReadingSeries};

/// Longest range one query may cover, days.
pub const MAX_RANGE_DAYS: i64 = 400;

/// Query of a readings series.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReadingsQuery {
    /// Start (RFC 3339 or epoch ms), inclusive; default: 24 hours before `to`.
    pub from: Option<String>,
    /// End (RFC 3339 or epoch ms), exclusive; default: now.
    pub to: Option<String>,
    /// Bucket width in seconds; 0 for raw readings. Default: the smallest width
    /// that keeps the series under the server's point limit.
    pub every: Option<i64>,
}

/// A sensor's readings between two times, as bucket means with min and max.
/// The series never holds more than the server's point limit (5,000), raw or
/// bucketed. Reading the store is heavy: at most `api.max_heavy` such requests
/// run at once, others get 503 with `Retry-After`.
#[utoipa::path(get, path = "/api/v1/sensors/{id}/readings", tag = "readings",
    params(("id" = String, Path, description = "Sensor id"), ReadingsQuery),
    responses((status = 200, body = ReadingSeries),
        (status = 400, body = ErrorBody, description = "`from` not before `to`, or times or \
            `every` out of range (overflow)"),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A range over 400 days, or more points \
            than the limit"),
        (status = 503, body = ErrorBody, description = "Every slot for heavy requests \
            (`api.max_heavy`) is taken",
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying")))),
    security(("bearer" = [])))]
pub async fn readings(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ReadingsQuery>,
) -> Result<Json<ReadingSeries>, ApiError> {
    caller.require_committee()?;
    let sensor = SensorId::parse(&id).map_err(|e| ApiError::not_found(e.to_string()))?;
    let unit = state
        .registry
        .sensor(&sensor)
        .ok_or_else(|| ApiError::not_found(format!("no sensor {sensor}")))?
        .unit
        .clone();
    let parse = |name: &str, v: &Option<String>| -> Result<Option<Timestamp>, ApiError> {
        v.as_deref()
            .map(|text| {
                Timestamp::parse(text).map_err(|e| ApiError::invalid(format!("{name}: {e}")))
            })
            .transpose()
    };
    let window = Window::new(
        parse("from", &q.from)?,
        parse("to", &q.to)?,
        Timestamp::now(),
        q.every,
        state.limits.max_points,
    )?;
    let _permit = heavy_permit(&state)?;
    let root = state.readings_dir.clone();
    let (from, to) = (window.from, window.to);
    let rows = tokio::task::spawn_blocking(move || {
        caretaker_ingest::store::sensor_readings(&root, &sensor, from, to)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let points = downsample(&rows, from.millis(), window.every_ms());
    if points.len() > state.limits.max_points {
        return Err(ApiError::invalid(format!(
            "{} raw readings in that range, more than {}: give `every` or a shorter range",
            points.len(),
            state.limits.max_points
        )));
    }
    Ok(Json(ReadingSeries {
        sensor: id,
        unit,
        from: from.to_string(),
        to: to.to_string(),
        every_s: window.every_s,
        points,
    }))
}

/// One of the [`Limits::max_heavy`](crate::Limits::max_heavy) permits for a
/// heavy request, held until dropped; 503 with `Retry-After` when all are taken.
pub fn heavy_permit(state: &AppState) -> Result<OwnedSemaphorePermit, ApiError> {
    state.heavy_permits().try_acquire_owned().map_err(|_| {
        ApiError::busy(
            "the server is answering as many heavy requests (readings, plans) as it may; \
             retry shortly",
            Duration::from_secs(1),
        )
    })
}

/// A checked readings query: the range and the bucket width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start, inclusive.
    pub from: Timestamp,
    /// End, exclusive (after `from`, at most [`MAX_RANGE_DAYS`] later).
    pub to: Timestamp,
    /// Bucket width in seconds; 0 for raw readings.
    pub every_s: i64,
}

impl Window {
    /// Checks a query: `to` defaults to `now` and `from` to a day before `to`;
    /// `every` defaults to the smallest whole number of seconds that keeps the
    /// series within `max_points` buckets. All arithmetic is checked: an
    /// inverted or empty range, or a time or width whose arithmetic overflows, is
    /// 400; a range over [`MAX_RANGE_DAYS`], a negative `every` or one giving more
    /// than `max_points` buckets is 422.
    pub fn new(
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        now: Timestamp,
        every: Option<i64>,
        max_points: usize,
    ) -> Result<Self, ApiError> {
        let overflow = |what: &str| ApiError::bad_request(format!("{what} is out of range"));
        let to = to.unwrap_or(now);
        let from = match from {
            Some(from) => from,
            None => Timestamp::from_millis(
                to.millis()
                    .checked_sub(Timestamp::DAY)
                    .ok_or_else(|| overflow("`to`"))?,
            ),
        };
        if from >= to {
            return Err(ApiError::bad_request("`from` must be before `to`"));
        }
        let span_ms = to
            .millis()
            .checked_sub(from.millis())
            .ok_or_else(|| overflow("the range from `from` to `to`"))?;
        if span_ms > MAX_RANGE_DAYS * Timestamp::DAY {
            return Err(ApiError::invalid(format!(
                "a query covers at most {MAX_RANGE_DAYS} days"
            )));
        }
        let max_points = i64::try_from(max_points.max(1)).unwrap_or(i64::MAX);
        let every_s = match every {
            Some(e) if e < 0 => return Err(ApiError::invalid("`every` must be 0 or more seconds")),
            Some(0) => 0,
            Some(e) => {
                let every_ms = e
                    .checked_mul(Timestamp::SECOND)
                    .ok_or_else(|| overflow("`every`"))?;
                if buckets(span_ms, every_ms) > max_points {
                    return Err(ApiError::invalid(format!(
                        "`every` = {e} s gives more than {max_points} points; use at least {} s",
                        smallest_width_s(span_ms, max_points)
                    )));
                }
                e
            }
            None => smallest_width_s(span_ms, max_points),
        };
        Ok(Self { from, to, every_s })
    }

    /// The bucket width in milliseconds (0: raw); cannot overflow once checked.
    pub fn every_ms(&self) -> i64 {
        self.every_s * Timestamp::SECOND
    }
}

/// Buckets of `every_ms` (> 0) starting at the range's start that cover `span_ms` (> 0).
fn buckets(span_ms: i64, every_ms: i64) -> i64 {
    ceil_div(span_ms, every_ms)
}

/// The smallest whole number of seconds (at least 1) whose buckets cover
/// `span_ms` (> 0, at most [`MAX_RANGE_DAYS`]) in at most `max_points`.
fn smallest_width_s(span_ms: i64, max_points: i64) -> i64 {
    ceil_div(ceil_div(span_ms, max_points), Timestamp::SECOND).max(1)
}

/// `a / b` rounded up, for `a ≥ 0` and `b > 0`, without overflow.
fn ceil_div(a: i64, b: i64) -> i64 {
    a / b + i64::from(a % b != 0)
}

/// Buckets of `every_ms` from `start_ms` (raw points when 0): mean, min, max, count.
pub fn downsample(rows: &[(i64, f64)], start_ms: i64, every_ms: i64) -> Vec<ReadingPoint> {
    let mut points: Vec<ReadingPoint> = Vec::new();
    let mut current: Option<(i64, f64, f64, f64, u32)> = None;
    let close = |points: &mut Vec<ReadingPoint>,
                 (ts, sum, min, max, count): (i64, f64, f64, f64, u32)| {
        points.push(ReadingPoint {
            ts: Timestamp::from_millis(ts).to_string(),
            value: sum / f64::from(count),
            min,
            max,
            count,
        });
    };
    for &(ts, value) in rows {
        let bucket = if every_ms == 0 {
            ts
        } else {
            start_ms + (ts - start_ms).div_euclid(every_ms) * every_ms
        };
        match &mut current {
            Some(c) if c.0 == bucket && every_ms != 0 => {
                c.1 += value;
                c.2 = c.2.min(value);
                c.3 = c.3.max(value);
                c.4 += 1;
            }
            _ => {
                if let Some(done) = current.take() {
                    close(&mut points, done);
                }
                current = Some((bucket, value, value, value, 1));
            }
        }
    }
    if let Some(done) = current {
        close(&mut points, done);
    }
    points
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    const NOW: Timestamp = Timestamp::from_millis(1_750_000_000_000);

    fn window(
        from: Option<i64>,
        to: Option<i64>,
        every: Option<i64>,
    ) -> Result<Window, StatusCode> {
        Window::new(
            from.map(Timestamp::from_millis),
            to.map(Timestamp::from_millis),
            NOW,
            every,
            5_000,
        )
        .map_err(|e| e.status)
    }

    #[test]
    fn overflowing_or_inverted_queries_are_400_and_never_wrap() {
        let day = Timestamp::DAY;
        let from = NOW.millis() - day;
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(window(Some(from), None, Some(i64::MAX)), Err(bad));
        assert_eq!(
            window(Some(from), None, Some(i64::MAX / 1000 + 1)),
            Err(bad)
        );
        assert_eq!(window(Some(NOW.millis()), Some(from), None), Err(bad));
        assert_eq!(window(Some(from), Some(from), None), Err(bad));
        assert_eq!(window(None, Some(i64::MIN + 5), None), Err(bad));
        assert_eq!(window(Some(i64::MIN), Some(i64::MAX), None), Err(bad));
        // The largest width that does not overflow is one bucket.
        let w = window(Some(from), None, Some(i64::MAX / 1000)).unwrap();
        assert_eq!(w.every_ms(), i64::MAX / 1000 * 1000);
        assert_eq!(
            downsample(&[(from, 1.0), (from + 5, 3.0)], from, w.every_ms()).len(),
            1
        );
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        assert_eq!(window(Some(from), None, Some(-1)), Err(unprocessable));
        assert_eq!(window(Some(0), Some(401 * day), None), Err(unprocessable));
    }

    #[test]
    fn a_width_giving_one_bucket_too_many_is_refused_and_the_default_fits() {
        // 5,000 s and half a second: 5 000 one-second buckets do not cover it.
        let (from, to) = (0, 5_000_500);
        assert!(window(Some(from), Some(to), Some(1)).is_err());
        let w = window(Some(from), Some(to), None).unwrap();
        assert_eq!(w.every_s, 2);
        for span in [
            1,
            999,
            1_000,
            86_400_000,
            5_000_000 * 18 + 1,
            400 * Timestamp::DAY,
        ] {
            let w = window(Some(0), Some(span), None).unwrap();
            assert!(w.every_s >= 1);
            assert!(buckets(span, w.every_ms()) <= 5_000, "{span}: {w:?}");
            assert!(
                w.every_s == 1 || buckets(span, w.every_ms() - 1_000) > 5_000,
                "{span}: {w:?} is not the smallest"
            );
        }
        assert_eq!(
            window(Some(0), Some(3_600_000), Some(0)).unwrap().every_s,
            0
        );
    }

    #[test]
    fn buckets_hold_mean_min_max_and_count() {
        let rows = [(0, 1.0), (30_000, 3.0), (60_000, 10.0), (150_000, 4.0)];
        let points = downsample(&rows, 0, 60_000);
        let summary: Vec<(f64, f64, f64, u32)> = points
            .iter()
            .map(|p| (p.value, p.min, p.max, p.count))
            .collect();
        assert_eq!(
            summary,
            [
                (2.0, 1.0, 3.0, 2),
                (10.0, 10.0, 10.0, 1),
                (4.0, 4.0, 4.0, 1)
            ]
        );
        assert_eq!(points[2].ts, Timestamp::from_millis(120_000).to_string());
        assert_eq!(downsample(&rows, 0, 0).len(), 4, "raw readings stay apart");
    }
}
