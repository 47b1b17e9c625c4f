//! Antithetic futures (issue #21): what a pair shares and mirrors, the pair-mean interval the
//! statistics report, and determinism across thread counts and shard splits with them on.

use std::path::Path;

use pivotsim::model::{CompiledScenario, Metric, RunMetrics, World};
use pivotsim::montecarlo::{self, ReplicationRow, RunOptions};
use pivotsim::scenario::{self, Scenario};
use pivotsim::stats::Z95;

use crate::common::{self, assert_same_bytes_for_threads_and_shards, merge_shards, run_in, stderr};

fn default_scenario() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/default.yaml");
    scenario::load_file(&path).unwrap().scenario
}

fn compiled(antithetic: bool) -> CompiledScenario {
    let mut s = default_scenario();
    s.antithetic = antithetic;
    CompiledScenario::new(&s).unwrap()
}

fn world(model: &CompiledScenario, seed: u64, replication: u64) -> World {
    let mut w = World::default();
    w.generate(model, seed, replication);
    w
}

#[test]
fn a_pair_mirrors_the_price_and_energy_normals_and_draws_the_rest_anew() {
    let (on, off) = (compiled(true), compiled(false));
    let (even, odd) = (world(&on, 3, 4), world(&on, 3, 5));
    // The even member is the future the seed gives without the option.
    let plain = world(&off, 3, 4);
    assert_eq!(even.hourly_price, plain.hourly_price);
    assert_eq!(even.price_normals, plain.price_normals);
    // The odd member's BTC diffusion normals are the even member's negated: the sums negate
    // exactly (negation is exact, and the same values are added in the same order).
    assert!(even.price_normals.sum.abs() > 1.0);
    assert_eq!(odd.price_normals.sum, -even.price_normals.sum);
    assert_eq!(
        odd.price_normals.day_weighted_sum,
        -even.price_normals.day_weighted_sum
    );
    // Energy: outside spikes, price = factor_day · exp(m + x) with x the OU state, and the odd
    // member's x is the even one's negated, so ln p_even + ln p_odd = 2·ln factor_day + 2m is
    // the same for every unspiked hour of a day. Spikes, drawn from the same stream's
    // uniforms, fall on the same hours at the same price in both.
    let spike = 1500.0;
    let mut checked_days = 0;
    for (day, (a, b)) in even
        .hourly_price
        .chunks(24)
        .zip(odd.hourly_price.chunks(24))
        .enumerate()
    {
        let sums: Vec<f64> = a
            .iter()
            .zip(b)
            .filter(|(pa, pb)| {
                assert_eq!(
                    **pa == spike,
                    **pb == spike,
                    "day {day}: a spike in one only"
                );
                **pa != spike
            })
            .map(|(pa, pb)| pa.ln() + pb.ln())
            .collect();
        if let Some(first) = sums.first() {
            assert!(
                sums.iter().all(|s| (s - first).abs() < 1e-9),
                "day {day}: {sums:?}"
            );
            checked_days += 1;
        }
    }
    assert!(checked_days > 3_000, "{checked_days}");
    // The prices do differ: the paths are mirrored, not copied.
    assert_ne!(even.hourly_price, odd.hourly_price);
    // Every other process draws from the odd member's own streams (here the floating base
    // rate, which nothing mirrored moves): its path is that of replication 5 without the
    // option, not the even member's.
    let plain_odd = world(&off, 3, 5);
    assert!(!odd.base_rate.is_empty());
    assert_eq!(odd.base_rate, plain_odd.base_rate);
    assert_ne!(odd.base_rate, even.base_rate);
}

