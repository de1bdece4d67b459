//! A classification tree (CART, Gini impurity) grown by linfa-trees' rule, reading
//! its rows in place.
//!
//! linfa's `DecisionTree` copies its training rows and keeps a sorted copy of every
//! column as (row, value) pairs: 24 bytes per value, all of it growing with a
//! co-op's history. This tree reads each value where it already is (through a
//! function) and keeps one sorted order of row numbers per feature: 4 bytes per
//! value. It grows the tree linfa grows on the same rows, split for split (same
//! f32 impurities, same midpoints, same stopping and pruning rules, the test below
//! checks it against linfa), with one difference: where a node holds as many
//! failing cases as others, linfa's majority label is whichever its hash map
//! visits last, this one's is "not failing". The label only decides which sibling
//! leaves pruning merges.
//!
//! [`Tree`] is stored in the same JSON form as linfa's `DecisionTree<f64, bool>`,
//! so model files written before still load; the random forest's linfa trees are
//! turned into it ([`Tree::from_linfa`]).

use std::cmp::Ordering;

use linfa_trees::{DecisionTree, TreeNode};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// linfa's default: a node with fewer cases is a leaf.
const MIN_WEIGHT_SPLIT: f32 = 2.0;
/// linfa's default: a split must lower the Gini impurity by more than this.
const MIN_IMPURITY_DECREASE: f64 = 1e-5;
/// linfa's rule: values closer than this are never split apart.
const EQUAL_VALUES: f64 = 1e-5;

/// How a tree grows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Growth {
    /// Splits from the root to a leaf, at most.
    pub max_depth: usize,
    /// Cases on each side of a split, at least.
    pub min_leaf: f32,
}

/// A node: a split (cases whose value is below `split_value` go left) or a leaf.
/// Field names are linfa's `TreeNode`'s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    feature_idx: usize,
    feature_name: String,
    split_value: f64,
    impurity_decrease: f64,
    left_child: Option<Box<Node>>,
    right_child: Option<Box<Node>>,
    leaf_node: bool,
    /// The majority label of the node's cases (read at leaves only).
    prediction: bool,
    depth: usize,
}

impl Node {
    fn leaf(prediction: bool, depth: usize) -> Self {
        Self {
            feature_idx: 0,
            feature_name: String::new(),
            split_value: 0.0,
            impurity_decrease: 0.0,
            left_child: None,
            right_child: None,
            leaf_node: true,
            prediction,
            depth,
        }
    }

    /// Whether it is a leaf.
    pub fn is_leaf(&self) -> bool {
        self.leaf_node
    }

    /// The feature split on and the split value.
    pub fn split(&self) -> (usize, f64) {
        (self.feature_idx, self.split_value)
    }

    /// The left and right children.
    pub fn children(&self) -> [Option<&Node>; 2] {
        [self.left_child.as_deref(), self.right_child.as_deref()]
    }

    /// Every node below and including this one.
    fn nodes(&self) -> Vec<&Node> {
        let mut out = vec![self];
        let mut next = 0;
        while next < out.len() {
            let node = out[next];
            out.extend(node.children().into_iter().flatten());
            next += 1;
        }
        out
    }

    /// linfa's pruning: sibling leaves with the same label become one leaf.
    fn prune(&mut self) -> Option<bool> {
        if self.leaf_node {
            return Some(self.prediction);
        }
        let left = self.left_child.as_mut().and_then(|c| c.prune());
        let right = self.right_child.as_mut().and_then(|c| c.prune());
        match (left, right) {
            (Some(l), Some(r)) if l == r => {
                self.prediction = l;
                self.left_child = None;
                self.right_child = None;
                self.leaf_node = true;
                Some(l)
            }
            _ => None,
        }
    }

    fn from_linfa(node: &TreeNode<f64, bool>) -> Self {
        let (feature_idx, split_value, impurity_decrease) = node.split();
        let [left, right] = [0, 1].map(|side| {
            node.children()[side]
                .as_ref()
                .map(|c| Box::new(Self::from_linfa(c)))
        });
        Self {
            feature_idx,
            feature_name: node.feature_name().cloned().unwrap_or_default(),
            split_value,
            impurity_decrease,
            left_child: left,
            right_child: right,
            leaf_node: node.is_leaf(),
            prediction: node.prediction().unwrap_or(false),
            depth: node.depth(),
        }
    }
}

/// A fitted tree. Field names are linfa's `DecisionTree`'s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    root_node: Node,
    num_features: usize,
}

impl Tree {
    /// Grows a tree on `labels.len()` cases of `features` features each, the value of
    /// feature `j` of case `k` being `value(k, j)` (finite).
    pub fn grow(
        labels: &[bool],
        features: usize,
        value: impl Fn(usize, usize) -> f64 + Sync,
        growth: Growth,
    ) -> Self {
        grow_noting_ties(labels, features, value, growth).0
    }

    /// The same tree as one linfa grew.
    pub fn from_linfa(tree: &DecisionTree<f64, bool>) -> Self {
        Self {
            root_node: Node::from_linfa(tree.root_node()),
            num_features: tree.mean_impurity_decrease().len(),
        }
    }

