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
//! market's time in boom and count of inquiries, and the conversion's own draws (each anchor
//! deal's default clock and each hall's construction delay, see `conversion_draw_features`;
//! adjusted R², for their 126 coefficients). The runs to a 95% half-width h are
//! (1.96·σ/h)²/factor.

use std::time::Instant;

use pivotsim::model::world::samplers::{mirror_exp1, sample};
use pivotsim::model::world::streams::{StreamKind, tenant_stream};
use pivotsim::model::{CompiledScenario, Metric, RunMetrics, World};
use pivotsim::montecarlo::{self, ReplicationRow, RunOptions, money_tie_tolerance};
use pivotsim::scenario::{self, AiRegime, Dist};

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

/// Every row of a one-thread run, with its CPU time per replication (seconds).
fn run(model: &CompiledScenario, runs: u64, seed: u64) -> (Vec<ReplicationRow>, f64) {
    let mut rows = Vec::with_capacity(runs as usize);
    let started = Instant::now();
    montecarlo::run_in_pool(
        model,
        &RunOptions::new(runs, seed, 1),
        |row| {
            rows.push(row.clone());
            Ok::<(), ()>(())
        },
        |_| {},
    )
    .expect("a pool of one thread")
    .expect("the sink never fails");
    (rows, started.elapsed().as_secs_f64() / runs as f64)
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

/// R² of the least-squares fit of `ys` on `controls` (with an intercept): the normal
/// equations S·b = s_y on the controls' covariances, solved by Gaussian elimination.
fn r_squared(ys: &[f64], controls: &[&[f64]]) -> f64 {
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
    for col in 0..q {
        let pivot = (col..q)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        if pivot_row[col] == 0.0 {
            continue;
        }
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (x, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    // A control that is a combination of others (a zero pivot) explains nothing more.
    let explained: f64 = (0..q)
        .filter(|&i| a[i][i] != 0.0)
        .map(|i| a[i][q] / a[i][i] * covariance(controls[i], ys))
        .sum();
    explained / variance(ys)
}

/// One quantity measured per future: its name and how to read it from a row.
struct Quantity {
    name: String,
    of: Box<dyn Fn(&ReplicationRow) -> f64>,
    /// Whether the issue's $2M half-width applies (a ΔNPV).
    delta_npv: bool,
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
        });
    }
    for (p, name) in names.iter().enumerate().skip(1) {
        out.push(Quantity {
            name: format!("mean ΔNPV (equity), {name} − {}", names[0]),
            of: Box::new(move |r| r.plans[p].get(Metric::Npv) - r.plans[0].get(Metric::Npv)),
            delta_npv: true,
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
            });
        }
    }
    for (p, name) in names.iter().enumerate() {
        out.push(Quantity {
            name: format!("P(default), {name}"),
            of: Box::new(get(p, Metric::Defaulted)),
            delta_npv: false,
        });
    }
    out
}

/// Functions of the first draws of the operator streams a conversion's luck comes from, each
/// of known mean whatever the scenario: for each anchor deal's default clock E ~ Exp(1) (the
/// first draw of its stream, instance = the action's index in its plan, 0 to 15), e^(−E)
/// (mean 1/2) and 1{E < x} (mean 1 − e^(−x)) at x = 0.05, 0.1, 0.2, 0.4, 0.8; for each hall's
/// construction delay, drawn lognormal (median m, σ) as the first draw of its stream, its
/// normal Z = ln(D/m)/σ with Z (mean 0), Z² (mean 1), |Z| (mean √(2/π)), Z³ (mean 0) and
/// 1{Z > 0} (mean 1/2). Drawn again here as `Tenancy` and `construction_luck` draw them.
///
/// With `antithetic`, the draws of an antithetic run's replication: the odd member of a pair
/// reads the even member's streams and mirrors them (E → −ln(1 − e^(−E)), Z → −Z).
fn conversion_draw_features(
    model: &CompiledScenario,
    seed: u64,
    replication: u64,
    antithetic: bool,
) -> Vec<f64> {
    let mut out = Vec::new();
    let mirror = antithetic && replication % 2 == 1;
    let keyed_by = if mirror { replication - 1 } else { replication };
    for action in 0..16 {
        let mut rng = tenant_stream(seed, keyed_by, StreamKind::AnchorTenant, action);
        let e: f64 = rand_distr::Distribution::sample(&rand_distr::Exp1, &mut rng);
        let e = if mirror { mirror_exp1(e) } else { e };
        out.push((-e).exp());
        out.extend([0.05, 0.1, 0.2, 0.4, 0.8].map(|x| f64::from(u8::from(e < x))));
    }
    let risk = model.ai.as_ref().and_then(|a| a.construction_risk);
    if let Some(Dist::Lognormal { median, sigma }) = risk.map(|r| r.delay_months) {
        for hall in 0..model.halls.len() {
            let mut rng = tenant_stream(seed, keyed_by, StreamKind::ConstructionRisk, hall);
            let z = (sample(&Dist::Lognormal { median, sigma }, &mut rng) / median).ln() / sigma;
            let z = if mirror { -z } else { z };
            out.extend([z, z * z, z.abs(), z * z * z, f64::from(u8::from(z > 0.0))]);
        }
    }
    out
}

