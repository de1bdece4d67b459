//! Helpers for the chart tests: parsing, text boxes, counting, saving what was drawn.
#![allow(dead_code)]

use std::path::PathBuf;

use caretaker_dashboards::charts::style::text_size;

/// Where the tests leave the charts they render, for people to look at:
/// `$CARGO_TARGET_DIR/charts/` (found from the test binary's own path).
pub fn out_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/debug/deps/charts-HASH → target
    let target = exe
        .ancestors()
        .nth(3)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let dir = target.join("charts");
    std::fs::create_dir_all(&dir).expect("create the charts folder");
    dir
}

/// Saves a chart's SVG and PNG under [`out_dir`].
pub fn save(name: &str, svg: &str, png: &[u8]) {
    let dir = out_dir();
    std::fs::write(dir.join(format!("{name}.svg")), svg).expect("write svg");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write png");
}

/// A `<text>` element's box, estimated as plotters estimates it for layout.
#[derive(Debug, Clone)]
pub struct TextBox {
    pub text: String,
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl TextBox {
    fn intersects(&self, other: &TextBox) -> bool {
        const SLACK: f64 = 0.5;
        self.x0 + SLACK < other.x1
            && other.x0 + SLACK < self.x1
            && self.y0 + SLACK < other.y1
            && other.y0 + SLACK < self.y1
    }
}

fn number(node: roxmltree::Node<'_, '_>, attr: &str) -> f64 {
    node.attribute(attr)
        .unwrap_or_else(|| panic!("<text> without {attr}"))
        .parse()
        .unwrap_or_else(|_| panic!("<text> {attr} is not a number"))
}

/// Every `<text>`'s box: its width from plotters' estimate of the embedded font at the
/// element's size, its height one em, placed by its anchor and `dy`, then rotated.
pub fn text_boxes(doc: &roxmltree::Document<'_>) -> Vec<TextBox> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let text: String = n.text().unwrap_or_default().trim().to_string();
            let (x, y) = (number(n, "x"), number(n, "y"));
            let em = number(n, "font-size");
            let width = f64::from(text_size(&text, em * 1.24).0);
            let left = match n.attribute("text-anchor") {
                Some("middle") => x - width / 2.0,
                Some("end") => x - width,
                _ => x,
            };
            let top = match n.attribute("dy") {
                Some("0.76em") => y,
                Some("0.5ex") => y - 0.5 * em,
                Some("-0.5ex") => y - em,
                other => panic!("unexpected dy {other:?}"),
            };
            let mut corners = [
                (left, top),
                (left + width, top),
                (left, top + em),
                (left + width, top + em),
            ];
            if let Some(t) = n.attribute("transform") {
                let inner = t
                    .strip_prefix("rotate(")
                    .and_then(|t| t.strip_suffix(')'))
                    .expect("only rotations");
                let parts: Vec<f64> = inner
                    .split(',')
                    .map(|p| p.trim().parse().expect("rotation number"))
                    .collect();
                let (a, cx, cy) = (parts[0].to_radians(), parts[1], parts[2]);
                for c in &mut corners {
                    let (dx, dy) = (c.0 - cx, c.1 - cy);
                    *c = (
                        cx + dx * a.cos() - dy * a.sin(),
                        cy + dx * a.sin() + dy * a.cos(),
                    );
                }
            }
            let xs = corners.iter().map(|c| c.0);
            let ys = corners.iter().map(|c| c.1);
            TextBox {
                text,
                x0: xs.clone().fold(f64::INFINITY, f64::min),
                x1: xs.fold(f64::NEG_INFINITY, f64::max),
                y0: ys.clone().fold(f64::INFINITY, f64::min),
                y1: ys.fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect()
}

/// Asserts that no two texts overlap and that every text is inside the view box.
pub fn assert_no_overlap(doc: &roxmltree::Document<'_>, size: (f64, f64)) {
    let boxes = text_boxes(doc);
    for (i, a) in boxes.iter().enumerate() {
        assert!(
            a.x0 >= -0.5 && a.y0 >= -0.5 && a.x1 <= size.0 + 0.5 && a.y1 <= size.1 + 0.5,
            "{a:?} is outside the chart"
        );
        for b in &boxes[i + 1..] {
            assert!(!a.intersects(b), "{a:?} overlaps {b:?}");
        }
    }
}

/// The texts of the chart.
pub fn texts(doc: &roxmltree::Document<'_>) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or_default().trim().to_string())
        .collect()
}

/// How many `tag` elements have `attr` equal to `value` (case-insensitive).
pub fn count(doc: &roxmltree::Document<'_>, tag: &str, attr: &str, value: &str) -> usize {
    doc.descendants()
        .filter(|n| n.has_tag_name(tag))
        .filter(|n| {
            n.attribute(attr)
                .is_some_and(|v| v.eq_ignore_ascii_case(value))
        })
        .count()
}

/// Parses the SVG, checks the accessible wrapper, and returns the document.
pub fn parse(svg: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is XML");
    let root = doc.root_element();
    assert!(root.has_tag_name("svg"));
    assert_eq!(root.attribute("role"), Some("img"));
    assert_eq!(root.attribute("width"), Some("100%"));
    assert!(
        root.attribute("viewBox")
            .is_some_and(|v| v.starts_with("0 0 "))
    );
    assert!(
        root.attribute("height").is_none(),
        "a fixed height would not scale"
    );
    let labelled = root.attribute("aria-labelledby").expect("aria-labelledby");
    for id in labelled.split(' ') {
        assert!(
            doc.descendants().any(|n| n.attribute("id") == Some(id)),
            "{id} is not in the document"
        );
    }
    let title = root
        .children()
        .find(|n| n.has_tag_name("title"))
        .expect("<title>");
    assert!(!title.text().unwrap_or_default().is_empty());
    let desc = root
        .children()
        .find(|n| n.has_tag_name("desc"))
        .expect("<desc>");
    assert!(!desc.text().unwrap_or_default().is_empty());
    doc
}

/// The chart's view box size.
pub fn view_box(doc: &roxmltree::Document<'_>) -> (f64, f64) {
    let v: Vec<f64> = doc
        .root_element()
        .attribute("viewBox")
        .expect("viewBox")
        .split(' ')
        .map(|p| p.parse().expect("number"))
        .collect();
    (v[2], v[3])
}

/// The `<desc>` text.
pub fn description(doc: &roxmltree::Document<'_>) -> String {
    doc.root_element()
        .children()
        .find(|n| n.has_tag_name("desc"))
        .and_then(|n| n.text())
        .unwrap_or_default()
        .to_string()
}

/// Decodes the PNG and returns (width, height, pixels that are not white, distinct colours).
pub fn png_stats(bytes: &[u8]) -> (u32, u32, usize, usize) {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let mut colours = std::collections::BTreeSet::new();
    let mut ink = 0;
    for p in pixels.chunks(channels) {
        let rgb = (p[0], p[1], p[2]);
        if rgb != (255, 255, 255) {
            ink += 1;
        }
        colours.insert(rgb);
    }
    (info.width, info.height, ink, colours.len())
}

/// Checks the PNG is the chart's size and is far from blank.
pub fn assert_png_drawn(bytes: &[u8], size: (f64, f64)) {
    let (w, h, ink, colours) = png_stats(bytes);
    assert_eq!((f64::from(w), f64::from(h)), size);
    assert!(ink > 3000, "only {ink} pixels drawn");
    assert!(colours > 20, "only {colours} colours");
}
