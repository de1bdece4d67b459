//! Feature definitions, in one place: names and meanings, computed as of any time
//! from the daily aggregates and the events before it, never after.
//!
//! Features of equipment `e` *as of day `d`* use readings and events strictly before
//! the start of day `d` (UTC). Windows are counted in whole days before `d`.

use caretaker_core::EventKind;
use chrono::Datelike;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::daily::{DailySeries, DailyTable};
use crate::history::{DAY_MS, History, day_of};

/// Version of the feature definitions; a model trained on another version is refused.
pub const FEATURE_VERSION: u32 = 3;

/// Short window, in days.
pub const SHORT_DAYS: i64 = 7;
/// Long window, in days.
pub const LONG_DAYS: i64 = 30;
/// The equipment's normal: readings from `NORMAL_FROM_DAYS` to `NORMAL_TO_DAYS` days before.
pub const NORMAL_FROM_DAYS: i64 = 120;
/// End of the normal window, in days before the as-of day.
pub const NORMAL_TO_DAYS: i64 = 30;
/// Fewest days a normal is measured over; a machine repaired more recently than
/// that (plus [`NORMAL_TO_DAYS`]) has no normal yet.
pub const MIN_NORMAL_DAYS: i64 = 14;
/// Cap on "days since" features when nothing happened yet.
pub const MAX_DAYS_SINCE: f64 = 365.0;
/// Short window for sudden changes, in days.
pub const RECENT_DAYS: i64 = 3;
/// The farthest back, in days before a sample's day, that a feature reads the
/// daily aggregates (the start of its channel's normal): a [`crate::daily::DayWindow`]
/// holds no earlier day.
pub const LOOKBACK_DAYS: i64 = NORMAL_FROM_DAYS;

/// One piece of equipment at one time: features use data before the start of `day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AsOf {
    /// Index in [`History::equipment`].
    pub equipment: usize,
    /// Day number (days since 1970-01-01 UTC).
    pub day: i64,
}

/// What a feature measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "measure", rename_all = "snake_case")]
pub enum Measure {
    /// Mean of the channel's readings over the window.
    Mean { channel: String, days: i64 },
    /// Standard deviation of the readings over the window.
    Spread { channel: String, days: i64 },
    /// Smallest reading over the window.
    Min { channel: String, days: i64 },
    /// Largest reading over the window.
    Max { channel: String, days: i64 },
    /// Trend: least-squares slope of the daily means, per day.
    Trend { channel: String, days: i64 },
    /// A window statistic against the equipment's own normal (see [`Relative`]).
    Relative {
        channel: String,
        stat: Relative,
        days: i64,
    },
    /// The largest departure from normal over all of the equipment's sensors: the
    /// absolute value of a statistic against the normal, the largest over its
    /// channels (for [`Relative::Peak`], the peak or the trough). Means the same for
    /// every kind, so a small co-op's few failures teach one lesson together.
    Strongest { stat: Relative, days: i64 },
    /// The largest departure from its siblings over the equipment's sensors: for each
    /// sensor, its mean over the window against its normal (in normal standard
    /// deviations) minus the median of that over the equipment of the same kind on
    /// the same day (itself included), in absolute value; the largest. The season
    /// moves every boiler's readings together; this leaves what is its own.
    SiblingDeparture { days: i64 },
    /// The largest rise in cycling over the equipment's on/off channels: changes of
    /// state per day over the window against those in its normal (both plus one).
    CyclingRise { days: i64 },
    /// Share of readings "on" over the window (run time of an on/off state).
    OnShare { channel: String, days: i64 },
    /// Changes of state per day over the window (cycling).
    Cycles { channel: String, days: i64 },
    /// Days since installation.
    Age,
    /// Days since the last maintenance (preventive or corrective).
    SinceMaintenance,
    /// Days since the last failure.
    SinceFailure,
    /// Alarms raised over the long window.
    Alarms,
    /// Resident reports over the long window.
    ResidentReports,
    /// Share of expected readings missing over the short window (sensor gaps).
    MissingShare,
    /// Channels whose readings did not change at all over the last two days (stuck sensors).
    StuckChannels,
    /// Season: sine of the day of year.
    SeasonSin,
    /// Season: cosine of the day of year.
    SeasonCos,
    /// 1 for equipment of this kind, else 0.
    IsKind { kind: String },
}

