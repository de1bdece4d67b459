//! Choosing a learner: the simplest one whose PR-AUC on rows it was not fitted on is
//! within one standard error of the best (the "one-standard-error rule").
//!
//! A co-op has a few dozen machines and a test set of a few dozen failures, so PR-AUC
//! differences of a point or two between learners are mostly chance. The standard
//! error of the difference is estimated by resampling equipment (all of a machine's
//! rows together, as its rows are not independent), so a more complex learner is only
//! preferred when its lead is larger than what chance alone gives.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::learners::Algorithm;
use crate::metrics::average_precision;

/// Resamples of the equipment used to estimate a standard error.
pub const RESAMPLES: usize = 200;

/// The chosen learner and why.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// The learner to use.
    pub algorithm: Algorithm,
    /// Its PR-AUC.
    pub pr_auc: f64,
    /// The learner with the best PR-AUC.
    pub best: Algorithm,
    /// The best PR-AUC.
    pub best_pr_auc: f64,
    /// The standard error of the best learner's lead over the chosen one; `None` when
    /// the chosen learner is the best.
    pub standard_error: Option<f64>,
}

impl Choice {
    /// Why this learner, in words.
    pub fn reason(&self) -> String {
        match self.standard_error {
            None => format!(
                "the best PR-AUC, {:.3}; the simplest learner within one standard error of the best is taken",
                self.pr_auc
            ),
            Some(se) => format!(
                "PR-AUC {:.3}, within one standard error ({se:.3}) of the best, {}'s {:.3}: the simpler learner is taken",
                self.pr_auc,
                self.best.name(),
                self.best_pr_auc
            ),
        }
    }
}

/// One learner's scores on rows it was not fitted on.
pub struct Candidate<'a> {
    /// The learner.
    pub algorithm: Algorithm,
    /// Its score for each row (higher: more likely to fail).
    pub scores: &'a [f64],
}

