//! Features never look past their as-of time, folds never train on a label whose
//! horizon reaches past the cut-off, labels follow their rules, learners learn.

use caretaker_core::{EquipmentId, Event, EventKind, Timestamp};
use caretaker_models::backtest::{BacktestConfig, folds, test_rows, train_rows};
use caretaker_models::daily::DailyTable;
use caretaker_models::dataset::Samples;
use caretaker_models::features::{AsOf, FeatureSet, as_of_day};
use caretaker_models::history::{Channel, DAY_MS, EquipmentFacts, History};
use caretaker_models::labels::{Outcome, Timeline};
use caretaker_models::learners::{Algorithm, Model};
use caretaker_models::metrics::roc_auc;
use ndarray::Array2;
use polars::prelude::*;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DAYS: i64 = 160;
const START_DAY: i64 = 19_000;

fn equipment(id: &str, kind: &str) -> EquipmentFacts {
    EquipmentFacts {
        id: EquipmentId::parse(id).unwrap(),
        kind: kind.into(),
        name: id.into(),
        installed_day: START_DAY - 400,
        channels: vec![
            Channel {
                name: "supply_temperature".into(),
                binary: false,
                readings_per_day: 24.0,
                unit: "°C".into(),
            },
            Channel {
                name: "run_state".into(),
                binary: true,
                readings_per_day: 24.0,
                unit: "state".into(),
            },
        ],
    }
}

fn event(day: f64, equipment: &str, kind: EventKind) -> Event {
    Event {
        ts: Timestamp::from_millis((day * DAY_MS as f64) as i64),
        equipment: EquipmentId::parse(equipment).unwrap(),
        kind,
        code: None,
        description: String::new(),
        cost: None,
        unit: None,
    }
}

/// Two boilers, hourly readings with gaps, a failure and repairs; readings before `until_ms` only.
fn history(seed: u64, until_ms: i64) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut eq, mut ch, mut ts, mut val) = (vec![], vec![], vec![], vec![]);
    for (e, id) in ["A-BLR-1", "B-BLR-1"].iter().enumerate() {
        for hour in 0..DAYS * 24 {
            if rng.gen_bool(0.1) {
                continue;
            }
            let t = START_DAY * DAY_MS + hour * 3_600_000 + rng.gen_range(0..3_600_000);
            let drift = if e == 0 && hour > 100 * 24 {
                0.05 * (hour - 2400) as f64 / 24.0
            } else {
                0.0
            };
            for (channel, value) in [
                (
                    "supply_temperature",
                    70.0 + drift + rng.gen_range(-2.0..2.0),
                ),
                ("run_state", f64::from(u8::from(rng.gen_bool(0.5)))),
            ] {
                eq.push(id.to_string());
                ch.push(channel.to_string());
                ts.push(t);
                val.push(value);
            }
        }
    }
    let all_events = vec![
        event(
            START_DAY as f64 + 20.5,
            "A-BLR-1",
            EventKind::PreventiveMaintenance,
        ),
        event(START_DAY as f64 + 40.2, "B-BLR-1", EventKind::Alarm),
        event(START_DAY as f64 + 120.3, "A-BLR-1", EventKind::Failure),
        event(
            START_DAY as f64 + 121.0,
            "A-BLR-1",
            EventKind::CorrectiveMaintenance,
        ),
        event(
            START_DAY as f64 + 90.0,
            "B-BLR-1",
            EventKind::ResidentReport,
        ),
    ];
    History {
        equipment: vec![
            equipment("A-BLR-1", "boiler"),
            equipment("B-BLR-1", "sump_pump"),
        ],
        readings: df!("equipment" => eq, "channel" => ch, "ts" => ts, "value" => val)
            .unwrap()
            .lazy(),
        sensor_daily: None,
        sensor_map: None,
        events: all_events
            .into_iter()
            .filter(|e| e.ts.millis() < until_ms)
            .collect(),
        start_day: START_DAY,
        end_day: START_DAY + DAYS,
        seasonal: true,
        comparable_levels: false,
    }
}

