//! Why a probability is what it is: the features that raise it most, each with its
//! value against that equipment's normal, in words a committee member can read.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use caretaker_core::{EquipmentKind, Metric};

use crate::daily::DailyTable;
use crate::features::{
    AsOf, FeatureSet, LONG_DAYS, MAX_DAYS_SINCE, Measure, Relative, SHORT_DAYS, channel_normal,
};
use crate::history::History;
use crate::learners::Model;

/// Drivers listed per equipment.
pub const TOP_DRIVERS: usize = 3;

/// One feature that raises the probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Driver {
    /// Feature name.
    pub feature: String,
    /// What it measures.
    pub description: String,
    /// For a feature taken over several of a machine's sensors (the strongest
    /// departure, extreme, spread or trend, the departure from its siblings, the rise
    /// in cycling), the sensor it comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor: Option<String>,
    /// Its value now (None when missing).
    pub value: Option<f64>,
    /// Its usual value for this equipment (its own history for sensor features,
    /// the fleet's average otherwise).
    pub normal: Option<f64>,
    /// How much it adds to the probability: the probability minus the probability
    /// with this feature at the fleet's average.
    pub contribution: f64,
    /// The sensor's unit of measure (`bar`), for a feature of a sensor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// For a value in standard deviations, that departure in the sensor's unit,
    /// signed (above normal or the siblings: +).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_units: Option<f64>,
    /// One standard deviation of the sensor's normal, in its unit: how far it
    /// usually strays ("usually within 0.1").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usual_spread: Option<f64>,
    /// The driver in one sentence, as a caretaker would say it.
    #[serde(default)]
    pub sentence: String,
}

impl Driver {
    /// The driver in one plain sentence ([`Driver::sentence`] the field).
    pub fn sentence(&self) -> String {
        self.sentence.clone()
    }

    /// The points it adds to the probability, rounded (`19` for 0.19).
    pub fn points(&self) -> i64 {
        (100.0 * self.contribution).round() as i64
    }
}

/// What a driver's sentence is made of: the feature, the equipment and the
/// sensor it speaks of, and the numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Wording<'a> {
    /// What the feature measures.
    pub measure: &'a Measure,
    /// The equipment's kind name (`boiler`).
    pub kind: &'a str,
    /// Other pieces of equipment of the same kind.
    pub siblings: usize,
    /// The sensor's channel (`pressure`): the feature's own, or where a feature
    /// over several sensors takes its value.
    pub channel: Option<&'a str>,
    /// The sensor's unit of measure (`bar`; empty when unknown).
    pub unit: &'a str,
    /// The feature's value (None: missing).
    pub value: Option<f64>,
    /// For a feature over several sensors, the value with its sign.
    pub signed: Option<f64>,
    /// The usual value ([`Driver::normal`]).
    pub normal: Option<f64>,
    /// One standard deviation of the sensor's normal, in its unit.
    pub scale: Option<f64>,
}

/// Points below this are not shown: they round to 0.
const SHOWN_FROM: f64 = 0.005;

