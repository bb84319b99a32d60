//! Renders the README's server throughput chart from the results file that
//! `gateway-forwarder load --json FILE` appends to: one bar per run label with its PUSH_ACK
//! rate as a fraction of the `minimal` run (the `udp_minimal_server` yardstick) measured just
//! before it, and a Markdown table of the same figures on stdout.
//!
//! ```text
//! throughput_chart docs/perf/results.jsonl docs/perf/throughput.svg
//! ```
//!
//! Each run is compared with the latest `minimal` line above it in the file; a label run more
//! than once shows the median of its ratios. Labels keep the order of their first run.

use std::io::Write as _;
use std::process::ExitCode;

use plotters::prelude::*;
use serde_json::Value;

/// One label's figures.
#[derive(Debug)]
struct Bar {
    label: String,
    /// Ratios to the minimal server, one per run.
    ratios: Vec<f64>,
    /// PUSH_ACKs per second, one per run.
    rates: Vec<f64>,
    /// Server CPU per acknowledged datagram (µs), where known.
    cpu_us: Vec<f64>,
    /// Datagrams lost, over all runs.
    lost: u64,
    /// The load's target rate, for a run at a fixed rate (a loss check: table only, no bar).
    target: Option<f64>,
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The bars of a results file: `minimal` first (ratio 1), then every other label.
fn bars(text: &str) -> Result<Vec<Bar>, String> {
    let mut bars: Vec<Bar> = Vec::new();
    let mut minimal: Option<f64> = None;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let run: Value = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let label = run["label"].as_str().unwrap_or("?").to_owned();
        let rate = run["acked_per_s"]
            .as_f64()
            .ok_or_else(|| format!("line {}: no acked_per_s", n + 1))?;
        if label == "minimal" {
            minimal = Some(rate);
        }
        let Some(base) = minimal.filter(|b| *b > 0.0) else {
            return Err(format!("line {}: no `minimal` run before it", n + 1));
        };
        let i = match bars.iter().position(|b| b.label == label) {
            Some(i) => i,
            None => {
                bars.push(Bar {
                    label,
                    ratios: Vec::new(),
                    rates: Vec::new(),
                    cpu_us: Vec::new(),
                    lost: 0,
                    target: run["rate"].as_f64(),
                });
                bars.len() - 1
            }
        };
        bars[i].lost += run["lost"].as_u64().unwrap_or(0);
        bars[i].ratios.push(rate / base);
        bars[i].rates.push(rate);
        if let Some(cpu) = run["server"]["cpu_us_per_ack"].as_f64() {
            bars[i].cpu_us.push(cpu);
        }
    }
    if bars.is_empty() {
        return Err("no runs".into());
    }
    Ok(bars)
}

fn draw(bars: &[Bar], out: &str) -> Result<(), Box<dyn std::error::Error>> {
    let bars: Vec<&Bar> = bars.iter().filter(|b| b.target.is_none()).collect();
    let top = bars
        .iter()
        .map(|b| median(&b.ratios))
        .fold(1.0f64, f64::max)
        * 1.25;
    let root = SVGBackend::new(out, (760, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Semtech UDP PUSH_DATA acknowledged, relative to the minimal tokio server",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((0..bars.len()).into_segmented(), 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(bars.len())
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) => bars.get(*i).map_or(String::new(), |b| b.label.clone()),
            _ => String::new(),
        })
        .y_desc("ratio to the minimal server (same run)")
        .y_label_formatter(&|y| format!("{y:.1}×"))
        .draw()?;
    let target = 0.8;
    chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
        let ratio = median(&b.ratios);
        let colour = if i == 0 {
            RGBColor(150, 150, 150)
        } else if ratio >= target {
            RGBColor(46, 125, 50)
        } else {
            RGBColor(198, 40, 40)
        };
        let mut bar = Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), ratio),
            ],
            colour.filled(),
        );
        bar.set_margin(0, 0, 18, 18);
        bar
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
        Text::new(
            format!("{:.2}× ({:.0}/s)", median(&b.ratios), median(&b.rates)),
            (SegmentValue::CenterOf(i), median(&b.ratios) + top * 0.03),
            ("sans-serif", 13).into_font().color(&BLACK),
        )
    }))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![
            (SegmentValue::Exact(0), target),
            (SegmentValue::Exact(bars.len()), target),
        ],
        BLACK.stroke_width(1),
    )))?;
    root.present()?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [results, out] = args.as_slice() else {
        let _ = writeln!(
            std::io::stderr(),
            "usage: throughput_chart RESULTS.jsonl OUT.svg"
        );
        return ExitCode::FAILURE;
    };
    let bars = match std::fs::read_to_string(results)
        .map_err(|e| format!("{results}: {e}"))
        .and_then(|text| bars(&text))
    {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "throughput_chart: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = draw(&bars, out) {
        let _ = writeln!(std::io::stderr(), "throughput_chart: {out}: {e}");
        return ExitCode::FAILURE;
    }
    let mut table = String::from(
        "| run | runs | acked/s (median) | ratio to minimal | server CPU µs/ack | lost |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for b in &bars {
        let cpu = if b.cpu_us.is_empty() {
            String::new()
        } else {
            format!("{:.1}", median(&b.cpu_us))
        };
        let ratio = match b.target {
            Some(target) => format!("target {target:.0}/s"),
            None => format!("{:.2}×", median(&b.ratios)),
        };
        table += &format!(
            "| {} | {} | {:.0} | {ratio} | {cpu} | {} |\n",
            b.label,
            b.rates.len(),
            median(&b.rates),
            b.lost
        );
    }
    let _ = std::io::stdout().write_all(table.as_bytes());
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_to_the_latest_minimal_run_and_medians_per_label() {
        let text = r#"{"label":"minimal","acked_per_s":100.0}
{"label":"server","acked_per_s":90.0,"lost":2,"server":{"cpu_us_per_ack":8.0}}
{"label":"minimal","acked_per_s":200.0}
{"label":"server","acked_per_s":100.0}
{"label":"server","acked_per_s":200.0}
"#;
        let bars = bars(text).unwrap();
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[0].label, "minimal");
        assert_eq!(median(&bars[0].ratios), 1.0);
        assert_eq!(bars[1].ratios, [0.9, 0.5, 1.0]);
        assert_eq!(median(&bars[1].ratios), 0.9);
        assert_eq!(bars[1].cpu_us, [8.0]);
        assert_eq!((bars[1].lost, bars[1].target), (2, None));
        assert!(super::bars(r#"{"label":"server","acked_per_s":1.0}"#).is_err());
    }
}
