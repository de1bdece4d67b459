//! Evaluation metrics for failure forecasts.
//!
//! Conventions shared by every function here:
//! - `labels[i]` is `true` when the equipment failed within the horizon (a positive case).
//! - Inputs of unequal length are a caller bug: debug builds assert, release builds use the
//!   shortest length and ignore the extra tail.
//! - A NaN score ranks below every other score (ties with `-inf`). In the Brier score and
//!   calibration bins a NaN probability counts as 0.
//! - Nothing panics on empty input; undefined quantities are `None` instead.

use std::collections::BTreeMap;

/// Area under the ROC curve; ties get half credit (Mann-Whitney). None when labels hold only one class.
///
/// Equal to the probability that a random positive scores above a random negative, counting
/// tied pairs as one half (scikit-learn's `roc_auc_score`).
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let counts = cumulative_counts(scores, labels);
    let last = counts.last()?;
    let (positives, negatives) = (last.true_positives, last.false_positives);
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut previous = ThresholdCounts::default();
    let mut concordant = 0.0;
    for current in &counts {
        let new_negatives = (current.false_positives - previous.false_positives) as f64;
        let tied_positives = (current.true_positives - previous.true_positives) as f64;
        concordant += new_negatives * (previous.true_positives as f64 + tied_positives / 2.0);
        previous = *current;
    }
    Some(concordant / (positives as f64 * negatives as f64))
}

/// PR-AUC as average precision (scikit-learn's `average_precision_score`: sum over thresholds of (R_n - R_{n-1}) P_n, tied scores form one threshold). None without positives.
pub fn average_precision(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let counts = cumulative_counts(scores, labels);
    let positives = counts.last()?.true_positives;
    if positives == 0 {
        return None;
    }
    let mut previous_true_positives = 0;
    let mut area = 0.0;
    for current in &counts {
        let recall_gain = (current.true_positives - previous_true_positives) as f64;
        let flagged = (current.true_positives + current.false_positives) as f64;
        area += recall_gain * current.true_positives as f64 / flagged;
        previous_true_positives = current.true_positives;
    }
    Some(area / positives as f64)
}

/// Mean squared difference between probability and outcome. None for empty input.
///
/// Outcomes count as 1 (failed) or 0; a NaN probability counts as 0.
pub fn brier_score(probabilities: &[f64], labels: &[bool]) -> Option<f64> {
    let len = paired_len(probabilities.len(), labels.len());
    if len == 0 {
        return None;
    }
    let total: f64 = probabilities[..len]
        .iter()
        .zip(&labels[..len])
        .map(|(&probability, &label)| (probability_value(probability) - outcome(label)).powi(2))
        .sum();
    Some(total / len as f64)
}

/// Counts at a threshold: predicted positive when score >= threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Confusion {
    /// Failures that were flagged.
    pub true_positives: usize,
    /// Flagged cases that did not fail.
    pub false_positives: usize,
    /// Unflagged cases that did not fail.
    pub true_negatives: usize,
    /// Failures that were missed.
    pub false_negatives: usize,
}

impl Confusion {
    /// Tallies cases flagged by `score >= threshold`; NaN scores (and a NaN threshold) rank lowest,
    /// so a NaN score is only flagged when the threshold is `-inf` or NaN.
    pub fn at_threshold(scores: &[f64], labels: &[bool], threshold: f64) -> Self {
        let len = paired_len(scores.len(), labels.len());
        let cut = rank_key(threshold);
        let mut confusion = Self::default();
        for (&score, &label) in scores[..len].iter().zip(&labels[..len]) {
            confusion.record(rank_key(score) >= cut, label);
        }
        confusion
    }

