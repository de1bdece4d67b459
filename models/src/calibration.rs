//! Turning raw model scores into calibrated failure probabilities.
//!
//! Conventions:
//! - Fitting uses the rows whose score is finite; rows with NaN or infinite scores are left out.
//! - Inputs of unequal length are a caller bug: debug builds assert, release builds use the
//!   shorter length.
//! - [`Calibrator::apply`] never panics and always returns a probability in `[0, 1]`; a NaN
//!   score is treated as the lowest possible score (`-inf`).

/// Maps a model's raw score to a calibrated probability of failure.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Calibrator {
    /// Leaves scores as they are (clamped to [0, 1]).
    Identity,
    /// Platt scaling: p = 1 / (1 + exp(a * score + b)), fitted by Newton's method with Platt's smoothed targets ((N+ + 1)/(N+ + 2), 1/(N- + 2)).
    Platt {
        /// Slope; negative when higher scores mean more failures.
        a: f64,
        /// Intercept.
        b: f64,
    },
    /// Isotonic regression (pool adjacent violators): a non-decreasing step function, linearly interpolated between breakpoints and clamped outside.
    Isotonic {
        /// Breakpoint scores, strictly increasing.
        scores: Vec<f64>,
        /// Calibrated probability at each breakpoint, non-decreasing.
        probabilities: Vec<f64>,
    },
    /// The learner's scores times a factor that makes their mean the observed failure
    /// rate: used when the calibration cases show no increasing relation at all
    /// (isotonic regression would give every case the same probability). Keeps the
    /// learner's ranking; the level is the observed one.
    Scaled {
        /// Observed failure rate over the mean score.
        factor: f64,
    },
}

impl Calibrator {
    /// Platt scaling that never reverses the learner's ranking: when the sigmoid
    /// fitted on few failures slopes the wrong way (higher score, lower probability),
    /// the later cases do not confirm the learner's ranking; its scores are then
    /// scaled to the observed rate ([`Calibrator::Scaled`]), which keeps the ranking
    /// (isotonic regression would pool most cases into one level and tell the
    /// committee nothing about which machine comes first).
    pub fn fit_increasing(scores: &[f64], labels: &[bool]) -> Self {
        match Self::fit_platt(scores, labels) {
            Self::Platt { a, .. } if a >= 0.0 => Self::fit_scaled(scores, labels),
            fitted => fitted,
        }
    }

    /// [`Calibrator::Scaled`]: observed failure rate over mean score (identity when
    /// the scores are all zero or there is no case).
    pub fn fit_scaled(scores: &[f64], labels: &[bool]) -> Self {
        let sample = finite_sample(scores, labels);
        if sample.is_empty() {
            return Self::Identity;
        }
        let n = sample.len() as f64;
        let mean_score = sample.iter().map(|(s, _)| s.max(0.0)).sum::<f64>() / n;
        let rate = sample.iter().filter(|(_, label)| *label).count() as f64 / n;
        if mean_score <= 0.0 {
            return Self::Identity;
        }
        Self::Scaled {
            factor: rate / mean_score,
        }
    }

    /// Fits Platt scaling by minimising log loss against Platt's smoothed targets, using the
    /// Newton iteration with backtracking line search of Lin, Lin & Weng (2007).
    ///
    /// Scores of magnitude 30 or more are rescaled during fitting (as scikit-learn does); the
    /// returned `a` applies to the original scores. Identity when only one class present or
    /// input empty (after leaving out non-finite scores).
    pub fn fit_platt(scores: &[f64], labels: &[bool]) -> Self {
        let sample = finite_sample(scores, labels);
        let positives = sample.iter().filter(|(_, label)| *label).count();
        let negatives = sample.len() - positives;
        if positives == 0 || negatives == 0 {
            return Self::Identity;
        }
        let largest = sample
            .iter()
            .fold(0.0_f64, |largest, (score, _)| largest.max(score.abs()));
        let scale = if largest >= PLATT_RESCALE_ABOVE {
            largest
        } else {
            1.0
        };
        let positive_target = (positives as f64 + 1.0) / (positives as f64 + 2.0);
        let negative_target = 1.0 / (negatives as f64 + 2.0);
        let points: Vec<PlattPoint> = sample
            .iter()
            .map(|&(score, label)| PlattPoint {
                score: score / scale,
                target: if label {
                    positive_target
                } else {
                    negative_target
                },
            })
            .collect();
        let start_b = ((negatives as f64 + 1.0) / (positives as f64 + 1.0)).ln();
        let (a, b) = newton_platt(&points, start_b);
        Self::Platt { a: a / scale, b }
    }