impl Measure {
    /// The channel it is computed from, if any.
    pub fn channel(&self) -> Option<&str> {
        match self {
            Measure::Mean { channel, .. }
            | Measure::Spread { channel, .. }
            | Measure::Min { channel, .. }
            | Measure::Max { channel, .. }
            | Measure::Trend { channel, .. }
            | Measure::Relative { channel, .. }
            | Measure::OnShare { channel, .. }
            | Measure::Cycles { channel, .. } => Some(channel),
            _ => None,
        }
    }
}

/// Statistics compared with the equipment's own normal: comparable across equipment
/// of different sizes, makes and ages, so one model can learn from all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relative {
    /// (window mean - normal mean) / normal spread.
    Mean,
    /// (window maximum - normal mean) / normal spread.
    Peak,
    /// (window minimum - normal mean) / normal spread.
    Trough,
    /// Window spread / normal spread.
    SpreadRatio,
    /// Trend per day / normal spread.
    Trend,
}

/// A named feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// Name in reports and model cards (`supply_temperature.mean_7d`).
    pub name: String,
    /// What it measures.
    pub measure: Measure,
}

impl Feature {
    fn new(name: String, measure: Measure) -> Self {
        Self { name, measure }
    }

    /// The channel it is computed from, if any.
    pub fn channel(&self) -> Option<&str> {
        self.measure.channel()
    }

    /// What it means, in plain words.
    pub fn describe(&self) -> String {
        match &self.measure {
            Measure::Mean { channel, days } => format!("mean {channel} over {days} days"),
            Measure::Spread { channel, days } => {
                format!("spread (standard deviation) of {channel} over {days} days")
            }
            Measure::Min { channel, days } => format!("lowest {channel} over {days} days"),
            Measure::Max { channel, days } => format!("highest {channel} over {days} days"),
            Measure::Trend { channel, days } => {
                format!("trend of {channel} per day over {days} days")
            }
            Measure::Relative {
                channel,
                stat,
                days,
            } => match stat {
                Relative::Mean => format!(
                    "mean {channel} over {days} days against its normal, in standard deviations"
                ),
                Relative::Peak => format!(
                    "highest {channel} over {days} days against its normal mean, in standard deviations"
                ),
                Relative::Trough => format!(
                    "lowest {channel} over {days} days against its normal mean, in standard deviations"
                ),
                Relative::SpreadRatio => {
                    format!(
                        "spread of {channel} over {days} days as a multiple of its normal spread"
                    )
                }
                Relative::Trend => format!(
                    "trend of {channel} over {days} days, in normal standard deviations per day"
                ),
            },
            Measure::Strongest { stat, days } => match stat {
                Relative::Mean => format!(
                    "largest departure of any sensor's {days}-day mean from its normal, in standard deviations"
                ),
                Relative::Peak | Relative::Trough => format!(
                    "most extreme reading of any sensor over {days} days against its normal, in standard deviations"
                ),
                Relative::SpreadRatio => format!(
                    "most unsteady sensor over {days} days: its spread as a multiple of its normal spread"
                ),
                Relative::Trend => format!(
                    "steepest trend of any sensor over {days} days, in normal standard deviations per day"
                ),
            },
            Measure::SiblingDeparture { days } => format!(
                "largest departure of any sensor's {days}-day mean from the same sensor on its siblings (same kind), in standard deviations"
            ),
            Measure::CyclingRise { days } => format!(
                "on/off cycling over {days} days as a multiple of its normal (the most changed on/off sensor)"
            ),
            Measure::OnShare { channel, days } => {
                format!("share of time {channel} was on over {days} days")
            }
            Measure::Cycles { channel, days } => {
                format!("{channel} on/off cycles per day over {days} days")
            }
            Measure::Age => "age in days".into(),
            Measure::SinceMaintenance => "days since the last maintenance".into(),
            Measure::SinceFailure => "days since the last failure".into(),
            Measure::Alarms => format!("alarms over {LONG_DAYS} days"),
            Measure::ResidentReports => format!("resident reports over {LONG_DAYS} days"),
            Measure::MissingShare => {
                format!("share of expected readings missing over {SHORT_DAYS} days")
            }
            Measure::StuckChannels => "sensors stuck on one value for two days".into(),
            Measure::SeasonSin | Measure::SeasonCos => "time of year".into(),
            Measure::IsKind { kind } => format!("is a {kind}"),
        }
    }
}

