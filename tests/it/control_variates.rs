//! Control variates (issue #21): the adjusted mean difference against a regression computed
//! here independently, the same bytes for any thread count and shard split, the plain
//! statistics untouched, and `--target-ci delta:…`.

use std::path::Path;

use pivotsim::model::controls::Controls;
use pivotsim::model::{CompiledScenario, Metric};
use pivotsim::montecarlo::{self, ReplicationRow, RunOptions};
use pivotsim::scenario;

use crate::common::{
    self, assert_refused, assert_same_bytes_for_threads_and_shards, merge_shards, run_in, stderr,
};

fn model(horizon_years: u32, antithetic: bool) -> CompiledScenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/default.yaml");
    let mut s = scenario::load_file(&path).unwrap().scenario;
    s.horizon_years = horizon_years;
    s.antithetic = antithetic;
    CompiledScenario::new(&s).unwrap()
}

fn run_keeping_rows(
    model: &CompiledScenario,
    runs: u64,
    control_variates: bool,
) -> (montecarlo::MonteCarloResult, Vec<ReplicationRow>) {
    let mut opts = RunOptions::new(runs, 17, 2);
    opts.control_variates = control_variates;
    common::run_keeping_rows(model, &opts)
}

/// The intercept of the least-squares fit of `ys` on `xs − means` and its standard error,
/// by the textbook route, independent of the statistics crate: centre in f64 (two passes),
/// form XᵀX and Xᵀy, solve by Gauss–Jordan with partial pivoting, dropping columns whose
/// pivot vanishes. Returns (intercept, standard error, columns kept).
fn textbook_regression(ys: &[f64], xs: &[Vec<f64>], means: &[f64]) -> (f64, f64, usize) {
    let n = ys.len() as f64;
    let q = means.len();
    let y_bar = ys.iter().sum::<f64>() / n;
    let x_bar: Vec<f64> = (0..q)
        .map(|j| xs.iter().map(|x| x[j]).sum::<f64>() / n)
        .collect();
    let mut a = vec![vec![0.0; 2 * q + 1]; q];
    for (row, y) in xs.iter().zip(ys) {
        for j in 0..q {
            let dj = row[j] - x_bar[j];
            for k in 0..q {
                a[j][k] += dj * (row[k] - x_bar[k]);
            }
            a[j][2 * q] += dj * (y - y_bar);
        }
    }
    // The identity beside S, for S⁻¹ (restricted to the kept columns).
    for (j, r) in a.iter_mut().enumerate() {
        r[q + j] = 1.0;
    }
    let diagonal: Vec<f64> = (0..q).map(|j| a[j][j]).collect();
    let mut kept = vec![false; q];
    for col in 0..q {
        if a[col][col] <= 1e-9 * diagonal[col] || diagonal[col] <= 0.0 {
            // Dropped: its row and column no longer take part.
            for r in a.iter_mut() {
                r[col] = 0.0;
            }
            a[col] = vec![0.0; 2 * q + 1];
            continue;
        }
        kept[col] = true;
        let pivot = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col && row[col] != 0.0 {
                let f = row[col] / pivot[col];
                for (x, p) in row.iter_mut().zip(&pivot) {
                    *x -= f * p;
                }
            }
        }
    }
    let b: Vec<f64> = (0..q)
        .map(|j| if kept[j] { a[j][2 * q] / a[j][j] } else { 0.0 })
        .collect();
    let inverse = |j: usize, k: usize| {
        if kept[j] && kept[k] {
            a[j][q + k] / a[j][j]
        } else {
            0.0
        }
    };
    let d: Vec<f64> = (0..q).map(|j| x_bar[j] - means[j]).collect();
    let residual: f64 = xs
        .iter()
        .zip(ys)
        .map(|(row, y)| {
            let fit: f64 = (0..q).map(|j| b[j] * (row[j] - x_bar[j])).sum();
            (y - y_bar - fit).powi(2)
        })
        .sum();
    let used = kept.iter().filter(|k| **k).count();
    let s2 = residual / (n - used as f64 - 1.0);
    let leverage: f64 = (0..q)
        .flat_map(|j| (0..q).map(move |k| (j, k)))
        .map(|(j, k)| d[j] * inverse(j, k) * d[k])
        .sum();
    let intercept = y_bar - (0..q).map(|j| b[j] * d[j]).sum::<f64>();
    (intercept, (s2 * (1.0 / n + leverage)).sqrt(), used)
}

