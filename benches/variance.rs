//! How much each variance-reduction technique narrows the default scenario's intervals, and
//! what a confident answer costs in runs and CPU-seconds (issue #21). Not a criterion bench:
//! a statistical measurement, the same on a loaded machine as on an idle one (only the
//! CPU-seconds column depends on the load).
//!
//! `cargo bench -p pivotsim-benches --bench variance` (default 4,000 runs, seed 20260301;
//! `PIVOTSIM_VR_RUNS` and `PIVOTSIM_VR_SEED` change them). Prints the markdown table of
//! docs/performance.md, "Variance reduction".
//!
//! Method. Plain Monte Carlo: the per-run variance σ² of each quantity, so the mean of n runs
//! has variance σ²/n. Antithetic futures: the same quantity on an antithetic run of n runs,
//! whose mean has variance σ²_pair/(n/2) with σ²_pair the variance of the pair means; the
//! factor is σ²/(2·σ²_pair) (σ² from the same antithetic run: the members' marginals are
//! those of plain runs). Control variates: the regression of the quantity on the world's
//! price-diffusion normals (Σz and its time-weighted sum, both of mean exactly 0) over the
//! plain run; the adjusted mean has variance σ²(1 − R²)/n, a factor 1/(1 − R²) (less a
//! fraction q/n of the runs' worth for q estimated coefficients). Further columns fit the AI
//! market's time in boom and count of inquiries, and the draws the plans rest on: the
//! indicator controls pivotsim applies by default (`pivotsim::model::controls`: each anchor
//! deal's default clock and each converted hall's delay and overrun, below seven quantiles),
//! those of the plans the quantity is about (adjusted R²). For the mean ΔNPV rows the last
//! column is the factor of the estimator `pivotsim run` reports, (plain SE / its SE)², from
//! the run's own statistics. The runs to a 95% half-width h are (1.96·σ/h)²/factor.

use std::time::Instant;

use pivotsim::model::controls::Controls;
use pivotsim::model::{CompiledScenario, Metric, RunMetrics, World};
use pivotsim::montecarlo::{
    self, MonteCarloResult, ReplicationRow, RunOptions, money_tie_tolerance,
};
use pivotsim::scenario::{self, AiRegime};

/// The half-width the issue asks the time to: $2M on mean ΔNPV.
const TARGET_HALF_WIDTH_USD: f64 = 2e6;
const Z95: f64 = 1.959_963_984_540_054;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn model(antithetic: bool) -> CompiledScenario {
    let mut loaded = scenario::load_default().expect("the embedded default scenario is valid");
    loaded.scenario.antithetic = antithetic;
    CompiledScenario::new(&loaded.scenario).expect("the default horizon fits the calendar")
}