/// The features of one model: fixed by the channels and kinds it was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSet {
    /// The features, in column order.
    pub features: Vec<Feature>,
    /// Whether season features are included.
    pub seasonal: bool,
    /// Whether raw sensor levels are features (a fleet of identical machines); else
    /// only statistics against each equipment's own normal are.
    pub comparable_levels: bool,
}

impl FeatureSet {
    /// The features for the channels and kinds of a history, in column order: each
    /// channel's own (on/off or numeric), those over all of a machine's channels,
    /// then age, maintenance, reports, sensor health, season and kind.
    pub fn for_channels(
        channels: &[(String, bool)],
        kinds: &[String],
        seasonal: bool,
        comparable_levels: bool,
    ) -> Self {
        let mut features = Vec::new();
        for (channel, binary) in channels {
            if *binary {
                features.extend(on_off_features(channel));
                continue;
            }
            if comparable_levels {
                features.extend(level_features(channel));
            }
            features.extend(relative_features(channel));
        }
        features.extend(machine_features(channels, comparable_levels));
        features.extend(plain_features(seasonal));
        if kinds.len() > 1 {
            for kind in kinds {
                features.push(Feature::new(
                    format!("kind={kind}"),
                    Measure::IsKind { kind: kind.clone() },
                ));
            }
        }
        Self {
            features,
            seasonal,
            comparable_levels,
        }
    }

    /// The features for a history's channels and kinds.
    pub fn for_history(history: &History) -> Self {
        Self::for_channels(
            &history.channel_names(),
            &history.kind_names(),
            history.seasonal,
            history.comparable_levels,
        )
    }

    /// Columns the learners leave out. Where levels are not comparable (a co-op),
    /// the learners see only what means the same on every machine: the strongest
    /// departures over all of a machine's sensors, against its own normal and against
    /// its siblings, with age, maintenance, reports, sensor health, season and kind.
    /// A dozen failures of eight kinds cannot teach a model which of 120 sensor
    /// features matters for which kind. The per-sensor features stay: the threshold
    /// baseline and the model card use them.
    pub fn ignored_by_learners(&self) -> Vec<usize> {
        if self.comparable_levels {
            return Vec::new();
        }
        (0..self.features.len())
            .filter(|&j| self.features[j].channel().is_some())
            .collect()
    }

    /// Columns the learners see, in order: all but [`Self::ignored_by_learners`].
    pub fn learner_columns(&self) -> Vec<usize> {
        crate::learners::seen_columns(self.features.len(), &self.ignored_by_learners())
    }

    /// Feature names, in column order.
    pub fn names(&self) -> Vec<String> {
        self.features.iter().map(|f| f.name.clone()).collect()
    }