fn same(a: &Array2<f64>, b: &Array2<f64>) -> bool {
    a.shape() == b.shape()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| (x.is_nan() && y.is_nan()) || x == y)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Features as of t are the same whether or not the store holds data after t,
    /// for a single forecast at any time and for the day-aligned rows of a batch.
    #[test]
    fn features_do_not_look_past_their_time(seed in 0u64..1000, offset_ms in 31 * DAY_MS..(DAYS - 1) * DAY_MS) {
        let t = START_DAY * DAY_MS + offset_ms;
        let full = history(seed, i64::MAX);
        let cut = history(seed, t);
        let features = FeatureSet::for_history(&full);
        let rows: Vec<AsOf> = (0..2).map(|e| AsOf { equipment: e, day: as_of_day(t) }).collect();
        let with_future = features.compute(&full, &DailyTable::compute(&full, t).unwrap(), &rows);
        let without = features.compute(&cut, &DailyTable::compute(&cut, t).unwrap(), &rows);
        prop_assert!(same(&with_future, &without));

        // A batch over all the data (as backtests compute it), at midnight.
        let day = t.div_euclid(DAY_MS);
        let rows: Vec<AsOf> = (0..2).map(|e| AsOf { equipment: e, day }).collect();
        let batch = features.compute(&full, &DailyTable::compute(&full, i64::MAX).unwrap(), &rows);
        let cut = history(seed, day * DAY_MS);
        let alone = features.compute(&cut, &DailyTable::compute(&cut, day * DAY_MS).unwrap(), &rows);
        prop_assert!(same(&batch, &alone));
        prop_assert!(batch.iter().any(|v| v.is_finite()));
    }

    /// No training label's horizon reaches past its fold's cut-off; tests start at it.
    #[test]
    fn folds_never_train_on_the_future(
        start in 0i64..100, length in 300i64..1200, horizon in 1i64..90,
        min_train in 60i64..400, fold_days in 10i64..120, step in 1i64..5,
    ) {
        let config = BacktestConfig { horizon_days: horizon, step_days: step, min_train_days: min_train, fold_days, ..BacktestConfig::default() };
        let rows: Vec<AsOf> = (start..start + length).step_by(step as usize)
            .flat_map(|day| (0..3).map(move |equipment| AsOf { equipment, day })).collect();
        let samples = Samples::dense(rows.clone(), Array2::zeros((rows.len(), 1)), vec![false; rows.len()]);
        for fold in folds(start, start + length, &config) {
            for i in train_rows(&samples, &fold, horizon) {
                prop_assert!(samples.rows[i].day + horizon <= fold.cutoff_day);
            }
            for i in test_rows(&samples, &fold) {
                prop_assert!(samples.rows[i].day >= fold.cutoff_day);
                prop_assert!(samples.rows[i].day < fold.test_end_day);
            }
            prop_assert!(fold.cutoff_day + horizon < start + length);
        }
    }
}

#[test]
fn labels_follow_the_rules() {
    let h = history(1, i64::MAX);
    let timelines = Timeline::for_history(&h);
    let end = h.end_day * DAY_MS;
    let at = |d: f64| ((START_DAY as f64 + d) * DAY_MS as f64) as i64;
    // Failure on day 120.3, repaired on day 121.
    assert_eq!(timelines[0].outcome(at(100.0), 30, end), Outcome::Fails);
    assert_eq!(timelines[0].outcome(at(90.0), 30, end), Outcome::Survives);
    assert_eq!(timelines[0].outcome(at(120.5), 30, end), Outcome::Down);
    assert_eq!(timelines[0].outcome(at(121.5), 30, end), Outcome::Survives);
    // Data end: the horizon must fit.
    assert_eq!(timelines[1].outcome(at(140.0), 30, end), Outcome::Censored);

    // A fault found and repaired before it failed censors the window.
    let mut h2 = history(1, i64::MAX);
    h2.events.push(event(
        START_DAY as f64 + 110.0,
        "A-BLR-1",
        EventKind::CorrectiveMaintenance,
    ));
    h2.events.sort_by_key(|e| e.ts);
    let t2 = Timeline::for_history(&h2);
    assert_eq!(t2[0].outcome(at(100.0), 30, end), Outcome::Censored);
    assert_eq!(t2[0].outcome(at(111.0), 30, end), Outcome::Fails);
}

