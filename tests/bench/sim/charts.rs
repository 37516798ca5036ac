//! SVG charts of a run: push latency under sustained load (a shop per writer against one
//! shop), throughput against writers, and fanout's delivery latency against deliveries/s.
//!
//! The SVG backend writes text as `<text>` elements that the viewer sets in its own
//! sans-serif, and plotters (without its `ttf`/`ab_glyph` features) lays labels out by a
//! fixed estimate of glyph widths: no font file is read or bundled.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Duration;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::fanout_step::P99_LIMIT_MS;
use crate::report::{FanoutLoad, WriterCount, WriterSweep};

type Drawn = Result<(), Box<dyn Error>>;

const SIZE: (u32, u32) = (900, 560);
const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(230, 110, 20);
const GREY: RGBColor = RGBColor(120, 120, 120);
/// Points drawn of a latency distribution, whatever its sample count.
const CDF_POINTS: usize = 400;

/// The pushes of the sustained runs at the main writer count, both shapes.
pub struct PushTimes<'a> {
    pub writers: usize,
    pub shop_per_writer: &'a [Duration],
    pub one_shop: &'a [Duration],
}

/// Writes the charts the run has figures for into `dir`; returns the files written.
pub fn write_all(
    dir: &Path,
    push: Option<PushTimes>,
    sweep: Option<&WriterSweep>,
    fanout: Option<&FanoutLoad>,
) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut chart = |name: &str, draw: &dyn Fn(&Path) -> Drawn| -> Drawn {
        let path = dir.join(name);
        draw(&path)?;
        written.push(path);
        Ok(())
    };
    if let Some(push) = push.filter(|p| !p.shop_per_writer.is_empty() && !p.one_shop.is_empty()) {
        chart("push-latency.svg", &|path| push_latency(path, &push))?;
    }
    if let Some(sweep) = sweep.filter(|s| !s.points.is_empty()) {
        chart("throughput-writers.svg", &|path| throughput(path, sweep))?;
    }
    if let Some(fanout) = fanout.filter(|f| f.steps.iter().any(|s| s.latency.is_some())) {
        chart("fanout-p99.svg", &|path| fanout_p99(path, fanout))?;
    }
    Ok(written)
}

fn canvas(path: &Path) -> DrawingArea<SVGBackend<'_>, Shift> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).expect("an SVG canvas fills");
    root
}

/// The distribution as (milliseconds, % of pushes at or below), `CDF_POINTS` quantiles.
fn cdf(times: &[Duration]) -> Vec<(f64, f64)> {
    let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    (0..=CDF_POINTS)
        .map(|q| {
            let index = (ms.len() - 1) * q / CDF_POINTS;
            (ms[index], 100.0 * (index + 1) as f64 / ms.len() as f64)
        })
        .collect()
}

fn push_latency(path: &Path, push: &PushTimes) -> Drawn {
    let (many, one) = (cdf(push.shop_per_writer), cdf(push.one_shop));
    let all = many.iter().chain(&one).map(|(ms, _)| *ms);
    let (low, high) = all.fold((f64::MAX, 0.0_f64), |(lo, hi), ms| (lo.min(ms), hi.max(ms)));
    let root = canvas(path);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "Push of 50 records under sustained load, {} writers",
                push.writers
            ),
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(64)
        .build_cartesian_2d((decade_below(low)..high * 1.1).log_scale(), 0.0..100.0)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .x_label_formatter(&milliseconds)
        .x_desc("push round trip (ms, log scale)")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("pushes at or below (%)")
        .axis_desc_style(("sans-serif", 17))
        .label_style(("sans-serif", 14))
        .draw()?;
    let many_label = format!("{} shops, one writer each", push.writers);
    line(&mut chart, many_label, BLUE, many, 0)?;
    line(
        &mut chart,
        format!("one shop, {} tills", push.writers),
        ORANGE,
        one,
        0,
    )?;
    legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    root.present()?;
    Ok(())
}