    /// The feature matrix (one row per as-of, NaN where undefined, e.g. no readings).
    /// Where a driver's value comes from, as of `at`: for a feature taken over
    /// several of the machine's sensors (the strongest departure, extreme, spread
    /// or trend, the departure from its siblings, the rise in cycling), the sensor
    /// it comes from with the signed value; for a feature of one sensor, that
    /// sensor. `None` for other features or when no sensor has a value.
    pub fn source(
        &self,
        history: &History,
        daily: &DailyTable,
        at: AsOf,
        measure: &Measure,
    ) -> Option<Source> {
        let scale = |channel: &str| {
            channel_normal(daily, at.equipment, channel, at.day).map(|n| normal_scale(&n))
        };
        if let Some(channel) = measure.channel() {
            return Some(Source {
                channel: channel.to_owned(),
                signed: None,
                scale: scale(channel),
            });
        }
        // Measures over several sensors read readings only, never events.
        let no_events = EventIndex::default();
        let ctx = RowContext {
            history,
            daily,
            events: &no_events,
            at,
            windows: Default::default(),
            siblings: Default::default(),
        };
        ctx.per_channel(measure)
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(channel, _, signed)| Source {
                channel: channel.to_owned(),
                signed: Some(signed),
                scale: scale(channel),
            })
    }

    /// The feature matrix (one row per as-of, NaN where undefined, e.g. no readings).
    pub fn compute(&self, history: &History, daily: &DailyTable, rows: &[AsOf]) -> Array2<f64> {
        let mut x = Array2::from_elem((rows.len(), self.features.len()), f64::NAN);
        self.compute_each(history, daily, rows, |r, values| {
            x.row_mut(r).assign(&ndarray::ArrayView1::from(values));
        });
        x
    }

    /// Each row's features in turn (its index, its values in column order), without
    /// holding them all: for callers that keep only some.
    pub fn compute_each(
        &self,
        history: &History,
        daily: &DailyTable,
        rows: &[AsOf],
        mut each: impl FnMut(usize, &[f64]),
    ) {
        let events = EventIndex::new(history);
        let mut values = vec![f64::NAN; self.features.len()];
        for (r, at) in rows.iter().enumerate() {
            let ctx = RowContext {
                history,
                daily,
                events: &events,
                at: *at,
                windows: Default::default(),
                siblings: Default::default(),
            };
            for (v, f) in values.iter_mut().zip(&self.features) {
                *v = ctx.value(&f.measure);
            }
            each(r, &values);
        }
    }
}

/// An on/off channel's features: its share of time on and its cycles per day, over
/// the short and the long window.
fn on_off_features(c: &str) -> Vec<Feature> {
    let mut features = Vec::new();
    for days in [SHORT_DAYS, LONG_DAYS] {
        features.push(Feature::new(
            format!("{c}.on_share_{days}d"),
            Measure::OnShare {
                channel: c.to_owned(),
                days,
            },
        ));
        features.push(Feature::new(
            format!("{c}.cycles_{days}d"),
            Measure::Cycles {
                channel: c.to_owned(),
                days,
            },
        ));
    }
    features
}

/// A numeric channel's raw levels (only where levels are comparable across
/// machines): mean and spread over both windows, extremes over the short one,
/// trend over the long one.
fn level_features(c: &str) -> Vec<Feature> {
    let mut features = Vec::new();
    for days in [SHORT_DAYS, LONG_DAYS] {
        features.push(Feature::new(
            format!("{c}.mean_{days}d"),
            Measure::Mean {
                channel: c.to_owned(),
                days,
            },
        ));
        features.push(Feature::new(
            format!("{c}.spread_{days}d"),
            Measure::Spread {
                channel: c.to_owned(),
                days,
            },
        ));
    }
    features.push(Feature::new(
        format!("{c}.min_{SHORT_DAYS}d"),
        Measure::Min {
            channel: c.to_owned(),
            days: SHORT_DAYS,
        },
    ));
    features.push(Feature::new(
        format!("{c}.max_{SHORT_DAYS}d"),
        Measure::Max {
            channel: c.to_owned(),
            days: SHORT_DAYS,
        },
    ));
    features.push(Feature::new(
        format!("{c}.trend_{LONG_DAYS}d"),
        Measure::Trend {
            channel: c.to_owned(),
            days: LONG_DAYS,
        },
    ));
    features
}

/// A numeric channel's statistics against the machine's own normal.
fn relative_features(c: &str) -> Vec<Feature> {
    let relative = [
        ("vs_normal", Relative::Mean, SHORT_DAYS),
        ("vs_normal", Relative::Mean, RECENT_DAYS),
        ("peak_vs_normal", Relative::Peak, SHORT_DAYS),
        ("trough_vs_normal", Relative::Trough, SHORT_DAYS),
        ("spread_vs_normal", Relative::SpreadRatio, SHORT_DAYS),
        ("trend_vs_normal", Relative::Trend, LONG_DAYS),
    ];
    relative
        .into_iter()
        .map(|(name, stat, days)| {
            Feature::new(
                format!("{c}.{name}_{days}d"),
                Measure::Relative {
                    channel: c.to_owned(),
                    stat,
                    days,
                },
            )
        })
        .collect()
}

