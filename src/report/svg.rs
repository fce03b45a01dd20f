//! Small hand-written SVG charts: a line chart and a horizontal (stacked)
//! bar chart, each with a title, axes, labels, a legend and an accessible
//! `<title>`/`<desc>`. Every string that reaches the output goes through
//! [`escape`]; numbers are formatted here, so nothing else is needed to keep
//! the SVG safe inline in HTML.

use std::fmt::Write;

/// Escapes text for HTML/SVG element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters have no business in a label.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Colors, distinguishable with the common color-vision deficiencies
/// (Okabe–Ito, then a few Tableau tones).
pub const PALETTE: [&str; 10] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D31", "#F0E442",
    "#7F7F7F", "#17BECF",
];

/// One named series of values.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    /// A `#rrggbb` color; `None` picks one from [`PALETTE`] by position.
    pub color: Option<&'static str>,
}

/// A line chart over categorical x values (dates).
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Used to make the ids of `<title>`/`<desc>` unique in the page.
    pub id: String,
    pub title: String,
    pub desc: String,
    pub x_labels: Vec<String>,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Width in CSS pixels (the chart scales down to fit its container).
    pub width: f64,
}

/// A horizontal bar chart; several series stack left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub id: String,
    pub title: String,
    pub desc: String,
    pub categories: Vec<String>,
    pub x_label: String,
    pub series: Vec<Series>,
    /// Fixed axis maximum (e.g. 1.0 for shares); `None` fits the data.
    pub max: Option<f64>,
    /// Values are shares in 0..=1, printed as percentages.
    pub percent: bool,
    /// Draw a light full-width track behind each bar (progress bars).
    pub track: bool,
    /// Width in CSS pixels (the chart scales down to fit its container).
    pub width: f64,
}

const FONT: &str =
    "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\"";

/// Ticks for an axis from 0 to at least `max`: a 1-2-5 step giving about
/// `target` intervals. Returns (step, top).
pub fn nice_ticks(max: f64, target: usize) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let step = if step < 1.0 && max >= 1.0 { 1.0 } else { step };
    let top = (max / step).ceil() * step;
    (step, top)
}

/// A number as an axis or value label: integers without decimals.
pub fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

fn fmt_pct(v: f64) -> String {
    format!("{}%", (v * 100.0).round() as i64)
}

fn color(series: &Series, i: usize) -> &'static str {
    series.color.unwrap_or(PALETTE[i % PALETTE.len()])
}

/// Cuts a label to `max` characters, with an ellipsis.
fn clip(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

fn open_svg(out: &mut String, id: &str, title: &str, desc: &str, width: f64, height: f64) {
    let id = escape(id);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"{id}\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" {FONT} font-size=\"12\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>\
         <text class=\"chart-title\" x=\"0\" y=\"18\" font-size=\"15\" font-weight=\"600\" fill=\"#1f2933\">{}</text>",
        escape(title),
        escape(desc),
        escape(title),
    );
}

/// Legend items in rows starting at (x, y); returns the y below the legend.
fn legend(
    out: &mut String,
    series: &[Series],
    (x0, y0, width): (f64, f64, f64),
    dashed: bool,
) -> f64 {
    let (mut x, mut y) = (x0, y0);
    out.push_str("<g class=\"legend\">");
    for (i, s) in series.iter().enumerate() {
        let name = clip(&s.name, 28);
        let w = 26.0 + 6.6 * name.chars().count() as f64 + 18.0;
        if x + w > width && x > x0 {
            x = x0;
            y += 18.0;
        }
        let c = color(s, i);
        if dashed {
            let _ = write!(
                out,
                "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{c}\" stroke-width=\"2.5\"{}/>",
                y - 4.0,
                x + 18.0,
                y - 4.0,
                dash(i)
            );
        } else {
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" rx=\"2\" fill=\"{c}\"/>",
                y - 10.0
            );
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{y:.1}\" fill=\"#3e4c59\" data-legend=\"{}\">{}</text>",
            x + if dashed { 24.0 } else { 17.0 },
            escape(&s.name),
            escape(&name)
        );
        x += w;
    }
    out.push_str("</g>");
    y + 10.0
}

