//! `report.html`: one file a person can open, read on a phone and send to someone else.
//!
//! It says the answer first (each plan against the baseline: value, P(better), P(default),
//! each with its 95% interval), then shows the terminal table, the plots, the assumptions,
//! the provenance and what every metric means. Every number comes from the same [`Summary`]
//! that `summary.json` holds, and each headline cell carries the exact value and its JSON
//! pointer into `summary.json` (`data-summary`, `data-value`), so a check can compare them.
//!
//! The file is self-contained and deterministic: styles and SVG plots are inline, nothing is
//! fetched (a Content-Security-Policy forbids it), and it holds no time, host or thread
//! count, so a merge of shards writes the very bytes of a single run.

use std::fmt::Write;

use crate::model::{CompiledScenario, Metric, Series};
use crate::report::format::{count, percent, usd};
use crate::report::runs_csv;
use crate::report::summary::{Comparison, Summary};
use crate::report::table;

/// A plot to inline: its file stem and the SVG document the run wrote.
#[derive(Debug, Clone)]
pub struct InlinePlot {
    /// The file stem (`npv_cdf`), which names the PNG and SVG beside the report.
    pub stem: String,
    /// The SVG document as written to `<stem>.svg`.
    pub svg: String,
}

/// What the report shows besides the summary.
#[derive(Debug, Clone, Copy)]
pub struct ReportInputs<'a> {
    /// The summary of the run (the same as `summary.json`).
    pub summary: &'a Summary,
    /// The compiled scenario: discount rates and stress names.
    pub model: &'a CompiledScenario,
    /// The plots in the order they are shown; empty with `--no-plots`.
    pub plots: &'a [InlinePlot],
}

/// The file's Content-Security-Policy: inline styles and `data:` images only, so a browser
/// refuses (and reports) any request the page would make.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// Responsive styles: one column, tables and preformatted text scroll sideways inside their
/// own box on a narrow screen, plots scale to the width.
const STYLE: &str = "\
:root{color-scheme:light;--ink:#222;--muted:#555;--rule:#ddd;--accent:#0072b2;--good:#007a53;--bad:#b34700}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:var(--ink);background:#fff}
main{max-width:1180px;margin:0 auto;padding:16px 20px 48px}
h1{font-size:1.6rem;line-height:1.25;margin:.4em 0 .2em}
h2{font-size:1.25rem;margin:1.8em 0 .5em;padding-top:.4em;border-top:2px solid var(--rule)}
h3{font-size:1.05rem;margin:1.2em 0 .3em}
p.lede{color:var(--muted);margin:.2em 0 1em}
nav{font-size:.9rem;margin:.5em 0 1em}
nav a{color:var(--accent);margin-right:.9em;white-space:nowrap}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%;border:1px solid var(--rule);border-radius:4px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.4em .6em;border-bottom:1px solid var(--rule);text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
thead th{background:#f4f6f8;font-weight:600}
td.name{font-weight:600;min-width:8em;max-width:22em;overflow-wrap:break-word}
td.text,th.text{text-align:left}
td .ci{display:block;color:var(--muted);font-size:.82em;white-space:nowrap}
td.better{color:var(--good)}
td.worse{color:var(--bad)}
pre{margin:0;padding:.8em;font:13px/1.4 ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;white-space:pre}
ul.verdicts{padding-left:1.2em}
ul.verdicts li{margin:.3em 0}
figure{margin:1.2em 0}
figure svg{display:block;width:100%;height:auto;border:1px solid var(--rule)}
figcaption{color:var(--muted);font-size:.9rem;margin-top:.3em}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25em 1em;margin:0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;overflow-wrap:anywhere}
code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.92em}
details{margin:.8em 0}
summary{cursor:pointer;color:var(--accent)}
@media (max-width:600px){
body{font-size:15px}
main{padding:10px 12px 32px}
h1{font-size:1.3rem}
dl.facts{grid-template-columns:1fr}
dl.facts dd{margin-bottom:.4em}
pre{font-size:11px}
table.answer thead{display:none}
table.answer tr{display:block;border-bottom:2px solid var(--rule);padding:.3em 0}
table.answer td{display:flex;justify-content:space-between;gap:1em;border:0;padding:.2em .6em;text-align:right}
table.answer td::before{content:attr(data-label);font-weight:600;text-align:left;color:var(--muted)}
table.answer td.name{display:block;max-width:none;text-align:left;font-size:1.05em}
table.answer td.name::before{content:none}
}
";

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number as `summary.json` writes it (shortest round-trip form; `null` when not finite).
fn json_number(x: f64) -> String {
    serde_json::to_string(&x).unwrap_or_else(|_| "null".into())
}