/// The sentence of a driver: what a caretaker would say, with the numbers in the
/// sensor's own unit (a departure in standard deviations times the normal's
/// spread), the equipment by its kind.
pub fn sentence(w: &Wording<'_>) -> String {
    let kind = kind_label(w.kind);
    let the_kind = format!("The {kind}");
    let subject = match w.channel {
        Some(c) => capitalised(&format!("{kind} {}", channel_label(c))),
        None => the_kind.clone(),
    };
    let Some(v) = w.value else {
        return match w.channel {
            Some(_) => format!("{subject} has had no readings {}.", over(w.measure)),
            None => format!("{the_kind}: {} is not known.", describe_plain(w.measure)),
        };
    };
    let unit = w.unit;
    let amount = |x: f64| with_unit(x.abs(), unit);
    let plain = |x: f64| significant(x.abs());
    let usual = |body: String| match w.normal {
        Some(n) => format!(" (usually {body}{})", significant(n)),
        None => String::new(),
    };
    let within = match w.scale {
        Some(s) => format!(" (usually within {})", significant(s)),
        None => String::new(),
    };
    let signed = w.signed.unwrap_or(v);
    let in_units = |sd: f64| w.scale.map(|s| sd * s);
    let direction = |x: f64, up: &'static str, down: &'static str| if x >= 0.0 { up } else { down };
    match w.measure {
        Measure::Relative {
            stat: Relative::Mean,
            days,
            ..
        }
        | Measure::Strongest {
            stat: Relative::Mean,
            days,
        } => match in_units(signed) {
            Some(x) => format!(
                "{subject} has been about {} {} its usual level {}{within}.",
                amount(x),
                direction(x, "above", "below"),
                for_days(*days)
            ),
            None => format!(
                "{subject} has been away from its usual level {}.",
                for_days(*days)
            ),
        },
        Measure::Relative {
            stat: Relative::Peak | Relative::Trough,
            days,
            ..
        }
        | Measure::Strongest {
            stat: Relative::Peak | Relative::Trough,
            days,
        } => match in_units(signed) {
            Some(x) => format!(
                "{subject} {} about {} {} its usual level {}{within}.",
                direction(x, "rose to", "dropped to"),
                amount(x),
                direction(x, "above", "below"),
                in_the_last(*days)
            ),
            None => format!(
                "{subject} strayed far from its usual level {}.",
                in_the_last(*days)
            ),
        },
        Measure::Relative {
            stat: Relative::SpreadRatio,
            days,
            ..
        }
        | Measure::Strongest {
            stat: Relative::SpreadRatio,
            days,
        } => {
            let swing = match w.scale {
                Some(s) => format!(
                    " (swinging by about {}, usually {})",
                    amount(v * s),
                    significant(s)
                ),
                None => String::new(),
            };
            if v >= 1.0 {
                format!(
                    "{subject} has been {} as unsteady as usual {}{swing}.",
                    times(v),
                    over_days(*days)
                )
            } else {
                format!("{subject} has barely moved {}{swing}.", over_days(*days))
            }
        }
        Measure::Relative {
            stat: Relative::Trend,
            days,
            ..
        }
        | Measure::Strongest {
            stat: Relative::Trend,
            days,
        } => match in_units(signed) {
            Some(x) => format!(
                "{subject} has been {} by about {} a day {}{within}.",
                direction(x, "rising", "falling"),
                amount(x),
                over_days(*days)
            ),
            None => format!("{subject} has been drifting {}.", over_days(*days)),
        },
        Measure::SiblingDeparture { days } => {
            let others = others(w.siblings, &kind);
            match in_units(signed) {
                Some(x) => format!(
                    "{subject} has been about {} {} {others} {}{within}.",
                    amount(x),
                    direction(x, "above", "below"),
                    for_days(*days)
                ),
                None => format!("{subject} has been unlike {others} {}.", for_days(*days)),
            }
        }
        Measure::CyclingRise { days } => {
            let what = match w.channel {
                Some("run_state") => format!("{the_kind} has been starting and stopping"),
                Some(c) => format!("{the_kind}'s {} has been switching", channel_label(c)),
                None => format!("{the_kind} has been switching on and off"),
            };
            if v >= 1.0 {
                format!(
                    "{what} {} as often as usual {}.",
                    times(v),
                    over_days(*days)
                )
            } else {
                format!("{what} less often than usual {}.", over_days(*days))
            }
        }
        Measure::OnShare { channel, days } => {
            let share = |x: f64| format!("{:.0}%", 100.0 * x);
            let usually = w
                .normal
                .map_or(String::new(), |n| format!(" (usually {})", share(n)));
            match channel.as_str() {
                "run_state" => format!(
                    "{the_kind} has been running {} of the time {}{usually}.",
                    share(v),
                    over_days(*days)
                ),
                "water_leak" => format!(
                    "{the_kind}'s leak sensor has found water {} of the time {}{usually}.",
                    share(v),
                    over_days(*days)
                ),
                _ => format!(
                    "{subject} has been on {} of the time {}{usually}.",
                    share(v),
                    over_days(*days)
                ),
            }
        }
        Measure::Cycles { channel, days } => format!(
            "{} {} times a day {}{}.",
            match channel.as_str() {
                "run_state" => format!("{the_kind} has started or stopped"),
                c => format!("{the_kind}'s {} has switched", channel_label(c)),
            },
            plain(v),
            over_days(*days),
            usual(String::new())
        ),
        Measure::Mean { days, .. } => format!(
            "{subject} has averaged {} {}{}.",
            with_unit(v, unit),
            over_days(*days),
            usual(String::new())
        ),
        Measure::Spread { days, .. } => format!(
            "{subject} has varied by about {} {}{}.",
            amount(v),
            over_days(*days),
            usual(String::new())
        ),
        Measure::Min { days, .. } => format!(
            "{subject} fell as low as {} {}{}.",
            with_unit(v, unit),
            in_the_last(*days),
            usual("no lower than ".into())
        ),
        Measure::Max { days, .. } => format!(
            "{subject} rose as high as {} {}{}.",
            with_unit(v, unit),
            in_the_last(*days),
            usual("no higher than ".into())
        ),
        Measure::Trend { days, .. } => format!(
            "{subject} has been {} by about {} a day {} (usually steady).",
            direction(v, "rising", "falling"),
            amount(v),
            over_days(*days)
        ),
        Measure::Age => {
            let average = w.normal.map_or(String::new(), |n| {
                format!(" (the co-op's equipment averages {})", years(n))
            });
            format!("{the_kind} is {} old{average}.", years(v))
        }
        Measure::SinceMaintenance => {
            if v >= MAX_DAYS_SINCE {
                format!("{the_kind} has had no maintenance in over a year.")
            } else {
                format!("{the_kind} was last maintained {} ago.", span(v))
            }
        }
        Measure::SinceFailure => {
            if v >= MAX_DAYS_SINCE {
                format!("{the_kind} has not failed in over a year.")
            } else {
                format!("{the_kind} failed {} ago.", span(v))
            }
        }
        Measure::Alarms => format!(
            "{the_kind} raised {} in the last {LONG_DAYS} days{}.",
            count(v, "alarm", "alarms"),
            average(w.normal)
        ),
        Measure::ResidentReports => format!(
            "Residents reported {} with the {kind} in the last {LONG_DAYS} days{}.",
            count(v, "problem", "problems"),
            average(w.normal)
        ),
        Measure::MissingShare => format!(
            "{the_kind}'s sensors missed {:.0}% of their readings {}{}.",
            100.0 * v,
            over_days(SHORT_DAYS),
            w.normal.map_or(String::new(), |n| format!(
                " (the co-op's average is {:.0}%)",
                100.0 * n
            ))
        ),
        Measure::StuckChannels => {
            let n = v.round().max(0.0) as u64;
            if n == 1 {
                format!("One of the {kind}'s sensors has shown the same value for two days.")
            } else {
                format!("{n} of the {kind}'s sensors have shown the same value for two days.")
            }
        }
        Measure::SeasonSin | Measure::SeasonCos => {
            format!(
                "{}s fail more often at this time of year.",
                capitalised(&kind)
            )
        }
        Measure::IsKind { .. } => format!("It is a {kind}."),
    }
}