    /// TP / (TP + FP); None when nothing predicted positive.
    pub fn precision(&self) -> Option<f64> {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// TP / (TP + FN); None without positives.
    pub fn recall(&self) -> Option<f64> {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// 2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall; None without
    /// positives, 0 when there are positives but nothing is flagged.
    pub fn f1(&self) -> Option<f64> {
        self.recall()?;
        ratio(
            2 * self.true_positives,
            2 * self.true_positives + self.false_positives + self.false_negatives,
        )
    }

    fn record(&mut self, predicted_positive: bool, label: bool) {
        match (predicted_positive, label) {
            (true, true) => self.true_positives += 1,
            (true, false) => self.false_positives += 1,
            (false, false) => self.true_negatives += 1,
            (false, true) => self.false_negatives += 1,
        }
    }
}

/// The threshold (one of the scores) that maximises F1 on these scores; None without positives.
///
/// Cases with `score >= threshold` are flagged. Among equally good thresholds the highest
/// (fewest flags) wins. When flagging the NaN-scored cases is best, returns `-inf`.
pub fn best_f1_threshold(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let counts = cumulative_counts(scores, labels);
    let positives = counts.last()?.true_positives;
    if positives == 0 {
        return None;
    }
    let mut best: Option<(f64, f64)> = None;
    for current in &counts {
        // 2TP / (2TP + FP + FN) with FN = positives - TP.
        let f1 = 2.0 * current.true_positives as f64
            / (current.true_positives + current.false_positives + positives) as f64;
        if best.is_none_or(|(best_f1, _)| f1 > best_f1) {
            best = Some((f1, current.threshold));
        }
    }
    best.map(|(_, threshold)| threshold)
}

/// Precision and recall when, in each group (e.g. a calendar month), the `k` highest scores are flagged
/// (the committee's capacity). Ties at the cut broken by input order. Returns (precision, recall); each None when undefined.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AtCapacity {
    /// Cases flagged per group at most.
    pub k: usize,
    /// Cases flagged over all groups (a group smaller than `k` flags all its cases).
    pub flagged: usize,
    /// Share of flagged cases that failed; None when nothing was flagged.
    pub precision: Option<f64>,
    /// Share of all failures that were flagged; None without positives.
    pub recall: Option<f64>,
}

/// Flags the `k` highest-scoring cases of every group and scores that policy (see [`AtCapacity`]).
///
/// Earlier cases win ties at the cut; NaN scores rank lowest.
pub fn at_capacity(scores: &[f64], labels: &[bool], groups: &[i64], k: usize) -> AtCapacity {
    let len = paired_len(paired_len(scores.len(), labels.len()), groups.len());
    let mut members: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (index, &group) in groups[..len].iter().enumerate() {
        members.entry(group).or_default().push(index);
    }
    let mut flagged = 0;
    let mut flagged_failures = 0;
    for indices in members.values_mut() {
        sort_descending_by_score(indices, scores);
        for &index in indices.iter().take(k) {
            flagged += 1;
            flagged_failures += usize::from(labels[index]);
        }
    }
    let positives = labels[..len].iter().filter(|&&label| label).count();
    AtCapacity {
        k,
        flagged,
        precision: ratio(flagged_failures, flagged),
        recall: ratio(flagged_failures, positives),
    }
}

/// One bin of a reliability table.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalibrationBin {
    /// Lowest predicted probability in the bin.
    pub lower: f64,
    /// Highest predicted probability in the bin.
    pub upper: f64,
    /// Cases in the bin.
    pub count: usize,
    /// Mean predicted probability of the bin's cases.
    pub mean_predicted: f64,
    /// Share of the bin's cases that failed.
    pub observed_rate: f64,
}

/// Equal-count bins (deciles when bins = 10) by predicted probability, lowest first; fewer bins when there are fewer cases; empty input gives no bins.
///
/// With `n` cases, bin `i` holds the sorted cases `i * n / bins .. (i + 1) * n / bins`, so
/// sizes differ by at most one and equal probabilities may straddle a boundary (input order
/// decides). `bins == 0` gives no bins; a NaN probability counts as 0.
pub fn calibration_bins(
    probabilities: &[f64],
    labels: &[bool],
    bins: usize,
) -> Vec<CalibrationBin> {
    let len = paired_len(probabilities.len(), labels.len());
    let bins = bins.min(len);
    if bins == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&i, &j| {
        probability_value(probabilities[i]).total_cmp(&probability_value(probabilities[j]))
    });
    (0..bins)
        .map(|bin| {
            let members = &order[bin * len / bins..(bin + 1) * len / bins];
            summarise_bin(members, probabilities, labels)
        })
        .collect()
}

