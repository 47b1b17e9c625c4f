//! `pivotsim optimize`: the search finds the optimum of the sample-average problem that a
//! brute-force evaluation of the grid gives, the least equity for a default limit brackets
//! the limit, outputs do not depend on the thread count, bad requests fail before any
//! simulation, and the chosen scenario runs.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{run_in, stderr};

/// Hall B's conversion and its tenant's signing, moved together (configs/default.yaml: plan
/// 1's actions 1 and 4).
const HALL_B_DATES: &str = "plans[1].actions[1].date,plans[1].actions[4].date";

/// The rows of optimize.csv in `dir`, each as column → text.
fn rows(dir: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(dir.join("optimize.csv")).expect("optimize.csv");
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn number(row: &BTreeMap<String, String>, column: &str) -> f64 {
    row[column].parse().unwrap()
}

fn optimize(dir: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["optimize", "--plan", "convert-half-2027", "-q", "-o", out];
    args.extend_from_slice(extra);
    run_in(dir, &args, &[])
}

/// The rows of `dir`'s optimize.csv of one phase (`search` or `confirm`).
fn phase_rows(dir: &Path, phase: &str) -> Vec<BTreeMap<String, String>> {
    rows(dir)
        .into_iter()
        .filter(|r| r["phase"] == phase)
        .collect()
}

/// Runs `optimize` into `out` (which must succeed) and returns its search rows.
fn search_rows(dir: &Path, out: &str, extra: &[&str]) -> Vec<BTreeMap<String, String>> {
    let o = optimize(dir, out, extra);
    assert!(o.status.success(), "{}", stderr(&o));
    phase_rows(&dir.join(out), "search")
}

#[test]
fn the_search_finds_the_brute_force_optimum_of_the_conversion_date() {
    let dir = tempfile::tempdir().unwrap();
    let var = format!("{HALL_B_DATES}=2027-04-01..2028-04-01");
    let common = [
        "--var",
        var.as_str(),
        "--maximize",
        "delta_equity_npv_usd:mean",
        "--runs",
        "24",
        "--seed",
        "5",
        "--no-plots",
    ];
    // Brute force: the 13 months fit a budget of 13, so every one is evaluated on the same
    // 24 futures.
    let mut all = common.to_vec();
    all.extend(["--budget", "13"]);
    let brute = search_rows(dir.path(), "all", &all);
    assert_eq!(brute.len(), 13);
    let month = |r: &BTreeMap<String, String>| -> usize {
        let date = &r[HALL_B_DATES];
        let (y, m) = (&date[0..4], &date[5..7]);
        (y.parse::<usize>().unwrap() - 2027) * 12 + m.parse::<usize>().unwrap() - 4
    };
    let argmax = brute
        .iter()
        .max_by(|a, b| number(a, "objective").total_cmp(&number(b, "objective")))
        .map(month)
        .unwrap();
    // The search, with 6 evaluations for 13 months, must land within one month of it.
    let mut few = common.to_vec();
    few.extend(["--budget", "6"]);
    let searched = search_rows(dir.path(), "few", &few);
    assert!(searched.len() <= 6);
    let found = searched
        .iter()
        .max_by(|a, b| number(a, "objective").total_cmp(&number(b, "objective")))
        .map(month)
        .unwrap();
    assert!(
        found.abs_diff(argmax) <= 1,
        "search found month {found}, brute force {argmax}"
    );
    // Common random numbers: a date evaluated by both has the same value to the bit.
    for r in &searched {
        let same = brute.iter().find(|b| month(b) == month(r)).unwrap();
        assert_eq!(r["objective"], same["objective"]);
    }
    // Independently: the objective of the best month is the mean over the same 24 futures of
    // the plan's equity value less the baseline's, as `pivotsim run` writes them in runs.csv
    // with that month set (all plans simulated, not only the two optimize keeps).
    let best = brute.iter().find(|b| month(b) == argmax).unwrap();
    let date = &best[HALL_B_DATES];
    let sets: Vec<String> = HALL_B_DATES
        .split(',')
        .map(|p| format!("{p}={date}"))
        .collect();
    let mut args = vec![
        "run",
        "--runs",
        "24",
        "--seed",
        "5",
        "-q",
        "--no-plots",
        "--no-report",
        "-o",
        "check",
    ];
    for s in &sets {
        args.extend(["--set", s.as_str()]);
    }
    let o = run_in(dir.path(), &args, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut reader = csv::Reader::from_path(dir.path().join("check/runs.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (plan, equity) = (col("plan"), col("equity_npv_usd"));
    let mut by_plan: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in reader.records() {
        let r = r.unwrap();
        by_plan
            .entry(r[plan].to_owned())
            .or_default()
            .push(r[equity].parse().unwrap());
    }
    let (plan, base) = (&by_plan["convert-half-2027"], &by_plan["stay-mining"]);
    let mean = plan.iter().zip(base).map(|(p, b)| p - b).sum::<f64>() / 24.0;
    let objective = number(best, "objective");
    assert!(
        (mean - objective).abs() <= 1e-9 * objective.abs().max(1.0),
        "runs.csv gives {mean}, optimize.csv {objective}"
    );
}

#[test]
fn the_least_equity_for_a_default_limit_brackets_the_limit() {
    // The equity raise cut to $20M, so the builds need the starting cash: P(default) falls as
    // it grows. On a 17-point grid with a budget of 7, the search bisects.
    let dir = tempfile::tempdir().unwrap();
    let common = [
        "--set",
        "plans[1].actions[2].amount_usd=20000000",
        "--var",
        "starting_cash_usd=0..160000000/10000000",
        "--minimize",
        "starting_cash_usd",
        "--subject-to",
        "p_default<=0.2",
        "--runs",
        "48",
        "--seed",
        "3",
        "--no-plots",
    ];
    let mut bisect = common.to_vec();
    bisect.extend(["--budget", "7"]);
    let search = search_rows(dir.path(), "bisect", &bisect);
    // 2 ends + ⌈log₂ 16⌉ = 6 evaluations at most.
    assert!(search.len() <= 6, "{}", search.len());
    let cash = |r: &BTreeMap<String, String>| number(r, "starting_cash_usd");
    let answer = search
        .iter()
        .filter(|r| r["feasible"] == "1")
        .map(cash)
        .fold(f64::INFINITY, f64::min);
    // The answer meets the limit at 95% (its Wilson upper bound ≤ 0.2); one step below breaks it.
    let at = |c: f64| search.iter().find(|r| cash(r) == c).unwrap();
    assert!(number(at(answer), "c1_bound") <= 0.2);
    let below = at(answer - 10_000_000.0);
    assert_eq!(below["feasible"], "0");
    assert!(number(below, "c1_bound") > 0.2);
    // Brute force on the same futures: feasibility is monotone in the cash, and its edge is
    // the bisection's answer.
    let mut all = common.to_vec();
    all.extend(["--budget", "17"]);
    let grid = search_rows(dir.path(), "all", &all);
    assert_eq!(grid.len(), 17);
    let flags: Vec<bool> = grid.iter().map(|r| r["feasible"] == "1").collect();
    let edge = flags.iter().position(|&f| f).unwrap();
    assert!(flags[edge..].iter().all(|&f| f), "{flags:?}");
    assert_eq!(cash(&grid[edge]), answer);
    // Every evaluation of the same cash agrees between the two runs (same futures).
    for r in &search {
        let same = grid.iter().find(|g| cash(g) == cash(r)).unwrap();
        assert_eq!(r["p_default"], same["p_default"]);
    }
    // The chosen one is confirmed on fresh futures (48..96, not the search's 0..48) and meets
    // the limit there; it is the answer, or the least value above it that does: every
    // confirmed value below it broke the limit on the fresh futures (the walk goes on past
    // finalists that fail there).
    let confirmed: Vec<_> = phase_rows(&dir.path().join("bisect"), "confirm");
    let chosen: Vec<_> = confirmed.iter().filter(|r| r["chosen"] == "1").collect();
    assert_eq!(chosen.len(), 1);
    assert_eq!(
        (
            chosen[0]["phase"].as_str(),
            chosen[0]["futures_from"].as_str()
        ),
        ("confirm", "48")
    );
    assert_eq!(chosen[0]["feasible"], "1");
    let c = cash(chosen[0]);
    assert!(c >= answer, "{c}");
    for r in confirmed.iter().filter(|r| cash(r) < c) {
        assert_eq!(r["feasible"], "0", "{}", cash(r));
    }
}

#[test]
fn outputs_are_byte_identical_for_one_and_two_threads_and_best_yaml_runs() {
    let dir = tempfile::tempdir().unwrap();
    let var = format!("{HALL_B_DATES}=2027-04-01..2028-04-01/2");
    let run = |threads: &str, out: &str| {
        let o = optimize(
            dir.path(),
            out,
            &[
                "--var",
                &var,
                "--var",
                "plans[1].actions[0].debt.share_of_capex=0.55..0.85/0.1",
                "--maximize",
                "delta_equity_npv_usd:median",
                "--subject-to",
                "p_default<=0.3",
                "--runs",
                "20",
                "--budget",
                "8",
                "--seed",
                "9",
                "-j",
                threads,
                "--format",
                "json",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        o.stdout
    };
    // The documents differ only by the folder they name.
    let one = String::from_utf8(run("1", "one")).unwrap();
    let two = String::from_utf8(run("2", "two")).unwrap();
    assert!(one == two.replace("\"out\":\"two\"", "\"out\":\"one\""));
    for file in ["optimize.csv", "best.yaml", "frontier.svg", "frontier.png"] {
        let a = std::fs::read(dir.path().join("one").join(file)).unwrap();
        let b = std::fs::read(dir.path().join("two").join(file)).unwrap();
        assert!(a == b, "{file} differs between 1 and 2 threads");
    }
    let document: serde_json::Value = serde_json::from_str(&one).unwrap();
    let chosen = &document["chosen"]["values"];
    // best.yaml is the scenario with the chosen values: it validates, carries them, and runs.
    let o = run_in(dir.path(), &["validate", "one/best.yaml"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let yaml = std::fs::read_to_string(dir.path().join("one/best.yaml")).unwrap();
    let share = chosen["plans[1].actions[0].debt.share_of_capex"]
        .as_f64()
        .unwrap();
    assert!(
        yaml.contains(&format!("share_of_capex: {share}")),
        "{share}"
    );
    let date = chosen[HALL_B_DATES].as_str().unwrap();
    assert!(yaml.contains(date), "{date}");
    let o = run_in(
        dir.path(),
        &[
            "run",
            "one/best.yaml",
            "--runs",
            "8",
            "-q",
            "--no-plots",
            "--no-report",
            "-o",
            "best-run",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn bad_requests_exit_2_before_simulating_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let var = "starting_cash_usd=10000000..90000000";
    let cases: [(&[&str], &str); 9] = [
        (
            &[
                "--plan",
                "convert-half",
                "--var",
                var,
                "--maximize",
                "equity_npv_usd",
            ],
            "no plan of that name",
        ),
        (
            &[
                "--plan",
                "adaptive",
                "--var",
                "no_such_field=1..2",
                "--maximize",
                "npv",
            ],
            "no_such_field",
        ),
        (
            &[
                "--plan",
                "adaptive",
                "--var",
                "starting_cash_usd=9..3",
                "--maximize",
                "npv",
            ],
            "empty",
        ),
        (
            &[
                "--plan",
                "adaptive",
                "--var",
                var,
                "--maximize",
                "npv",
                "--subject-to",
                "p_default<0.05",
            ],
            "expected METRIC[:STAT]<=LIMIT",
        ),
        (
            &[
                "--plan",
                "adaptive",
                "--var",
                var,
                "--maximize",
                "npv",
                "--subject-to",
                "happiness<=0.05",
            ],
            "unknown measure",
        ),
        (
            &[
                "--plan",
                "adaptive",
                "--var",
                var,
                "--maximize",
                "npv",
                "--subject-to",
                "p_default<=0",
            ],
            "never reaches 0",
        ),
        (
            &[
                "--plan",
                "adaptive",
                "--var",
                var,
                "--maximize",
                "npv:average",
            ],
            "unknown statistic",
        ),
        (
            &[
                "--plan",
                "stay-mining",
                "--var",
                var,
                "--maximize",
                "delta_npv",
            ],
            "baseline",
        ),
        (
            &[
                "--plan",
                "adaptive",
                "--var",
                "starting_cash_usd=2027-01-01..2028-01-01",
                "--minimize",
                "npv",
            ],
            "starting_cash_usd",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["optimize", "-o", "out", "--runs", "4"];
        all.extend_from_slice(args);
        let o = run_in(dir.path(), &all, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
        assert!(
            !dir.path().join("out").exists(),
            "{args:?} wrote its folder"
        );
    }
}

#[test]
fn no_feasible_candidate_exits_4_with_the_table_and_no_scenario() {
    // With 8 futures, even no default at all has a Wilson upper bound of 3.84/11.84 = 32%,
    // so P(default) ≤ 1% cannot be shown for any candidate.
    let dir = tempfile::tempdir().unwrap();
    let o = optimize(
        dir.path(),
        "out",
        &[
            "--var",
            "starting_cash_usd=20000000..60000000/20000000",
            "--maximize",
            "equity_npv_usd",
            "--subject-to",
            "p_default<=0.01",
            "--runs",
            "8",
            "--no-plots",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    // Scripts still get the document, with no choice in it.
    let document: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(document["chosen"].is_null());
    assert_eq!(document["evaluations"], 3);
    assert!(stderr(&o).contains("no candidate"), "{}", stderr(&o));
    assert_eq!(rows(&dir.path().join("out")).len(), 3);
    assert!(!dir.path().join("out/best.yaml").exists());
}
