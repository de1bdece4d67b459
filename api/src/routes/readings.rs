//! A sensor's readings over a time range, downsampled to buckets.
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use caretaker_core::{SensorId, Timestamp};
use serde::Deserialize;
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
#[utoipa::path(get, path = "/api/v1/sensors/{id}/readings", tag = "readings",
    params(("id" = String, Path, description = "Sensor id"), ReadingsQuery),
    responses((status = 200, body = ReadingSeries), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
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
    let to = parse("to", &q.to)?.unwrap_or_else(Timestamp::now);
    let from = parse("from", &q.from)?.unwrap_or(to.plus_millis(-Timestamp::DAY));
    if from >= to {
        return Err(ApiError::invalid("`from` must be before `to`"));
    }
    if to.millis() - from.millis() > MAX_RANGE_DAYS * Timestamp::DAY {
        return Err(ApiError::invalid(format!(
            "a query covers at most {MAX_RANGE_DAYS} days"
        )));
    }
    let max_points = state.limits.max_points as i64;
    let span_s = (to.millis() - from.millis()) / 1000;
    let every = match q.every {
        Some(e) if e < 0 => return Err(ApiError::invalid("`every` must be 0 or more seconds")),
        Some(0) => 0,
        Some(e) if span_s / e > max_points => {
            return Err(ApiError::invalid(format!(
                "`every` = {e} s gives more than {max_points} points; use at least {} s",
                (span_s + max_points - 1) / max_points
            )));
        }
        Some(e) => e,
        None => (span_s + max_points - 1) / max_points.max(60),
    };
    let root = state.readings_dir.clone();
    let rows = tokio::task::spawn_blocking(move || {
        caretaker_ingest::store::sensor_readings(&root, &sensor, from, to)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    if every == 0 && rows.len() > state.limits.max_points {
        return Err(ApiError::invalid(format!(
            "{} raw readings in that range, more than {max_points}: give `every` or a shorter range",
            rows.len()
        )));
    }
    Ok(Json(ReadingSeries {
        sensor: id,
        unit,
        from: from.to_string(),
        to: to.to_string(),
        every_s: every,
        points: downsample(&rows, from.millis(), every * 1000),
    }))
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
    use super::*;

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