/// Features over all of a machine's channels: the strongest departures from its
/// normal (with a numeric channel), from its siblings (numeric, levels not
/// comparable), and the rise in cycling (with an on/off channel).
fn machine_features(channels: &[(String, bool)], comparable_levels: bool) -> Vec<Feature> {
    let mut features = Vec::new();
    let any_numeric = channels.iter().any(|(_, binary)| !binary);
    if any_numeric {
        let strongest = [
            ("strongest_departure", Relative::Mean, RECENT_DAYS),
            ("strongest_departure", Relative::Mean, SHORT_DAYS),
            ("strongest_extreme", Relative::Peak, SHORT_DAYS),
            ("strongest_spread_ratio", Relative::SpreadRatio, SHORT_DAYS),
            ("strongest_trend", Relative::Trend, LONG_DAYS),
        ];
        for (name, stat, days) in strongest {
            features.push(Feature::new(
                format!("{name}_{days}d"),
                Measure::Strongest { stat, days },
            ));
        }
    }
    if any_numeric && !comparable_levels {
        for days in [RECENT_DAYS, SHORT_DAYS] {
            features.push(Feature::new(
                format!("sibling_departure_{days}d"),
                Measure::SiblingDeparture { days },
            ));
        }
    }
    if channels.iter().any(|(_, binary)| *binary) {
        features.push(Feature::new(
            format!("cycling_rise_{SHORT_DAYS}d"),
            Measure::CyclingRise { days: SHORT_DAYS },
        ));
    }
    features
}

/// Features of every machine whatever its sensors: age, maintenance, failures,
/// alarms, reports, sensor health, and the season if asked for.
fn plain_features(seasonal: bool) -> Vec<Feature> {
    let plain = [
        ("age_days", Measure::Age),
        ("days_since_maintenance", Measure::SinceMaintenance),
        ("days_since_failure", Measure::SinceFailure),
        ("alarms_30d", Measure::Alarms),
        ("resident_reports_30d", Measure::ResidentReports),
        ("missing_share_7d", Measure::MissingShare),
        ("stuck_sensors", Measure::StuckChannels),
    ];
    let mut features: Vec<Feature> = plain
        .into_iter()
        .map(|(n, m)| Feature::new(n.into(), m))
        .collect();
    if seasonal {
        features.push(Feature::new("season_sin".into(), Measure::SeasonSin));
        features.push(Feature::new("season_cos".into(), Measure::SeasonCos));
    }
    features
}

/// Event times by equipment and kind, sorted.
#[derive(Default)]
struct EventIndex {
    failures: Vec<Vec<i64>>,
    maintenance: Vec<Vec<i64>>,
    alarms: Vec<Vec<i64>>,
    reports: Vec<Vec<i64>>,
}

impl EventIndex {
    fn new(history: &History) -> Self {
        let n = history.equipment.len();
        let mut index = Self {
            failures: vec![Vec::new(); n],
            maintenance: vec![Vec::new(); n],
            alarms: vec![Vec::new(); n],
            reports: vec![Vec::new(); n],
        };
        for e in &history.events {
            let Some(i) = history.equipment_index(&e.equipment) else {
                continue;
            };
            let list = match e.kind {
                EventKind::Failure => &mut index.failures,
                EventKind::PreventiveMaintenance | EventKind::CorrectiveMaintenance => {
                    &mut index.maintenance
                }
                EventKind::Alarm => &mut index.alarms,
                EventKind::ResidentReport => &mut index.reports,
            };
            list[i].push(e.ts.millis());
        }
        for list in [
            &mut index.failures,
            &mut index.maintenance,
            &mut index.alarms,
            &mut index.reports,
        ] {
            list.iter_mut().for_each(|l| l.sort_unstable());
        }
        index
    }
}

/// Last time in a sorted list strictly before `before`.
fn last_before(times: &[i64], before: i64) -> Option<i64> {
    let n = times.partition_point(|&t| t < before);
    n.checked_sub(1).map(|i| times[i])
}

/// Count of times in `[from, to)` in a sorted list.
fn count_between(times: &[i64], from: i64, to: i64) -> usize {
    times.partition_point(|&t| t < to) - times.partition_point(|&t| t < from)
}