    /// Fits isotonic regression of the labels (1 = failed) on the scores by pool adjacent
    /// violators, matching scikit-learn's `IsotonicRegression(out_of_bounds='clip')`: tied
    /// scores are pooled first, and only the ends of each constant stretch are kept as
    /// breakpoints. Identity when empty (after leaving out non-finite scores).
    pub fn fit_isotonic(scores: &[f64], labels: &[bool]) -> Self {
        let mut sample = finite_sample(scores, labels);
        if sample.is_empty() {
            return Self::Identity;
        }
        sample.sort_by(|left, right| left.0.total_cmp(&right.0));
        let blocks = pool_adjacent_violators(&sample);
        let mut breakpoint_scores = Vec::with_capacity(2 * blocks.len());
        let mut probabilities = Vec::with_capacity(2 * blocks.len());
        for block in &blocks {
            breakpoint_scores.push(block.lowest_score);
            probabilities.push(block.mean());
            if block.highest_score > block.lowest_score {
                breakpoint_scores.push(block.highest_score);
                probabilities.push(block.mean());
            }
        }
        Self::Isotonic {
            scores: breakpoint_scores,
            probabilities,
        }
    }

    /// Calibrated probability for one score, always within [0, 1]; a NaN score counts as
    /// `-inf`. A malformed isotonic table (empty, e.g. from hand-written JSON) falls back to
    /// clamping like `Identity`; NaN parameters give 0.
    pub fn apply(&self, score: f64) -> f64 {
        let score = if score.is_nan() {
            f64::NEG_INFINITY
        } else {
            score
        };
        let probability = match self {
            Self::Identity => score,
            Self::Platt { a, b } => platt_probability(*a, *b, score),
            Self::Isotonic {
                scores,
                probabilities,
            } => interpolate(scores, probabilities, score),
            Self::Scaled { factor } => score * factor,
        };
        clamp_probability(probability)
    }

    /// [`Calibrator::apply`] to every score, in order.
    pub fn apply_all(&self, scores: &[f64]) -> Vec<f64> {
        scores.iter().map(|&score| self.apply(score)).collect()
    }
}

/// Platt fitting rescales scores whose largest magnitude reaches this.
const PLATT_RESCALE_ABOVE: f64 = 30.0;
const PLATT_MAX_ITERATIONS: usize = 100;
/// Smallest line-search step before giving up (Lin, Lin & Weng).
const PLATT_MIN_STEP: f64 = 1e-10;
/// Ridge added to the Hessian's diagonal to keep it positive definite (Lin, Lin & Weng).
const PLATT_HESSIAN_RIDGE: f64 = 1e-12;
/// Stop when each gradient component is below this, per fitted case.
const PLATT_GRADIENT_TOLERANCE: f64 = 1e-12;
/// Armijo sufficient-decrease constant for the line search.
const ARMIJO_FRACTION: f64 = 1e-4;

/// One case prepared for Platt fitting.
#[derive(Debug, Clone, Copy)]
struct PlattPoint {
    score: f64,
    target: f64,
}

/// Minimises the Platt log loss over (a, b) from (0, start_b) by Newton steps with backtracking.
fn newton_platt(points: &[PlattPoint], start_b: f64) -> (f64, f64) {
    let tolerance = PLATT_GRADIENT_TOLERANCE * points.len() as f64;
    let (mut a, mut b) = (0.0, start_b);
    let mut loss = platt_loss(points, a, b);
    for _ in 0..PLATT_MAX_ITERATIONS {
        let step = newton_step(points, a, b);
        if step.gradient_a.abs() < tolerance && step.gradient_b.abs() < tolerance {
            break;
        }
        let Some((next_a, next_b, next_loss)) = line_search(points, (a, b), loss, &step) else {
            break;
        };
        (a, b, loss) = (next_a, next_b, next_loss);
    }
    (a, b)
}

/// Gradient of the loss and the Newton direction at one (a, b).
#[derive(Debug, Clone, Copy)]
struct NewtonStep {
    gradient_a: f64,
    gradient_b: f64,
    direction_a: f64,
    direction_b: f64,
}