#[test]
fn a_pair_mirrors_the_ai_markets_regime_clock_and_inquiries() {
    // Antithetic stream version 2: the odd member reads the even member's AI-market streams
    // with every draw x mapped to F⁻¹(1 − F(x)).
    let (on, off) = (compiled(true), compiled(false));
    // The default market starts in a boom left at hazard h = 0.15/yr, not following BTC, so
    // the first switch is at E/h with E ~ Exp(1); mirrored, E' = −ln(1 − e^(−E)), hence
    // e^(−h·t) + e^(−h·t') = e^(−E) + (1 − e^(−E)) = 1 (up to the switch time's truncation
    // to whole seconds: h·1 s ≈ 5e−9).
    let h = 0.15 / pivotsim::engine::SECONDS_PER_YEAR;
    // The first inquiry, arriving before that switch in both, is drawn from the same place
    // of both streams: its price factor e^(0.10·Z) becomes e^(−0.10·Z) (product 1), its size
    // (lognormal, median 12 MW) 12²/size unless cut at the support, its density (uniform on
    // 40–132 kW) 172 − density, its arrival (rate r = 4/yr in a boom) as the switch.
    let r = 4.0 / pivotsim::engine::SECONDS_PER_YEAR;
    let mut checked = 0;
    for pair in 0..20 {
        let (even, odd) = (world(&on, 5, 2 * pair), world(&on, 5, 2 * pair + 1));
        assert_eq!(even.ai.regimes, world(&off, 5, 2 * pair).ai.regimes);
        let (Some(&(t_even, _)), Some(&(t_odd, _))) =
            (even.ai.regimes.get(1), odd.ai.regimes.get(1))
        else {
            continue;
        };
        let survival = |t: pivotsim::engine::SimTime, rate: f64| (-rate * t.secs() as f64).exp();
        assert!(
            (survival(t_even, h) + survival(t_odd, h) - 1.0).abs() < 1e-6,
            "pair {pair}: {t_even:?} {t_odd:?}"
        );
        let (a, b) = (&even.ai.inquiries[0], &odd.ai.inquiries[0]);
        if a.at >= t_even || b.at >= t_odd {
            continue;
        }
        assert!((survival(a.at, r) + survival(b.at, r) - 1.0).abs() < 1e-6);
        assert!((a.price_factor * b.price_factor - 1.0).abs() < 1e-12);
        assert!((a.density_kw + b.density_kw - 172.0).abs() < 1e-9);
        assert!((a.size_mw * b.size_mw / 144.0 - 1.0).abs() < 1e-9);
        checked += 1;
    }
    assert!(checked >= 5, "{checked} pairs checked");
}

#[test]
fn a_pair_mirrors_each_halls_cost_overrun() {
    // Only the first conversion of convert-half-2027 (hall A, started 2027-01-01), a delay of
    // 0 and an overrun x ~ Exp(mean m = 0.08) in every regime (boom factor 1): the company's
    // conversion capex is B·(1 + x) for the budget B (the capex with no overrun). In the odd
    // member x' = −m·ln(1 − e^(−x/m)), so e^(−x/m) + e^(−x'/m) = 1 (x is cut at 2, 25 means
    // out: never in practice).
    let build = |antithetic: bool, overrun: scenario::Dist| {
        let mut s = default_scenario();
        s.antithetic = antithetic;
        s.horizon_years = 3;
        s.plans.retain(|p| p.name == "convert-half-2027");
        s.plans[0].actions.truncate(1);
        let risk = s
            .market
            .ai
            .as_mut()
            .unwrap()
            .construction_risk
            .as_mut()
            .unwrap();
        risk.delay_months = scenario::Dist::Constant { value: 0.0 };
        risk.cost_overrun = overrun;
        risk.boom_factor = 1.0;
        CompiledScenario::new(&s).unwrap()
    };
    let m = 0.08;
    let (_, budget_rows) =
        run_keeping_rows(&build(false, scenario::Dist::Constant { value: 0.0 }), 2, 1);
    let budget = budget_rows[0].plans[0].get(Metric::ConversionCapex);
    assert!(budget > 1e8, "{budget}");
    let (_, rows) = run_keeping_rows(&build(true, scenario::Dist::Exponential { mean: m }), 16, 1);
    let overrun = |k: usize| rows[k].plans[0].get(Metric::ConversionCapex) / budget - 1.0;
    for pair in 0..8 {
        let (x, x_mirror) = (overrun(2 * pair), overrun(2 * pair + 1));
        assert!(x > 0.0 && x_mirror > 0.0, "pair {pair}: {x} {x_mirror}");
        let sum = (-x / m).exp() + (-x_mirror / m).exp();
        assert!(
            (sum - 1.0).abs() < 1e-9,
            "pair {pair}: {x} {x_mirror} ({sum})"
        );
    }
    // Without the option the odd replication's overrun is its own, not the mirror.
    let (_, plain) = run_keeping_rows(&build(false, scenario::Dist::Exponential { mean: m }), 2, 1);
    assert_eq!(
        plain[0].plans[0].get(Metric::ConversionCapex),
        rows[0].plans[0].get(Metric::ConversionCapex)
    );
    assert_ne!(
        plain[1].plans[0].get(Metric::ConversionCapex),
        rows[1].plans[0].get(Metric::ConversionCapex)
    );
}