/// A headline cell: the value shown, its 95% interval under it, and for the check the JSON
/// pointers of the value in `summary.json` and the exact value there.
fn headline_cell(
    label: &str,
    class: &str,
    pointer: &str,
    value: f64,
    shown: String,
    interval: Option<(String, String)>,
) -> String {
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{class}\"")
    };
    let interval = interval
        .map(|(lo, hi)| {
            format!(
                "<span class=\"ci\">95% CI {} … {}</span>",
                escape(&lo),
                escape(&hi)
            )
        })
        .unwrap_or_default();
    format!(
        "<td{class} data-label=\"{}\" data-summary=\"{}\" data-value=\"{}\">\
         <span class=\"v\">{}{interval}</span></td>",
        escape(label),
        escape(pointer),
        json_number(value),
        escape(&shown)
    )
}

/// A cell with nothing to show (the baseline against itself).
fn empty_cell(label: &str) -> String {
    format!("<td data-label=\"{label}\">–</td>")
}

/// Column labels of the answer, also written on each cell for the narrow layout, where
/// every plan is a card of labelled lines.
const VALUE: &str = "Value, mean";
const DELTA: &str = "Δ value vs baseline, mean";
const BETTER: &str = "P(better)";
const DEFAULT: &str = "P(default)";

/// The comparison of plan `name` with its reference, and its index in `comparisons`: the
/// baseline, or for a plan under a stress the baseline under the same stress.
fn against_baseline<'a>(summary: &'a Summary, name: &str) -> Option<(usize, &'a Comparison)> {
    let mine = || {
        summary
            .comparisons
            .iter()
            .enumerate()
            .filter(|(_, c)| c.a == name)
    };
    mine()
        .find(|(_, c)| c.b == summary.baseline)
        .or_else(|| mine().next())
}

/// A dollar figure with a sign, for differences: `+$4.1M`, `-$2.0M`.
fn signed_usd(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", usd(x))
    } else {
        usd(x)
    }
}

/// Writes the whole report.
pub fn render(inputs: &ReportInputs<'_>) -> String {
    let summary = inputs.summary;
    let mut out =
        String::with_capacity(64 * 1024 + inputs.plots.iter().map(|p| p.svg.len()).sum::<usize>());
    let title = format!("pivotsim report: {}", summary.scenario.name);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"pivotsim {}\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n",
        summary.pivotsim_version,
        escape(&title)
    );
    let _ = writeln!(out, "<h1>{}</h1>", escape(&summary.scenario.name));
    let _ = writeln!(
        out,
        "<p class=\"lede\">{} futures per plan · seed {} · baseline <strong>{}</strong> · \
         equity discount rate {} · project discount rate {} · pivotsim {}</p>",
        count(summary.runs),
        summary.seed,
        escape(&summary.baseline),
        percent(inputs.model.equity_discount_rate),
        percent(inputs.model.project_discount_rate),
        summary.pivotsim_version
    );
    out.push_str(
        "<nav><a href=\"#answer\">Answer</a> <a href=\"#table\">Table</a> \
         <a href=\"#plots\">Plots</a> <a href=\"#assumptions\">Assumptions</a> \
         <a href=\"#provenance\">Provenance</a> <a href=\"#definitions\">Definitions</a></nav>\n",
    );
    answer(&mut out, summary);
    let _ = write!(
        out,
        "<h2 id=\"table\">Table</h2>\n<p>The table <code>pivotsim run</code> prints; \
         every statistic of every metric is in <code>summary.json</code>.</p>\n\
         <div class=\"scroll\"><pre>{}</pre></div>\n",
        escape(&table::render(
            summary,
            "Files beside this report: summary.json, runs.csv, timeseries.csv and the plots."
        ))
    );
    plots(&mut out, inputs);
    assumptions(&mut out, inputs);
    provenance(&mut out, inputs);
    definitions(&mut out);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The answer: each plan against the baseline, in a table and in words.