fn newton_step(points: &[PlattPoint], a: f64, b: f64) -> NewtonStep {
    let (mut h_aa, mut h_bb, mut h_ab) = (PLATT_HESSIAN_RIDGE, PLATT_HESSIAN_RIDGE, 0.0);
    let (mut gradient_a, mut gradient_b) = (0.0, 0.0);
    for point in points {
        let probability = logistic(-(a * point.score + b));
        let curvature = probability * (1.0 - probability);
        h_aa += point.score * point.score * curvature;
        h_bb += curvature;
        h_ab += point.score * curvature;
        let residual = point.target - probability;
        gradient_a += point.score * residual;
        gradient_b += residual;
    }
    let determinant = h_aa * h_bb - h_ab * h_ab;
    let (direction_a, direction_b) = if determinant > 0.0 && determinant.is_finite() {
        (
            -(h_bb * gradient_a - h_ab * gradient_b) / determinant,
            -(-h_ab * gradient_a + h_aa * gradient_b) / determinant,
        )
    } else {
        (0.0, 0.0)
    };
    NewtonStep {
        gradient_a,
        gradient_b,
        direction_a,
        direction_b,
    }
}

/// Halves the Newton step until the loss decreases enough (Armijo); None when no step of at
/// least `PLATT_MIN_STEP` does.
fn line_search(
    points: &[PlattPoint],
    (a, b): (f64, f64),
    loss: f64,
    step: &NewtonStep,
) -> Option<(f64, f64, f64)> {
    let slope = step.gradient_a * step.direction_a + step.gradient_b * step.direction_b;
    let mut fraction = 1.0;
    while fraction >= PLATT_MIN_STEP {
        let next_a = a + fraction * step.direction_a;
        let next_b = b + fraction * step.direction_b;
        let next_loss = platt_loss(points, next_a, next_b);
        if next_loss < loss + ARMIJO_FRACTION * fraction * slope {
            return Some((next_a, next_b, next_loss));
        }
        fraction /= 2.0;
    }
    None
}

/// Cross-entropy of the smoothed targets against p = 1 / (1 + exp(a * score + b)), in a form
/// that cannot overflow.
fn platt_loss(points: &[PlattPoint], a: f64, b: f64) -> f64 {
    points
        .iter()
        .map(|point| {
            let logit = a * point.score + b;
            if logit >= 0.0 {
                point.target * logit + (-logit).exp().ln_1p()
            } else {
                (point.target - 1.0) * logit + logit.exp().ln_1p()
            }
        })
        .sum()
}

fn platt_probability(a: f64, b: f64, score: f64) -> f64 {
    // A flat fit ignores the score (and avoids 0 * inf = NaN).
    let logit = if a == 0.0 { b } else { a * score + b };
    logistic(-logit)
}

/// 1 / (1 + exp(-x)) without overflow.
fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let exp = x.exp();
        exp / (1.0 + exp)
    }
}

/// A run of adjacent sorted scores pooled to one fitted value.
#[derive(Debug, Clone, Copy)]
struct Block {
    lowest_score: f64,
    highest_score: f64,
    failures: f64,
    cases: f64,
}

impl Block {
    fn mean(&self) -> f64 {
        self.failures / self.cases
    }

    fn absorb(&mut self, later: Block) {
        self.highest_score = later.highest_score;
        self.failures += later.failures;
        self.cases += later.cases;
    }
}

/// Pool adjacent violators over cases sorted by score. Equal scores share a block, and
/// neighbouring blocks end with strictly increasing means.
fn pool_adjacent_violators(sorted: &[(f64, bool)]) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for &(score, label) in sorted {
        let case = Block {
            lowest_score: score,
            highest_score: score,
            failures: if label { 1.0 } else { 0.0 },
            cases: 1.0,
        };
        match blocks.last_mut() {
            Some(last) if last.highest_score == score => last.absorb(case),
            _ => blocks.push(case),
        }
        merge_violations(&mut blocks);
    }
    blocks
}

/// Merges the last block backwards while its mean does not exceed its predecessor's.
fn merge_violations(blocks: &mut Vec<Block>) {
    while let [.., previous, last] = blocks.as_mut_slice() {
        if previous.mean() < last.mean() {
            break;
        }
        previous.absorb(*last);
        blocks.pop();
    }
}