fn throughput(path: &Path, sweep: &WriterSweep) -> Drawn {
    let most_writers = sweep.points.iter().map(|p| p.writers).max().unwrap_or(1) as u32;
    let most_records = sweep
        .points
        .iter()
        .map(|p| {
            p.shop_per_writer_records_per_second
                .max(p.one_shop_records_per_second)
        })
        .fold(0.0, f64::max);
    let root = canvas(path);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Sustained pushes of 50 records: throughput against writers",
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(0..most_writers + 1, 0.0..most_records * 1.15)?;
    chart
        .configure_mesh()
        .x_labels(most_writers as usize + 2)
        .light_line_style(TRANSPARENT)
        .x_desc("concurrent writers")
        .y_desc("records accepted per second")
        .axis_desc_style(("sans-serif", 17))
        .label_style(("sans-serif", 14))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    let points = |records: fn(&WriterCount) -> f64| {
        let points = sweep.points.iter();
        points.map(|p| (p.writers as u32, records(p))).collect()
    };
    let shop_per_writer = points(|p| p.shop_per_writer_records_per_second);
    line(&mut chart, "a shop per writer", BLUE, shop_per_writer, 4)?;
    let one_shop = points(|p| p.one_shop_records_per_second);
    line(
        &mut chart,
        "one shop, every writer a till",
        ORANGE,
        one_shop,
        4,
    )?;
    legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    root.present()?;
    Ok(())
}

fn fanout_p99(path: &Path, fanout: &FanoutLoad) -> Drawn {
    // (deliveries/s, p50, p99) in the order of deliveries/s: refinement steps come last.
    let mut measured: Vec<(f64, f64, f64)> = fanout
        .steps
        .iter()
        .filter_map(|s| {
            Some((
                s.deliveries_per_second,
                s.latency.as_ref()?.p50_ms,
                s.latency.as_ref()?.p99_ms,
            ))
        })
        .collect();
    measured.sort_by(|a, b| a.0.total_cmp(&b.0));
    let most_deliveries = measured.iter().map(|m| m.0).fold(0.0, f64::max);
    let (low, high) = measured
        .iter()
        .fold((P99_LIMIT_MS, P99_LIMIT_MS), |(lo, hi), m| {
            (lo.min(m.1), hi.max(m.2))
        });
    let root = canvas(path);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "Fanout: {} devices in {} rooms on one replica",
                fanout.devices, fanout.rooms
            ),
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(64)
        .build_cartesian_2d(
            0.0..most_deliveries * 1.1,
            (decade_below(low * 0.9)..high * 1.5).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("deliveries per second (push → device)")
        .light_line_style(TRANSPARENT)
        .y_labels(20)
        .y_label_formatter(&milliseconds)
        .y_desc("delivery latency (ms, log scale)")
        .axis_desc_style(("sans-serif", 17))
        .label_style(("sans-serif", 14))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    let p99 = measured.iter().map(|m| (m.0, m.2)).collect();
    line(&mut chart, "p99", BLUE, p99, 4)?;
    let p50 = measured.iter().map(|m| (m.0, m.1)).collect();
    line(&mut chart, "p50", GREY, p50, 4)?;
    let limit = [(0.0, P99_LIMIT_MS), (most_deliveries * 1.1, P99_LIMIT_MS)];
    chart
        .draw_series(DashedLineSeries::new(limit, 8, 6, RED.stroke_width(1)))?
        .label(format!("p99 limit, {P99_LIMIT_MS} ms"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 24, y)], RED.stroke_width(1)));
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present()?;
    Ok(())
}

/// Draws `points` as a line in `color`, named in the legend, with dots of `dot_size`.
fn line<'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    label: impl Into<String>,
    color: RGBColor,
    points: Vec<(X::ValueType, Y::ValueType)>,
    dot_size: u32,
) -> Drawn
where
    X::ValueType: Clone + 'static,
    Y::ValueType: Clone + 'static,
{
    let style = color.stroke_width(2);
    chart
        .draw_series(LineSeries::new(points, style).point_size(dot_size))?
        .label(label)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], style));
    Ok(())
}

/// The power of ten at or below `ms`: plotters labels a log axis from its first power of
/// ten, so the axis starts there.
fn decade_below(ms: f64) -> f64 {
    10f64.powf(ms.log10().floor())
}

/// A tick of a log-scale millisecond axis: a whole number when it is one.
fn milliseconds(ms: &f64) -> String {
    if (ms - ms.round()).abs() < 1e-6 {
        format!("{ms:.0}")
    } else {
        format!("{ms:.1}")
    }
}

fn legend<'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> Drawn {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}