/// The adjusted mean difference of convert-half-2027 against stay-mining over `runs` runs,
/// checked against [`textbook_regression`] on the same units: the runs, or with antithetic
/// futures the pair means (the unpaired last run of an odd count left out).
fn check_against_the_textbook(runs: u64, antithetic: bool) -> usize {
    let model = model(4, antithetic);
    let (result, rows) = run_keeping_rows(&model, runs, true);
    assert!(result.control_variates);
    let pair = &result.pairs[0];
    let controlled = pair
        .controlled
        .as_ref()
        .expect("the convert plan has controls");
    assert_eq!(controlled.columns.len(), 42);
    let delta =
        |r: &ReplicationRow| r.plans[pair.a].get(Metric::Npv) - r.plans[pair.b].get(Metric::Npv);
    let indicators = |r: &ReplicationRow| -> Vec<f64> {
        controlled
            .columns
            .iter()
            .map(|&c| f64::from(u8::from(r.controls[c])))
            .collect()
    };
    let (ys, xs): (Vec<f64>, Vec<Vec<f64>>) = if antithetic {
        rows.chunks_exact(2)
            .map(|p| {
                let (x0, x1) = (indicators(&p[0]), indicators(&p[1]));
                (
                    0.5 * delta(&p[0]) + 0.5 * delta(&p[1]),
                    x0.iter().zip(&x1).map(|(a, b)| 0.5 * (a + b)).collect(),
                )
            })
            .unzip()
    } else {
        rows.iter().map(|r| (delta(r), indicators(r))).unzip()
    };
    let (mean, se, used) = textbook_regression(&ys, &xs, &controlled.means);
    let e = controlled
        .estimate(Metric::Npv)
        .expect("enough units per coefficient");
    assert_eq!((e.controls, e.units), (used, ys.len() as u64));
    // The same estimator by two routes (exact integer sums against two-pass f64): equal to
    // far below the interval's width.
    assert!((e.mean - mean).abs() < 1e-6 * se, "{} vs {mean}", e.mean);
    assert!(
        (e.std_error / se - 1.0).abs() < 1e-6,
        "{} vs {se}",
        e.std_error
    );
    // Here the controls explain most of the difference: the interval is narrower.
    assert!(e.std_error < pair.metric(Metric::Npv).diff().std_error());
    // The controls are the scenario's: each indicator as Controls::draw gives it.
    let controls = Controls::new(&model);
    let mut again = Vec::new();
    controls.draw(&model, 17, rows[5].replication, &mut again);
    assert_eq!(again, rows[5].controls);
    e.controls
}

#[test]
fn the_adjusted_mean_is_the_textbook_regression_on_the_pairs_controls() {
    // 900 runs of the default scenario over 4 years (the conversion's builds start in 2027):
    // convert-half-2027 against stay-mining rests on its two anchor deals and two halls,
    // 6 draws × 7 levels = 42 columns, 860 runs needed at 20 per coefficient.
    assert_eq!(check_against_the_textbook(900, false), 42);
}

#[test]
fn with_antithetic_pairs_the_regression_is_on_the_pair_means() {
    // 1,723 runs: 861 pairs (the 860 the 42 columns need, and one) and an unpaired last run,
    // which stays out. In a pair the levels 0.5 (constant) and 0.9 (2 − the level 0.1 of the
    // mirrored draw) drop out of the fit: 30 of the 42 columns remain.
    assert_eq!(check_against_the_textbook(1_723, true), 30);
}

#[test]
fn off_it_leaves_no_trace_and_the_plain_statistics_are_the_same() {
    let model = model(4, false);
    let (on, rows_on) = run_keeping_rows(&model, 300, true);
    let (off, rows_off) = run_keeping_rows(&model, 300, false);
    assert!(!off.control_variates && off.pairs.iter().all(|p| p.controlled.is_none()));
    let json = serde_json::to_string(&off).unwrap();
    assert!(!json.contains("control") && !json.contains("controlled"));
    // The same futures and the same plain statistics.
    // (NaN-aware: the runs' undefined metrics are NaN, compared by their debug text.)
    for (a, b) in rows_on.iter().zip(&rows_off) {
        assert_eq!(format!("{:?}", a.plans), format!("{:?}", b.plans));
    }
    for (a, b) in on.pairs.iter().zip(&off.pairs) {
        assert_eq!(a.metrics, b.metrics);
    }
    // With 300 runs the 42 columns have too few runs each (860 needed): no estimate, the
    // plain mean stands.
    let c = on.pairs[0].controlled.as_ref().unwrap();
    assert!(c.estimate(Metric::Npv).is_none());
}

