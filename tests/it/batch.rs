//! Batch use as scripts and clusters see it: shards and merge, `--set`, sweeps, completions,
//! the schema command, colour, broken pipes and Ctrl-C.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::common::{pivotsim, stderr};

/// Runs `pivotsim ARGS` in `dir` with the inherited environment.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    crate::common::run_in(dir, args, &[])
}

/// A short study: the default scenario over 3 years, so debug-build tests stay quick.
const STUDY: [&str; 8] = [
    "--runs",
    "200",
    "--seed",
    "5",
    "--set",
    "horizon_years=3",
    "--no-plots",
    "-q",
];

fn study(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["run".to_owned()];
    args.extend(STUDY.iter().map(|s| s.to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn run_study(dir: &Path, extra: &[&str]) -> Output {
    let args = study(extra);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run_in(dir, &refs)
}

/// Runs the study as `n` shards into `dir/shards-n/k`.
fn shards(dir: &Path, n: usize) -> Vec<PathBuf> {
    (1..=n)
        .map(|k| {
            let out = dir.join(format!("shards-{n}")).join(k.to_string());
            let shard = format!("{k}/{n}");
            let o = run_study(dir, &["--shard", &shard, "--out", out.to_str().unwrap()]);
            assert!(o.status.success(), "shard {shard}: {}", stderr(&o));
            assert!(out.join("shard.json").exists() && out.join("runs.csv").exists());
            out
        })
        .collect()
}

fn merge(dir: &Path, shards: &[PathBuf], out: &str) -> Output {
    let mut args = vec!["merge".to_owned(), "--no-plots".into(), "-q".into()];
    args.extend(shards.iter().map(|p| p.display().to_string()));
    args.extend(["--out".into(), out.into()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run_in(dir, &refs)
}

const OUTPUTS: [&str; 4] = ["summary.json", "runs.csv", "timeseries.csv", "report.html"];

#[test]
fn merged_shards_equal_one_run_for_any_split_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let single = run_study(dir.path(), &["--out", "single"]);
    assert!(single.status.success(), "{}", stderr(&single));
    // 200 runs are 4 chunks of 64: 7 shards include empty ones, which must merge too.
    for n in [1, 2, 4, 7] {
        let mut parts = shards(dir.path(), n);
        // A shuffled order (reversed, then rotated): merge order must not matter.
        parts.reverse();
        parts.rotate_left(n / 2);
        let out = format!("merged-{n}");
        let m = merge(dir.path(), &parts, &out);
        assert!(m.status.success(), "merge of {n}: {}", stderr(&m));
        for file in OUTPUTS {
            let a = std::fs::read(dir.path().join("single").join(file)).unwrap();
            let b = std::fs::read(dir.path().join(&out).join(file)).unwrap();
            assert!(a == b, "{file} differs after merging {n} shards");
        }
    }
}

#[test]
fn shards_of_plans_with_formula_names_merge_into_the_same_bytes() {
    // Shards format rows with the same neutralised cells as a single run (`'=…`, `'@…`),
    // so the merge stays byte-identical.
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "--set",
        "plans[0].name==1+1",
        "--set",
        "plans[1].name='@cmd'",
        "--set",
        "plans[2].name='-x'",
    ];
    let mut single = names.to_vec();
    single.extend(["--out", "single"]);
    let o = run_study(dir.path(), &single);
    assert!(o.status.success(), "{}", stderr(&o));
    let parts: Vec<PathBuf> = (1..=2)
        .map(|k| {
            let out = dir.path().join(format!("part-{k}"));
            let shard = format!("{k}/2");
            let mut args = names.to_vec();
            args.extend(["--shard", &shard, "--out", out.to_str().unwrap()]);
            let o = run_study(dir.path(), &args);
            assert!(o.status.success(), "{}", stderr(&o));
            out
        })
        .collect();
    let m = merge(dir.path(), &parts, "merged");
    assert!(m.status.success(), "{}", stderr(&m));
    for file in OUTPUTS {
        let a = std::fs::read(dir.path().join("single").join(file)).unwrap();
        let b = std::fs::read(dir.path().join("merged").join(file)).unwrap();
        assert!(a == b, "{file} differs after merging");
    }
    let runs = std::fs::read_to_string(dir.path().join("merged/runs.csv")).unwrap();
    for plan in ["'=1+1", "'@cmd", "'-x"] {
        assert!(runs.contains(&format!(",{plan},")), "{plan}");
    }
}

#[test]
fn merge_refuses_missing_duplicate_foreign_and_damaged_shards() {
    let dir = tempfile::tempdir().unwrap();
    let parts = shards(dir.path(), 3);
    let refused = |shards: &[PathBuf], expect: &str| {
        let m = merge(dir.path(), shards, "bad");
        assert_eq!(m.status.code(), Some(2), "{}", stderr(&m));
        assert!(stderr(&m).contains(expect), "{expect}: {}", stderr(&m));
        assert!(!dir.path().join("bad").exists(), "nothing may be written");
    };
    refused(&parts[..2], "shard(s) 3/3 missing");
    refused(
        &[
            parts[0].clone(),
            parts[1].clone(),
            parts[1].clone(),
            parts[2].clone(),
        ],
        "given twice",
    );
    // A shard of another seed.
    let foreign = dir.path().join("foreign");
    let mut args = study(&["--shard", "3/3", "--out", foreign.to_str().unwrap()]);
    args[4] = "6".into(); // the study's --seed
    let o = run_in(
        dir.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    refused(
        &[parts[0].clone(), parts[1].clone(), foreign],
        "its seed is 6",
    );
    // Another version wrote it.
    let manifest = parts[2].join("shard.json");
    let original = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        original.replacen(
            &format!("\"pivotsim_version\":\"{}\"", env!("CARGO_PKG_VERSION")),
            "\"pivotsim_version\":\"0.0.1\"",
            1,
        ),
    )
    .unwrap();
    refused(&parts, "belongs to another run");
    std::fs::write(&manifest, &original).unwrap();
    // A changed runs.csv.
    let csv = parts[1].join("runs.csv");
    let rows = std::fs::read(&csv).unwrap();
    std::fs::write(&csv, &rows[..rows.len() - 10]).unwrap();
    refused(&parts, "changed or truncated");
    std::fs::write(&csv, &rows).unwrap();
    // An interrupted shard: no shard.json.
    std::fs::remove_file(&manifest).unwrap();
    refused(&parts, "incomplete");
    // Not a shard at all.
    refused(&[dir.path().join("nowhere")], "no such folder");
}

#[test]
fn set_overrides_are_validated_and_echoed_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_study(
        dir.path(),
        &["--set", "market.bitcoin.volatility=0.61", "--out", "out"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
            .unwrap();
    let effective = &summary["scenario"]["effective"];
    assert_eq!(effective["market"]["bitcoin"]["volatility"], 0.61);
    assert_eq!(effective["horizon_years"], 3);
    for (set, expect) in [
        ("market.bitcoin.volatility=-1", "market.bitcoin.volatility"),
        ("market.bitcoin.volatilty=0.5", "volatilty"),
        ("sites[5].grid_mw=10", "index 5 is out of range"),
        ("no-equals-sign", "expected PATH=VALUE"),
    ] {
        let o = run_study(dir.path(), &["--set", set, "--out", "never"]);
        assert_eq!(o.status.code(), Some(2), "{set}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "{set}: {}", stderr(&o));
        assert!(!dir.path().join("never").exists());
    }
}

#[test]
fn a_value_set_on_the_command_line_is_blamed_on_the_option_not_the_file() {
    // A value an override set has no line in the file: the message names the override as
    // typed (and the option behind `--runs`), never a file line that says something else.
    let dir = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/default.yaml");
    let config = config.to_str().unwrap();
    for (args, origin) in [
        (
            &["validate", config, "--set", "market.bitcoin.volatility=9"][..],
            "error: --set market.bitcoin.volatility=9: field `market.bitcoin.volatility`",
        ),
        (
            // A field missing inside a mapping the override replaced.
            &["validate", config, "--set", "sites[0].halls[0]={name: A}"],
            "error: --set sites[0].halls[0]={name: A}: field `sites[0].halls[0].rack_slots`",
        ),
        (
            // A cross-field check on an overridden value.
            &["validate", config, "--set", "plans[1].actions[3].mw=25"],
            "error: --set plans[1].actions[3].mw=25: field `plans[1].actions[3].mw`",
        ),
        (
            &["run", "--runs", "0", "--out", "never"],
            "error: --runs 0: field `runs`",
        ),
    ] {
        let o = run_in(dir.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).starts_with(origin), "{args:?}: {}", stderr(&o));
    }
    // A value the override did not touch is still located in the file.
    let o = run_in(
        dir.path(),
        &[
            "validate",
            config,
            "--set",
            "market.energy.cap_usd_per_mwh=1",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("default.yaml:") && stderr(&o).contains("mean_usd_per_mwh"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("never").exists());
}

#[test]
fn a_two_by_three_sweep_writes_six_points_and_a_tidy_table() {
    let dir = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/default.yaml");
    let o = run_in(
        dir.path(),
        &[
            "sweep",
            config.to_str().unwrap(),
            "--vary",
            "market.bitcoin.volatility=0.4,0.7",
            "--vary",
            "market.bitcoin.drift_per_year=0.0,0.1,0.2",
            "--set",
            "horizon_years=3",
            "--runs",
            "64",
            "--seed",
            "3",
            "--out",
            "sweep",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let root = dir.path().join("sweep");
    for i in 0..6 {
        let point = root.join(format!("point-{i:03}"));
        for file in OUTPUTS {
            assert!(
                point.join(file).exists(),
                "{} missing",
                point.join(file).display()
            );
        }
    }
    assert!(!root.join("point-006").exists());
    let csv = std::fs::read_to_string(root.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "point,market.bitcoin.volatility,market.bitcoin.drift_per_year,plan,metric,statistic,value"
    );
    // One row per point × plan × metric (those with values: a 3-year horizon may hold no
    // halving, for one) × 21 statistics, each with the 7 columns.
    let mut expected = 0;
    for i in 0..6 {
        let text =
            std::fs::read_to_string(root.join(format!("point-{i:03}/summary.json"))).unwrap();
        let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
        for plan in summary["plans"].as_array().unwrap() {
            expected += plan["metrics"].as_object().unwrap().len() * 21;
        }
    }
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), expected);
    assert!(rows.iter().all(|r| r.split(',').count() == 7));
    assert!(root.join("sweep.png").exists() && root.join("sweep.svg").exists());
    // Every point ran on the same seed, so points are paired.
    for i in 0..6 {
        let s = std::fs::read_to_string(root.join(format!("point-{i:03}/summary.json"))).unwrap();
        assert!(s.contains("\"seed\": 3"), "point {i}");
    }
}

#[test]
fn completions_schema_and_json_everywhere() {
    for shell in ["bash", "zsh", "fish"] {
        let o = pivotsim().args(["completions", shell]).output().unwrap();
        assert!(o.status.success());
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("pivotsim") && text.contains("merge"),
            "{shell}"
        );
    }
    let o = pivotsim().arg("schema").output().unwrap();
    assert!(o.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(schema["title"], "pivotsim scenario");
    let shipped =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario.schema.json"))
            .unwrap();
    assert_eq!(o.stdout, shipped, "docs/scenario.schema.json is stale");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/default.yaml");
    let o = pivotsim()
        .args(["validate", config.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], true);
}

#[test]
fn no_colour_and_a_closed_pipe_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    // NO_COLOR (and a non-terminal stdout): no escape sequences anywhere.
    let o = pivotsim()
        .current_dir(dir.path())
        .args(study(&["--out", "out"]))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!o.stdout.contains(&0x1b) && !o.stderr.contains(&0x1b));
    let help = pivotsim()
        .arg("--help")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!help.stdout.contains(&0x1b));
    // `pivotsim run | head -c 0`: stdout closed before the table is written.
    let mut child = pivotsim()
        .current_dir(dir.path())
        .args(study(&["--out", "piped"]))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.path().join("piped/summary.json").exists());
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_with_130_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let child = pivotsim()
        .current_dir(dir.path())
        .args([
            "run", "--runs", "1000000", "--seed", "1", "--out", "out", "-q",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let it start simulating (and create its temporaries), then interrupt.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"));
    // Nothing at all is left: no folder, no temporaries.
    assert!(
        !dir.path().join("out").exists(),
        "left: {:?}",
        std::fs::read_dir(dir.path().join("out"))
            .map(|d| d.map(|e| e.unwrap().file_name()).collect::<Vec<_>>())
    );
}

#[test]
fn trace_lists_the_replication_events_in_time_order() {
    let o = pivotsim()
        .args([
            "trace",
            "--plan",
            "convert-half-2027",
            "--run",
            "3",
            "--seed",
            "42",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "time,seconds,event,subject,quantity,before,after"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let seconds: Vec<u64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    assert!(
        seconds.windows(2).all(|w| w[0] <= w[1]),
        "not in time order"
    );
    for event in [
        "halving",
        "difficulty_retarget",
        "inquiry",
        "convert_hall",
        "month_close",
    ] {
        assert!(rows.iter().any(|r| r[2] == event), "no {event}");
    }
    let jsonl = pivotsim()
        .args(["trace", "--format", "jsonl", "--seed", "42"])
        .output()
        .unwrap();
    assert!(jsonl.status.success());
    for line in String::from_utf8(jsonl.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["event"].is_string() && v["seconds"].is_u64());
    }
}

#[test]
fn trace_statement_has_a_row_per_month_and_the_project_loans_columns() {
    // The default scenario's convert-half-2027 signs two project loans: the statement's
    // header has the company's columns, then nine per loan, named after it; one row per
    // month (120 over ten years); the JSON lines carry the same months.
    let o = pivotsim()
        .args([
            "trace",
            "--plan",
            "convert-half-2027",
            "--run",
            "3",
            "--statement",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.len(), 22 + 2 * 9, "{header:?}");
    assert_eq!(header[0], "month_end");
    assert!(header.contains(&"conversion of A: dscr"));
    assert!(header.contains(&"conversion of B: reserve_usd"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 120);
    assert!(rows.iter().all(|r| r.split(',').count() == header.len()));
    // The company's columns add up: net cash is EBITDA and every cash flow after it.
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for row in &rows {
        let cells: Vec<&str> = row.split(',').collect();
        let v = |name: &str| cells[col(name)].parse::<f64>().unwrap();
        let added = v("ebitda_usd") - v("capex_usd") + v("salvage_usd") + v("rent_prepaid_usd")
            - v("prepayment_credits_usd")
            - v("taxes_usd")
            + v("debt_draws_usd")
            - v("interest_usd")
            - v("principal_usd")
            + v("equity_raised_usd")
            - v("equity_issue_costs_usd")
            - v("to_project_accounts_usd")
            + v("from_project_accounts_usd")
            - v("seized_at_default_usd")
            + v("liquidation_proceeds_usd");
        let scale = 1.0 + v("ebitda_usd").abs() + v("capex_usd").abs() + v("debt_draws_usd").abs();
        assert!(
            (added - v("net_cash_usd")).abs() < 1e-9 * scale,
            "{}: {added} vs {}",
            cells[0],
            v("net_cash_usd")
        );
    }
    let jsonl = pivotsim()
        .args([
            "trace",
            "--plan",
            "convert-half-2027",
            "--statement",
            "--format",
            "jsonl",
        ])
        .output()
        .unwrap();
    assert!(jsonl.status.success());
    let months: Vec<serde_json::Value> = String::from_utf8(jsonl.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(months.len(), 120);
    assert!(months[119]["projects"].as_array().unwrap().len() == 2);
    assert!(months[0]["cash_usd"].is_number() && months[0]["dscr"].is_null());
}

#[cfg(unix)]
#[test]
fn sigkill_at_any_moment_leaves_nothing_that_looks_complete() {
    // Kill a run (and a shard) at several moments, into a folder that already holds a
    // complete earlier run: afterwards there must be no summary.json (or shard.json) vouching
    // for the folder, and every visible file is whole (temporaries are hidden dot-files).
    let dir = tempfile::tempdir().unwrap();
    let first = run_study(dir.path(), &["--out", "out"]);
    assert!(first.status.success(), "{}", stderr(&first));
    for (delay_ms, shard) in [(150, false), (600, true), (1200, false), (2000, true)] {
        let mut args = vec![
            "run",
            "--runs",
            "100000",
            "--seed",
            "9",
            "--out",
            "out",
            "-q",
            "--no-plots",
        ];
        if shard {
            args.extend(["--shard", "2/3"]);
        }
        let mut child = pivotsim()
            .current_dir(dir.path())
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let out = dir.path().join("out");
        assert!(
            !out.join("summary.json").exists(),
            "summary.json survived a kill at {delay_ms} ms"
        );
        assert!(
            !out.join("shard.json").exists(),
            "shard.json appeared after a kill at {delay_ms} ms"
        );
        for entry in std::fs::read_dir(&out).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                name.starts_with('.') || ["runs.csv", "timeseries.csv"].contains(&name.as_str()),
                "unexpected {name}"
            );
        }
    }
}

#[test]
fn a_baseline_is_chosen_by_name_checked_and_shared_by_shards() {
    let dir = tempfile::tempdir().unwrap();
    // Every other plan is compared with the one named, in plan order; its own rows in
    // runs.csv carry no returns over itself.
    let o = run_study(
        dir.path(),
        &["--baseline", "adaptive", "--format", "json", "--out", "b"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["baseline"], "adaptive");
    let pairs: Vec<(String, String)> = summary["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["a"].as_str().unwrap().into(),
                c["b"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("stay-mining".to_owned(), "adaptive".to_owned()),
            ("convert-half-2027".to_owned(), "adaptive".to_owned())
        ]
    );
    let runs = std::fs::read_to_string(dir.path().join("b/runs.csv")).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let method = header
        .iter()
        .position(|h| *h == "vs_baseline_project_method")
        .unwrap();
    for line in runs.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let (project_method, figures) = (cells[method], &cells[method + 2..]);
        if cells[1] == "adaptive" {
            assert!(
                project_method.is_empty() && cells[method + 1].is_empty(),
                "{line}"
            );
            assert!(figures.iter().all(|c| c.is_empty()), "{line}");
        } else {
            // The IRR column is set exactly when the IRR was the method, the MIRR's likewise.
            assert_eq!(!figures[0].is_empty(), project_method == "irr", "{line}");
            assert_eq!(!figures[1].is_empty(), project_method == "mirr", "{line}");
        }
    }
    // An unknown plan is bad input: exit 2, the names it could be, nothing written.
    let bad = run_study(dir.path(), &["--baseline", "nope", "--out", "bad"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("--baseline nope")
            && stderr(&bad).contains("stay-mining, convert-half-2027, adaptive"),
        "{}",
        stderr(&bad)
    );
    assert!(!dir.path().join("bad").exists());
    // Shards compared with different baselines are not parts of one run.
    let first = dir.path().join("s1");
    let second = dir.path().join("s2");
    let a = run_study(
        dir.path(),
        &["--shard", "1/2", "--out", first.to_str().unwrap()],
    );
    let b = run_study(
        dir.path(),
        &[
            "--shard",
            "2/2",
            "--baseline",
            "adaptive",
            "--out",
            second.to_str().unwrap(),
        ],
    );
    assert!(a.status.success() && b.status.success());
    let m = merge(dir.path(), &[first, second], "merged");
    assert_eq!(m.status.code(), Some(2), "{}", stderr(&m));
    assert!(stderr(&m).contains("baseline"), "{}", stderr(&m));
    assert!(!dir.path().join("merged").exists());
}

#[test]
fn stress_effects_merge_exactly_across_shards() {
    // Each stressed plan is paired with the same plan unstressed (`stress_effects`); those
    // accumulators travel in shard.json and must merge into the single run's bytes too.
    let dir = tempfile::tempdir().unwrap();
    let stress = ["--stress", "btc-crash-2027"];
    let single = run_study(dir.path(), &[&stress[..], &["--out", "single"]].concat());
    assert!(single.status.success(), "{}", stderr(&single));
    let parts: Vec<PathBuf> = (1..=3)
        .map(|k| {
            let out = dir.path().join(format!("part-{k}"));
            let shard = format!("{k}/3");
            let extra = [
                &stress[..],
                &["--shard", &shard, "--out", out.to_str().unwrap()],
            ];
            let o = run_study(dir.path(), &extra.concat());
            assert!(o.status.success(), "shard {shard}: {}", stderr(&o));
            out
        })
        .rev()
        .collect();
    let m = merge(dir.path(), &parts, "merged");
    assert!(m.status.success(), "{}", stderr(&m));
    for file in OUTPUTS {
        let a = std::fs::read(dir.path().join("single").join(file)).unwrap();
        let b = std::fs::read(dir.path().join("merged").join(file)).unwrap();
        assert!(a == b, "{file} differs after merging stressed shards");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("single/summary.json")).unwrap())
            .unwrap();
    let effects = summary["stress_effects"].as_array().unwrap();
    let pairs: Vec<(&str, &str)> = effects
        .iter()
        .map(|e| (e["a"].as_str().unwrap(), e["b"].as_str().unwrap()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("stay-mining [btc-crash-2027]", "stay-mining"),
            ("convert-half-2027 [btc-crash-2027]", "convert-half-2027"),
            ("adaptive [btc-crash-2027]", "adaptive"),
        ]
    );
    // The crash halves BTC in mid-2027: staying with mining earns less in most futures.
    let npv = &effects[0]["metrics"]["npv_usd"];
    assert!(npv["diff"]["mean"].as_f64().unwrap() < 0.0, "{npv}");
    // The stressed baseline's effect is also its comparison with the baseline: one number.
    let comparison = summary["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["a"] == "stay-mining [btc-crash-2027]")
        .unwrap();
    assert_eq!(
        comparison["metrics"]["npv_usd"],
        effects[0]["metrics"]["npv_usd"]
    );
}
