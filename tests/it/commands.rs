//! The commands people expect beside `run`: `init`, `example`, `validate` reporting every
//! problem it can, `trace --stress`, and `sweep --zip` with its typed JSON.

use crate::common::{run_in, stderr};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn init_writes_the_default_scenario_once_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let first = run_in(dir.path(), &["init"], &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let written = std::fs::read_to_string(dir.path().join("scenario.yaml")).unwrap();
    assert_eq!(written, pivotsim::scenario::DEFAULT_SCENARIO_YAML);
    let valid = run_in(dir.path(), &["validate", "scenario.yaml"], &[]);
    assert!(valid.status.success(), "{}", stderr(&valid));
    // Again: refused with exit 2 and one clear line, and the file is untouched.
    std::fs::write(dir.path().join("mine.yaml"), "my edits").unwrap();
    let again = run_in(dir.path(), &["init", "mine.yaml"], &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).starts_with("error: mine.yaml: the file exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(stderr(&again).lines().count(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("mine.yaml")).unwrap(),
        "my edits"
    );
    // `-` prints it instead.
    let printed = run_in(dir.path(), &["init", "-"], &[]);
    assert!(printed.status.success());
    assert_eq!(stdout(&printed), pivotsim::scenario::DEFAULT_SCENARIO_YAML);
}

#[test]
fn example_lists_the_shipped_configs_and_prints_one() {
    let dir = tempfile::tempdir().unwrap();
    let list = run_in(dir.path(), &["example"], &[]);
    assert!(list.status.success());
    for name in [
        "default",
        "core-scientific-lease",
        "gpu-cloud-bit-digital",
        "stress-debt-2022",
    ] {
        assert!(stdout(&list).contains(name), "{}", stdout(&list));
    }
    let one = run_in(dir.path(), &["example", "stress-debt-2022"], &[]);
    assert!(one.status.success());
    let shipped = include_str!("../../configs/stress-debt-2022.yaml");
    assert_eq!(stdout(&one), shipped);
    let typo = run_in(dir.path(), &["example", "stress-debt-2202"], &[]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("did you mean `stress-debt-2022`?"),
        "{}",
        stderr(&typo)
    );
}