/// The kind as people say it (`circulation pump`); other fleets' kinds as they are.
fn kind_label(kind: &str) -> String {
    EquipmentKind::parse(kind).map_or_else(|_| kind.replace('_', " "), |k| k.label().to_owned())
}

/// The sensor as people say it (`supply temperature`); other channels as they are.
fn channel_label(channel: &str) -> String {
    Metric::parse(channel).map_or_else(|_| channel.replace('_', " "), |m| m.label().to_owned())
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "the other boiler's", "the other two boilers'", "the other 12 boilers'".
fn others(n: usize, kind: &str) -> String {
    const WORDS: [&str; 11] = [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    match n {
        0 => format!("other {kind}s'"),
        1 => format!("the other {kind}'s"),
        n => format!(
            "the other {} {kind}s'",
            WORDS.get(n).map_or(n.to_string(), |w| (*w).to_owned())
        ),
    }
}

/// "for a week", "for 3 days", "for a month".
fn for_days(days: i64) -> String {
    match days {
        7 => "for a week".into(),
        30 => "for a month".into(),
        1 => "for a day".into(),
        d => format!("for {d} days"),
    }
}

/// "over the last week", "over the last 3 days", "over the last month".
fn over_days(days: i64) -> String {
    match days {
        7 => "over the last week".into(),
        30 => "over the last month".into(),
        1 => "over the last day".into(),
        d => format!("over the last {d} days"),
    }
}

/// "in the last week".
fn in_the_last(days: i64) -> String {
    over_days(days).replacen("over", "in", 1)
}

/// The window of a measure, for a sentence about missing readings.
fn over(measure: &Measure) -> String {
    let days = match measure {
        Measure::Mean { days, .. }
        | Measure::Spread { days, .. }
        | Measure::Min { days, .. }
        | Measure::Max { days, .. }
        | Measure::Trend { days, .. }
        | Measure::Relative { days, .. }
        | Measure::OnShare { days, .. }
        | Measure::Cycles { days, .. } => *days,
        _ => SHORT_DAYS,
    };
    over_days(days)
}

fn describe_plain(measure: &Measure) -> String {
    crate::features::Feature {
        name: String::new(),
        measure: measure.clone(),
    }
    .describe()
}

/// "3 times", "2.5 times", "twice".
fn times(ratio: f64) -> String {
    let r = significant(ratio);
    match r.as_str() {
        "2" => "twice".into(),
        _ => format!("{r} times"),
    }
}

/// "23 years", "1 year", "8 months".
fn years(days: f64) -> String {
    let years = days / 365.25;
    if years >= 1.5 {
        format!("{:.0} years", years)
    } else if years >= 0.95 {
        "1 year".into()
    } else {
        let months = (days / 30.44).round().max(1.0) as u64;
        count(months as f64, "month", "months")
    }
}

/// "12 days", "3 months".
fn span(days: f64) -> String {
    if days < 60.0 {
        count(days.round(), "day", "days")
    } else {
        count((days / 30.44).round(), "month", "months")
    }
}

/// "1 alarm", "3 alarms"; a fraction (an average) keeps two digits.
fn count(n: f64, one: &str, many: &str) -> String {
    let shown = significant(n);
    format!("{shown} {}", if shown == "1" { one } else { many })
}

/// " (the co-op's average is 0.2)".
fn average(normal: Option<f64>) -> String {
    normal.map_or(String::new(), |n| {
        format!(" (the co-op's average is {})", significant(n))
    })
}

/// A number to two significant digits, without trailing zeros (`1.1`, `0.03`, `33`, `140`).
fn significant(v: f64) -> String {
    if !v.is_finite() {
        return "?".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (1 - magnitude).clamp(0, 6) as usize;
    let text = if decimals == 0 {
        let step = 10f64.powi((magnitude - 1).max(0));
        format!("{:.0}", (v / step).round() * step)
    } else {
        format!("{v:.decimals$}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    if text == "-0" { "0".into() } else { text }
}

/// An amount with its unit as people write it: `1.1 bar`, `40%`, `3.2 an hour`.
fn with_unit(v: f64, unit: &str) -> String {
    let n = significant(v);
    match unit {
        "" | "state" => n,
        "%" => format!("{n}%"),
        "1/h" | "cycles/h" | "trips/h" => format!("{n} an hour"),
        u => format!("{n} {u}"),
    }
}

/// The top drivers of each row's probability (occlusion: each feature set to the
/// fleet's average in turn), each adding at least half a point, with its sentence.
/// Two features that say the same (the season's sine and cosine) are shown once.
pub fn drivers(
    model: &Model,
    features: &FeatureSet,
    history: &History,
    daily: &DailyTable,
    rows: &[AsOf],
    x: &Array2<f64>,
) -> Vec<Vec<Driver>> {
    let base = model.probabilities(x);
    let candidates: Vec<usize> = (0..features.features.len())
        .filter(|&j| !matches!(features.features[j].measure, Measure::IsKind { .. }))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for (r, at) in rows.iter().enumerate() {
        let row = x.row(r).to_owned();
        let mut probe = Array2::zeros((candidates.len(), row.len()));
        for (k, &j) in candidates.iter().enumerate() {
            probe.row_mut(k).assign(&row);
            probe[[k, j]] = model.preprocess.mean[j];
        }
        let without = model.probabilities(&probe);
        let mut raising: Vec<(usize, f64)> = candidates
            .iter()
            .zip(without)
            .map(|(&j, p)| (j, base[r] - p))
            .filter(|(_, c)| *c >= SHOWN_FROM)
            .collect();
        raising.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut found: Vec<Driver> = Vec::new();
        // Only for the drivers shown: finding the sensor recomputes its windows.
        for (j, contribution) in raising {
            if found.len() == TOP_DRIVERS {
                break;
            }
            let f = &features.features[j];
            let value = row[j].is_finite().then_some(row[j]);
            let normal = normal_value(&f.measure, daily, at).or(Some(model.preprocess.mean[j]));
            let source = features.source(history, daily, *at, &f.measure);
            let facts = &history.equipment[at.equipment];
            let channel = source.as_ref().map(|s| s.channel.as_str());
            let unit = channel
                .and_then(|c| facts.channels.iter().find(|ch| ch.name == c))
                .map(|ch| ch.unit.as_str())
                .unwrap_or("");
            let signed = source.as_ref().and_then(|s| s.signed);
            let scale = source.as_ref().and_then(|s| s.scale);
            let in_sd = matches!(
                f.measure,
                Measure::Relative { .. }
                    | Measure::Strongest { .. }
                    | Measure::SiblingDeparture { .. }
            ) && !matches!(
                f.measure,
                Measure::Relative {
                    stat: Relative::SpreadRatio,
                    ..
                } | Measure::Strongest {
                    stat: Relative::SpreadRatio,
                    ..
                }
            );
            let wording = Wording {
                measure: &f.measure,
                kind: &facts.kind,
                siblings: history.siblings_of(at.equipment),
                channel,
                unit,
                value,
                signed,
                normal,
                scale,
            };
            let sentence = sentence(&wording);
            if found.iter().any(|d| d.sentence == sentence) {
                continue;
            }
            found.push(Driver {
                feature: f.name.clone(),
                description: f.describe(),
                sensor: f
                    .measure
                    .channel()
                    .is_none()
                    .then(|| channel.map(str::to_owned))
                    .flatten(),
                value,
                normal,
                contribution,
                unit: channel.map(|_| unit.to_owned()),
                in_units: if in_sd {
                    signed.or(value).zip(scale).map(|(v, s)| v * s)
                } else {
                    None
                },
                usual_spread: scale,
                sentence,
            });
        }
        out.push(found);
    }
    out
}

/// The equipment's own normal for a sensor feature.
fn normal_value(measure: &Measure, daily: &DailyTable, at: &AsOf) -> Option<f64> {
    let normal = |c: &str| channel_normal(daily, at.equipment, c, at.day);
    match measure {
        Measure::Mean { channel, .. } | Measure::OnShare { channel, .. } => {
            normal(channel).map(|w| w.mean)
        }
        Measure::Spread { channel, .. } => normal(channel).map(|w| w.spread),
        Measure::Min { channel, .. } => normal(channel).map(|w| w.min),
        Measure::Max { channel, .. } => normal(channel).map(|w| w.max),
        Measure::Trend { channel, .. } => normal(channel).map(|_| 0.0),
        Measure::Cycles { channel, .. } => normal(channel).map(|w| w.changes_per_day),
        Measure::Relative { stat, .. } | Measure::Strongest { stat, .. } => Some(match stat {
            Relative::SpreadRatio => 1.0,
            _ => 0.0,
        }),
        Measure::CyclingRise { .. } => Some(1.0),
        Measure::SiblingDeparture { .. } => Some(0.0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A driver's facts in short: the measure, the sensor and the numbers.
    struct Input {
        measure: Measure,
        kind: &'static str,
        channel: Option<&'static str>,
        unit: &'static str,
        value: Option<f64>,
        signed: Option<f64>,
        normal: Option<f64>,
        scale: Option<f64>,
    }

    fn input(measure: Measure) -> Input {
        Input {
            measure,
            kind: "boiler",
            channel: None,
            unit: "",
            value: None,
            signed: None,
            normal: None,
            scale: None,
        }
    }

    impl Input {
        fn sensor(mut self, channel: &'static str, unit: &'static str) -> Self {
            self.channel = Some(channel);
            self.unit = unit;
            self
        }
        fn kind(mut self, kind: &'static str) -> Self {
            self.kind = kind;
            self
        }
        fn value(mut self, v: f64) -> Self {
            self.value = Some(v);
            self
        }
        fn signed(mut self, v: f64) -> Self {
            self.signed = Some(v);
            self
        }
        fn normal(mut self, v: f64) -> Self {
            self.normal = Some(v);
            self
        }
        fn scale(mut self, v: f64) -> Self {
            self.scale = Some(v);
            self
        }
    }

    /// Renders each input's sentence, one a line, against the expected lines.
    fn check(inputs: Vec<Input>, expect: &str) {
        let shown: Vec<String> = inputs
            .iter()
            .map(|i| {
                sentence(&Wording {
                    measure: &i.measure,
                    kind: i.kind,
                    siblings: 2,
                    channel: i.channel,
                    unit: i.unit,
                    value: i.value,
                    signed: i.signed,
                    normal: i.normal,
                    scale: i.scale,
                })
            })
            .collect();
        assert_eq!(shown.join("\n"), expect.trim());
    }

    fn relative(stat: Relative, days: i64) -> Measure {
        Measure::Relative {
            channel: "pressure".into(),
            stat,
            days,
        }
    }

    #[test]
    fn departures_in_standard_deviations_read_in_the_sensors_unit() {
        check(
            vec![
                input(Measure::SiblingDeparture { days: 7 })
                    .sensor("pressure", "bar")
                    .value(10.23)
                    .signed(10.23)
                    .normal(0.0)
                    .scale(0.108),
                input(Measure::SiblingDeparture { days: 3 })
                    .kind("circulation_pump")
                    .sensor("vibration_rms", "mm/s")
                    .value(4.0)
                    .signed(-4.0)
                    .scale(0.5),
                input(relative(Relative::Mean, 7))
                    .sensor("pressure", "bar")
                    .value(-3.0)
                    .scale(0.1),
                input(Measure::Strongest {
                    stat: Relative::Mean,
                    days: 3,
                })
                .sensor("supply_temperature", "°C")
                .value(2.5)
                .signed(2.5)
                .scale(2.0),
                input(relative(Relative::Peak, 7))
                    .sensor("pressure", "bar")
                    .value(6.0)
                    .scale(0.1),
                input(Measure::Strongest {
                    stat: Relative::Peak,
                    days: 7,
                })
                .kind("sump_pump")
                .sensor("water_level", "cm")
                .value(5.0)
                .signed(-5.0)
                .scale(3.0),
                input(relative(Relative::Trough, 7))
                    .sensor("pressure", "bar")
                    .value(-2.0)
                    .scale(0.05),
                input(Measure::Strongest {
                    stat: Relative::SpreadRatio,
                    days: 7,
                })
                .kind("elevator")
                .sensor("door_cycle_time", "s")
                .value(3.2)
                .signed(3.2)
                .scale(0.4),
                input(relative(Relative::SpreadRatio, 7))
                    .sensor("pressure", "bar")
                    .value(0.3)
                    .scale(0.1),
                input(Measure::Strongest {
                    stat: Relative::Trend,
                    days: 30,
                })
                .kind("circulation_pump")
                .sensor("vibration_rms", "mm/s")
                .value(1.42)
                .signed(1.42)
                .scale(0.3),
                input(relative(Relative::Trend, 30))
                    .sensor("pressure", "bar")
                    .value(-0.2)
                    .scale(0.1),
            ],
            r#"
Boiler pressure has been about 1.1 bar above the other two boilers' for a week (usually within 0.11).
Circulation pump vibration has been about 2 mm/s below the other two circulation pumps' for 3 days (usually within 0.5).
Boiler pressure has been about 0.3 bar below its usual level for a week (usually within 0.1).
Boiler supply temperature has been about 5 °C above its usual level for 3 days (usually within 2).
Boiler pressure rose to about 0.6 bar above its usual level in the last week (usually within 0.1).
Sump pump water level dropped to about 15 cm below its usual level in the last week (usually within 3).
Boiler pressure dropped to about 0.1 bar below its usual level in the last week (usually within 0.05).
Elevator door cycle time has been 3.2 times as unsteady as usual over the last week (swinging by about 1.3 s, usually 0.4).
Boiler pressure has barely moved over the last week (swinging by about 0.03 bar, usually 0.1).
Circulation pump vibration has been rising by about 0.43 mm/s a day over the last month (usually within 0.3).
Boiler pressure has been falling by about 0.02 bar a day over the last month (usually within 0.1).
"#,
        );
    }

    #[test]
    fn on_off_sensors_and_raw_levels() {
        check(
            vec![
                input(Measure::CyclingRise { days: 7 })
                    .sensor("run_state", "state")
                    .value(2.0)
                    .signed(2.0),
                input(Measure::CyclingRise { days: 7 })
                    .kind("leak_zone")
                    .sensor("water_leak", "state")
                    .value(3.5)
                    .signed(3.5),
                input(Measure::OnShare {
                    channel: "run_state".into(),
                    days: 7,
                })
                .sensor("run_state", "state")
                .value(0.85)
                .normal(0.4),
                input(Measure::OnShare {
                    channel: "water_leak".into(),
                    days: 30,
                })
                .kind("leak_zone")
                .sensor("water_leak", "state")
                .value(0.02)
                .normal(0.0),
                input(Measure::Cycles {
                    channel: "run_state".into(),
                    days: 7,
                })
                .sensor("run_state", "state")
                .value(14.3)
                .normal(6.0),
                input(Measure::Mean {
                    channel: "s11".into(),
                    days: 7,
                })
                .kind("turbofan")
                .sensor("s11", "")
                .value(47.53)
                .normal(47.2),
                input(Measure::Spread {
                    channel: "supply_temperature".into(),
                    days: 30,
                })
                .sensor("supply_temperature", "°C")
                .value(3.21)
                .normal(1.0),
                input(Measure::Min {
                    channel: "pressure".into(),
                    days: 7,
                })
                .sensor("pressure", "bar")
                .value(0.62)
                .normal(1.1),
                input(Measure::Max {
                    channel: "burner_cycles".into(),
                    days: 7,
                })
                .sensor("burner_cycles", "1/h")
                .value(9.0)
                .normal(4.0),
                input(Measure::Trend {
                    channel: "humidity".into(),
                    days: 30,
                })
                .kind("air_handler")
                .sensor("humidity", "%")
                .value(0.4),
                input(relative(Relative::Mean, 7)).sensor("pressure", "bar"),
            ],
            r#"
The boiler has been starting and stopping twice as often as usual over the last week.
The leak zone's leak sensor has been switching 3.5 times as often as usual over the last week.
The boiler has been running 85% of the time over the last week (usually 40%).
The leak zone's leak sensor has found water 2% of the time over the last month (usually 0%).
The boiler has started or stopped 14 times a day over the last week (usually 6).
Turbofan s11 has averaged 48 over the last week (usually 47).
Boiler supply temperature has varied by about 3.2 °C over the last month (usually 1).
Boiler pressure fell as low as 0.62 bar in the last week (usually no lower than 1.1).
Boiler burner starts rose as high as 9 an hour in the last week (usually no higher than 4).
Air handler humidity has been rising by about 0.4% a day over the last month (usually steady).
Boiler pressure has had no readings over the last week.
"#,
        );
    }

    #[test]
    fn history_age_and_sensor_health() {
        check(
            vec![
                input(Measure::Age).value(8400.0).normal(4000.0),
                input(Measure::Age).kind("heat_pump").value(200.0),
                input(Measure::SinceMaintenance).value(365.0),
                input(Measure::SinceMaintenance).value(240.0),
                input(Measure::SinceFailure).value(12.0),
                input(Measure::SinceFailure).value(365.0),
                input(Measure::Alarms).value(3.0).normal(0.21),
                input(Measure::Alarms).value(1.0),
                input(Measure::ResidentReports)
                    .kind("dhw_heater")
                    .value(2.0),
                input(Measure::MissingShare).value(0.35).normal(0.02),
                input(Measure::StuckChannels).value(1.0),
                input(Measure::StuckChannels).value(2.0),
                input(Measure::SeasonSin).value(0.5),
                input(Measure::SeasonCos)
                    .kind("circulation_pump")
                    .value(0.5),
                input(Measure::Alarms),
            ],
            r#"
The boiler is 23 years old (the co-op's equipment averages 11 years).
The heat pump is 7 months old.
The boiler has had no maintenance in over a year.
The boiler was last maintained 8 months ago.
The boiler failed 12 days ago.
The boiler has not failed in over a year.
The boiler raised 3 alarms in the last 30 days (the co-op's average is 0.21).
The boiler raised 1 alarm in the last 30 days.
Residents reported 2 problems with the hot-water heater in the last 30 days.
The boiler's sensors missed 35% of their readings over the last week (the co-op's average is 2%).
One of the boiler's sensors has shown the same value for two days.
2 of the boiler's sensors have shown the same value for two days.
Boilers fail more often at this time of year.
Circulation pumps fail more often at this time of year.
The boiler: alarms over 30 days is not known.
"#,
        );
    }

    #[test]
    fn numbers_keep_two_significant_digits() {
        let shown: Vec<String> = [1.08, 0.1, 0.0333, 33.09, 140.4, 1234.0, 9.96, -0.004, 0.0]
            .map(significant)
            .to_vec();
        assert_eq!(
            shown,
            [
                "1.1", "0.1", "0.033", "33", "140", "1200", "10", "-0.004", "0"
            ]
        );
    }
}