fn answer(out: &mut String, summary: &Summary) {
    let npv = Metric::Npv.key();
    let _ = write!(
        out,
        "<h2 id=\"answer\">The answer</h2>\n<p>Each plan against the baseline <strong>{}</strong> \
         on the same {} futures (a plan under a stress against the baseline under that stress). Value is the equity value (<code>{npv}</code>, the owners' \
         net present value); Δ is the plan's value minus the baseline's in the same future; \
         P(better) is the share of futures where the plan's value beats the baseline's; \
         P(default) is the share of futures where the company defaults. Brackets are 95% \
         intervals (normal for means, Wilson for shares).</p>\n",
        escape(&summary.baseline),
        count(summary.runs)
    );
    let _ = write!(
        out,
        "<div class=\"scroll\"><table class=\"answer\">\n<thead><tr><th>Plan</th>\
         <th>{VALUE}</th><th>{DELTA}</th><th>{BETTER}</th><th>{DEFAULT}</th></tr></thead>\n\
         <tbody>\n"
    );
    let mut verdicts = Vec::new();
    for (p, plan) in summary.plans.iter().enumerate() {
        let _ = write!(out, "<tr><td class=\"name\">{}", escape(&plan.name));
        if plan.name == summary.baseline {
            out.push_str(" <small>(baseline)</small>");
        } else if let Some((_, c)) = against_baseline(summary, &plan.name)
            && c.b != summary.baseline
        {
            let _ = write!(out, " <small>(against {})</small>", escape(&c.b));
        }
        out.push_str("</td>");
        match plan.metrics.get(npv) {
            Some(m) => out.push_str(&headline_cell(
                VALUE,
                "",
                &format!("/plans/{p}/metrics/{npv}/mean"),
                m.mean,
                usd(m.mean),
                Some((usd(m.ci95_low), usd(m.ci95_high))),
            )),
            None => out.push_str(&empty_cell(VALUE)),
        }
        match against_baseline(summary, &plan.name) {
            Some((c, comparison)) => match comparison.metrics.get(npv) {
                Some(paired) => {
                    let d = paired.mean_difference();
                    let class = if d.ci95_low > 0.0 {
                        "better"
                    } else if d.ci95_high < 0.0 {
                        "worse"
                    } else {
                        ""
                    };
                    out.push_str(&headline_cell(
                        DELTA,
                        class,
                        &format!("/comparisons/{c}/metrics/{npv}/{}/mean", d.field),
                        d.mean,
                        signed_usd(d.mean),
                        Some((signed_usd(d.ci95_low), signed_usd(d.ci95_high))),
                    ));
                    let (lo, hi) = paired.p_a_beats_b_ci95;
                    out.push_str(&headline_cell(
                        BETTER,
                        "",
                        &format!("/comparisons/{c}/metrics/{npv}/p_a_beats_b"),
                        paired.p_a_beats_b,
                        percent(paired.p_a_beats_b),
                        Some((percent(lo), percent(hi))),
                    ));
                    verdicts.push(verdict(&plan.name, &comparison.b, paired));
                }
                None => {
                    out.push_str(&empty_cell(DELTA));
                    out.push_str(&empty_cell(BETTER));
                }
            },
            None => {
                out.push_str(&empty_cell(DELTA));
                out.push_str(&empty_cell(BETTER));
            }
        }
        let (lo, hi) = plan.p_default_ci95;
        out.push_str(&headline_cell(
            DEFAULT,
            "",
            &format!("/plans/{p}/p_default"),
            plan.p_default,
            percent(plan.p_default),
            Some((percent(lo), percent(hi))),
        ));
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
    if !verdicts.is_empty() {
        out.push_str("<ul class=\"verdicts\">\n");
        for v in verdicts {
            let _ = writeln!(out, "<li>{v}</li>");
        }
        out.push_str("</ul>\n");
    }
}

/// One plan against the baseline in words.
fn verdict(plan: &str, baseline: &str, paired: &crate::stats::PairedSummary) -> String {
    let d = paired.mean_difference();
    let worse = (1.0 - paired.p_a_beats_b - paired.p_tie).max(0.0);
    let tie = if paired.ties > 0 {
        format!(", ties it in {}", percent(paired.p_tie))
    } else {
        String::new()
    };
    let estimate = if paired.controlled.is_some() {
        " (a control-variate estimate of the mean)"
    } else {
        ""
    };
    escape(&format!(
        "{plan}: {} a future on average{estimate} against {baseline} (95% CI {} … {}); it beats \
         {baseline} in {} of futures{tie} and falls short in {}.",
        signed_usd(d.mean),
        signed_usd(d.ci95_low),
        signed_usd(d.ci95_high),
        percent(paired.p_a_beats_b),
        percent(worse)
    ))
}

/// The plots the run drew, inline, each with its caption.
fn plots(out: &mut String, inputs: &ReportInputs<'_>) {
    out.push_str("<h2 id=\"plots\">Plots</h2>\n");
    if inputs.plots.is_empty() {
        out.push_str("<p>No plots: the run was made with <code>--no-plots</code>.</p>\n");
        return;
    }
    out.push_str("<p>Each plot names its run in the line under it.</p>\n");
    for plot in inputs.plots {
        let _ = write!(
            out,
            "<figure id=\"plot-{}\">\n{}\n<figcaption>Beside this report as \
             <code>{}.svg</code> and <code>{}.png</code>.</figcaption>\n</figure>\n",
            escape(&plot.stem),
            inline_svg(&plot.svg),
            escape(&plot.stem),
            escape(&plot.stem)
        );
    }
}

/// An SVG document made fit to sit inside HTML: no XML declaration, no namespace attribute
/// (HTML gives `<svg>` its namespace, and the report names no URL), and `role="img"`.
fn inline_svg(svg: &str) -> String {
    let body = match svg.find("<svg") {
        Some(start) => &svg[start..],
        None => svg,
    };
    body.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", " role=\"img\"", 1)
        .trim_end()
        .to_owned()
}