/// Where a driver's value comes from ([`FeatureSet::source`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The sensor's channel (`pressure`).
    pub channel: String,
    /// For a feature over several sensors, its value with its sign: above (+) or
    /// below (-) normal or the siblings; the feature keeps the size only.
    pub signed: Option<f64>,
    /// One standard deviation of the sensor's normal, in its unit (floored as
    /// [`normal_scale`] does): what a value in standard deviations is multiplied by.
    pub scale: Option<f64>,
}

/// Statistics of a channel's readings over a range of days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowStats {
    /// Readings.
    pub count: f64,
    /// Mean reading.
    pub mean: f64,
    /// Standard deviation of the readings.
    pub spread: f64,
    /// Smallest reading.
    pub min: f64,
    /// Largest reading.
    pub max: f64,
    /// Changes of value per day with readings.
    pub changes_per_day: f64,
    /// Least-squares slope of the daily means, per day.
    pub trend: f64,
}

/// Statistics of `series` over the days `[from_day, to_day)`, None without readings.
pub fn window_stats(
    series: &DailySeries,
    first_day: i64,
    from_day: i64,
    to_day: i64,
) -> Option<WindowStats> {
    let held_from = series.start as i64;
    let len = held_from + series.count.len() as i64;
    let (a, b) = (
        (from_day - first_day).clamp(0, len),
        (to_day - first_day).clamp(0, len),
    );
    debug_assert!(a >= held_from || b <= a, "a window reaches days let go of");
    let (mut n, mut sum, mut sum_sq, mut changes, mut days) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    // Trend: least squares over (day, daily mean).
    let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    for i in a.max(held_from) as usize..b as usize {
        let k = i - series.start;
        let c = f64::from(series.count[k]);
        if c <= 0.0 {
            continue;
        }
        n += c;
        sum += series.sum[k];
        sum_sq += series.sum_sq[k];
        min = min.min(series.min[k]);
        max = max.max(series.max[k]);
        changes += f64::from(series.changes[k]);
        days += 1.0;
        let (x, y) = ((i as i64 - a) as f64, series.sum[k] / c);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    if n == 0.0 {
        return None;
    }
    let mean = sum / n;
    let spread = (sum_sq / n - mean * mean).max(0.0).sqrt();
    let denominator = days * sxx - sx * sx;
    let trend = if days >= 2.0 && denominator > 0.0 {
        (days * sxy - sx * sy) / denominator
    } else {
        0.0
    };
    Some(WindowStats {
        count: n,
        mean,
        spread,
        min,
        max,
        changes_per_day: changes / days,
        trend,
    })
}

/// A channel's normal as of a day: statistics of its readings from
/// [`NORMAL_FROM_DAYS`] to [`NORMAL_TO_DAYS`] days before, but none from before its
/// last failure or repair (a repaired machine has a new normal, and a failing one
/// is not normal); `None` with fewer than [`MIN_NORMAL_DAYS`] days.
pub fn channel_normal(
    daily: &DailyTable,
    equipment: usize,
    channel: &str,
    day: i64,
) -> Option<WindowStats> {
    let series = daily.series(equipment, channel)?;
    let from = (day - NORMAL_FROM_DAYS).max(daily.fresh_start(equipment, day).unwrap_or(i64::MIN));
    let to = day - NORMAL_TO_DAYS;
    if to - from < MIN_NORMAL_DAYS {
        return None;
    }
    window_stats(series, daily.first_day, from, to)
}

struct RowContext<'a> {
    history: &'a History,
    daily: &'a DailyTable,
    events: &'a EventIndex,
    at: AsOf,
    /// Window statistics already computed for this row: (channel, days or
    /// [`NORMAL_KEY`], stats). Several features share a window.
    windows: std::cell::RefCell<Vec<(String, i64, Option<WindowStats>)>>,
    /// The same day for the other equipment of its kind, made on first use; their
    /// windows are shared by every sibling feature of the row.
    siblings: std::cell::OnceCell<Vec<RowContext<'a>>>,
}

/// Key of the normal window in [`RowContext::windows`].
const NORMAL_KEY: i64 = -1;