    /// The root.
    pub fn root(&self) -> &Node {
        &self.root_node
    }

    /// linfa's feature importance: each feature's mean impurity decrease over the
    /// splits on it, as a share of their sum over features (NaN with no split).
    pub fn feature_importance(&self) -> Vec<f64> {
        let mut total = vec![0.0; self.num_features];
        let mut splits = vec![0usize; self.num_features];
        for node in self.root_node.nodes().into_iter().filter(|n| !n.leaf_node) {
            total[node.feature_idx] += node.impurity_decrease;
            splits[node.feature_idx] += 1;
        }
        let mean: Vec<f64> = total
            .iter()
            .zip(&splits)
            .map(|(&t, &n)| if n == 0 { 0.0 } else { t / n as f64 })
            .collect();
        let sum: f64 = mean.iter().sum();
        mean.iter().map(|m| m / sum).collect()
    }
}

/// The tree, and whether some node held as many failing cases as others.
fn grow_noting_ties(
    labels: &[bool],
    features: usize,
    value: impl Fn(usize, usize) -> f64 + Sync,
    growth: Growth,
) -> (Tree, bool) {
    let cases = labels.len();
    let order: Vec<Vec<u32>> = (0..features)
        .into_par_iter()
        .map(|j| {
            // linfa's order: a stable sort of the cases by value.
            let mut pairs: Vec<(f64, u32)> = (0..cases).map(|k| (value(k, j), k as u32)).collect();
            pairs.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Greater));
            pairs.into_iter().map(|(_, k)| k).collect()
        })
        .collect();
    let grower = Grower {
        labels,
        value,
        order,
        growth,
    };
    let mut tie = false;
    let mut root = grower.node(&vec![true; cases], cases, 0, &mut tie);
    root.prune();
    let tree = Tree {
        root_node: root,
        num_features: features,
    };
    (tree, tie)
}

/// Gini impurity of a node with these counts of failing and other cases, computed
/// as linfa does (in f32).
fn gini(failing: f32, others: f32) -> f32 {
    let n = failing + others;
    let (p, q) = (failing / n, others / n);
    1.0 - (p * p + q * q)
}

/// A candidate split: feature, split value and weighted impurity after it.
type Split = (usize, f64, f32);

struct Grower<'a, V> {
    labels: &'a [bool],
    value: V,
    /// Per feature, the cases in ascending order of their value.
    order: Vec<Vec<u32>>,
    growth: Growth,
}