/// A dash pattern so overlapping lines stay distinguishable.
fn dash(i: usize) -> &'static str {
    match i % 3 {
        0 => "",
        1 => " stroke-dasharray=\"6 3\"",
        _ => " stroke-dasharray=\"2 3\"",
    }
}

/// Renders a line chart.
pub fn line_chart(chart: &LineChart) -> String {
    let mut out = String::new();
    let height = 380.0;
    let width = chart.width;
    open_svg(
        &mut out,
        &chart.id,
        &chart.title,
        &chart.desc,
        width,
        height,
    );
    let legend_bottom = legend(&mut out, &chart.series, (0.0, 44.0, width), true);
    let (left, right, top, bottom) = (52.0, width - 40.0, legend_bottom + 8.0, height - 44.0);
    let max = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0, f64::max);
    let (step, ymax) = nice_ticks(max, 5);
    let y = |v: f64| bottom - (v / ymax) * (bottom - top);
    let n = chart.x_labels.len();
    let x = |i: usize| {
        if n <= 1 {
            (left + right) / 2.0
        } else {
            left + (right - left) * i as f64 / (n - 1) as f64
        }
    };

    // Grid and y axis.
    out.push_str("<g class=\"y-axis\">");
    let mut t = 0.0;
    while t <= ymax + step / 2.0 {
        let yy = y(t);
        let _ = write!(
            out,
            "<line x1=\"{left:.1}\" y1=\"{yy:.1}\" x2=\"{right:.1}\" y2=\"{yy:.1}\" stroke=\"{}\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#616e7c\">{}</text>",
            if t == 0.0 { "#9aa5b1" } else { "#e4e7eb" },
            left - 6.0,
            yy + 4.0,
            fmt_num(t)
        );
        t += step;
    }
    let _ = write!(
        out,
        "<text transform=\"translate(12 {:.1}) rotate(-90)\" text-anchor=\"middle\" fill=\"#616e7c\">{}</text></g>",
        (top + bottom) / 2.0,
        escape(&chart.y_label)
    );

    // X axis labels: at most ~8, always the last.
    out.push_str("<g class=\"x-axis\">");
    let every = n.div_ceil(8).max(1);
    // Multiples of `every`, and the last, skipping one too close to it.
    let show = |i: usize| {
        i + 1 == n || (i.is_multiple_of(every) && (i == 0 || n - 1 - i >= every.div_ceil(2)))
    };
    for (i, label) in chart.x_labels.iter().enumerate() {
        if show(i) {
            let _ = write!(
                out,
                "<line x1=\"{0:.1}\" y1=\"{bottom:.1}\" x2=\"{0:.1}\" y2=\"{1}\" stroke=\"#9aa5b1\"/>\
                 <text x=\"{0:.1}\" y=\"{2}\" text-anchor=\"middle\" fill=\"#616e7c\">{3}</text>",
                x(i),
                bottom + 4.0,
                bottom + 18.0,
                escape(label)
            );
        }
    }
    out.push_str("</g>");

    // Series, first on top: draw in reverse.
    for (i, s) in chart.series.iter().enumerate().rev() {
        let c = color(s, i);
        let stroke = if i == 0 { 3.0 } else { 2.0 };
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(j, v)| format!("{:.1},{:.1}", x(j), y(*v)))
            .collect();
        let _ = write!(
            out,
            "<g class=\"series\" data-series=\"{}\"><polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"{stroke}\" \
             stroke-linejoin=\"round\" stroke-linecap=\"round\"{} points=\"{}\"/>",
            escape(&s.name),
            dash(i),
            points.join(" ")
        );
        for (j, v) in s.values.iter().enumerate() {
            let label = chart.x_labels.get(j).map(String::as_str).unwrap_or("");
            let _ = write!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{}\" fill=\"{c}\"><title>{}: {} on {}</title></circle>",
                x(j),
                y(*v),
                if n > 40 { 1.5 } else { 2.5 },
                escape(&s.name),
                fmt_num(*v),
                escape(label)
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// Renders a horizontal bar chart, one bar per category, series stacked.
pub fn bar_chart(chart: &BarChart) -> String {
    let mut out = String::new();
    let row = 24.0;
    let width = chart.width;
    // Category labels get at most 40% of the width; longer ones are clipped.
    let label_chars = (((width * 0.4 - 12.0) / 7.2) as usize).clamp(6, 32);
    let longest = chart
        .categories
        .iter()
        .map(|c| clip(c, label_chars).chars().count())
        .max()
        .unwrap_or(4);
    let left = (12.0 + 7.2 * longest as f64).max(60.0);
    let right = width - 48.0;
    let stacked = chart.series.len() > 1;
    let legend_h = if stacked { 26.0 } else { 0.0 };
    let top = 36.0 + legend_h;
    let plot_h = row * chart.categories.len().max(1) as f64;
    let bottom = top + plot_h;
    let height = bottom + 44.0;
    open_svg(
        &mut out,
        &chart.id,
        &chart.title,
        &chart.desc,
        width,
        height,
    );
    if stacked {
        legend(&mut out, &chart.series, (0.0, 48.0, width), false);
    }
    let totals: Vec<f64> = (0..chart.categories.len())
        .map(|i| {
            chart
                .series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let data_max = totals.iter().copied().fold(0.0, f64::max);
    let (step, xmax) = match chart.max {
        Some(m) => (m / 4.0, m),
        None => nice_ticks(data_max, 5),
    };
    let x = |v: f64| left + (v / xmax).clamp(0.0, 1.0) * (right - left);
    let fmt = |v: f64| {
        if chart.percent {
            fmt_pct(v)
        } else {
            fmt_num(v)
        }
    };

    // Grid and x axis.
    out.push_str("<g class=\"x-axis\">");
    let mut t = 0.0;
    while t <= xmax + step / 2.0 {
        let xx = x(t);
        let _ = write!(
            out,
            "<line x1=\"{xx:.1}\" y1=\"{top:.1}\" x2=\"{xx:.1}\" y2=\"{bottom:.1}\" stroke=\"{}\"/>\
             <text x=\"{xx:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#616e7c\">{}</text>",
            if t == 0.0 { "#9aa5b1" } else { "#e4e7eb" },
            bottom + 16.0,
            fmt(t)
        );
        t += step;
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#616e7c\">{}</text></g>",
        (left + right) / 2.0,
        bottom + 36.0,
        escape(&chart.x_label)
    );

    for (i, cat) in chart.categories.iter().enumerate() {
        let y0 = top + row * i as f64 + 4.0;
        let h = row - 8.0;
        let _ = write!(
            out,
            "<g class=\"bar\" data-category=\"{}\" data-total=\"{}\">\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#1f2933\"><title>{}</title>{}</text>",
            escape(cat),
            fmt_num(totals[i]),
            left - 8.0,
            y0 + h / 2.0 + 4.0,
            escape(cat),
            escape(&clip(cat, label_chars))
        );
        if chart.track {
            let _ = write!(
                out,
                "<rect x=\"{left:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{h:.1}\" rx=\"3\" fill=\"#eef2f7\"/>",
                right - left
            );
        }
        let mut acc = 0.0;
        for (k, s) in chart.series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let (a, b) = (x(acc), x(acc + v));
            let _ = write!(
                out,
                "<rect x=\"{a:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\" data-series=\"{}\" data-value=\"{}\">\
                 <title>{}: {} {}</title></rect>",
                (b - a).max(0.5),
                color(s, k),
                escape(&s.name),
                fmt_num(v),
                escape(cat),
                fmt(v),
                escape(&s.name)
            );
            acc += v;
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#3e4c59\" font-weight=\"600\">{}</text></g>",
            x(acc.max(if chart.track { xmax } else { 0.0 })) + 6.0,
            y0 + h / 2.0 + 4.0,
            fmt(totals[i])
        );
    }
    if chart.categories.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#616e7c\">No data</text>",
            (left + right) / 2.0,
            top + row / 2.0 + 4.0
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralizes_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape("a\u{0}b"), "a\u{FFFD}b");
        assert_eq!(escape("équipe"), "équipe");
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_ticks(46.0, 5), (10.0, 50.0));
        assert_eq!(nice_ticks(394.0, 5), (100.0, 400.0));
        assert_eq!(nice_ticks(0.0, 5), (1.0, 1.0));
        assert_eq!(nice_ticks(3.0, 5), (1.0, 3.0));
        assert_eq!(nice_ticks(f64::NAN, 5), (1.0, 1.0));
        assert_eq!(fmt_num(12.0), "12");
        assert_eq!(fmt_num(0.25), "0.2");
    }

    fn sample_line() -> LineChart {
        LineChart {
            id: "risk".into(),
            title: "Risky <roles>".into(),
            desc: "desc & more".into(),
            x_labels: vec!["2026-10-01".into(), "2026-10-02".into()],
            y_label: "roles".into(),
            series: vec![
                Series {
                    name: "iam:PassRole".into(),
                    values: vec![3.0, 5.0],
                    color: None,
                },
                Series {
                    name: "<img src=x>".into(),
                    values: vec![1.0, 0.0],
                    color: Some("#000000"),
                },
            ],
            width: 760.0,
        }
    }

    #[test]
    fn line_chart_has_accessible_title_axes_legend_and_points() {
        let svg = line_chart(&sample_line());
        assert!(svg.starts_with("<svg "));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-labelledby=\"risk-title risk-desc\""));
        assert!(svg.contains("<title id=\"risk-title\">Risky &lt;roles&gt;</title>"));
        assert!(svg.contains("<desc id=\"risk-desc\">desc &amp; more</desc>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
        assert!(svg.contains("data-legend=\"iam:PassRole\""));
        assert!(svg.contains("2026-10-02"));
        assert!(svg.contains("#000000"));
        // The hostile series name only ever appears escaped.
        assert!(!svg.contains("<img"));
        assert!(svg.contains("&lt;img src=x&gt;"));
        // Balanced markup: every opened element is closed.
        assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
    }

    #[test]
    fn line_chart_of_one_point_is_centered() {
        let mut c = sample_line();
        c.x_labels.truncate(1);
        for s in &mut c.series {
            s.values.truncate(1);
        }
        let svg = line_chart(&c);
        assert!(svg.contains("cx=\"386.0\""), "{svg}");
    }

    #[test]
    fn bar_chart_stacks_series_and_labels_totals() {
        let chart = BarChart {
            id: "unused".into(),
            title: "Unused".into(),
            desc: "per team".into(),
            categories: vec!["payments".into(), "<b>evil</b>".into()],
            x_label: "permissions".into(),
            series: vec![
                Series {
                    name: "open".into(),
                    values: vec![30.0, 4.0],
                    color: None,
                },
                Series {
                    name: "kept".into(),
                    values: vec![10.0, 0.0],
                    color: None,
                },
            ],
            max: None,
            percent: false,
            track: false,
            width: 520.0,
        };
        let svg = bar_chart(&chart);
        assert!(svg.contains("data-category=\"payments\" data-total=\"40\""));
        assert!(svg.contains("data-category=\"&lt;b&gt;evil&lt;/b&gt;\" data-total=\"4\""));
        // A zero value draws nothing.
        assert_eq!(svg.matches("data-series=\"kept\"").count(), 1);
        assert_eq!(svg.matches("data-series=\"open\"").count(), 2);
        assert!(svg.contains("data-legend=\"kept\""));
        assert!(!svg.contains("<b>"));
        assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
    }

    #[test]
    fn percent_bar_chart_with_track() {
        let chart = BarChart {
            id: "progress".into(),
            title: "Review progress".into(),
            desc: "share reviewed".into(),
            categories: vec!["a".into()],
            x_label: "reviewed".into(),
            series: vec![Series {
                name: "reviewed".into(),
                values: vec![0.25],
                color: None,
            }],
            max: Some(1.0),
            percent: true,
            track: true,
            width: 520.0,
        };
        let svg = bar_chart(&chart);
        assert!(svg.contains(">25%</text>"));
        assert!(svg.contains(">100%</text>"));
        assert!(svg.contains("#eef2f7"));
        // A single series needs no legend.
        assert!(!svg.contains("data-legend"));
    }

    #[test]
    fn empty_bar_chart_says_so() {
        let chart = BarChart {
            id: "e".into(),
            title: "t".into(),
            desc: "d".into(),
            categories: vec![],
            x_label: "x".into(),
            series: vec![],
            max: None,
            percent: false,
            track: false,
            width: 520.0,
        };
        assert!(bar_chart(&chart).contains("No data"));
    }

    #[test]
    fn long_labels_are_clipped_with_full_text_in_title() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}