/// Every row of a one-thread run with control variates on (as `pivotsim run` by default), its
/// statistics, and its CPU time per replication (seconds).
fn run(
    model: &CompiledScenario,
    runs: u64,
    seed: u64,
) -> (Vec<ReplicationRow>, MonteCarloResult, f64) {
    let mut rows = Vec::with_capacity(runs as usize);
    let mut options = RunOptions::new(runs, seed, 1);
    options.control_variates = true;
    let started = Instant::now();
    let result = montecarlo::run_in_pool(
        model,
        &options,
        |row| {
            rows.push(row.clone());
            Ok::<(), ()>(())
        },
        |_| {},
    )
    .expect("a pool of one thread")
    .expect("the sink never fails");
    (rows, result, started.elapsed().as_secs_f64() / runs as f64)
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn covariance(xs: &[f64], ys: &[f64]) -> f64 {
    let (mx, my) = (mean(xs), mean(ys));
    xs.iter()
        .zip(ys)
        .map(|(x, y)| (x - mx) * (y - my))
        .sum::<f64>()
        / (xs.len() - 1) as f64
}

fn variance(xs: &[f64]) -> f64 {
    covariance(xs, xs)
}

/// σ²/(2·σ²_pair) on values in antithetic pairs (0, 1), (2, 3), …; an odd last is dropped.
fn antithetic_factor(xs: &[f64]) -> f64 {
    let paired = &xs[..xs.len() / 2 * 2];
    let means: Vec<f64> = paired
        .chunks_exact(2)
        .map(|p| 0.5 * (p[0] + p[1]))
        .collect();
    variance(paired) / (2.0 * variance(&means))
}

/// R² of the least-squares fit of `ys` on `controls` (with an intercept), and how many
/// controls entered it: the normal
/// equations S·b = s_y on the controls' covariances, solved by Gaussian elimination in column
/// order, leaving out a control whose pivot falls below 10⁻⁹ of its own variance (constant,
/// or a combination of the ones before it: with antithetic pairs, the indicators at q and
/// 1 − q of a mirrored draw sum to a constant).
fn r_squared(ys: &[f64], controls: &[&[f64]]) -> (f64, usize) {
    let q = controls.len();
    let mut a: Vec<Vec<f64>> = (0..q)
        .map(|i| {
            let mut row: Vec<f64> = (0..q)
                .map(|j| covariance(controls[i], controls[j]))
                .collect();
            row.push(covariance(controls[i], ys));
            row
        })
        .collect();
    let diagonal: Vec<f64> = (0..q).map(|i| a[i][i]).collect();
    let mut kept = vec![false; q];
    for col in 0..q {
        if a[col][col] <= 1e-9 * diagonal[col] || diagonal[col] <= 0.0 {
            continue;
        }
        kept[col] = true;
        let pivot_row = a[col].clone();
        for row in a.iter_mut().skip(col + 1) {
            let f = row[col] / pivot_row[col];
            for (x, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                *x -= f * p;
            }
        }
    }
    // Back-substitution over the kept controls; the others' coefficients are 0.
    let mut b = vec![0.0; q];
    for k in (0..q).rev().filter(|&k| kept[k]) {
        let rest: f64 = (k + 1..q).map(|j| a[k][j] * b[j]).sum();
        b[k] = (a[k][q] - rest) / a[k][k];
    }
    let explained: f64 = (0..q).map(|i| b[i] * covariance(controls[i], ys)).sum();
    (
        explained / variance(ys),
        kept.iter().filter(|k| **k).count(),
    )
}

/// One quantity measured per future: its name and how to read it from a row.
struct Quantity {
    name: String,
    of: Box<dyn Fn(&ReplicationRow) -> f64>,
    /// Whether the issue's $2M half-width applies (a ΔNPV).
    delta_npv: bool,
    /// The plans whose draws are its controls.
    plans: Vec<usize>,
}

fn quantities(model: &CompiledScenario) -> Vec<Quantity> {
    let names: Vec<String> = model.plans.iter().map(|p| p.name.clone()).collect();
    let get = |p: usize, m: Metric| move |r: &ReplicationRow| r.plans[p].get(m);
    let mut out = Vec::new();
    for (p, name) in names.iter().enumerate() {
        out.push(Quantity {
            name: format!("mean equity value, {name}"),
            of: Box::new(get(p, Metric::Npv)),
            delta_npv: false,
            plans: vec![p],
        });
    }
    for (p, name) in names.iter().enumerate().skip(1) {
        out.push(Quantity {
            name: format!("mean ΔNPV (equity), {name} − {}", names[0]),
            of: Box::new(move |r| r.plans[p].get(Metric::Npv) - r.plans[0].get(Metric::Npv)),
            delta_npv: true,
            plans: vec![p, 0],
        });
    }
    for (p, name) in names.iter().enumerate().skip(1) {
        let better = move |r: &ReplicationRow| {
            let (a, b): (&RunMetrics, &RunMetrics) = (&r.plans[p], &r.plans[0]);
            let d = a.get(Metric::Npv) - b.get(Metric::Npv);
            f64::from(u8::from(d > money_tie_tolerance(a, b)))
        };
        out.push(Quantity {
            name: format!("P(better), {name}"),
            of: Box::new(better),
            delta_npv: false,
            plans: vec![p, 0],
        });
    }
    // The all-or-nothing events a conversion's value turns on, for the plan converting
    // (plan 1): whether each happens at least once in a future.
    if let Some(name) = names.get(1) {
        for (event, metric) in [
            ("a tenant default", Metric::TenantDefaults),
            ("a project default", Metric::ProjectDefaults),
            ("a late delivery", Metric::MwDeliveredLate),
            ("a cancellation for lateness", Metric::MwCancelledLate),
        ] {
            out.push(Quantity {
                name: format!("P({event}), {name}"),
                of: Box::new(move |r| f64::from(u8::from(r.plans[1].get(metric) > 0.0))),
                delta_npv: false,
                plans: vec![1],
            });
        }
    }
    for (p, name) in names.iter().enumerate() {
        out.push(Quantity {
            name: format!("P(default), {name}"),
            of: Box::new(get(p, Metric::Defaulted)),
            delta_npv: false,
            plans: vec![p],
        });
    }
    out
}

/// The indicator columns `columns` of each row, as 0/1 series (one per column).
fn indicator_columns(rows: &[ReplicationRow], columns: &[usize]) -> Vec<Vec<f64>> {
    columns
        .iter()
        .map(|&c| {
            rows.iter()
                .map(|r| f64::from(u8::from(r.controls[c])))
                .collect()
        })
        .collect()
}

/// The same columns as pair means over an antithetic run's pairs (0, 1), (2, 3), ….
fn pair_indicator_columns(rows: &[ReplicationRow], columns: &[usize]) -> Vec<Vec<f64>> {
    let whole = &rows[..rows.len() / 2 * 2];
    columns
        .iter()
        .map(|&c| {
            whole
                .chunks_exact(2)
                .map(|p| 0.5 * f64::from(u8::from(p[0].controls[c]) + u8::from(p[1].controls[c])))
                .collect()
        })
        .collect()
}

/// 1 − (1 − R²)(n − 1)/(n − q − 1): R² adjusted for the q coefficients fitted on n values
/// (q the controls that entered the fit).
fn adjusted_r_squared(ys: &[f64], controls: &[&[f64]]) -> f64 {
    let (r2, q) = r_squared(ys, controls);
    let n = ys.len() as f64;
    1.0 - (1.0 - r2) * (n - 1.0) / (n - q as f64 - 1.0)
}

fn factor_text(f: f64) -> String {
    if f.is_finite() {
        format!("{f:.2}")
    } else {
        "— (no variance)".into()
    }
}

/// (plain SE / reported SE)² of `pivotsim run`'s estimate of the mean ΔNPV of plan `plan`
/// against the baseline, and the estimator it reported: its control-variate estimate where it
/// gave one. `plain_variance` is σ²/n of plain runs.
fn reported_factor(result: &MonteCarloResult, plan: usize, plain_variance: f64) -> (f64, bool) {
    let Some(pair) = result.pairs.iter().find(|p| p.a == plan) else {
        return (f64::NAN, false);
    };
    match pair
        .controlled
        .as_ref()
        .and_then(|c| c.estimate(Metric::Npv))
    {
        Some(e) => (plain_variance / (e.std_error * e.std_error), true),
        None => {
            let se = pair.metric(Metric::Npv).diff().std_error();
            (plain_variance / (se * se), false)
        }
    }
}

fn main() {
    let runs = env_or("PIVOTSIM_VR_RUNS", 4_000).max(4);
    let seed = env_or("PIVOTSIM_VR_SEED", 20_260_301);
    let (plain_model, antithetic_model) = (model(false), model(true));
    let (plain, plain_result, plain_cost) = run(&plain_model, runs, seed);
    let (paired, paired_result, paired_cost) = run(&antithetic_model, runs, seed);
    let controls = Controls::new(&plain_model);
    // The world's controls, from each plain future's world again: the price-diffusion normals
    // (mean exactly 0) and the AI market's time in boom and count of inquiries (whose means
    // are in closed form when the regimes do not follow BTC: docs/performance.md).
    let mut world = World::default();
    let (mut sum, mut weighted, mut boom, mut inquiries) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let end = plain_model.end.secs();
    for r in &plain {
        world.generate(&plain_model, seed, r.replication);
        sum.push(world.price_normals.sum);
        weighted.push(world.price_normals.time_weighted(plain_model.days));
        let regimes = &world.ai.regimes;
        let boom_secs: u64 = regimes
            .iter()
            .enumerate()
            .filter(|(_, (_, regime))| *regime == AiRegime::Boom)
            .map(|(k, (from, _))| regimes.get(k + 1).map_or(end, |n| n.0.secs()) - from.secs())
            .sum();
        boom.push(boom_secs as f64);
        inquiries.push(world.ai.inquiries.len() as f64);
    }
    println!(
        "{runs} runs, seed {seed}; CPU per replication (one thread, all plans, statistics and \
         control variates): plain {:.2} ms, antithetic {:.2} ms",
        plain_cost * 1e3,
        paired_cost * 1e3
    );
    println!();
    println!(
        "| quantity | σ per run | antithetic | control: BTC normals (R²) | control: AI boom time and inquiries (R²) | control: all four (R²) | control: the plans' own draws (controls; adjusted R²) | antithetic and own draws on the pair means (adjusted R²) | as `pivotsim run` reports it: plain runs / antithetic | runs to ±$2M: plain / antithetic / own draws / both | CPU-s to ±$2M: plain / antithetic / own draws / both |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for q in quantities(&plain_model) {
        let xs: Vec<f64> = plain.iter().map(|r| (q.of)(r)).collect();
        let ys: Vec<f64> = paired.iter().map(|r| (q.of)(r)).collect();
        let sigma = variance(&xs).sqrt();
        let anti = antithetic_factor(&ys);
        let fits = [
            r_squared(&xs, &[&sum, &weighted]).0,
            r_squared(&xs, &[&boom, &inquiries]).0,
            r_squared(&xs, &[&sum, &weighted, &boom, &inquiries]).0,
        ];
        let cells = fits.map(|r2| format!("{} ({r2:.3})", factor_text(1.0 / (1.0 - r2))));
        let columns = controls.columns_for(&plain_model, &q.plans);
        let (control, own_fit, both, pair_fit) = if columns.is_empty() {
            (1.0, 0.0, anti, 0.0)
        } else {
            let own = indicator_columns(&plain, &columns);
            let own: Vec<&[f64]> = own.iter().map(Vec::as_slice).collect();
            let own_fit = adjusted_r_squared(&xs, &own);
            // Both: the pair means' variance shrinks by the antithetic factor, then by the
            // fit of the pair means on the pairs' mean indicators.
            let pair_ys: Vec<f64> = ys[..ys.len() / 2 * 2]
                .chunks_exact(2)
                .map(|p| 0.5 * (p[0] + p[1]))
                .collect();
            let pair_own = pair_indicator_columns(&paired, &columns);
            let pair_own: Vec<&[f64]> = pair_own.iter().map(Vec::as_slice).collect();
            let pair_fit = adjusted_r_squared(&pair_ys, &pair_own);
            (
                1.0 / (1.0 - own_fit),
                own_fit,
                anti / (1.0 - pair_fit),
                pair_fit,
            )
        };
        let (runs_cell, cpu_cell, reported_cell) = if q.delta_npv {
            let plain_runs = (Z95 * sigma / TARGET_HALF_WIDTH_USD).powi(2);
            let (a, c, b) = (plain_runs / anti, plain_runs / control, plain_runs / both);
            let plain_variance = sigma * sigma / runs as f64;
            let (on_plain, cv_plain) = reported_factor(&plain_result, q.plans[0], plain_variance);
            let (on_paired, cv_paired) =
                reported_factor(&paired_result, q.plans[0], plain_variance);
            let how = |cv: bool| if cv { "control variates" } else { "plain mean" };
            (
                format!("{plain_runs:.0} / {a:.0} / {c:.0} / {b:.0}"),
                format!(
                    "{:.1} / {:.1} / {:.1} / {:.1}",
                    plain_runs * plain_cost,
                    a * paired_cost,
                    c * plain_cost,
                    b * paired_cost
                ),
                format!(
                    "{} ({}) / {} ({})",
                    factor_text(on_plain),
                    how(cv_plain),
                    factor_text(on_paired),
                    how(cv_paired)
                ),
            )
        } else {
            (String::new(), String::new(), String::new())
        };
        let sigma_text = if q.name.starts_with("P(") {
            format!("{sigma:.3}")
        } else {
            format!("${:.1}M", sigma / 1e6)
        };
        println!(
            "| {} | {sigma_text} | {} | {} | {} | {} | {} ({}; {own_fit:.3}) | {} ({pair_fit:.3}) | {reported_cell} | {runs_cell} | {cpu_cell} |",
            q.name,
            factor_text(anti),
            cells[0],
            cells[1],
            cells[2],
            factor_text(control),
            columns.len(),
            factor_text(both),
        );
    }
}