/// `pivotsim run` of the default scenario over 4 years, 900 runs, with `extra` arguments.
fn study(dir: &Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        "--runs",
        "900",
        "--seed",
        "9",
        "--set",
        "horizon_years=4",
        "--no-plots",
        "-q",
    ];
    args.extend_from_slice(extra);
    let o = run_in(dir, &args, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn adjusted_runs_are_the_same_bytes_for_any_thread_count_and_shard_split() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let shards = assert_same_bytes_for_threads_and_shards(
        d,
        |extra| study(d, extra),
        &["summary.json", "runs.csv", "report.html"],
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("one/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["control_variates"], true);
    let npv = &summary["comparisons"][0]["metrics"]["npv_usd"];
    let (adjusted, plain) = (&npv["controlled"], &npv["diff"]);
    assert!(adjusted["std_error"].as_f64().unwrap() < plain["std_error"].as_f64().unwrap());
    // The report leads with the adjusted mean, and points at it.
    let report = std::fs::read_to_string(d.join("one/report.html")).unwrap();
    assert!(report.contains("/comparisons/0/metrics/npv_usd/controlled/mean"));
    // A shard run without them cannot join shards run with them.
    let off = d.join("shard-off");
    study(
        d,
        &[
            "--shard",
            "1/3",
            "--no-control-variates",
            "--out",
            off.to_str().unwrap(),
        ],
    );
    let mixed = merge_shards(d, "mixed", &[&off, &shards[1], &shards[2]]);
    assert_eq!(mixed.status.code(), Some(2), "{}", stderr(&mixed));
    assert!(
        stderr(&mixed).contains("control variates"),
        "{}",
        stderr(&mixed)
    );
    assert!(!d.join("mixed").join("summary.json").exists());
}

#[test]
fn a_target_on_the_difference_uses_the_adjusted_interval() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A half-width between the adjusted and the plain one after 1,024 runs: met with the
    // controls at the first check, not without them.
    let target = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--runs",
            "1024",
            "--seed",
            "4",
            "--set",
            "horizon_years=4",
            "--target-ci",
            "delta:npv=3.7e6",
            "--no-plots",
            "--no-report",
            "--format",
            "json",
            "-q",
        ];
        args.extend_from_slice(extra);
        let o = run_in(d, &args, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        s["convergence"].clone()
    };
    let with = target(&["--out", "with"]);
    let without = target(&["--out", "without", "--no-control-variates"]);
    assert_eq!(with["difference"], true);
    assert_eq!(with["metric"], "npv_usd");
    let (w, wo) = (
        with["achieved_half_width"].as_f64().unwrap(),
        without["achieved_half_width"].as_f64().unwrap(),
    );
    assert!(w < 3.7e6 && wo > 3.7e6, "{w} and {wo}");
    assert_eq!(
        (with["met"].as_bool(), without["met"].as_bool()),
        (Some(true), Some(false))
    );
}

#[test]
fn a_target_on_a_difference_names_a_metric_every_future_defines() {
    let dir = tempfile::tempdir().unwrap();
    for (target, expected) in [
        (
            "delta:irr=0.01",
            "undefined (empty in runs.csv) in some futures",
        ),
        ("delta:bogus=1", "unknown metric `bogus`"),
        ("delta:npv=-1", "expected a positive half-width"),
    ] {
        let o = run_in(
            dir.path(),
            &["run", "--runs", "10", "--target-ci", target, "-o", "x"],
            &[],
        );
        // Refused by the option parser, whose message ends with a pointer to `--help`.
        assert_eq!(o.status.code(), Some(2), "{target}");
        assert!(stderr(&o).contains(expected), "{target}: {}", stderr(&o));
        assert!(common::listing(dir.path()).is_empty());
    }
    // One plan: no difference to watch (it would be "met" at once), refused before anything
    // is written; `delta_` is read as `delta:`, as `optimize` writes its objectives.
    let o = run_in(
        dir.path(),
        &[
            "run",
            "--runs",
            "10",
            "--set",
            "plans=[{name: only, actions: []}]",
            "--target-ci",
            "delta_npv=1e6",
            "-o",
            "x",
        ],
        &[],
    );
    assert_refused(&o, dir.path(), &["the scenario has one plan"]);
}