/// Linear interpolation through the breakpoints, clamped to the end values outside them.
/// Empty tables return the score unchanged.
fn interpolate(scores: &[f64], probabilities: &[f64], score: f64) -> f64 {
    let len = paired_len(scores.len(), probabilities.len());
    if len == 0 {
        return score;
    }
    if score <= scores[0] {
        return probabilities[0];
    }
    if score >= scores[len - 1] {
        return probabilities[len - 1];
    }
    let upper = scores[..len]
        .partition_point(|&breakpoint| breakpoint <= score)
        .clamp(1, len - 1);
    let lower = upper - 1;
    let width = scores[upper] - scores[lower];
    if width <= 0.0 || width.is_nan() {
        return probabilities[upper];
    }
    let fraction = (score - scores[lower]) / width;
    probabilities[lower] + fraction * (probabilities[upper] - probabilities[lower])
}

/// Pairs with a finite score, in input order.
fn finite_sample(scores: &[f64], labels: &[bool]) -> Vec<(f64, bool)> {
    let len = paired_len(scores.len(), labels.len());
    scores[..len]
        .iter()
        .zip(&labels[..len])
        .filter(|(score, _)| score.is_finite())
        .map(|(&score, &label)| (score + 0.0, label))
        .collect()
}

/// Clamps to [0, 1], mapping NaN to 0.
fn clamp_probability(probability: f64) -> f64 {
    if probability.is_nan() {
        0.0
    } else {
        probability.clamp(0.0, 1.0)
    }
}

/// Length to use for paired inputs: asserts equality in debug builds, takes the shorter in release.
fn paired_len(left: usize, right: usize) -> usize {
    debug_assert_eq!(left, right, "paired inputs must have equal length");
    left.min(right)
}

#[cfg(test)]
mod tests {

    #[test]
    fn with_no_increase_at_all_the_ranking_stays_and_the_level_is_the_observed_rate() {
        // Higher scores fail less here: Platt slopes the wrong way.
        let scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
        let labels = [true, true, false, false, false, false, false, false];
        let calibrator = Calibrator::fit_increasing(&scores, &labels);
        let Calibrator::Scaled { factor } = calibrator else {
            panic!("expected scaled scores, got {calibrator:?}");
        };
        assert!((factor - 0.25 / 0.45).abs() < 1e-9, "{factor}");
        let p = calibrator.apply_all(&scores);
        assert!(p.windows(2).all(|w| w[0] < w[1]), "ranking kept: {p:?}");
        let mean = p.iter().sum::<f64>() / p.len() as f64;
        assert!((mean - 0.25).abs() < 1e-6, "mean {mean}");
    }

    use super::*;
    use proptest::prelude::*;

    fn labels_of(bits: &[u8]) -> Vec<bool> {
        bits.iter().map(|&bit| bit == 1).collect()
    }

    fn platt_parameters(calibrator: &Calibrator) -> (f64, f64) {
        match calibrator {
            Calibrator::Platt { a, b } => (*a, *b),
            other => panic!("expected Platt, got {other:?}"),
        }
    }

    fn assert_platt_close(calibrator: &Calibrator, expected: (f64, f64)) {
        let (a, b) = platt_parameters(calibrator);
        // scikit-learn stops L-BFGS at gradient 1e-6, so its optimum is only that close.
        assert!(
            (a - expected.0).abs() < 1e-6,
            "a = {a}, expected {}",
            expected.0
        );
        assert!(
            (b - expected.1).abs() < 1e-6,
            "b = {b}, expected {}",
            expected.1
        );
    }

    // Reference values below come from scikit-learn 1.9.1 (`_sigmoid_calibration`).
    #[test]
    fn platt_matches_scikit_learn_on_overlapping_classes() {
        let scores = [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5];
        let labels = labels_of(&[0, 0, 1, 0, 0, 1, 0, 1, 1, 1]);
        let fitted = Calibrator::fit_platt(&scores, &labels);
        assert_platt_close(&fitted, (-0.6640431491369831, 0.1660107758213118));
    }

    #[test]
    fn platt_converges_on_separable_classes() {
        let fitted = Calibrator::fit_platt(&[1.0, 2.0, 3.0, 4.0], &labels_of(&[0, 0, 1, 1]));
        assert_platt_close(&fitted, (-0.9081843357369861, 2.270460864867988));
    }

    #[test]
    fn platt_rescales_large_scores() {
        let scores = [-100.0, -40.0, -10.0, 5.0, 20.0, 60.0, 90.0];
        let fitted = Calibrator::fit_platt(&scores, &labels_of(&[0, 0, 1, 0, 1, 1, 1]));
        assert_platt_close(&fitted, (-0.01890976758803944, -0.22573953373306005));
    }