/// The columns of [`conversion_draw_features`] that belong to the default scenario's
/// convert-half-2027 plan: its two anchor deals (actions 3 and 4 of the plan: six features
/// each) and the two halls it converts (A and B, halls 0 and 1: five each), 22 controls
/// against 126 for every possible action and hall.
fn compact_columns() -> Vec<usize> {
    let anchors = [3usize, 4].into_iter().flat_map(|a| a * 6..a * 6 + 6);
    let halls = [0usize, 1]
        .into_iter()
        .flat_map(|h| 16 * 6 + h * 5..16 * 6 + h * 5 + 5);
    anchors.chain(halls).collect()
}

/// 1 − (1 − R²)(n − 1)/(n − q − 1): R² adjusted for q coefficients fitted on n values.
fn adjusted_r_squared(ys: &[f64], controls: &[&[f64]]) -> f64 {
    let (n, q) = (ys.len() as f64, controls.len() as f64);
    1.0 - (1.0 - r_squared(ys, controls)) * (n - 1.0) / (n - q - 1.0)
}

fn factor_text(f: f64) -> String {
    if f.is_finite() {
        format!("{f:.2}")
    } else {
        "— (no variance)".into()
    }
}

fn main() {
    let runs = env_or("PIVOTSIM_VR_RUNS", 4_000).max(4);
    let seed = env_or("PIVOTSIM_VR_SEED", 20_260_301);
    let (plain_model, antithetic_model) = (model(false), model(true));
    let (plain, plain_cost) = run(&plain_model, runs, seed);
    let (paired, paired_cost) = run(&antithetic_model, runs, seed);
    // The controls, from each plain future's world again: the price-diffusion normals (mean
    // exactly 0) and the AI market's time in boom and count of inquiries (whose means are in
    // closed form when the regimes do not follow BTC: docs/performance.md).
    let mut world = World::default();
    let (mut sum, mut weighted, mut boom, mut inquiries) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let end = plain_model.end.secs();
    let mut own_draws: Vec<Vec<f64>> = Vec::new();
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
        let features = conversion_draw_features(&plain_model, seed, r.replication, false);
        own_draws.resize_with(features.len(), Vec::new);
        for (column, x) in own_draws.iter_mut().zip(features) {
            column.push(x);
        }
    }
    // The same draws in the antithetic run, as pair means: the controls left to fit once
    // the pairs have mirrored them (an odd function of a draw cancels in a pair; an even
    // one, such as Z², does not).
    let paired_whole = &paired[..paired.len() / 2 * 2];
    let mut pair_draws: Vec<Vec<f64>> = Vec::new();
    for pair in paired_whole.chunks_exact(2) {
        let even = conversion_draw_features(&plain_model, seed, pair[0].replication, true);
        let odd = conversion_draw_features(&plain_model, seed, pair[1].replication, true);
        pair_draws.resize_with(even.len(), Vec::new);
        for (column, (a, b)) in pair_draws.iter_mut().zip(even.iter().zip(&odd)) {
            column.push(0.5 * (a + b));
        }
    }
    println!(
        "{runs} runs, seed {seed}; CPU per replication (one thread, all plans, statistics): \
         plain {:.2} ms, antithetic {:.2} ms",
        plain_cost * 1e3,
        paired_cost * 1e3
    );
    println!();
    println!(
        "| quantity | σ per run | antithetic | control: BTC normals (R²) | control: AI boom time and inquiries (R²) | control: all four (R²) | control: the conversion's own draws (adjusted R²) | antithetic and own draws on the pair means (adjusted R²) | runs to ±$2M: plain / antithetic / own draws / both | CPU-s to ±$2M: plain / antithetic / own draws / both |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for q in quantities(&plain_model) {
        let xs: Vec<f64> = plain.iter().map(|r| (q.of)(r)).collect();
        let ys: Vec<f64> = paired.iter().map(|r| (q.of)(r)).collect();
        let sigma = variance(&xs).sqrt();
        let anti = antithetic_factor(&ys);
        let fits = [
            r_squared(&xs, &[&sum, &weighted]),
            r_squared(&xs, &[&boom, &inquiries]),
            r_squared(&xs, &[&sum, &weighted, &boom, &inquiries]),
        ];
        let own: Vec<&[f64]> = own_draws.iter().map(Vec::as_slice).collect();
        // Adjusted for the q coefficients fitted on the same n runs: 1 − (1 − R²)(n − 1)/(n − q − 1).
        let n = xs.len() as f64;
        let own_fit = 1.0 - (1.0 - r_squared(&xs, &own)) * (n - 1.0) / (n - own.len() as f64 - 1.0);
        let cells = fits.map(|r2| format!("{} ({r2:.3})", factor_text(1.0 / (1.0 - r2))));
        let control = 1.0 / (1.0 - own_fit);
        // Both: the pair means' variance shrinks by the antithetic factor, then by the fit of
        // the pair means on the pairs' mean draws (adjusted for its q coefficients on P pairs).
        let pair_ys: Vec<f64> = ys[..ys.len() / 2 * 2]
            .chunks_exact(2)
            .map(|p| 0.5 * (p[0] + p[1]))
            .collect();
        let pair_own: Vec<&[f64]> = pair_draws.iter().map(Vec::as_slice).collect();
        let pairs = pair_ys.len() as f64;
        let pair_fit = 1.0
            - (1.0 - r_squared(&pair_ys, &pair_own)) * (pairs - 1.0)
                / (pairs - pair_own.len() as f64 - 1.0);
        let both = anti / (1.0 - pair_fit);
        let (runs_cell, cpu_cell) = if q.delta_npv {
            let plain_runs = (Z95 * sigma / TARGET_HALF_WIDTH_USD).powi(2);
            let (a, c, b) = (plain_runs / anti, plain_runs / control, plain_runs / both);
            (
                format!("{plain_runs:.0} / {a:.0} / {c:.0} / {b:.0}"),
                format!(
                    "{:.1} / {:.1} / {:.1} / {:.1}",
                    plain_runs * plain_cost,
                    a * paired_cost,
                    c * plain_cost,
                    b * paired_cost
                ),
            )
        } else {
            ("".into(), "".into())
        };
        let sigma_text = if q.name.starts_with("P(") {
            format!("{sigma:.3}")
        } else {
            format!("${:.1}M", sigma / 1e6)
        };
        println!(
            "| {} | {sigma_text} | {} | {} | {} | {} | {} ({own_fit:.3}) | {} ({pair_fit:.3}) | {runs_cell} | {cpu_cell} |",
            q.name,
            factor_text(anti),
            cells[0],
            cells[1],
            cells[2],
            factor_text(control),
            factor_text(both),
        );
    }
    // The same control on the convert plan's own draws only (22 controls): how much of the
    // gain a small accumulator would keep.
    let columns = compact_columns();
    if own_draws.len() > columns[columns.len() - 1] {
        let delta = |r: &ReplicationRow| r.plans[1].get(Metric::Npv) - r.plans[0].get(Metric::Npv);
        let xs: Vec<f64> = plain.iter().map(delta).collect();
        let ys: Vec<f64> = paired.iter().map(delta).collect();
        let pair_ys: Vec<f64> = ys[..ys.len() / 2 * 2]
            .chunks_exact(2)
            .map(|p| 0.5 * (p[0] + p[1]))
            .collect();
        let own: Vec<&[f64]> = columns.iter().map(|&c| own_draws[c].as_slice()).collect();
        let pair_own: Vec<&[f64]> = columns.iter().map(|&c| pair_draws[c].as_slice()).collect();
        let (fit, pair_fit) = (
            adjusted_r_squared(&xs, &own),
            adjusted_r_squared(&pair_ys, &pair_own),
        );
        let anti = antithetic_factor(&ys);
        let plain_runs = (Z95 * variance(&xs).sqrt() / TARGET_HALF_WIDTH_USD).powi(2);
        println!();
        println!(
            "mean ΔNPV, {} − {}, controls on its own two anchors' clocks and two halls' delays only ({} controls): \
             control alone {} (adjusted R² {fit:.3}), antithetic and control {} (adjusted R² {pair_fit:.3}); \
             runs to ±$2M {:.0} / {:.0}",
            plain_model.plans[1].name,
            plain_model.plans[0].name,
            columns.len(),
            factor_text(1.0 / (1.0 - fit)),
            factor_text(anti / (1.0 - pair_fit)),
            plain_runs * (1.0 - fit),
            plain_runs * (1.0 - pair_fit) / anti,
        );
    }
}
