//! The output files and the terminal report, pinned: CSV headers, the JSON structure and the
//! table (insta snapshots), determinism of every file, and the convergence option.

use std::path::Path;
use std::process::Output;

/// Runs `pivotsim ARGS` in `dir` without colour, with the extra environment `env`.
fn pivotsim(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let env: Vec<(&str, &str)> = [("NO_COLOR", "1")]
        .into_iter()
        .chain(env.iter().copied())
        .collect();
    crate::common::run_in(dir, args, &env)
}

/// A small fixed scenario: the default over 3 years (its stress sets fall inside).
fn small_scenario(dir: &Path) -> std::path::PathBuf {
    let text =
        pivotsim::scenario::DEFAULT_SCENARIO_YAML.replace("horizon_years: 10", "horizon_years: 3");
    let path = dir.join("small.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The JSON document with every number replaced by "<number>" and long arrays cut to their
/// first element: its structure, independent of simulated values.
fn skeleton(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(_) => Value::String("<number>".into()),
        Value::String(_) => Value::String("<string>".into()),
        Value::Array(items) => Value::Array(items.iter().take(1).map(skeleton).collect()),
        Value::Object(map) => {
            // Metric maps repeat one shape per metric: keep the keys, skeleton one value.
            Value::Object(map.iter().map(|(k, x)| (k.clone(), skeleton(x))).collect())
        }
        other => other.clone(),
    }
}

#[test]
fn output_formats_are_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_scenario(dir.path());
    let o = pivotsim(
        dir.path(),
        &[
            "run",
            scenario.to_str().unwrap(),
            "--runs",
            "40",
            "--seed",
            "7",
            "--out",
            "out",
            "--no-plots",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("out");
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    insta::assert_snapshot!("runs_csv_header", runs.lines().next().unwrap());
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    insta::assert_snapshot!("timeseries_csv_header", ts.lines().next().unwrap());
    // 3 plans × 36 months × every series, plus the header.
    assert_eq!(
        ts.lines().count(),
        1 + 3 * 36 * pivotsim::model::Series::COUNT
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    insta::assert_json_snapshot!("summary_json_structure", skeleton(&summary));
    insta::assert_snapshot!("terminal_table", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn every_output_file_is_identical_at_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_scenario(dir.path());
    let s = scenario.to_str().unwrap();
    for (out, env) in [
        ("t1", [("RAYON_NUM_THREADS", "1")]),
        ("t2", [("RAYON_NUM_THREADS", "2")]),
    ] {
        let o = pivotsim(
            dir.path(),
            &["run", s, "--runs", "150", "--out", out, "-q"],
            &env,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let files: Vec<_> = std::fs::read_dir(dir.path().join("t1"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        files.len() >= 10,
        "expected the CSVs, the summary and the plots: {files:?}"
    );
    for name in files {
        let a = std::fs::read(dir.path().join("t1").join(&name)).unwrap();
        let b = std::fs::read(dir.path().join("t2").join(&name)).unwrap();
        assert!(a == b, "{name:?} differs between 1 and 2 threads");
    }
    report_is_self_contained_and_agrees_with_the_summary(&dir.path().join("t1"));
    plots_stand_alone(&dir.path().join("t1"));
}

/// Every plot names its run in a caption line; each plan but the baseline has its paired
/// difference with the mean and P(Δ > 0) marked; the 3-year horizon from March 2026 holds
/// one halving (April 2028), marked on the time axes.
fn plots_stand_alone(out: &Path) {
    let svg = |stem: &str| std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "svg") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.contains("150 futures · seed")
                    && text.contains("discount rates: equity 25%, project 20%"),
                "{} has no caption",
                path.display()
            );
        }
    }
    for plan in ["convert-half-2027", "adaptive"] {
        let paired = svg(&format!("paired_npv_difference_{plan}"));
        assert!(paired.contains(&format!("{plan} − stay-mining")));
        assert!(paired.contains("mean Δ") && paired.contains("P(Δ &gt; 0) = "));
    }
    assert!(!out.join("paired_npv_difference_stay-mining.svg").exists());
    // The cash fan has a panel per plan, each with the marker.
    for (stem, panels) in [
        ("cash_fan", 3),
        ("hashprice_fan", 1),
        ("default_probability", 1),
    ] {
        assert_eq!(svg(stem).matches("halving (").count(), panels, "{stem}");
    }
}

/// `report.html` fetches nothing (no URL, script, import or `url(` but `data:`), inlines
/// every SVG plot of the folder, and each headline number it marks equals the value at its
/// pointer in `summary.json`.
fn report_is_self_contained_and_agrees_with_the_summary(out: &Path) {
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let lower = html.to_lowercase();
    for banned in [
        "http://", "https://", "<script", "@import", "<link", "<iframe",
    ] {
        assert!(!lower.contains(banned), "report.html contains {banned}");
    }
    for (at, _) in lower.match_indices("url(") {
        let rest = lower[at + 4..].trim_start_matches(['"', '\'', ' ']);
        assert!(
            rest.starts_with("data:"),
            "report.html has a url( that is not data:"
        );
    }
    assert!(lower.contains("content-security-policy"));
    let svgs = std::fs::read_dir(out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "svg")
        })
        .count();
    assert!(svgs >= 6, "expected the plots beside the report");
    assert_eq!(
        html.matches("<svg ").count(),
        svgs,
        "every SVG plot is inlined"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let mut checked = 0;
    for cell in html.split("data-summary=\"").skip(1) {
        let (pointer, rest) = cell.split_once('"').unwrap();
        let value = rest
            .strip_prefix(" data-value=\"")
            .and_then(|r| r.split_once('"'))
            .map(|(v, _)| v)
            .unwrap();
        let expected = summary
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{pointer}"));
        let shown: serde_json::Value = serde_json::from_str(value).unwrap();
        assert_eq!(&shown, expected, "{pointer}");
        checked += 1;
    }
    // 3 plans: value and P(default) each, Δ and P(better) for the 2 against the baseline.
    assert_eq!(checked, 3 * 2 + 2 * 2);
}

#[test]
fn a_convergence_target_stops_at_a_check_point_or_reports_it_missed() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_scenario(dir.path());
    let s = scenario.to_str().unwrap();
    // A loose target (NPV ± $1B) is met at the first check, after 1,024 runs of the 3,000.
    let o = pivotsim(
        dir.path(),
        &[
            "run",
            s,
            "--runs",
            "3000",
            "--target-ci",
            "npv=1e9",
            "--out",
            "a",
            "--no-plots",
            "--format",
            "json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["runs"], 1024);
    assert_eq!(summary["convergence"]["met"], true);
    assert_eq!(summary["convergence"]["metric"], "npv_usd");
    // An impossible target ($1) is not met within 50 runs: reported, exit 0 by default…
    let o = pivotsim(
        dir.path(),
        &[
            "run",
            s,
            "--runs",
            "50",
            "--target-ci",
            "npv_usd=1",
            "--out",
            "b",
            "--no-plots",
            "--format",
            "json",
        ],
        &[],
    );
    assert!(o.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["runs"], 50);
    assert_eq!(summary["convergence"]["met"], false);
    // …and exit 3 when the user asks for a missed target to fail.
    let o = pivotsim(
        dir.path(),
        &[
            "run",
            s,
            "--runs",
            "50",
            "--target-ci",
            "npv=1",
            "--require-target",
            "--out",
            "c",
            "--no-plots",
            "-q",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(3));
    // A bad target is a usage error.
    let o = pivotsim(
        dir.path(),
        &["run", s, "--target-ci", "nope=5", "--out", "d"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown metric `nope`"));
}

#[test]
fn a_stress_set_runs_every_plan_again_on_the_same_futures() {
    // `--stress btc-crash-2027` adds "plan [btc-crash-2027]" for each of the default's three
    // plans. The unstressed plans are exactly those of a run without the option (same futures),
    // and the crash lowers the mean hashprice. An unknown stress is a usage error.
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_scenario(dir.path());
    let s = scenario.to_str().unwrap();
    let json = |out: &str, extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "run",
            s,
            "--runs",
            "30",
            "--out",
            out,
            "--no-plots",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let o = pivotsim(dir.path(), &args, &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let base = json("a", &[]);
    let stressed = json("b", &["--stress", "btc-crash-2027"]);
    let names: Vec<&str> = stressed["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "stay-mining",
            "convert-half-2027",
            "adaptive",
            "stay-mining [btc-crash-2027]",
            "convert-half-2027 [btc-crash-2027]",
            "adaptive [btc-crash-2027]"
        ]
    );
    for p in 0..3 {
        assert_eq!(base["plans"][p], stressed["plans"][p], "plan {p} changed");
    }
    let hashprice = |p: usize| {
        stressed["plans"][p]["metrics"]["mean_hashprice_usd_per_ph_day"]["mean"]
            .as_f64()
            .unwrap()
    };
    assert!(
        hashprice(3) < hashprice(0) * 0.95,
        "{} vs {}",
        hashprice(3),
        hashprice(0)
    );
    let o = pivotsim(
        dir.path(),
        &["run", s, "--stress", "nope", "--out", "c"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("btc-crash-2027"));
}

#[test]
fn csv_files_are_tidy_no_nan_and_counts_as_whole_numbers() {
    // A short run where most plans have undefined figures (no IRR, no payback, the baseline's
    // own returns) and a sweep over it: no CSV cell may say `NaN`, and the count-kind
    // columns of runs.csv (counts, 0/1 flags, month indices) hold whole numbers only.
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_scenario(dir.path());
    let scenario = scenario.to_str().unwrap();
    let run = pivotsim(
        dir.path(),
        &[
            "run",
            scenario,
            "--runs",
            "70",
            "--seed",
            "7",
            "--out",
            "out",
            "--no-plots",
            "-q",
        ],
        &[],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let sweep = pivotsim(
        dir.path(),
        &[
            "sweep",
            scenario,
            "--vary",
            "seed=1,2",
            "--runs",
            "8",
            "--out",
            "sw",
            "--no-plots",
            "-q",
        ],
        &[],
    );
    assert!(
        sweep.status.success(),
        "{}",
        String::from_utf8_lossy(&sweep.stderr)
    );
    for file in ["out/runs.csv", "out/timeseries.csv", "sw/sweep.csv"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        let bad = text
            .lines()
            .find(|l| l.split(',').any(|c| c.eq_ignore_ascii_case("nan")));
        assert!(bad.is_none(), "{file} has NaN: {bad:?}");
    }
    let runs = std::fs::read_to_string(dir.path().join("out/runs.csv")).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let column = |key: &str| header.iter().position(|h| *h == key).unwrap();
    for key in [
        "inquiries",
        "lost_inquiries",
        "defaulted",
        "irr_defined",
        "payback_month",
    ] {
        let c = column(key);
        for row in &rows {
            assert!(
                row[c].is_empty() || row[c].parse::<u64>().is_ok(),
                "{key} = {:?} is not a whole number",
                row[c]
            );
        }
    }
    // A real-valued column keeps its float form even when the value is whole (`0.0`).
    let npv = column("npv_usd");
    assert!(rows.iter().all(|r| r[npv].parse::<f64>().is_ok()));
    // Undefined values exist here, and are empty cells: the baseline's own returns.
    let irr = column("vs_baseline_project_irr");
    assert!(rows.iter().any(|r| r[irr].is_empty()));
    let sweep_csv = std::fs::read_to_string(dir.path().join("sw/sweep.csv")).unwrap();
    assert!(
        sweep_csv.contains(",count,8\n"),
        "the count statistic is whole"
    );
}