    #[test]
    fn platt_handles_reversed_scores() {
        let scores = [0.9, 0.8, 0.3, 0.2, 0.1];
        let fitted = Calibrator::fit_platt(&scores, &labels_of(&[0, 0, 1, 1, 0]));
        assert_platt_close(&fitted, (1.8893188418604883, -0.5098025344395722));
    }

    #[test]
    fn platt_stays_finite_on_huge_separable_scores() {
        let scores = [-1e12, -5e11, 5e11, 1e12];
        let fitted = Calibrator::fit_platt(&scores, &labels_of(&[0, 0, 1, 1]));
        let (a, b) = platt_parameters(&fitted);
        assert!(a.is_finite() && b.is_finite() && a < 0.0);
        assert!(fitted.apply(1e12) > 0.5 && fitted.apply(-1e12) < 0.5);
    }

    #[test]
    fn platt_falls_back_to_identity() {
        assert_eq!(Calibrator::fit_platt(&[], &[]), Calibrator::Identity);
        assert_eq!(
            Calibrator::fit_platt(&[0.2, 0.7], &[true, true]),
            Calibrator::Identity
        );
        assert_eq!(
            Calibrator::fit_platt(&[f64::NAN, 0.7], &[false, true]),
            Calibrator::Identity
        );
    }

    #[test]
    fn platt_apply_by_hand() {
        let platt = Calibrator::Platt { a: -2.0, b: 1.0 };
        // 1 / (1 + exp(-2 * 0.5 + 1)) = 1 / 2
        assert_eq!(platt.apply(0.5), 0.5);
        assert!((platt.apply(1.0) - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 1e-15);
        assert_eq!(platt.apply(f64::NAN), 0.0);
        assert_eq!(platt.apply(f64::INFINITY), 1.0);
        let flat = Calibrator::Platt { a: 0.0, b: 0.0 };
        assert_eq!(flat.apply(f64::NAN), 0.5);
        let broken = Calibrator::Platt {
            a: f64::NAN,
            b: 0.0,
        };
        assert_eq!(broken.apply(1.0), 0.0);
    }

    #[test]
    fn isotonic_matches_scikit_learn() {
        let scores = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let labels = labels_of(&[1, 0, 1, 0, 0, 1, 1, 0]);
        let fitted = Calibrator::fit_isotonic(&scores, &labels);
        let expected = Calibrator::Isotonic {
            scores: vec![1.0, 4.0, 5.0, 7.0],
            probabilities: vec![0.4, 0.4, 2.0 / 3.0, 2.0 / 3.0],
        };
        assert_eq!(fitted, expected);
        let queries = [0.0, 1.0, 2.5, 4.0, 4.5, 5.0, 6.5, 7.0, 10.0];
        let sklearn = [
            0.4,
            0.4,
            0.4,
            0.4,
            0.5333333333333333,
            0.6666666666666666,
            0.6666666666666666,
            0.6666666666666666,
            0.6666666666666666,
        ];
        for (probability, expected) in fitted.apply_all(&queries).iter().zip(sklearn) {
            assert!((probability - expected).abs() < 1e-12);
        }
        assert_eq!(fitted.apply(f64::NAN), 0.4);
    }

    #[test]
    fn isotonic_edge_cases() {
        assert_eq!(Calibrator::fit_isotonic(&[], &[]), Calibrator::Identity);
        let single = Calibrator::fit_isotonic(&[3.0, 3.0, f64::NAN], &[true, false, true]);
        let expected = Calibrator::Isotonic {
            scores: vec![3.0],
            probabilities: vec![0.5],
        };
        assert_eq!(single, expected);
        assert_eq!(single.apply(-1.0), 0.5);
        let empty_table = Calibrator::Isotonic {
            scores: vec![],
            probabilities: vec![],
        };
        assert_eq!(empty_table.apply(0.3), 0.3);
    }

    #[test]
    fn identity_clamps() {
        let identity = Calibrator::Identity;
        assert_eq!(identity.apply_all(&[-0.5, 0.25, 1.5]), vec![0.0, 0.25, 1.0]);
        assert_eq!(identity.apply(f64::NAN), 0.0);
    }

    #[test]
    #[cfg(not(debug_assertions))]
    fn unequal_lengths_use_the_shorter_in_release() {
        let fitted = Calibrator::fit_isotonic(&[1.0, 2.0, 3.0], &[false, true]);
        let expected = Calibrator::Isotonic {
            scores: vec![1.0, 2.0],
            probabilities: vec![0.0, 1.0],
        };
        assert_eq!(fitted, expected);
        let lopsided = Calibrator::Isotonic {
            scores: vec![0.0, 1.0, 2.0],
            probabilities: vec![0.2, 0.4],
        };
        assert_eq!(lopsided.apply(5.0), 0.4);
    }

    fn cases() -> impl Strategy<Value = Vec<(f64, bool)>> {
        let score = prop_oneof![
            4 => (-20i32..20).prop_map(|step| f64::from(step) / 4.0),
            4 => -1e3..1e3f64,
            1 => Just(f64::NAN),
        ];
        prop::collection::vec((score, any::<bool>()), 0..50)
    }

    fn split(cases: &[(f64, bool)]) -> (Vec<f64>, Vec<bool>) {
        cases.iter().copied().unzip()
    }

    fn queries() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(
            prop_oneof![8 => -2e3..2e3f64, 1 => Just(f64::NAN), 1 => Just(f64::INFINITY)],
            0..30,
        )
    }

