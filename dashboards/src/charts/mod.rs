//! Charts: each module takes a plain input struct and renders it as an accessible SVG
//! (`svg()`), or as a PNG (`png()`).
//!
//! Every chart uses the Okabe–Ito palette together with distinct marker shapes, dash
//! patterns and hatching, so its series stay apart for colour-blind readers and in
//! black-and-white print. Dates are labelled in the co-op's time zone. Tick labels are
//! as many as fit, measured with plotters' estimate of the embedded DejaVu Sans, so
//! no two labels overlap. Empty inputs give a "No data for this range" chart; NaN and
//! infinite values are skipped. The same input always gives the same bytes.

mod axis;
mod legend;
mod plot;
mod render;
pub mod style;
pub mod time;

pub mod backlog_spend;
pub mod budget_plan;
pub mod calibration;
pub mod precision_recall;
pub mod risk_over_time;
pub mod sensor_trend;

pub use render::NO_DATA_MESSAGE;

use plotters::drawing::DrawingAreaErrorKind;

/// Why a chart could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The embedded font could not be read.
    #[error("the embedded font could not be loaded")]
    Font,
    /// Plotters failed to draw.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("encoding the PNG failed: {0}")]
    Png(#[from] png::EncodingError),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(error: DrawingAreaErrorKind<E>) -> Self {
        ChartError::Draw(error.to_string())
    }
}

/// "1 alarm", "2 alarms": a count in words for chart descriptions.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Implements the public `svg()` and `png()` of a chart's input struct.
macro_rules! renders {
    ($input:ty) => {
        impl $input {
            /// Renders the chart as an accessible SVG document (`role="img"`, `<title>`,
            /// `<desc>`, a fixed `viewBox`, width 100%).
            pub fn svg(&self) -> Result<String, $crate::charts::ChartError> {
                $crate::charts::render::svg(self)
            }

            /// Renders the chart as a PNG image of the same size.
            pub fn png(&self) -> Result<Vec<u8>, $crate::charts::ChartError> {
                $crate::charts::render::png(self)
            }
        }
    };
}
pub(crate) use renders;
