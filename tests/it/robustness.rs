//! Robustness seen from outside the process (issue #20): one run owns its output folder,
//! signals are honoured while writing, shards are checked for integrity, and messages are
//! honest. Each test drives the built binary, as a script or a cluster would.

use std::path::Path;
use std::process::Output;

use crate::common::stderr;

/// Runs `pivotsim ARGS` in `dir` with the inherited environment.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    crate::common::run_in(dir, args, &[])
}

/// A quick study: the default scenario over 3 years.
const QUICK: [&str; 6] = [
    "--seed",
    "5",
    "--set",
    "horizon_years=3",
    "-q",
    "--no-plots",
];

fn quick(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--runs", "128"];
    args.extend(QUICK);
    args.extend(extra);
    run_in(dir, &args)
}

#[test]
fn shard_without_a_seed_is_refused_before_anything_is_created() {
    // The default scenario without its `seed:` line, so each shard would draw its own.
    let dir = tempfile::tempdir().unwrap();
    let default =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/default.yaml"))
            .unwrap();
    let unseeded: String = default
        .lines()
        .filter(|l| !l.starts_with("seed:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.path().join("unseeded.yaml"), unseeded).unwrap();
    let o = run_in(
        dir.path(),
        &[
            "run",
            "unseeded.yaml",
            "--runs",
            "128",
            "--shard",
            "1/2",
            "--out",
            "s",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("give --seed so the shards share one"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("s").exists());
}

#[test]
fn target_ci_on_a_metric_that_can_be_undefined_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    for metric in [
        "irr",
        "payback_month",
        "years_to_first_halving",
        "default_years",
    ] {
        let target = format!("{metric}=0.01");
        let o = quick(dir.path(), &["--target-ci", &target, "--out", "t"]);
        assert_eq!(o.status.code(), Some(2), "{metric}: {}", stderr(&o));
        assert!(stderr(&o).contains("undefined"), "{}", stderr(&o));
        assert!(!dir.path().join("t").exists());
    }
}

#[test]
fn merge_refuses_a_shard_whose_statistics_were_edited() {
    let dir = tempfile::tempdir().unwrap();
    for k in ["1/2", "2/2"] {
        let out = format!("s{}", &k[..1]);
        let o = quick(dir.path(), &["--shard", k, "--out", &out]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // One number of the statistics changed, the shape left intact: only a digest sees it.
    let manifest = dir.path().join("s2/shard.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let max = &mut json["statistics"]["plans"][0]["metrics"][0]["moments"]["max"];
    let edited = max.as_f64().unwrap() * 2.0 + 1.0;
    *max = serde_json::json!(edited);
    std::fs::write(&manifest, serde_json::to_vec(&json).unwrap()).unwrap();
    let o = run_in(
        dir.path(),
        &["merge", "s1", "s2", "--out", "m", "-q", "--no-plots"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("statistics"), "{}", stderr(&o));
    assert!(!dir.path().join("m").exists());
}

#[test]
fn an_os_error_is_printed_once() {
    // A folder where the run must put `timeseries.csv`: renaming the file onto it fails.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("out/timeseries.csv/keep")).unwrap();
    let o = quick(dir.path(), &["--out", "out"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.matches("os error").count(), 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