#[test]
fn learners_rank_an_obvious_signal_and_survive_a_round_trip() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let n = 1200;
    let mut x = Array2::zeros((n, 4));
    let mut y = Vec::new();
    for i in 0..n {
        let fails = rng.gen_bool(0.08);
        x[[i, 0]] = rng.gen_range(0.0..1.0) + if fails { 1.0 } else { 0.0 };
        x[[i, 1]] = rng.gen_range(0.0..1.0);
        x[[i, 2]] = if rng.gen_bool(0.1) {
            f64::NAN
        } else {
            rng.gen_range(0.0..1.0)
        };
        x[[i, 3]] = 5.0;
        y.push(fails);
    }
    for algorithm in Algorithm::ALL {
        let model = Model::fit(algorithm, &x, &y, 7, &[]).unwrap();
        let p = model.probabilities(&x);
        assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{algorithm:?}");
        let auc = roc_auc(&p, &y).unwrap();
        assert!(auc > 0.9, "{algorithm:?}: ROC-AUC {auc}");
        let json = serde_json::to_string(&model).unwrap();
        let back: Model = serde_json::from_str(&json).unwrap();
        assert_eq!(back.probabilities(&x), p, "{algorithm:?}");
        assert_eq!(model.algorithm(), algorithm);
    }
    let only_survivors = vec![false; n];
    assert!(Model::fit(Algorithm::RandomForest, &x, &only_survivors, 7, &[]).is_err());
}

#[test]
fn calibration_never_reverses_a_ranking() {
    use caretaker_models::calibration::Calibrator;
    let scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    let labels = [true, true, false, false, false, false];
    // Platt alone slopes the wrong way on these few cases...
    assert!(matches!(
        Calibrator::fit_platt(&scores, &labels),
        Calibrator::Platt { a, .. } if a > 0.0
    ));
    // ...the calibrator the learners use keeps their order.
    let p = Calibrator::fit_increasing(&scores, &labels).apply_all(&scores);
    assert!(p.windows(2).all(|w| w[0] <= w[1]), "{p:?}");
}

#[test]
fn a_feature_over_several_sensors_names_the_one_it_comes_from() {
    let until = (START_DAY + DAYS) * DAY_MS;
    let h = history(5, until);
    let daily = DailyTable::compute(&h, until).unwrap();
    let features = FeatureSet::for_history(&h);
    // The first boiler's supply temperature drifts upwards from day 100.
    let at = AsOf {
        equipment: 0,
        day: START_DAY + 115,
    };
    let x = features.compute(&h, &daily, &[at]);
    let column = |name: &str| {
        let j = features.names().iter().position(|n| n == name);
        (j.unwrap(), x[[0, j.unwrap()]])
    };
    let (trend, strongest) = column("strongest_trend_30d");
    let (_, own) = column("supply_temperature.trend_vs_normal_30d");
    assert!(own > 0.0 && strongest == own.abs(), "{strongest} {own}");
    let source = |j: usize| features.source(&h, &daily, at, &features.features[j].measure);
    let from_trend = source(trend).unwrap();
    assert_eq!(from_trend.channel, "supply_temperature");
    // With its sign (rising), and the normal's spread to put it in degrees.
    assert_eq!(from_trend.signed, Some(own));
    assert!(from_trend.scale.is_some_and(|s| s > 0.0));
    let (cycling, rise) = column("cycling_rise_7d");
    assert!(rise.is_finite());
    assert_eq!(source(cycling).unwrap().channel, "run_state");
    // A feature of no sensor names none; one of one sensor names it, unsigned.
    let (age, _) = column("age_days");
    assert_eq!(source(age), None);
    let (one, _) = column("supply_temperature.trend_vs_normal_30d");
    let own_source = source(one).unwrap();
    assert_eq!(own_source.channel, "supply_temperature");
    assert_eq!(own_source.signed, None);
}