/// The assumptions: the key inputs, then the whole effective scenario.
fn assumptions(out: &mut String, inputs: &ReportInputs<'_>) {
    let summary = inputs.summary;
    let effective = &summary.scenario.effective;
    let field = |key: &str| -> String {
        match effective.get(key) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => "–".into(),
        }
    };
    out.push_str(
        "<h2 id=\"assumptions\">Assumptions</h2>\n<p>The scenario as simulated, after every \
         <code>--set</code> override (<code>scenario.effective</code> in \
         <code>summary.json</code>).</p>\n<dl class=\"facts\">\n",
    );
    let plans: Vec<&str> = effective
        .get("plans")
        .and_then(|p| p.as_array())
        .map(|plans| {
            plans
                .iter()
                .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let sites = effective
        .get("sites")
        .and_then(|s| s.as_array())
        .map_or(0, |s| s.len());
    let starting_cash = effective
        .get("starting_cash_usd")
        .and_then(|c| c.as_f64())
        .map_or_else(|| "–".into(), usd);
    let facts: [(&str, String); 9] = [
        ("Scenario", summary.scenario.name.clone()),
        ("Start", field("start")),
        ("Horizon", format!("{} years", field("horizon_years"))),
        ("Starting cash", starting_cash),
        (
            "Equity discount rate",
            percent(inputs.model.equity_discount_rate),
        ),
        (
            "Project discount rate",
            percent(inputs.model.project_discount_rate),
        ),
        ("Sites", sites.to_string()),
        ("Plans", plans.join(", ")),
        ("Fingerprint", summary.scenario.fingerprint.clone()),
    ];
    for (term, value) in facts {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(term), escape(&value));
    }
    out.push_str("</dl>\n");
    let json = serde_json::to_string_pretty(effective).unwrap_or_default();
    let _ = write!(
        out,
        "<details>\n<summary>The effective scenario (JSON)</summary>\n\
         <div class=\"scroll\"><pre>{}</pre></div>\n</details>\n",
        escape(&json)
    );
}