impl<'a> RowContext<'a> {
    fn cached(
        &self,
        channel: &str,
        key: i64,
        compute: impl FnOnce() -> Option<WindowStats>,
    ) -> Option<WindowStats> {
        if let Some((_, _, stats)) = self
            .windows
            .borrow()
            .iter()
            .find(|(c, k, _)| *k == key && c == channel)
        {
            return *stats;
        }
        let stats = compute();
        self.windows
            .borrow_mut()
            .push((channel.to_owned(), key, stats));
        stats
    }

    fn window(&self, channel: &str, days: i64) -> Option<WindowStats> {
        self.cached(channel, days, || {
            let series = self.daily.series(self.at.equipment, channel)?;
            window_stats(
                series,
                self.daily.first_day,
                self.at.day - days,
                self.at.day,
            )
        })
    }

    fn normal(&self, channel: &str) -> Option<WindowStats> {
        self.cached(channel, NORMAL_KEY, || {
            channel_normal(self.daily, self.at.equipment, channel, self.at.day)
        })
    }

    /// The same day for the other equipment of the same kind.
    fn siblings(&self) -> &[RowContext<'a>] {
        self.siblings.get_or_init(|| {
            let kind = &self.history.equipment[self.at.equipment].kind;
            self.history
                .equipment
                .iter()
                .enumerate()
                .filter(|(i, other)| *i != self.at.equipment && &other.kind == kind)
                .map(|(i, _)| RowContext {
                    history: self.history,
                    daily: self.daily,
                    events: self.events,
                    at: AsOf {
                        equipment: i,
                        day: self.at.day,
                    },
                    windows: Default::default(),
                    siblings: Default::default(),
                })
                .collect()
        })
    }

    /// A window statistic of a channel against its normal, if both have readings.
    fn relative(&self, channel: &str, stat: Relative, days: i64) -> Option<f64> {
        let w = self.window(channel, days)?;
        let normal = self.normal(channel)?;
        let scale = normal_scale(&normal);
        Some(match stat {
            Relative::Mean => (w.mean - normal.mean) / scale,
            Relative::Peak => (w.max - normal.mean) / scale,
            Relative::Trough => (w.min - normal.mean) / scale,
            Relative::SpreadRatio => w.spread / scale,
            Relative::Trend => w.trend / scale,
        })
    }