/// One point of a precision–recall curve: flagging every case scored at least
/// some threshold catches `recall` of the failures, and `precision` of the
/// flagged cases fail.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrPoint {
    /// Share of all failures among the flagged cases.
    pub recall: f64,
    /// Share of flagged cases that failed.
    pub precision: f64,
}

/// The precision–recall curve, highest threshold first, thinned to at most
/// `max_points` (evenly by rank, the last point, every case flagged, always kept);
/// empty without failures.
pub fn precision_recall_curve(scores: &[f64], labels: &[bool], max_points: usize) -> Vec<PrPoint> {
    let counts = cumulative_counts(scores, labels);
    let positives = counts.last().map_or(0, |c| c.true_positives);
    if positives == 0 || max_points == 0 {
        return Vec::new();
    }
    let point = |c: &ThresholdCounts| PrPoint {
        recall: c.true_positives as f64 / positives as f64,
        precision: c.true_positives as f64 / (c.true_positives + c.false_positives) as f64,
    };
    let n = counts.len();
    let step = n.div_ceil(max_points).max(1);
    let mut points: Vec<PrPoint> = counts.iter().step_by(step).map(point).collect();
    let last_kept = (n - 1) / step * step;
    if last_kept != n - 1 {
        if points.len() == max_points {
            points.pop();
        }
        points.push(point(&counts[n - 1]));
    }
    points
}

/// All of the above for one model on one test set, serialisable into a report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scorecard {
    /// Cases scored.
    pub cases: usize,
    /// Cases that failed.
    pub positives: usize,
    /// See [`roc_auc`].
    pub roc_auc: Option<f64>,
    /// See [`average_precision`].
    pub pr_auc: Option<f64>,
    /// See [`brier_score`].
    pub brier: Option<f64>,
    /// See [`at_capacity`].
    pub at_capacity: AtCapacity,
    /// Deciles from [`calibration_bins`].
    pub calibration: Vec<CalibrationBin>,
}

impl Scorecard {
    /// probabilities are calibrated probabilities; groups and k as in `at_capacity`; deciles for calibration.
    pub fn compute(probabilities: &[f64], labels: &[bool], groups: &[i64], k: usize) -> Self {
        let len = paired_len(probabilities.len(), labels.len());
        let (probabilities, labels) = (&probabilities[..len], &labels[..len]);
        Self {
            cases: len,
            positives: labels.iter().filter(|&&label| label).count(),
            roc_auc: roc_auc(probabilities, labels),
            pr_auc: average_precision(probabilities, labels),
            brier: brier_score(probabilities, labels),
            at_capacity: at_capacity(probabilities, labels, groups, k),
            calibration: calibration_bins(probabilities, labels, 10),
        }
    }
}

/// Cumulative counts of cases with `score >= threshold`, for one distinct threshold.
#[derive(Debug, Clone, Copy, Default)]
struct ThresholdCounts {
    threshold: f64,
    true_positives: usize,
    false_positives: usize,
}

/// Cumulative counts at every distinct score, highest score first; tied scores form one entry.
/// The last entry counts every case.
fn cumulative_counts(scores: &[f64], labels: &[bool]) -> Vec<ThresholdCounts> {
    let len = paired_len(scores.len(), labels.len());
    let mut order: Vec<usize> = (0..len).collect();
    sort_descending_by_score(&mut order, scores);
    let mut counts: Vec<ThresholdCounts> = Vec::new();
    let mut running = ThresholdCounts::default();
    for (position, &index) in order.iter().enumerate() {
        running.threshold = rank_key(scores[index]);
        if labels[index] {
            running.true_positives += 1;
        } else {
            running.false_positives += 1;
        }
        let next_differs = order
            .get(position + 1)
            .is_none_or(|&next| rank_key(scores[next]) != running.threshold);
        if next_differs {
            counts.push(running);
        }
    }
    counts
}

/// Sorts case indices by score, highest first; stable, so ties keep input order.
fn sort_descending_by_score(indices: &mut [usize], scores: &[f64]) {
    indices.sort_by(|&i, &j| rank_key(scores[j]).total_cmp(&rank_key(scores[i])));
}