/// Runs `runs` replications of `model` on `threads` threads, keeping every row.
fn run_keeping_rows(
    model: &CompiledScenario,
    runs: u64,
    threads: usize,
) -> (montecarlo::MonteCarloResult, Vec<ReplicationRow>) {
    common::run_keeping_rows(model, &RunOptions::new(runs, 11, threads))
}

/// The standard error of the mean of `values` taken in pairs (0, 1), (2, 3), …, computed
/// independently of the statistics crate: two-pass variances in f64.
fn pair_standard_error(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let variance = |xs: &[f64]| {
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (xs.len() - 1) as f64
    };
    let means: Vec<f64> = values
        .chunks_exact(2)
        .map(|p| 0.5 * (p[0] + p[1]))
        .collect();
    let pairs = means.len() as f64;
    let singles = n - 2.0 * pairs;
    // Var(mean) = (4P·Var(pair mean) + S·Var(x))/n², see MetricAccumulator::std_error.
    let single_part = if singles > 0.0 {
        singles * variance(values)
    } else {
        0.0
    };
    (4.0 * pairs * variance(&means) + single_part).sqrt() / n
}

#[test]
fn the_mean_interval_is_that_of_the_pair_means_and_the_target_uses_it() {
    let mut s = default_scenario();
    s.antithetic = true;
    s.horizon_years = 3;
    let model = CompiledScenario::new(&s).unwrap();
    // 129 runs: chunks of 64, 64 and 1; the last replication (128) is a single.
    let (result, rows) = run_keeping_rows(&model, 129, 2);
    assert!(result.antithetic);
    let npv = |run: &RunMetrics| run.get(Metric::Npv);
    let values: Vec<f64> = rows.iter().map(|r| npv(&r.plans[0])).collect();
    let acc = result.plans[0].metric(Metric::Npv);
    assert_eq!(acc.pair_means().map(|m| m.count()), Some(64));
    let want = pair_standard_error(&values);
    let got = acc.summarize().unwrap().std_error;
    assert!((got / want - 1.0).abs() < 1e-9, "{got} vs {want}");
    // The plain estimator would differ: the pairs are correlated.
    let plain = acc.moments().std_error();
    assert!((plain / want - 1.0).abs() > 0.01, "{plain} vs {want}");
    // `--target-ci` watches the same half-width: the worst plan's 1.96 × SE.
    let worst = result
        .plans
        .iter()
        .map(|p| Z95 * p.metric(Metric::Npv).std_error())
        .fold(0.0, f64::max);
    assert_eq!(result.worst_half_width(Metric::Npv), worst);
    // The paired difference against the baseline, too; P(better) counts every future.
    let pair = &result.pairs[0];
    let diffs: Vec<f64> = rows
        .iter()
        .map(|r| npv(&r.plans[pair.a]) - npv(&r.plans[pair.b]))
        .collect();
    let summary = pair.metric(Metric::Npv).summarize().unwrap();
    let want = pair_standard_error(&diffs);
    assert!((summary.diff.std_error / want - 1.0).abs() < 1e-9);
    let wins = diffs.iter().filter(|d| **d > 1.0).count() as u64;
    assert_eq!(pair.metric(Metric::Npv).a_wins().trials(), 129);
    assert!(pair.metric(Metric::Npv).a_wins().successes().abs_diff(wins) <= 2);
}

