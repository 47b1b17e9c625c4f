//! The command line as users and scripts see it: outputs, exit codes, determinism.

use std::path::Path;

use crate::common::{pivotsim, run_in, stderr};

#[test]
fn outputs_are_byte_identical_at_one_and_two_threads() {
    // 150 runs span three 64-run chunks, so the chunk merge order is exercised. Each run gets
    // its own folder named `out`, so even the table's footer is comparable.
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = run_in(
        d1.path(),
        &["run", "--runs", "150", "--out", "out", "-q", "--no-plots"],
        &[("RAYON_NUM_THREADS", "1")],
    );
    assert!(one.status.success(), "{}", stderr(&one));
    let two = run_in(
        d2.path(),
        &[
            "run",
            "--runs",
            "150",
            "--out",
            "out",
            "-q",
            "--no-plots",
            "-j",
            "2",
        ],
        &[],
    );
    assert!(two.status.success(), "{}", stderr(&two));
    for file in ["summary.json", "runs.csv", "timeseries.csv"] {
        let a = std::fs::read(d1.path().join("out").join(file)).unwrap();
        let b = std::fs::read(d2.path().join("out").join(file)).unwrap();
        assert!(a == b, "{file} differs between 1 and 2 threads");
    }
    assert_eq!(one.stdout, two.stdout, "the terminal table differs");
}

#[test]
fn runs_csv_has_one_row_per_replication_and_plan() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &["run", "--runs", "70", "--out", "out", "-q"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("out/runs.csv")).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("replication,plan,revenue_usd,"),
        "{header}"
    );
    let rows: Vec<&str> = lines.collect();
    // Three plans in the default scenario: 210 rows, by replication then plan in file order.
    assert_eq!(rows.len(), 210);
    assert!(rows[0].starts_with("0,stay-mining,"));
    assert!(rows[1].starts_with("0,convert-half-2027,"));
    assert!(rows[2].starts_with("0,adaptive,"));
    assert!(rows[209].starts_with("69,adaptive,"));
    let columns = header.split(',').count();
    assert!(rows.iter().all(|r| r.split(',').count() == columns));
}

#[test]
fn json_format_prints_the_summary_document() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "run", "--runs", "20", "--seed", "5", "--out", "out", "--format", "json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
            .unwrap();
    assert_eq!(printed, file);
    assert_eq!(file["seed"], 5);
    assert_eq!(file["runs"], 20);
    assert_eq!(file["pivotsim_version"], env!("CARGO_PKG_VERSION"));
    assert!(
        file["scenario"]["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("fnv1a64:")
    );
    let npv = &file["plans"][0]["metrics"]["npv_usd"];
    for key in ["mean", "std_error", "ci95_low", "ci95_high"] {
        assert!(npv[key].is_number(), "npv_usd.{key} missing: {npv}");
    }
    for key in ["p5", "p50", "p95"] {
        assert!(
            npv["percentiles"][key].is_number(),
            "percentile {key} missing: {npv}"
        );
    }
}

#[test]
fn the_seed_changes_the_futures_and_repeats_them() {
    let dir = tempfile::tempdir().unwrap();
    let go = |out: &str, seed: &str| {
        let o = run_in(
            dir.path(),
            &["run", "--runs", "10", "--seed", seed, "--out", out, "-q"],
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(dir.path().join(out).join("runs.csv")).unwrap()
    };
    assert_eq!(go("a", "1"), go("b", "1"));
    assert_ne!(go("a", "1"), go("c", "2"));
}

#[test]
fn validate_accepts_every_shipped_config() {
    let files = crate::common::shipped_configs();
    for path in files {
        let o = pivotsim().arg("validate").arg(&path).output().unwrap();
        assert!(o.status.success(), "{}: {}", path.display(), stderr(&o));
        assert!(String::from_utf8_lossy(&o.stdout).starts_with("ok: "));
    }
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["run", "--runs", "abc"][..],
        &["frobnicate"],
        &["run", "--format", "xml"],
        &["run", "--runs", "0", "--out", "out"],
        &["run", "--jobs", "0", "--out", "out"],
        // 20,000 threads once panicked and ignored Ctrl-C; the bound is declared once.
        &["run", "--jobs", "1025", "--out", "out"],
        &["validate"],
    ] {
        let o = run_in(dir.path(), args, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty());
    }
    assert!(
        !dir.path().join("out").exists(),
        "a rejected run must write nothing"
    );
    let help = run_in(dir.path(), &["--help"], &[]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("validate"));
}

#[test]
fn an_unwritable_output_folder_is_a_runtime_failure() {
    // A regular file where the output folder should be: the run cannot write, exit 1.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("taken"), "x").unwrap();
    let o = run_in(
        dir.path(),
        &["run", "--runs", "5", "--out", "taken", "-q"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("taken"));
}

#[test]
fn a_table_goes_to_stdout_and_notes_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["run", "--runs", "10", "--out", "out"], &[]);
    assert!(o.status.success());
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("stay-mining") && table.contains("adaptive"),
        "{table}"
    );
    assert!(table.contains("NPV, median"));
    assert!(
        table.contains("Against the baseline stay-mining on the same 10 futures"),
        "{table}"
    );
    assert!(table.contains("    equity value   Δ "), "{table}");
    assert!(table.contains("    incremental (project): "), "{table}");
    assert!(stderr(&o).contains("wrote"), "{}", stderr(&o));
    let quiet = run_in(
        dir.path(),
        &["run", "--runs", "10", "--out", "out", "-q"],
        &[],
    );
    assert!(
        quiet.stderr.is_empty(),
        "--quiet printed: {}",
        stderr(&quiet)
    );
}