/// Provenance: what produced the numbers and how to reproduce them.
fn provenance(out: &mut String, inputs: &ReportInputs<'_>) {
    let summary = inputs.summary;
    let stresses: Vec<&str> = inputs
        .model
        .variants
        .iter()
        .skip(1)
        .map(|v| v.name.as_str())
        .collect();
    let convergence = match &summary.convergence {
        Some(c) => format!(
            "target 95% half-width of {} {} ({}; achieved {})",
            c.metric,
            json_number(c.target_half_width),
            if c.met { "met" } else { "not met" },
            json_number(c.achieved_half_width)
        ),
        None => "none: a fixed number of futures".into(),
    };
    let facts: [(&str, String); 9] = [
        ("pivotsim", summary.pivotsim_version.to_owned()),
        ("Seed", summary.seed.to_string()),
        ("Futures per plan", count(summary.runs)),
        (
            "Chunk size",
            format!(
                "{} futures (results depend on it, never on threads)",
                summary.chunk_size
            ),
        ),
        (
            "Shards",
            "any split: merged shards give this very file, byte for byte".into(),
        ),
        (
            "Stresses",
            if stresses.is_empty() {
                "none".into()
            } else {
                stresses.join(", ")
            },
        ),
        ("Baseline", summary.baseline.clone()),
        ("Convergence", convergence),
        (
            "Run time",
            "not recorded: this file is identical for any thread count, machine and shard \
             split, which a clock reading would break"
                .into(),
        ),
    ];
    out.push_str("<h2 id=\"provenance\">Provenance</h2>\n<dl class=\"facts\">\n");
    for (term, value) in facts {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(term), escape(&value));
    }
    out.push_str("</dl>\n");
    let mut command = format!(
        "pivotsim run SCENARIO --runs {} --seed {}",
        summary.runs, summary.seed
    );
    for s in &stresses {
        command.push_str(&format!(" --stress {s}"));
    }
    let _ = writeln!(
        out,
        "<p>To reproduce: <code>{}</code> with the effective scenario above (and \
         <code>--baseline</code> if the baseline is not the first plan).</p>",
        escape(&command)
    );
}

/// The meaning of every metric, series and statistic the report and the files use.
fn definitions(out: &mut String) {
    out.push_str(
        "<h2 id=\"definitions\">Definitions</h2>\n<h3>Statistics</h3>\n<dl class=\"facts\">\n\
         <dt>mean, 95% CI</dt><dd>the average over futures; the interval is mean ± 1.96 \
         standard errors</dd>\n\
         <dt>P5 … P95</dt><dd>5th and 95th percentiles over futures (0.1% relative accuracy)</dd>\n\
         <dt>Δ</dt><dd>a plan's value minus the baseline's in the same future (paired)</dd>\n\
         <dt>Δ mean (control-variate estimate)</dt><dd>the mean Δ of equity and project \
         value, adjusted by a regression on the draws the two plans rest on (anchor tenants' \
         default clocks, builds' delays and overruns), whose means are known: the same mean \
         in expectation with a narrower interval; the plain mean of the futures' Δ is \
         <code>diff</code> in summary.json</dd>\n\
         <dt>P(better)</dt><dd>share of futures where the plan beats the baseline by more \
         than the tie tolerance; its interval is Wilson's 95%</dd>\n\
         <dt>P(default)</dt><dd>share of futures where the company defaulted (out of cash \
         after the revolver, or on the corporate covenant); a project taken by its lenders \
         is not a company default</dd>\n</dl>\n",
    );
    out.push_str(
        "<h3>Per-future metrics (<code>runs.csv</code> columns)</h3>\n\
         <div class=\"scroll\"><table>\n<thead><tr><th>column</th><th class=\"text\">unit</th>\
         <th class=\"text\">meaning</th></tr></thead>\n<tbody>\n",
    );
    for c in runs_csv::dictionary() {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"text\">{}</td><td class=\"text\">{}</td></tr>",
            escape(&c.column),
            escape(c.unit),
            escape(&c.meaning)
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
    out.push_str(
        "<h3>Monthly series (<code>timeseries.csv</code>, fan charts)</h3>\n\
         <div class=\"scroll\"><table>\n<thead><tr><th>series</th>\
         <th class=\"text\">meaning</th></tr></thead>\n<tbody>\n",
    );
    for s in Series::ALL {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"text\">{}</td></tr>",
            escape(s.key()),
            escape(s.description())
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_content_and_attributes() {
        assert_eq!(
            escape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
    }

    #[test]
    fn an_inlined_svg_loses_its_declaration_and_namespace() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"10\" height=\"10\" \
                   xmlns=\"http://www.w3.org/2000/svg\">\n<rect/>\n</svg>\n";
        assert_eq!(
            inline_svg(svg),
            "<svg width=\"10\" height=\"10\" role=\"img\">\n<rect/>\n</svg>"
        );
    }

    #[test]
    fn numbers_are_written_as_summary_json_writes_them() {
        assert_eq!(json_number(0.1), "0.1");
        assert_eq!(json_number(1e21), "1e+21");
        assert_eq!(json_number(f64::NAN), "null");
    }
}