#[test]
fn without_the_option_nothing_changes_and_results_do_not_mention_it() {
    let mut s = default_scenario();
    s.horizon_years = 2;
    let model = CompiledScenario::new(&s).unwrap();
    let (result, _) = run_keeping_rows(&model, 20, 1);
    assert!(!result.antithetic);
    assert!(result.plans[0].metric(Metric::Npv).pair_means().is_none());
    let json = serde_json::to_string(&result).unwrap();
    assert!(!json.contains("antithetic") && !json.contains("pair_means"));
    // With it, the even replications are the same futures, the odd ones are not.
    s.antithetic = true;
    let (_, rows_on) = run_keeping_rows(&CompiledScenario::new(&s).unwrap(), 20, 1);
    let (_, rows_off) = run_keeping_rows(&model, 20, 1);
    let npv = |rows: &[ReplicationRow], k: usize| rows[k].plans[0].get(Metric::Npv);
    assert_eq!(npv(&rows_on, 6), npv(&rows_off, 6));
    assert_ne!(npv(&rows_on, 7), npv(&rows_off, 7));
}

/// `pivotsim run` of the default scenario over 3 years, 151 runs, with `extra` arguments
/// (which must succeed).
fn plain_study(dir: &Path, extra: &[&str], env: &[(&str, &str)]) {
    let mut args = vec![
        "run",
        "--runs",
        "151",
        "--seed",
        "9",
        "--set",
        "horizon_years=3",
        "--no-plots",
        "-q",
    ];
    args.extend_from_slice(extra);
    let o = run_in(dir, &args, env);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// [`plain_study`] with antithetic futures.
fn study(dir: &Path, extra: &[&str], env: &[(&str, &str)]) {
    let mut args = vec!["--antithetic"];
    args.extend_from_slice(extra);
    plain_study(dir, &args, env);
}

#[test]
fn antithetic_runs_are_the_same_bytes_for_any_thread_count_and_shard_split() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 151 runs: three chunks, the last ending with an unpaired replication.
    let shards = assert_same_bytes_for_threads_and_shards(
        d,
        |extra| study(d, extra, &[]),
        &["summary.json", "runs.csv", "timeseries.csv", "report.html"],
    );
    // The option is recorded with the effective scenario.
    let summary = std::fs::read_to_string(d.join("one/summary.json")).unwrap();
    assert!(summary.contains(r#""antithetic": true"#), "not recorded");
    // A shard run without it belongs to another run.
    let plain = d.join("plain");
    plain_study(
        d,
        &["--shard", "1/3", "--out", plain.to_str().unwrap()],
        &[],
    );
    let refused = merge_shards(d, "mixed", &[&plain, &shards[1], &shards[2]]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("belongs to another run"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn the_option_is_the_scenario_field_and_sweeps_take_it_at_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // `--antithetic` is `--set antithetic=true`: the same bytes.
    study(d, &["--out", "option"], &[]);
    plain_study(d, &["--set", "antithetic=true", "--out", "field"], &[]);
    for file in ["summary.json", "runs.csv"] {
        let a = std::fs::read(d.join("option").join(file)).unwrap();
        assert!(
            a == std::fs::read(d.join("field").join(file)).unwrap(),
            "{file}"
        );
    }
    // A sweep runs every point with antithetic futures.
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/default.yaml");
    let s = run_in(
        d,
        &[
            "sweep",
            config.to_str().unwrap(),
            "--vary",
            "market.bitcoin.volatility=0.4,0.7",
            "--set",
            "horizon_years=3",
            "--runs",
            "64",
            "--seed",
            "3",
            "--antithetic",
            "--no-plots",
            "--no-report",
            "--out",
            "sweep",
            "-q",
        ],
        &[],
    );
    assert!(s.status.success(), "{}", stderr(&s));
    for point in ["point-000", "point-001"] {
        let summary =
            std::fs::read_to_string(d.join("sweep").join(point).join("summary.json")).unwrap();
        assert!(summary.contains(r#""antithetic": true"#), "{point}");
    }
}