fn summarise_bin(members: &[usize], probabilities: &[f64], labels: &[bool]) -> CalibrationBin {
    let count = members.len();
    let predicted = |index: usize| probability_value(probabilities[index]);
    let total_predicted: f64 = members.iter().map(|&index| predicted(index)).sum();
    let failures = members.iter().filter(|&&index| labels[index]).count();
    CalibrationBin {
        lower: members.first().map_or(0.0, |&index| predicted(index)),
        upper: members.last().map_or(0.0, |&index| predicted(index)),
        count,
        mean_predicted: total_predicted / count as f64,
        observed_rate: failures as f64 / count as f64,
    }
}

/// Sort key for scores: NaN becomes `-inf` and `-0.0` becomes `0.0`, so that `total_cmp`
/// orders like `<` and equal scores tie.
fn rank_key(score: f64) -> f64 {
    if score.is_nan() {
        f64::NEG_INFINITY
    } else {
        score + 0.0
    }
}

/// A probability as used in Brier score and calibration bins: NaN counts as 0.
fn probability_value(probability: f64) -> f64 {
    if probability.is_nan() {
        0.0
    } else {
        probability + 0.0
    }
}

fn outcome(label: bool) -> f64 {
    if label { 1.0 } else { 0.0 }
}

fn ratio(numerator: usize, denominator: usize) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Length to use for paired inputs: asserts equality in debug builds, takes the shorter in release.
fn paired_len(left: usize, right: usize) -> usize {
    debug_assert_eq!(left, right, "paired inputs must have equal length");
    left.min(right)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOLERANCE: f64 = 1e-12;

    fn assert_close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("metric should be defined");
        assert!(
            (actual - expected).abs() < TOLERANCE,
            "{actual} != {expected}"
        );
    }

    fn labels_of(bits: &[u8]) -> Vec<bool> {
        bits.iter().map(|&bit| bit == 1).collect()
    }

    #[test]
    fn precision_recall_points_from_the_top_down() {
        let scores = [0.9, 0.8, 0.8, 0.5, 0.2];
        let labels = labels_of(&[1, 0, 1, 0, 0]);
        let shown = |max| {
            precision_recall_curve(&scores, &labels, max)
                .iter()
                .map(|p| format!("{:.2}/{:.2}", p.recall, p.precision))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(shown(10), "0.50/1.00 1.00/0.67 1.00/0.50 1.00/0.40");
        assert_eq!(shown(2), "0.50/1.00 1.00/0.40");
        assert!(precision_recall_curve(&scores, &[false; 5], 10).is_empty());
    }

    // Reference values below come from scikit-learn 1.9.1 on the same arrays.
    const SIMPLE_SCORES: [f64; 4] = [0.1, 0.4, 0.35, 0.8];
    const SIMPLE_LABELS: [u8; 4] = [0, 0, 1, 1];
    const TIED_SCORES: [f64; 8] = [0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.5, 0.3];
    const TIED_LABELS: [u8; 8] = [1, 0, 1, 1, 0, 1, 0, 0];

    #[test]
    fn roc_auc_matches_scikit_learn() {
        assert_close(roc_auc(&SIMPLE_SCORES, &labels_of(&SIMPLE_LABELS)), 0.75);
        assert_close(roc_auc(&TIED_SCORES, &labels_of(&TIED_LABELS)), 0.8125);
    }

    #[test]
    fn roc_auc_gives_ties_half_credit() {
        assert_close(roc_auc(&[0.2; 5], &labels_of(&[0, 1, 0, 0, 1])), 0.5);
        // One pair: the positive ties the negative.
        assert_close(roc_auc(&[0.3, 0.3], &[true, false]), 0.5);
    }

    #[test]
    fn roc_auc_undefined_for_one_class_or_empty() {
        assert_eq!(roc_auc(&[0.1, 0.9], &[true, true]), None);
        assert_eq!(roc_auc(&[0.1, 0.9], &[false, false]), None);
        assert_eq!(roc_auc(&[], &[]), None);
    }

    #[test]
    fn nan_scores_rank_lowest() {
        let labels = [true, false, false];
        assert_close(roc_auc(&[0.5, f64::NAN, 0.7], &labels), 0.5);
        assert_close(roc_auc(&[f64::NAN, 0.1, 0.2], &[false, true, true]), 1.0);
        assert_close(roc_auc(&[f64::NAN, f64::NEG_INFINITY], &[true, false]), 0.5);
    }

    #[test]
    fn average_precision_matches_scikit_learn() {
        assert_close(
            average_precision(&SIMPLE_SCORES, &labels_of(&SIMPLE_LABELS)),
            0.8333333333333333,
        );
        assert_close(
            average_precision(&TIED_SCORES, &labels_of(&TIED_LABELS)),
            0.7708333333333333,
        );
        assert_close(
            average_precision(&[0.2; 5], &labels_of(&[0, 1, 0, 0, 1])),
            0.4,
        );
    }

    #[test]
    fn average_precision_undefined_without_positives() {
        assert_eq!(average_precision(&[0.1, 0.9], &[false, false]), None);
        assert_eq!(average_precision(&[], &[]), None);
        assert_close(average_precision(&[0.1, 0.9], &[true, true]), 1.0);
    }

    #[test]
    fn brier_score_by_hand() {
        // (0.01 + 0.01 + 0.04 + 0.09) / 4
        assert_close(
            brier_score(&[0.1, 0.9, 0.8, 0.3], &labels_of(&[0, 1, 1, 0])),
            0.0375,
        );
        assert_close(brier_score(&[f64::NAN, 1.0], &[true, true]), 0.5);
        assert_eq!(brier_score(&[], &[]), None);
    }

    #[test]
    fn confusion_at_threshold_counts_ties_as_flagged() {
        let confusion = Confusion::at_threshold(&TIED_SCORES, &labels_of(&TIED_LABELS), 0.6);
        let expected = Confusion {
            true_positives: 4,
            false_positives: 2,
            true_negatives: 2,
            false_negatives: 0,
        };
        assert_eq!(confusion, expected);
        assert_close(confusion.precision(), 4.0 / 6.0);
        assert_close(confusion.recall(), 1.0);
        assert_close(confusion.f1(), 0.8);
    }

    #[test]
    fn confusion_ratios_undefined_cases() {
        let nothing_flagged = Confusion::at_threshold(&[0.1, 0.2], &[true, false], 0.5);
        assert_eq!(nothing_flagged.precision(), None);
        assert_close(nothing_flagged.recall(), 0.0);
        assert_close(nothing_flagged.f1(), 0.0);
        let no_positives = Confusion::at_threshold(&[0.1, 0.9], &[false, false], 0.5);
        assert_eq!(no_positives.recall(), None);
        assert_eq!(no_positives.f1(), None);
        assert_eq!(Confusion::default().precision(), None);
    }

    #[test]
    fn best_f1_threshold_matches_scikit_learn_f1_scan() {
        // F1 per threshold (sklearn): 0.1 -> 0.667, 0.35 -> 0.8, 0.4 -> 0.5, 0.8 -> 0.667.
        assert_eq!(
            best_f1_threshold(&SIMPLE_SCORES, &labels_of(&SIMPLE_LABELS)),
            Some(0.35)
        );
        // 0.3 -> 0.667, 0.5 -> 0.727, 0.6 -> 0.8, 0.7 -> 0.75, 0.8 -> 0.571, 0.9 -> 0.4.
        assert_eq!(
            best_f1_threshold(&TIED_SCORES, &labels_of(&TIED_LABELS)),
            Some(0.6)
        );
        assert_eq!(best_f1_threshold(&[0.4, 0.6], &[false, false]), None);
        assert_eq!(best_f1_threshold(&[], &[]), None);
    }

    #[test]
    fn best_f1_threshold_prefers_highest_among_equals() {
        // Thresholds 0.9 (1 of 2 caught, no false alarm) and 0.1 (both caught, two false
        // alarms) both give F1 = 2/3; 0.5 and 0.4 do worse.
        let labels = [true, false, false, true];
        assert_eq!(best_f1_threshold(&[0.9, 0.5, 0.4, 0.1], &labels), Some(0.9));
        assert_eq!(
            best_f1_threshold(&[f64::NAN, 0.9], &[true, false]),
            Some(f64::NEG_INFINITY)
        );
    }

    #[test]
    fn at_capacity_flags_top_k_per_group() {
        let scores = [0.9, 0.2, 0.5, 0.7, 0.4, 0.8, 0.1];
        let labels = labels_of(&[1, 0, 1, 0, 1, 0, 0]);
        let groups = [1, 1, 1, 2, 2, 2, 3];
        let result = at_capacity(&scores, &labels, &groups, 2);
        // Group 1 flags 0.9 (fail) and 0.5 (fail); group 2 flags 0.8 and 0.7 (no fails);
        // group 3 flags its only case 0.1. Flagged 5, caught 2 of 3 failures.
        assert_eq!(result.k, 2);
        assert_eq!(result.flagged, 5);
        assert_close(result.precision, 2.0 / 5.0);
        assert_close(result.recall, 2.0 / 3.0);
    }

    #[test]
    fn at_capacity_breaks_ties_by_input_order() {
        let scores = [0.5, 0.5, 0.5];
        let first_fails = at_capacity(&scores, &labels_of(&[1, 0, 0]), &[0, 0, 0], 1);
        assert_close(first_fails.precision, 1.0);
        let last_fails = at_capacity(&scores, &labels_of(&[0, 0, 1]), &[0, 0, 0], 1);
        assert_close(last_fails.precision, 0.0);
    }

    #[test]
    fn at_capacity_undefined_cases() {
        let nothing = at_capacity(&[0.3], &[true], &[0], 0);
        assert_eq!((nothing.flagged, nothing.precision), (0, None));
        assert_close(nothing.recall, 0.0);
        let empty = at_capacity(&[], &[], &[], 3);
        assert_eq!((empty.precision, empty.recall), (None, None));
    }

    #[test]
    fn calibration_bins_split_into_equal_counts() {
        let probabilities = [0.9, 0.1, 0.3, 0.7, 0.5, 0.2];
        let labels = labels_of(&[1, 0, 0, 1, 1, 0]);
        let bins = calibration_bins(&probabilities, &labels, 3);
        let expected = [
            (0.1, 0.2, 0.15, 0.0),
            (0.3, 0.5, 0.4, 0.5),
            (0.7, 0.9, 0.8, 1.0),
        ];
        assert_eq!(bins.len(), 3);
        for (bin, (lower, upper, mean, rate)) in bins.iter().zip(expected) {
            assert_eq!((bin.lower, bin.upper, bin.count), (lower, upper, 2));
            assert_close(Some(bin.mean_predicted), mean);
            assert_close(Some(bin.observed_rate), rate);
        }
    }

    #[test]
    fn calibration_bins_shrink_to_case_count() {
        let bins = calibration_bins(&[0.2, 0.6], &[false, true], 10);
        assert_eq!(bins.len(), 2);
        assert_eq!(bins[1].observed_rate, 1.0);
        assert!(calibration_bins(&[], &[], 10).is_empty());
        assert!(calibration_bins(&[0.5], &[true], 0).is_empty());
    }

    #[test]
    fn scorecard_collects_everything() {
        let probabilities = [0.1, 0.9, 0.8, 0.3];
        let labels = labels_of(&[0, 1, 1, 0]);
        let card = Scorecard::compute(&probabilities, &labels, &[1, 1, 2, 2], 1);
        assert_eq!((card.cases, card.positives), (4, 2));
        assert_close(card.roc_auc, 1.0);
        assert_close(card.pr_auc, 1.0);
        assert_close(card.brier, 0.0375);
        assert_eq!(card.at_capacity.flagged, 2);
        assert_close(card.at_capacity.recall, 1.0);
        assert_eq!(card.calibration.len(), 4);
    }

    #[test]
    fn scorecard_of_nothing() {
        let card = Scorecard::compute(&[], &[], &[], 5);
        assert_eq!((card.cases, card.roc_auc, card.brier), (0, None, None));
        assert!(card.calibration.is_empty());
    }

    #[test]
    #[cfg(not(debug_assertions))]
    fn unequal_lengths_use_the_shorter_in_release() {
        assert_close(roc_auc(&[0.1, 0.9, 0.5], &[false, true]), 1.0);
        assert_eq!(at_capacity(&[0.1, 0.9], &[true, true], &[0], 1).flagged, 1);
        assert_eq!(Scorecard::compute(&[0.4], &[true, false], &[0], 1).cases, 1);
    }

    /// Scores with many ties and occasional NaN.
    fn score() -> impl Strategy<Value = f64> {
        prop_oneof![
            9 => (0u8..12).prop_map(|step| f64::from(step) / 11.0),
            1 => Just(f64::NAN),
        ]
    }

    fn finite_score() -> impl Strategy<Value = f64> {
        prop_oneof![
            (0u8..12).prop_map(|step| f64::from(step) / 11.0),
            -5.0..5.0f64
        ]
    }

    fn scored_cases(score: impl Strategy<Value = f64>) -> impl Strategy<Value = Vec<(f64, bool)>> {
        prop::collection::vec((score, any::<bool>()), 0..40)
    }

    fn split(cases: &[(f64, bool)]) -> (Vec<f64>, Vec<bool>) {
        cases.iter().copied().unzip()
    }

    /// Mann-Whitney by counting every positive/negative pair.
    fn pairwise_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
        let (mut credit, mut pairs) = (0.0, 0.0);
        for (positive, _) in scores.iter().zip(labels).filter(|(_, label)| **label) {
            for (negative, _) in scores.iter().zip(labels).filter(|(_, label)| !**label) {
                let (positive, negative) = (rank_key(*positive), rank_key(*negative));
                credit += match positive.partial_cmp(&negative) {
                    Some(std::cmp::Ordering::Greater) => 1.0,
                    Some(std::cmp::Ordering::Equal) => 0.5,
                    _ => 0.0,
                };
                pairs += 1.0;
            }
        }
        (pairs > 0.0).then(|| credit / pairs)
    }

    /// Average precision from a confusion matrix at every distinct score.
    fn average_precision_by_confusion(scores: &[f64], labels: &[bool]) -> Option<f64> {
        if !labels.contains(&true) {
            return None;
        }
        let mut thresholds: Vec<f64> = scores.iter().map(|&score| rank_key(score)).collect();
        thresholds.sort_by(|a, b| b.total_cmp(a));
        thresholds.dedup();
        let mut previous_recall = 0.0;
        let mut area = 0.0;
        for threshold in thresholds {
            let confusion = Confusion::at_threshold(scores, labels, threshold);
            let recall = confusion.recall()?;
            area += (recall - previous_recall) * confusion.precision()?;
            previous_recall = recall;
        }
        Some(area)
    }

    proptest! {
        #[test]
        fn auc_of_reversed_scores_is_complement(cases in scored_cases(finite_score())) {
            let (scores, labels) = split(&cases);
            let reversed: Vec<f64> = scores.iter().map(|score| -score).collect();
            match (roc_auc(&scores, &labels), roc_auc(&reversed, &labels)) {
                (Some(auc), Some(reversed_auc)) => prop_assert!((auc + reversed_auc - 1.0).abs() < 1e-9),
                (None, None) => {}
                other => prop_assert!(false, "definedness differs: {other:?}"),
            }
        }

        #[test]
        fn auc_matches_pairwise_count(cases in scored_cases(score())) {
            let (scores, labels) = split(&cases);
            let auc = roc_auc(&scores, &labels);
            let expected = pairwise_auc(&scores, &labels);
            prop_assert_eq!(auc.is_some(), expected.is_some());
            if let (Some(auc), Some(expected)) = (auc, expected) {
                prop_assert!((0.0..=1.0).contains(&auc));
                prop_assert!((auc - expected).abs() < 1e-9);
            }
        }

        #[test]
        fn average_precision_is_bounded(cases in scored_cases(score())) {
            let (scores, labels) = split(&cases);
            let positives = labels.iter().filter(|&&label| label).count();
            let negatives = labels.len() - positives;
            let ap = average_precision(&scores, &labels);
            prop_assert_eq!(ap.is_some(), positives > 0);
            if let Some(ap) = ap {
                // Worst case: every positive ranked below every negative.
                let worst: f64 = (1..=positives)
                    .map(|rank| rank as f64 / (negatives + rank) as f64)
                    .sum::<f64>() / positives as f64;
                prop_assert!(ap <= 1.0 + 1e-12);
                prop_assert!(ap >= worst - 1e-12, "ap {} below worst case {}", ap, worst);
            }
        }

        #[test]
        fn average_precision_matches_confusion_scan(cases in scored_cases(score())) {
            let (scores, labels) = split(&cases);
            let ap = average_precision(&scores, &labels);
            let expected = average_precision_by_confusion(&scores, &labels);
            prop_assert_eq!(ap.is_some(), expected.is_some());
            if let (Some(ap), Some(expected)) = (ap, expected) {
                prop_assert!((ap - expected).abs() < 1e-9);
            }
        }

        #[test]
        fn constant_scores_give_prevalence(labels in prop::collection::vec(any::<bool>(), 1..40)) {
            let scores = vec![0.5; labels.len()];
            let positives = labels.iter().filter(|&&label| label).count();
            if let Some(ap) = average_precision(&scores, &labels) {
                prop_assert!((ap - positives as f64 / labels.len() as f64).abs() < 1e-12);
            }
        }

        #[test]
        fn brier_score_within_unit_interval(
            cases in prop::collection::vec((0.0..=1.0f64, any::<bool>()), 0..40)
        ) {
            let (probabilities, labels) = split(&cases);
            let brier = brier_score(&probabilities, &labels);
            prop_assert_eq!(brier.is_some(), !cases.is_empty());
            prop_assert!(brier.is_none_or(|brier| (0.0..=1.0).contains(&brier)));
        }

        #[test]
        fn best_f1_threshold_beats_every_score(cases in scored_cases(score())) {
            let (scores, labels) = split(&cases);
            let Some(best) = best_f1_threshold(&scores, &labels) else {
                prop_assert!(labels.iter().all(|&label| !label));
                return Ok(());
            };
            let best_f1 = Confusion::at_threshold(&scores, &labels, best).f1().unwrap();
            prop_assert!(scores.iter().any(|&score| rank_key(score) == best));
            for &score in &scores {
                let f1 = Confusion::at_threshold(&scores, &labels, score).f1().unwrap();
                prop_assert!(f1 <= best_f1 + 1e-12);
            }
        }

        #[test]
        fn at_capacity_flags_at_most_k_per_group(
            cases in prop::collection::vec((score(), any::<bool>(), 0i64..4), 0..40),
            k in 0usize..6,
        ) {
            let scores: Vec<f64> = cases.iter().map(|case| case.0).collect();
            let labels: Vec<bool> = cases.iter().map(|case| case.1).collect();
            let groups: Vec<i64> = cases.iter().map(|case| case.2).collect();
            let result = at_capacity(&scores, &labels, &groups, k);
            let expected: usize = (0..4)
                .map(|group| groups.iter().filter(|&&g| g == group).count().min(k))
                .sum();
            prop_assert_eq!(result.flagged, expected);
            prop_assert!(result.precision.is_none_or(|p| (0.0..=1.0).contains(&p)));
            prop_assert!(result.recall.is_none_or(|r| (0.0..=1.0).contains(&r)));
        }

        #[test]
        fn calibration_bins_cover_every_case_in_order(
            cases in prop::collection::vec((0.0..=1.0f64, any::<bool>()), 0..60),
            bins in 0usize..12,
        ) {
            let (probabilities, labels) = split(&cases);
            let table = calibration_bins(&probabilities, &labels, bins);
            prop_assert_eq!(table.len(), bins.min(cases.len()));
            if !table.is_empty() {
                prop_assert_eq!(table.iter().map(|bin| bin.count).sum::<usize>(), cases.len());
                let failures: f64 = table.iter().map(|bin| bin.observed_rate * bin.count as f64).sum();
                let positives = labels.iter().filter(|&&label| label).count();
                prop_assert!((failures - positives as f64).abs() < 1e-9);
            }
            for bin in &table {
                prop_assert!(bin.lower <= bin.mean_predicted + 1e-12);
                prop_assert!(bin.mean_predicted <= bin.upper + 1e-12);
                prop_assert!((0.0..=1.0).contains(&bin.observed_rate));
            }
            for pair in table.windows(2) {
                prop_assert!(pair[0].upper <= pair[1].lower);
                prop_assert!(pair[0].count.abs_diff(pair[1].count) <= 1);
            }
        }
    }
}