/// The default scenario with two misspelt keys, an unknown one and two values out of range.
fn scenario_with_five_problems(dir: &std::path::Path) -> std::path::PathBuf {
    let text = pivotsim::scenario::DEFAULT_SCENARIO_YAML
        .replacen("    volatility: 0.50 ", "    volatilty: 0.50 ", 1)
        .replacen("  tax_rate: 0.21 ", "  tax_rat: 0.21 ", 1)
        .replacen(
            "  - name: West Texas\n",
            "  - name: West Texas\n    nonsense: 3\n",
            1,
        )
        .replacen("pool_fee: 0.02 ", "pool_fee: 7 ", 1)
        .replacen("grid_mw: 100\n", "grid_mw: -5\n", 1);
    let path = dir.join("bad.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn validate_reports_every_independent_problem_with_did_you_mean() {
    let dir = tempfile::tempdir().unwrap();
    scenario_with_five_problems(dir.path());
    let o = run_in(dir.path(), &["validate", "bad.yaml"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let lines: Vec<String> = stderr(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert!(
        lines.iter().all(|l| l.starts_with("error: bad.yaml:")),
        "{lines:#?}"
    );
    // In file order: the misspellings (each with its likely key), then the site's problems.
    assert!(
        lines[0].contains("`market.bitcoin.volatilty`")
            && lines[0].contains("did you mean `volatility`?")
    );
    assert!(
        lines[1].contains("`finance.tax_rat`") && lines[1].contains("did you mean `tax_rate`?")
    );
    assert!(lines[2].contains("`sites[0].nonsense`") && !lines[2].contains("did you mean"));
    assert!(lines[3].contains("`sites[0].grid_mw`") && lines[3].contains("[out of range]"));
    assert!(lines[4].contains("`sites[0].pool_fee`") && lines[4].contains("[out of range]"));
    // A misspelt key is read as the key it means: no "missing field" follows from it.
    assert!(!stderr(&o).contains("missing field"));

    let json = run_in(
        dir.path(),
        &["validate", "bad.yaml", "--format", "json"],
        &[],
    );
    assert_eq!(json.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(doc["ok"], false);
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 5);
    assert_eq!(errors[0]["path"], "market.bitcoin.volatilty");
    assert_eq!(errors[0]["kind"], "unknown field");
    assert!(errors[0]["line"].as_u64().is_some_and(|l| l > 1));
    assert_eq!(errors[4]["path"], "sites[0].pool_fee");
    assert_eq!(errors[4]["text"], lines[4].trim_start_matches("error: "));
}

#[test]
fn trace_follows_a_plan_under_a_stress() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "trace",
        "--plan",
        "stay-mining",
        "--seed",
        "3",
        "--run",
        "1",
    ];
    let plain = run_in(dir.path(), &args, &[]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    let stressed = run_in(
        dir.path(),
        &[&args[..], &["--stress", "btc-crash-2027"]].concat(),
        &[],
    );
    assert!(stressed.status.success(), "{}", stderr(&stressed));
    // The crash halves BTC on 2027-06-01, so cash diverges from then on.
    assert_ne!(stdout(&plain), stdout(&stressed));
    let before = |t: &str| -> String {
        t.lines()
            .filter(|l| l.as_bytes().get(..7) < Some(b"2027-06"))
            .collect()
    };
    assert_eq!(before(&stdout(&plain)), before(&stdout(&stressed)));
    // The stressed name is accepted as it is.
    let named = run_in(
        dir.path(),
        &[
            "trace",
            "--plan",
            "stay-mining [btc-crash-2027]",
            "--seed",
            "3",
            "--run",
            "1",
            "--stress",
            "btc-crash-2027",
        ],
        &[],
    );
    assert_eq!(stdout(&named), stdout(&stressed));
    let unknown = run_in(
        dir.path(),
        &[&args[..], &["--stress", "nope"]].concat(),
        &[],
    );
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn sweep_zip_varies_axes_together_and_json_keeps_types() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "sweep",
        "scenario.yaml",
        "--vary",
        "market.bitcoin.volatility=0.4,0.6",
        "--vary",
        "discount_rate=0.1,0.2",
        "--runs",
        "4",
        "--seed",
        "1",
        "--no-plots",
        "-q",
        "--format",
        "json",
    ];
    std::fs::write(
        dir.path().join("scenario.yaml"),
        pivotsim::scenario::DEFAULT_SCENARIO_YAML,
    )
    .unwrap();
    let zipped = run_in(
        dir.path(),
        &[&base[..], &["--zip", "--out", "z"]].concat(),
        &[],
    );
    assert!(zipped.status.success(), "{}", stderr(&zipped));
    let points: serde_json::Value = serde_json::from_str(&stdout(&zipped)).unwrap();
    let points = points.as_array().unwrap();
    assert_eq!(
        points.len(),
        2,
        "the i-th value of every axis, not the 4-point grid"
    );
    assert_eq!(
        points[1]["values"]["market.bitcoin.volatility"],
        serde_json::json!(0.6)
    );
    assert_eq!(points[1]["values"]["discount_rate"], serde_json::json!(0.2));
    let grid = run_in(dir.path(), &[&base[..], &["--out", "g"]].concat(), &[]);
    assert!(grid.status.success(), "{}", stderr(&grid));
    let grid: serde_json::Value = serde_json::from_str(&stdout(&grid)).unwrap();
    assert_eq!(grid.as_array().unwrap().len(), 4);
    // Axes of different lengths cannot be zipped: exit 2 before anything is written.
    let uneven = run_in(
        dir.path(),
        &[
            "sweep",
            "scenario.yaml",
            "--vary",
            "discount_rate=0.1,0.2,0.3",
            "--vary",
            "market.bitcoin.volatility=0.4,0.6",
            "--zip",
            "--out",
            "u",
            "-q",
        ],
        &[],
    );
    assert_eq!(uneven.status.code(), Some(2));
    assert!(stderr(&uneven).contains("--zip"), "{}", stderr(&uneven));
    assert!(!dir.path().join("u").exists());
}

#[test]
fn a_misspelt_name_gets_the_closest_one() {
    let dir = tempfile::tempdir().unwrap();
    let text = pivotsim::scenario::DEFAULT_SCENARIO_YAML.replacen(
        "site: West Texas, hall: A,",
        "site: West Texsa, hall: A,",
        1,
    );
    assert_ne!(text, pivotsim::scenario::DEFAULT_SCENARIO_YAML);
    std::fs::write(dir.path().join("typo.yaml"), text).unwrap();
    let site = run_in(dir.path(), &["validate", "typo.yaml"], &[]);
    assert_eq!(site.status.code(), Some(2));
    assert!(
        stderr(&site).contains("no site is named `West Texsa` (did you mean `West Texas`?)"),
        "{}",
        stderr(&site)
    );
    let plan = run_in(
        dir.path(),
        &["trace", "--plan", "stay-minnig", "--seed", "1"],
        &[],
    );
    assert_eq!(plan.status.code(), Some(2));
    assert!(
        stderr(&plan).contains("(did you mean `stay-mining`?)"),
        "{}",
        stderr(&plan)
    );
    let baseline = run_in(
        dir.path(),
        &["run", "--baseline", "adaptiv", "--runs", "1", "-q"],
        &[],
    );
    assert_eq!(baseline.status.code(), Some(2));
    assert!(
        stderr(&baseline).contains("(did you mean `adaptive`?)"),
        "{}",
        stderr(&baseline)
    );
}