    /// For a measure taken over several of the machine's sensors
    /// ([`Measure::Strongest`], [`Measure::SiblingDeparture`], [`Measure::CyclingRise`]),
    /// each sensor's value and that value with its sign (above or below normal, or
    /// its siblings): the measure is the largest value. Empty for other measures.
    fn per_channel(&self, measure: &Measure) -> Vec<(&'a str, f64, f64)> {
        let facts = &self.history.equipment[self.at.equipment];
        let numeric = || facts.channels.iter().filter(|c| !c.binary);
        match measure {
            Measure::Strongest { stat, days } => {
                let stats: &[Relative] = match stat {
                    Relative::Peak | Relative::Trough => &[Relative::Peak, Relative::Trough],
                    other => std::slice::from_ref(other),
                };
                numeric()
                    .filter_map(|c| {
                        stats
                            .iter()
                            .filter_map(|s| self.relative(&c.name, *s, *days))
                            .reduce(|a, b| if b.abs() > a.abs() { b } else { a })
                            .map(|v| (c.name.as_str(), v.abs(), v))
                    })
                    .collect()
            }
            Measure::SiblingDeparture { days } => {
                let siblings = self.siblings();
                numeric()
                    .filter_map(|c| {
                        let own = self.relative(&c.name, Relative::Mean, *days)?;
                        let mut all: Vec<f64> = siblings
                            .iter()
                            .filter_map(|s| s.relative(&c.name, Relative::Mean, *days))
                            .collect();
                        if all.is_empty() {
                            return None;
                        }
                        all.push(own);
                        all.sort_by(f64::total_cmp);
                        let n = all.len();
                        let median = if n % 2 == 1 {
                            all[n / 2]
                        } else {
                            (all[n / 2 - 1] + all[n / 2]) / 2.0
                        };
                        Some((c.name.as_str(), (own - median).abs(), own - median))
                    })
                    .collect()
            }
            Measure::CyclingRise { days } => facts
                .channels
                .iter()
                .filter(|c| c.binary)
                .filter_map(|c| {
                    let w = self.window(&c.name, *days)?;
                    let normal = self.normal(&c.name)?;
                    let rise = (w.changes_per_day + 1.0) / (normal.changes_per_day + 1.0);
                    Some((c.name.as_str(), rise, rise))
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn value(&self, measure: &Measure) -> f64 {
        let t = self.at.day * DAY_MS;
        let e = self.at.equipment;
        let facts = &self.history.equipment[e];
        let age = (self.at.day - facts.installed_day) as f64;
        let days_since = |times: &[i64]| {
            last_before(times, t)
                .map(|last| (t - last) as f64 / DAY_MS as f64)
                .unwrap_or(age.max(0.0))
                .min(MAX_DAYS_SINCE)
        };
        let nan = f64::NAN;
        match measure {
            Measure::Mean { channel, days } => self.window(channel, *days).map_or(nan, |w| w.mean),
            Measure::Spread { channel, days } => {
                self.window(channel, *days).map_or(nan, |w| w.spread)
            }
            Measure::Min { channel, days } => self.window(channel, *days).map_or(nan, |w| w.min),
            Measure::Max { channel, days } => self.window(channel, *days).map_or(nan, |w| w.max),
            Measure::Trend { channel, days } => {
                self.window(channel, *days).map_or(nan, |w| w.trend)
            }
            Measure::OnShare { channel, days } => {
                self.window(channel, *days).map_or(nan, |w| w.mean)
            }
            Measure::Cycles { channel, days } => self
                .window(channel, *days)
                .map_or(nan, |w| w.changes_per_day),
            Measure::Relative {
                channel,
                stat,
                days,
            } => self.relative(channel, *stat, *days).unwrap_or(nan),
            Measure::Strongest { .. }
            | Measure::SiblingDeparture { .. }
            | Measure::CyclingRise { .. } => self
                .per_channel(measure)
                .iter()
                .map(|(_, v, _)| *v)
                .fold(nan, f64::max),
            Measure::Age => age,
            Measure::SinceMaintenance => days_since(&self.events.maintenance[e]),
            Measure::SinceFailure => days_since(&self.events.failures[e]),
            Measure::Alarms => {
                count_between(&self.events.alarms[e], t - LONG_DAYS * DAY_MS, t) as f64
            }
            Measure::ResidentReports => {
                count_between(&self.events.reports[e], t - LONG_DAYS * DAY_MS, t) as f64
            }
            Measure::MissingShare => {
                let expected: f64 = facts
                    .channels
                    .iter()
                    .map(|c| c.readings_per_day * SHORT_DAYS as f64)
                    .sum();
                if expected <= 0.0 {
                    return 0.0;
                }
                let got: f64 = facts
                    .channels
                    .iter()
                    .filter_map(|c| self.window(&c.name, SHORT_DAYS))
                    .map(|w| w.count)
                    .sum();
                (1.0 - got / expected).clamp(0.0, 1.0)
            }
            Measure::StuckChannels => facts
                .channels
                .iter()
                .filter(|c| !c.binary)
                .filter_map(|c| self.window(&c.name, 2))
                .filter(|w| w.count >= 2.0 && w.max == w.min)
                .count() as f64,
            Measure::SeasonSin | Measure::SeasonCos => {
                let date = chrono::DateTime::from_timestamp_millis(t)
                    .map(|d| d.date_naive().ordinal0())
                    .unwrap_or(0);
                let angle = std::f64::consts::TAU * f64::from(date) / 365.25;
                if matches!(measure, Measure::SeasonSin) {
                    angle.sin()
                } else {
                    angle.cos()
                }
            }
            Measure::IsKind { kind } => f64::from(u8::from(&facts.kind == kind)),
        }
    }
}

/// The spread a normal is measured in, floored so that a quiet sensor (constant
/// readings) does not turn a small change into an enormous one.
pub fn normal_scale(normal: &WindowStats) -> f64 {
    normal.spread.max(1e-2 * normal.mean.abs()).max(1e-6)
}

/// The day number of the day after a time: features as of a time `t` that is not
/// midnight use the readings before `t` of its own day.
pub fn as_of_day(ms: i64) -> i64 {
    day_of(ms - 1) + 1
}
