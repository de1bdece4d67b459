//! From a chart to SVG or PNG: the backends, the "no data" chart, and the accessible
//! SVG wrapper (`role="img"`, `<title>`, `<desc>`, a fixed `viewBox`, width 100%).

use plotters::coord::Shift;
use plotters::element::{Rectangle, Text};
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ChartError;
use super::style::{self, BLACK, GRID, MESSAGE, WHITE};

/// What a chart says when its input has nothing to draw.
pub const NO_DATA_MESSAGE: &str = "No data for this range";

/// A chart: its size, what it says in words, and how it draws itself.
pub(crate) trait Draw {
    /// Width and height in px: the SVG's `viewBox` and the PNG's size.
    fn size(&self) -> (u32, u32) {
        (640, 400)
    }
    /// A short title (the SVG's `<title>`).
    fn title(&self) -> String;
    /// The chart in words (the SVG's `<desc>`).
    fn description(&self) -> String;
    /// Whether there is nothing to draw: the "no data" chart is drawn instead.
    fn is_empty(&self) -> bool;
    /// Draws the chart on a white `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError>;
}

/// The chart as an accessible SVG document.
pub(crate) fn svg<C: Draw>(chart: &C) -> Result<String, ChartError> {
    style::ensure_font()?;
    let (w, h) = chart.size();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        paint(chart, &root)?;
        root.present()?;
    }
    let description = if chart.is_empty() {
        format!("{} {NO_DATA_MESSAGE}.", chart.description())
    } else {
        chart.description()
    };
    Ok(accessible(&out, (w, h), &chart.title(), &description))
}

/// The chart as a PNG image (8-bit RGB).
pub(crate) fn png<C: Draw>(chart: &C) -> Result<Vec<u8>, ChartError> {
    style::ensure_font()?;
    let (w, h) = chart.size();
    let mut pixels = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        paint(chart, &root)?;
        root.present()?;
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
        writer.finish()?;
    }
    Ok(out)
}

fn paint<C: Draw, DB: DrawingBackend>(
    chart: &C,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
    root.fill(&WHITE)?;
    if chart.is_empty() {
        no_data(root)
    } else {
        chart.draw(root)
    }
}

/// A framed area saying there is no data.
fn no_data<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
    let (w, h) = root.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    root.draw(&Rectangle::new([(10, 10), (w - 10, h - 10)], GRID))?;
    let centred = style::text(MESSAGE, BLACK).pos(Pos::new(HPos::Center, VPos::Center));
    root.draw(&Text::new(NO_DATA_MESSAGE, (w / 2, h / 2), centred))?;
    Ok(())
}

/// Escapes text for XML content and attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// FNV-1a: a stable id for the chart's `<title>` and `<desc>`, the same for the same
/// chart, so two different charts on one page do not share ids.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Replaces plotters' `<svg>` opening tag with an accessible, scalable one.
fn accessible(svg: &str, (w, h): (u32, u32), title: &str, description: &str) -> String {
    let body = svg
        .find("<svg")
        .and_then(|start| svg[start..].find('>').map(|end| &svg[start + end + 1..]))
        .unwrap_or(svg);
    let id = format!(
        "chart-{:016x}",
        fnv(&format!("{title}\n{description}\n{body}"))
    );
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" "#,
            r#"preserveAspectRatio="xMidYMid meet" style="max-width:{w}px;height:auto" "#,
            r#"role="img" aria-labelledby="{id}-title {id}-desc">"#,
            "\n<title id=\"{id}-title\">{title}</title>\n<desc id=\"{id}-desc\">{desc}</desc>{body}"
        ),
        w = w,
        h = h,
        id = id,
        title = escape(title),
        desc = escape(description),
        body = body,
    )
}