impl<V: Fn(usize, usize) -> f64 + Sync> Grower<'_, V> {
    fn node(&self, mask: &[bool], size: usize, depth: usize, tie: &mut bool) -> Node {
        let failing = mask
            .iter()
            .zip(self.labels)
            .filter(|(m, l)| **m && **l)
            .count() as f32;
        let others = size as f32 - failing;
        let prediction = failing > others;
        // Only a leaf's label counts (in pruning).
        let mut leaf = || {
            *tie |= failing == others;
            Node::leaf(prediction, depth)
        };
        if (size as f32) < MIN_WEIGHT_SPLIT || depth >= self.growth.max_depth {
            return leaf();
        }
        let best = (0..self.order.len())
            .into_par_iter()
            .map(|j| self.best_split(j, mask, failing, others))
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .fold(None, |best: Option<Split>, split| match best {
                Some(b) if b.2 <= split.2 => Some(b),
                _ => Some(split),
            });
        let Some((feature, split_value, score)) = best else {
            return leaf();
        };
        let impurity_decrease = f64::from(gini(failing, others)) - f64::from(score);
        if impurity_decrease < MIN_IMPURITY_DECREASE {
            return leaf();
        }
        let mut left = vec![false; mask.len()];
        let mut right = vec![false; mask.len()];
        let (mut left_size, mut right_size) = (0, 0);
        for (k, _) in mask.iter().enumerate().filter(|(_, m)| **m) {
            if (self.value)(k, feature) <= split_value {
                left[k] = true;
                left_size += 1;
            } else {
                right[k] = true;
                right_size += 1;
            }
        }
        let left_child =
            (left_size > 0).then(|| Box::new(self.node(&left, left_size, depth + 1, tie)));
        drop(left);
        let right_child =
            (right_size > 0).then(|| Box::new(self.node(&right, right_size, depth + 1, tie)));
        Node {
            feature_idx: feature,
            feature_name: format!("feature-{feature}"),
            split_value,
            impurity_decrease,
            leaf_node: left_child.is_none() || right_child.is_none(),
            left_child,
            right_child,
            prediction,
            depth,
        }
    }

    /// The best split on feature `j` of the node's cases (`mask`), by linfa's walk:
    /// cases move left one at a time in the feature's order; after each, unless
    /// the next value in the order (of any case, in the node or not) is within
    /// [`EQUAL_VALUES`], the split halfway to it is scored. The first of equal
    /// scores wins.
    fn best_split(&self, j: usize, mask: &[bool], failing: f32, others: f32) -> Option<Split> {
        let order = &self.order[j];
        let total = failing + others;
        let (mut right_failing, mut right_others) = (failing, others);
        let (mut left_failing, mut left_others) = (0.0f32, 0.0f32);
        let (mut right_weight, mut left_weight) = (total, 0.0f32);
        let mut best: Option<Split> = None;
        for i in 0..order.len().saturating_sub(1) {
            let k = order[i] as usize;
            if !mask[k] {
                continue;
            }
            if self.labels[k] {
                right_failing -= 1.0;
                left_failing += 1.0;
            } else {
                right_others -= 1.0;
                left_others += 1.0;
            }
            right_weight -= 1.0;
            left_weight += 1.0;
            let here = (self.value)(k, j);
            let next = (self.value)(order[i + 1] as usize, j);
            if (here - next).abs() < EQUAL_VALUES {
                continue;
            }
            if right_weight < self.growth.min_leaf || left_weight < self.growth.min_leaf {
                continue;
            }
            let w = right_weight / total;
            let score =
                w * gini(right_failing, right_others) + (1.0 - w) * gini(left_failing, left_others);
            if best.is_none_or(|b| score < b.2) {
                best = Some((j, (here + next) / 2.0, score));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::prelude::*;
    use ndarray::{Array1, Array2};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Rows with repeated failing cases (as the learners balance them), rounded
    /// values (many ties) and values closer than linfa's equality step.
    fn cases(seed: u64, n: usize) -> (Array2<f64>, Vec<bool>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Array2::from_shape_fn((n, 5), |(_, j)| match j {
            0 => rng.gen_range(0.0..1.0),
            1 => (rng.gen_range(0.0..10.0f64)).round(),
            2 => rng.gen_range(0.0..1.0) * 1e-5,
            _ => rng.gen_range(-3.0..3.0),
        });
        let mut y: Vec<bool> = (0..n)
            .map(|r| x[(r, 0)] + 0.1 * x[(r, 1)] + rng.gen_range(-0.4..0.4) > 1.0)
            .collect();
        let failing: Vec<usize> = (0..n).filter(|&r| y[r]).collect();
        let copies = x.select(ndarray::Axis(0), &failing);
        x.append(ndarray::Axis(0), copies.view()).unwrap();
        y.extend(failing.iter().map(|_| true));
        (x, y)
    }

    #[test]
    fn grows_the_tree_linfa_grows() {
        let mut compared = 0;
        for seed in 0..12 {
            let (x, y) = cases(seed, 300 + 40 * seed as usize);
            for (depth, leaf) in [(6, 10.0), (10, 5.0), (3, 1.0)] {
                let growth = Growth {
                    max_depth: depth,
                    min_leaf: leaf,
                };
                let (ours, tie) = grow_noting_ties(&y, x.ncols(), |k, j| x[(k, j)], growth);
                if tie {
                    // linfa's label for a tied node is chance; so is its pruning there.
                    continue;
                }
                let linfa = DecisionTree::params()
                    .max_depth(Some(depth))
                    .min_weight_leaf(leaf)
                    .fit(&Dataset::new(x.clone(), Array1::from(y.clone())))
                    .unwrap();
                let linfa = Tree::from_linfa(&linfa);
                assert_eq!(ours.root().nodes().len(), linfa.root().nodes().len());
                for (a, b) in ours.root().nodes().into_iter().zip(linfa.root().nodes()) {
                    assert_eq!(a.leaf_node, b.leaf_node, "seed {seed}");
                    if !a.leaf_node {
                        assert_eq!(a.split(), b.split(), "seed {seed}");
                        assert_eq!(a.impurity_decrease, b.impurity_decrease);
                    }
                }
                let (ia, ib) = (ours.feature_importance(), linfa.feature_importance());
                assert_eq!(format!("{ia:?}"), format!("{ib:?}"));
                compared += 1;
            }
        }
        assert!(compared >= 20, "only {compared} trees without ties");
    }

    #[test]
    fn reads_a_tree_stored_by_linfa() {
        let (x, y) = cases(3, 200);
        let linfa = DecisionTree::params()
            .max_depth(Some(4))
            .fit(&Dataset::new(x, Array1::from(y)))
            .unwrap();
        let stored = serde_json::to_string(&linfa).unwrap();
        let read: Tree = serde_json::from_str(&stored).unwrap();
        let converted = Tree::from_linfa(&linfa);
        assert!(!read.root().is_leaf());
        assert_eq!(read.root().nodes().len(), linfa.iter_nodes().count());
        for (a, b) in read
            .root()
            .nodes()
            .into_iter()
            .zip(converted.root().nodes())
        {
            assert_eq!(
                (a.leaf_node, a.split(), a.depth),
                (b.leaf_node, b.split(), b.depth)
            );
            if a.leaf_node {
                assert_eq!(a.prediction, b.prediction);
            }
        }
        assert_eq!(read.feature_importance(), converted.feature_importance());
    }
}
