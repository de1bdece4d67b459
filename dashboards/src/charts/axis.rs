//! Axes whose ticks are chosen here, not by plotters: as many as their labels fit
//! (measured with plotters' own text estimate), each with its label already written.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use super::style::{self, TEXT};

/// Space between two neighbouring tick labels on a horizontal axis, px.
const GAP: u32 = 14;

/// One axis: its range and its ticks, each with its label.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    pub(crate) ticks: Vec<(f64, String)>,
}

impl Axis {
    /// An axis with the given ticks.
    pub(crate) fn new(lo: f64, hi: f64, ticks: Vec<(f64, String)>) -> Self {
        Self { lo, hi, ticks }
    }

    /// The width of its widest label.
    pub(crate) fn label_width(&self) -> u32 {
        style::max_width(self.ticks.iter().map(|(_, l)| l.as_str()), TEXT)
    }

    /// Half the width of its last label: the room needed right of a horizontal axis.
    pub(crate) fn overhang(&self) -> u32 {
        self.ticks
            .last()
            .map_or(0, |(_, l)| style::text_size(l, TEXT).0 / 2)
    }
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        let t = if span > 0.0 {
            (value - self.lo) / span
        } else {
            0.5
        };
        let pixels = f64::from(limit.1 - limit.0);
        (f64::from(limit.0) + t * pixels).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.iter().map(|(v, _)| *v).collect()
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Axis {
    fn format_ext(&self, value: &f64) -> String {
        let tolerance = (self.hi - self.lo).abs() * 1e-9;
        self.ticks
            .iter()
            .find(|(v, _)| (v - value).abs() <= tolerance)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    }
}

/// A "nice" step (1, 2 or 5 times a power of ten) of at least `raw`.
pub(crate) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * power >= raw * (1.0 - 1e-9) {
            return m * power;
        }
    }
    10.0 * power
}

/// The decimals a label needs to show a multiple of `step`.
pub(crate) fn decimals(step: f64) -> usize {
    let mut d = 0;
    while d < 6
        && ((step * 10f64.powi(d as i32)).round() - step * 10f64.powi(d as i32)).abs() > 1e-6
    {
        d += 1;
    }
    d
}

/// A number with thousands separated by commas, and `decimals` decimals.
pub(crate) fn format_number(value: f64, decimals: usize) -> String {
    let mut text = format!("{value:.decimals$}");
    if text.chars().all(|c| matches!(c, '-' | '0' | '.')) {
        text = text.trim_start_matches('-').to_string();
    }
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |d| ("-", d));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Nice ticks over `lo..hi` with at most `max` of them; the range is widened to
/// whole steps when `snap` is set.
fn ticks_within(
    lo: f64,
    hi: f64,
    max: usize,
    snap: bool,
    label: &dyn Fn(f64, usize) -> String,
) -> Axis {
    let (mut lo, mut hi) = (lo, hi);
    if !(lo.is_finite() && hi.is_finite()) {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo, hi) = (lo - pad, hi + pad);
    }
    let max = max.max(2);
    let step = nice_step((hi - lo) / (max - 1) as f64);
    if snap {
        lo = (lo / step).floor() * step;
        hi = (hi / step).ceil() * step;
    }
    let d = decimals(step);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let ticks = (first..=last)
        .map(|i| {
            let v = i as f64 * step;
            (v, label(v, d))
        })
        .collect();
    Axis::new(lo, hi, ticks)
}

/// A vertical axis over `lo..hi` (widened to whole steps) with as many ticks as fit
/// in `height` px, one label line apart at least twice over.
pub(crate) fn vertical(
    lo: f64,
    hi: f64,
    height: u32,
    label: &dyn Fn(f64, usize) -> String,
) -> Axis {
    let per = style::line_height(TEXT) * 5 / 2;
    let max = (height / per.max(1)) as usize;
    ticks_within(lo, hi, max.clamp(2, 8), true, label)
}

/// A horizontal axis over `lo..hi` with as many ticks as fit side by side in
/// `width` px, each label measured.
pub(crate) fn horizontal(
    lo: f64,
    hi: f64,
    width: u32,
    snap: bool,
    label: &dyn Fn(f64, usize) -> String,
) -> Axis {
    let mut max = 12;
    loop {
        let axis = ticks_within(lo, hi, max, snap, label);
        let n = axis.ticks.len() as u32;
        if max <= 2 || n * (axis.label_width() + GAP) <= width {
            return axis;
        }
        max -= 1;
    }
}

/// A horizontal axis of categories `0..n` (drawn at `i`, range `-0.5..n-0.5`), with
/// every k-th label so that the labels fit in `width` px.
pub(crate) fn categories(labels: &[String], width: u32) -> Axis {
    let n = labels.len().max(1);
    let widest = style::max_width(labels.iter().map(String::as_str), TEXT) + GAP;
    let fit = (width / widest.max(1)).max(1) as usize;
    let every = n.div_ceil(fit);
    let ticks = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, l)| (i as f64, l.clone()))
        .collect();
    Axis::new(-0.5, n as f64 - 0.5, ticks)
}

/// Width of a left label area: the axis description (rotated), a gap, the widest tick
/// label and the tick mark.
pub(crate) fn left_area(axis: &Axis) -> u32 {
    style::line_height(style::AXIS) + 10 + axis.label_width() + 12
}

/// Height of a bottom label area: the tick mark, a line of labels, a gap and the axis
/// description.
pub(crate) fn bottom_area() -> u32 {
    10 + style::line_height(TEXT) + 8 + style::line_height(style::AXIS) + 6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_nice() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(23.0), 25.0);
        assert_eq!(nice_step(0.03), 0.05);
        assert_eq!(decimals(0.05), 2);
        assert_eq!(decimals(25.0), 0);
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(format_number(12345.0, 0), "12,345");
        assert_eq!(format_number(1234.0, 0), "1,234");
        assert_eq!(format_number(999.5, 1), "999.5");
        assert_eq!(format_number(-0.25, 2), "-0.25");
        assert_eq!(format_number(-0.0000001, 1), "0.0");
    }
}