#[test]
fn readme_sample_matches_a_default_run() {
    // The README quotes the table `cargo run --release` prints (the embedded default scenario,
    // its 1,000 futures and seed). Every quoted line must be a line of that table, in order;
    // `...` stands for lines left out.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("```\npivotsim 0.1.0 · ")
        .expect("the README's sample table");
    let block = &readme[start + 4..];
    let block = &block[..block.find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &["run", "--no-plots", "-q", "--out", "out"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    let mut lines = table.lines();
    for quoted in block.lines().filter(|l| *l != "...") {
        assert!(
            lines.any(|l| l == quoted),
            "README line not in the default run's table (or out of order):\n{quoted}\n\n{table}"
        );
    }
}

/// The words of a README command line: split on spaces, with single-quoted words kept whole
/// (the README's commands use no other shell syntax).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut any) = (false, false);
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            _ => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(word);
    }
    words
}

#[test]
#[ignore = "slow (about 3 minutes): run by .ci/run with --ignored"]
fn readme_decision_answers_match_their_commands() {
    // Every ```console block of the README is a `$ pivotsim …` command (continued with `\`)
    // and lines of what it prints, `…` standing for lines left out: run the command and check
    // that each quoted line is a line of its output, in order.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```console\n")
        .skip(1)
        .map(|b| &b[..b.find("```").unwrap()])
        .collect();
    assert!(blocks.len() >= 3, "the README's checked commands");
    let dir = tempfile::tempdir().unwrap();
    for (k, block) in blocks.iter().enumerate() {
        let mut lines = block.lines();
        let mut command = String::new();
        for line in lines.by_ref() {
            let line = line.trim_start_matches("$ ").trim();
            match line.strip_suffix('\\') {
                Some(part) => command.push_str(part),
                None => {
                    command.push_str(line);
                    break;
                }
            }
        }
        let words = shell_words(&command);
        assert_eq!(words[0], "pivotsim", "{command}");
        let mut args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let out = format!("out-{k}");
        args.extend(["-q", "--no-plots", "-o", &out]);
        let o = run_in(dir.path(), &args, &[]);
        assert!(o.status.success(), "{command}: {}", stderr(&o));
        let printed = String::from_utf8_lossy(&o.stdout);
        let mut printed_lines = printed.lines();
        for quoted in lines.filter(|l| *l != "…") {
            assert!(
                printed_lines.any(|l| l == quoted),
                "README line not printed by `{command}` (or out of order):\n{quoted}\n\n{printed}"
            );
        }
    }
}

#[test]
fn the_table_of_three_plans_under_two_stresses_fits_in_120_columns_and_names_the_baseline() {
    // The default scenario's 3 plans, each also under its 2 stresses: 9 plans, too many to be
    // columns, so they become rows; every line must still fit a 120-column terminal.
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "run",
            "--runs",
            "64",
            "--seed",
            "3",
            "--stress",
            "ai-bust-2028",
            "--stress",
            "btc-crash-2027",
            "--baseline",
            "convert-half-2027",
            "--no-plots",
            "-q",
            "--out",
            "out",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    for line in table.lines() {
        assert!(
            line.chars().count() <= 120,
            "{} chars:\n{line}\n\n{table}",
            line.chars().count()
        );
    }
    assert!(table.contains("Baseline: convert-half-2027"), "{table}");
    // The baseline comes first, each plan followed by its stressed copies.
    let rows: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("plan "))
        .skip(1)
        .take(9)
        .map(|l| l.split("  ").next().unwrap_or(""))
        .collect();
    assert_eq!(
        rows,
        [
            "convert-half-2027",
            "convert-half-2027 [ai-bust-2028]",
            "convert-half-2027 [btc-crash-2027]",
            "stay-mining",
            "stay-mining [ai-bust-2028]",
            "stay-mining [btc-crash-2027]",
            "adaptive",
            "adaptive [ai-bust-2028]",
            "adaptive [btc-crash-2027]",
        ],
        "{table}"
    );
    assert!(
        table.contains("P(better)") && table.contains("P(tie)"),
        "{table}"
    );
    // Every plan but the baseline has its paired shares: against the baseline, or (stressed)
    // against itself unstressed.
    let shares = table
        .lines()
        .skip_while(|l| !l.contains("P(better)"))
        .skip(1)
        .take(9);
    let dashes = shares.filter(|l| l.trim_end().ends_with('–')).count();
    assert_eq!(dashes, 1, "only the baseline has no P(better):\n{table}");
    // A plan name of 150 characters (and its stressed copies) is cut, not let through.
    let long = format!("plans[1].name=convert-{}", "x".repeat(142));
    let o = run_in(
        dir.path(),
        &[
            "run",
            "--runs",
            "64",
            "--seed",
            "3",
            "--stress",
            "ai-bust-2028",
            "--set",
            &long,
            "--no-plots",
            "-q",
            "--out",
            "long",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.lines().all(|l| l.chars().count() <= 120), "{table}");
    assert!(table.contains("convert-xxx"), "{table}");
}