/// Picks the simplest learner (in [`Algorithm::ALL`] order) whose PR-AUC is at most one
/// standard error below the best's; `groups[i]` is row i's equipment. `None` when no
/// row failed.
pub fn choose(
    candidates: &[Candidate<'_>],
    labels: &[bool],
    groups: &[usize],
    seed: u64,
) -> Option<Choice> {
    let pr_aucs: Vec<Option<f64>> = candidates
        .iter()
        .map(|c| average_precision(c.scores, labels))
        .collect();
    let (best, best_pr_auc) = pr_aucs
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let resamples = EquipmentResamples::new(groups, seed);
    let mut simplest_first: Vec<usize> = (0..candidates.len()).collect();
    simplest_first.sort_by_key(|&i| rank(candidates[i].algorithm));
    for i in simplest_first {
        let Some(pr_auc) = pr_aucs[i] else { continue };
        if i == best {
            break;
        }
        let standard_error =
            lead_standard_error(&candidates[best], &candidates[i], labels, &resamples);
        tracing::debug!(
            learner = candidates[i].algorithm.name(),
            pr_auc,
            best_pr_auc,
            standard_error,
            "lead over a simpler learner"
        );
        if best_pr_auc - pr_auc <= standard_error {
            return Some(Choice {
                algorithm: candidates[i].algorithm,
                pr_auc,
                best: candidates[best].algorithm,
                best_pr_auc,
                standard_error: Some(standard_error),
            });
        }
    }
    Some(Choice {
        algorithm: candidates[best].algorithm,
        pr_auc: best_pr_auc,
        best: candidates[best].algorithm,
        best_pr_auc,
        standard_error: None,
    })
}

/// The standard error of `a`'s PR-AUC minus `b`'s on the same rows, by resampling
/// equipment as [`choose`] does (`groups[i]` is row i's equipment).
pub fn difference_standard_error(
    a: &[f64],
    b: &[f64],
    labels: &[bool],
    groups: &[usize],
    seed: u64,
) -> f64 {
    let resamples = EquipmentResamples::new(groups, seed);
    let candidate = |scores| Candidate {
        algorithm: Algorithm::LogisticRegression,
        scores,
    };
    lead_standard_error(&candidate(a), &candidate(b), labels, &resamples)
}

fn rank(algorithm: Algorithm) -> usize {
    Algorithm::ALL
        .iter()
        .position(|&a| a == algorithm)
        .unwrap_or(usize::MAX)
}

/// [`RESAMPLES`] row sets, each made of as many equipment as there are, drawn with
/// replacement, with all of each drawn equipment's rows. Kept as the draws, not
/// the rows: a row set is as long as the tested rows, which grow with history.
struct EquipmentResamples {
    /// Each equipment's rows, in row order.
    rows_of: Vec<Vec<usize>>,
    /// Each resample's equipment (indices into `rows_of`), in the order drawn.
    draws: Vec<Vec<usize>>,
}

impl EquipmentResamples {
    fn new(groups: &[usize], seed: u64) -> Self {
        let mut rows_of: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for (row, &group) in groups.iter().enumerate() {
            rows_of.entry(group).or_default().push(row);
        }
        let rows_of: Vec<Vec<usize>> = rows_of.into_values().collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let draws = (0..RESAMPLES)
            .map(|_| {
                (0..rows_of.len())
                    .map(|_| rng.gen_range(0..rows_of.len()))
                    .collect()
            })
            .collect();
        Self { rows_of, draws }
    }

    /// The rows of a resample's draw.
    fn rows<'a>(&'a self, draw: &'a [usize]) -> impl Iterator<Item = usize> + 'a {
        draw.iter().flat_map(|&e| self.rows_of[e].iter().copied())
    }
}

/// Standard deviation, over the resamples, of `best`'s PR-AUC minus `other`'s
/// (resamples without a failure are left out; 0 with fewer than two left).
fn lead_standard_error(
    best: &Candidate<'_>,
    other: &Candidate<'_>,
    labels: &[bool],
    resamples: &EquipmentResamples,
) -> f64 {
    let leads: Vec<f64> = resamples
        .draws
        .par_iter()
        .filter_map(|draw| {
            let y: Vec<bool> = resamples.rows(draw).map(|r| labels[r]).collect();
            let pick = |s: &[f64]| -> Vec<f64> { resamples.rows(draw).map(|r| s[r]).collect() };
            let a = average_precision(&pick(best.scores), &y)?;
            let b = average_precision(&pick(other.scores), &y)?;
            Some(a - b)
        })
        .collect();
    if leads.len() < 2 {
        return 0.0;
    }
    let mean = leads.iter().sum::<f64>() / leads.len() as f64;
    let variance = leads.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (leads.len() - 1) as f64;
    variance.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores that rank every failure first, and ones that rank them by chance.
    fn perfect_and_noisy(
        equipment: usize,
        rows_each: usize,
    ) -> (Vec<f64>, Vec<f64>, Vec<bool>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (mut perfect, mut noisy, mut labels, mut groups) = (vec![], vec![], vec![], vec![]);
        for e in 0..equipment {
            for r in 0..rows_each {
                let fails = r % 5 == 0;
                labels.push(fails);
                groups.push(e);
                perfect.push(if fails { 0.9 } else { 0.1 });
                noisy.push(rng.r#gen::<f64>());
            }
        }
        (perfect, noisy, labels, groups)
    }

    fn regression_and_forest<'a>(regression: &'a [f64], forest: &'a [f64]) -> [Candidate<'a>; 2] {
        [
            Candidate {
                algorithm: Algorithm::LogisticRegression,
                scores: regression,
            },
            Candidate {
                algorithm: Algorithm::RandomForest,
                scores: forest,
            },
        ]
    }

    #[test]
    fn a_clearly_better_learner_is_chosen_over_a_simpler_one() {
        let (perfect, noisy, labels, groups) = perfect_and_noisy(30, 20);
        let candidates = regression_and_forest(&noisy, &perfect);
        let choice = choose(&candidates, &labels, &groups, 1).unwrap();
        assert_eq!(choice.algorithm, Algorithm::RandomForest);
        assert_eq!((choice.pr_auc, choice.standard_error), (1.0, None));
        assert!(choice.reason().starts_with("the best PR-AUC, 1.000"));
    }

    #[test]
    fn the_simpler_learner_wins_a_tie_and_a_lead_within_chance() {
        let (perfect, noisy, labels, groups) = perfect_and_noisy(30, 20);
        // Listed forest first: the order of simplicity is the learners', not the list's.
        let mut tie = regression_and_forest(&perfect, &perfect);
        tie.reverse();
        assert_eq!(
            choose(&tie, &labels, &groups, 1).unwrap().algorithm,
            Algorithm::LogisticRegression
        );
        // The forest's scores with a little noise: slightly ahead of the regression's
        // noisier copy, by less than resampling the machines moves it.
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let forest: Vec<f64> = perfect
            .iter()
            .zip(&noisy)
            .map(|(p, n)| p + 0.75 * n)
            .collect();
        let regression: Vec<f64> = perfect
            .iter()
            .zip(&noisy)
            .map(|(p, n)| p + 0.75 * n + 0.05 * rng.r#gen::<f64>())
            .collect();
        let close = regression_and_forest(&regression, &forest);
        let choice = choose(&close, &labels, &groups, 1).unwrap();
        let lead = choice.best_pr_auc - average_precision(&regression, &labels).unwrap();
        assert!(lead < 0.05, "lead {lead}");
        assert_eq!(
            choice.algorithm,
            Algorithm::LogisticRegression,
            "lead {lead}, standard error {:?}",
            choice.standard_error
        );
        if lead > 0.0 {
            assert_eq!(choice.best, Algorithm::RandomForest);
            assert!(choice.standard_error.unwrap() >= lead);
            assert!(
                choice.reason().contains("within one standard error"),
                "{}",
                choice.reason()
            );
        }
    }

    #[test]
    fn nothing_is_chosen_without_a_failure() {
        let scores = [0.2, 0.4];
        let candidates = [Candidate {
            algorithm: Algorithm::DecisionTree,
            scores: &scores,
        }];
        assert_eq!(choose(&candidates, &[false, false], &[0, 1], 1), None);
    }
}