    proptest! {
        #[test]
        fn isotonic_is_monotone_and_bounded(cases in cases(), mut queries in queries()) {
            let (scores, labels) = split(&cases);
            let fitted = Calibrator::fit_isotonic(&scores, &labels);
            if let Calibrator::Isotonic { scores: breakpoints, probabilities } = &fitted {
                prop_assert!(breakpoints.windows(2).all(|pair| pair[0] < pair[1]));
                prop_assert!(probabilities.windows(2).all(|pair| pair[0] <= pair[1]));
            }
            queries.sort_by(|a, b| a.total_cmp(b));
            // NaN sorts last under total_cmp but means -inf: move it to the front.
            queries.sort_by_key(|query| !query.is_nan());
            let calibrated = fitted.apply_all(&queries);
            prop_assert!(calibrated.iter().all(|p| (0.0..=1.0).contains(p)));
            prop_assert!(calibrated.windows(2).all(|pair| pair[0] <= pair[1] + 1e-15));
        }

        #[test]
        fn isotonic_preserves_failure_count(cases in cases()) {
            let (scores, labels) = split(&cases);
            let fitted = Calibrator::fit_isotonic(&scores, &labels);
            let finite: Vec<(f64, bool)> =
                cases.iter().copied().filter(|(score, _)| score.is_finite()).collect();
            if !finite.is_empty() {
                let expected = finite.iter().filter(|(_, label)| *label).count() as f64;
                let total: f64 = finite.iter().map(|(score, _)| fitted.apply(*score)).sum();
                prop_assert!((total - expected).abs() < 1e-9);
            }
        }

        #[test]
        fn platt_is_bounded_and_matches_mean_target(cases in cases(), queries in queries()) {
            let (scores, labels) = split(&cases);
            let fitted = Calibrator::fit_platt(&scores, &labels);
            prop_assert!(fitted.apply_all(&queries).iter().all(|p| (0.0..=1.0).contains(p)));
            let Calibrator::Platt { a, b } = fitted else { return Ok(()) };
            prop_assert!(a.is_finite() && b.is_finite());
            // At the optimum the intercept's gradient vanishes: the mean calibrated
            // probability equals the mean smoothed target.
            let finite: Vec<(f64, bool)> =
                cases.iter().copied().filter(|(score, _)| score.is_finite()).collect();
            let positives = finite.iter().filter(|(_, label)| *label).count() as f64;
            let negatives = finite.len() as f64 - positives;
            let target_total = positives * (positives + 1.0) / (positives + 2.0)
                + negatives / (negatives + 2.0);
            let probability_total: f64 = finite.iter().map(|(score, _)| fitted.apply(*score)).sum();
            prop_assert!(
                (probability_total - target_total).abs() < 1e-6,
                "{} vs {}", probability_total, target_total
            );
        }

        #[test]
        fn platt_is_monotone(cases in cases(), mut queries in queries()) {
            let (scores, labels) = split(&cases);
            let fitted = Calibrator::fit_platt(&scores, &labels);
            let Calibrator::Platt { a, .. } = fitted else { return Ok(()) };
            queries.retain(|query| !query.is_nan());
            queries.sort_by(|x, y| x.total_cmp(y));
            let calibrated = fitted.apply_all(&queries);
            let ordered = if a <= 0.0 {
                calibrated.windows(2).all(|pair| pair[0] <= pair[1])
            } else {
                calibrated.windows(2).all(|pair| pair[0] >= pair[1])
            };
            prop_assert!(ordered);
        }
    }
}
