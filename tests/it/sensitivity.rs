//! `pivotsim sensitivity`: swings that must be exactly zero or of a sign one can argue, the
//! scenario's own list, byte-identical outputs for any thread count and shard split, and bad
//! requests refused before anything is simulated or written.

use std::path::Path;

use serde_json::Value;

use crate::common::{run_in, stderr};

/// Runs `pivotsim sensitivity ARGS --format json -q` in `dir` and returns its document.
fn json_of(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["sensitivity"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json", "-q"]);
    let o = run_in(dir, &all, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("a JSON document")
}

/// The entry of input `label` in plan `plan`'s list.
fn input<'v>(doc: &'v Value, plan: &str, label: &str) -> &'v Value {
    let plan = doc["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["plan"] == plan)
        .unwrap_or_else(|| panic!("no plan {plan}"));
    plan["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["input"] == label)
        .unwrap_or_else(|| panic!("no input {label} in {plan}"))
}

fn swing(doc: &Value, plan: &str, label: &str) -> (f64, f64, f64) {
    let s = &input(doc, plan, label)["swing"];
    let f = |k: &str| s[k].as_f64().unwrap();
    (f("value"), f("ci95_low"), f("ci95_high"))
}

#[test]
fn swings_are_zero_where_a_plan_cannot_feel_the_input_and_signed_where_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let doc = json_of(
        dir.path(),
        &[
            "--param",
            "market.ai.gpu_hour.price_usd=1.5,3.5",
            "--param",
            "plans[*].actions[*].capex_usd_per_mw=3e6,15e6",
            "--param",
            "market.bitcoin.price_usd=83600,106900",
            "--param",
            "market.ai.inquiries.rate_per_year=2,8",
            "--runs",
            "16",
            "--no-plots",
        ],
    );
    // No plan of the default scenario rents GPU-hours, and stay-mining converts nothing:
    // every future is the same bit for bit at both values, so the swing and its interval are
    // exactly zero (not merely small).
    for plan in ["stay-mining", "convert-half-2027", "adaptive"] {
        assert_eq!(
            swing(&doc, plan, "market.ai.gpu_hour.price_usd"),
            (0.0, 0.0, 0.0)
        );
    }
    assert_eq!(
        swing(&doc, "stay-mining", "plans[*].actions[*].capex_usd_per_mw"),
        (0.0, 0.0, 0.0)
    );
    // Stay-mining never offers space: more inquiries are only counted, without cutting its
    // accrual at their instants, so its sums are the same to the last bit.
    assert_eq!(
        swing(&doc, "stay-mining", "market.ai.inquiries.rate_per_year"),
        (0.0, 0.0, 0.0)
    );
    // The wildcard reached both of convert-half-2027's conversions.
    assert_eq!(
        input(&doc, "stay-mining", "plans[*].actions[*].capex_usd_per_mw")["paths"],
        serde_json::json!([
            "plans[1].actions[0].capex_usd_per_mw",
            "plans[1].actions[1].capex_usd_per_mw"
        ])
    );
    // A miner's revenue is hashrate × price, and the price starts 28% higher at the high
    // value (106,900 / 83,600) on every future's same path of returns: stay-mining is worth
    // more, with a paired interval above zero.
    let (value, low, _) = swing(&doc, "stay-mining", "market.bitcoin.price_usd");
    assert!(value > 0.0 && low > 0.0, "{value} [{low}, …]");
    // Converting 40 MW at $15M/MW instead of $3M/MW costs $480M more on every future (less
    // the loans' share, which is repaid with interest): the plan is worth less.
    let (value, _, high) = swing(
        &doc,
        "convert-half-2027",
        "plans[*].actions[*].capex_usd_per_mw",
    );
    assert!(value < 0.0 && high < 0.0, "{value} […, {high}]");
    // The swing is the high value's statistic less the low value's.
    let i = input(&doc, "adaptive", "market.bitcoin.price_usd");
    let high_less_low = i["high"]["estimate"]["value"].as_f64().unwrap()
        - i["low"]["estimate"]["value"].as_f64().unwrap();
    assert_eq!(i["swing"]["value"].as_f64().unwrap(), high_less_low);
}

#[test]
fn the_scenarios_own_list_is_used_when_no_param_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let mut text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/default.yaml"))
            .unwrap();
    // The second entry is a whole-number field (months): its range must reach the scenario
    // as whole numbers, or the typing of `lead_time_months` would refuse `6.0`.
    text.push_str(
        "sensitivity:\n  - {path: market.energy.mean_usd_per_mwh, low: 25, high: 60, label: Energy}\n  - {path: \"plans[*].actions[*].lead_time_months\", low: 6, high: 24}\n",
    );
    std::fs::write(dir.path().join("s.yaml"), text).unwrap();
    let doc = json_of(dir.path(), &["s.yaml", "--runs", "4", "--no-plots"]);
    let energy = input(&doc, "stay-mining", "Energy");
    assert_eq!(
        energy["paths"],
        serde_json::json!(["market.energy.mean_usd_per_mwh"])
    );
    let months = input(
        &doc,
        "convert-half-2027",
        "plans[*].actions[*].lead_time_months",
    );
    assert_eq!(months["low"]["input_value"], serde_json::json!(6));
    assert_eq!(doc["plans"][0]["inputs"].as_array().unwrap().len(), 2);
}

/// The files of one output folder, by name, with their bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    all.sort();
    all
}

/// Runs the same request with 1 and 2 threads, and as 2 shards merged; all three folders and
/// their stdout must be identical byte for byte.
fn same_for_threads_and_shards(request: &[&str], plots: bool) {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["sensitivity"];
        args.extend_from_slice(request);
        args.extend_from_slice(extra);
        if !plots {
            args.push("--no-plots");
        }
        let o = run_in(dir.path(), &args, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        o.stdout
    };
    let one = run(&["-j", "1", "-o", "out"]);
    let two = run(&["-j", "2", "-o", "out2"]);
    run(&["--shard", "2/2", "-o", "b"]);
    run(&["--shard", "1/2", "-o", "a", "-j", "1"]);
    let mut args = vec!["merge", "b", "a", "-o", "out3"];
    if !plots {
        args.push("--no-plots");
    }
    let merged = run_in(dir.path(), &args, &[]);
    assert!(merged.status.success(), "{}", stderr(&merged));
    let out = files(&dir.path().join("out"));
    assert!(out.iter().any(|(n, _)| n == "sensitivity.csv"));
    assert_eq!(out.iter().any(|(n, _)| n.ends_with(".svg")), plots);
    assert_eq!(out, files(&dir.path().join("out2")));
    assert_eq!(out, files(&dir.path().join("out3")));
    let text = |bytes: &[u8], folder: &str| String::from_utf8_lossy(bytes).replace(folder, "OUT");
    assert_eq!(text(&one, "out"), text(&two, "out2"));
    assert_eq!(text(&one, "out"), text(&merged.stdout, "out3"));
}

#[test]
fn a_tornado_is_the_same_for_any_thread_count_and_shard_split() {
    same_for_threads_and_shards(
        &[
            "--param",
            "market.bitcoin.volatility=0.4,0.65",
            "--param",
            "plans[*].actions[*].lead_time_months=6,24",
            "--runs",
            "18",
            "--stat",
            "median",
        ],
        true,
    );
}

#[test]
fn a_sobol_design_is_the_same_for_any_thread_count_and_shard_split() {
    same_for_threads_and_shards(
        &[
            "--method",
            "sobol",
            "--samples",
            "4",
            "--param",
            "market.bitcoin.volatility=0.4,0.65",
            "--param",
            "market.energy.mean_usd_per_mwh=25,60",
            "--runs",
            "5",
        ],
        false,
    );
}

#[test]
fn bad_requests_exit_2_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 8] = [
        (
            &["--param", "market.bitcoin.volatilty=0.4,0.6"],
            "volatilty",
        ),
        (
            &["--param", "market.bitcoin.volatility=0.6,0.4"],
            "expected LOW < HIGH",
        ),
        (
            &["--param", "plans[*].nothing[*].x=1,2"],
            "matches no value",
        ),
        (
            &["--param", "market.bitcoin.volatility=0.4"],
            "PATH=LOW,HIGH",
        ),
        (
            &[
                "--method",
                "sobol",
                "--param",
                "plans[1].actions[0].date=2027-01-01,2027-06-01",
            ],
            "not both numbers",
        ),
        (&["--method", "sobol", "--samples", "6"], "power of two"),
        (&["--metric", "npv_eur"], "unknown measure"),
        (
            &["--param", "market.bitcoin.volatility=0.4,9"],
            "volatility",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["sensitivity", "-o", "never", "--runs", "2"];
        all.extend_from_slice(args);
        let o = run_in(dir.path(), &all, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
        assert!(
            !dir.path().join("never").exists(),
            "{args:?} wrote its folder"
        );
    }
    // More inputs than a Sobol design takes (20): 21 copies of one path.
    let mut all = vec!["sensitivity", "-o", "never", "--method", "sobol"];
    let param = "--param";
    let value = "market.bitcoin.volatility=0.4,0.6";
    for _ in 0..21 {
        all.extend_from_slice(&[param, value]);
    }
    let o = run_in(dir.path(), &all, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("21 inputs; expected at most 20"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("never").exists());
}

#[test]
fn p_default_is_a_probability_with_its_own_name() {
    let dir = tempfile::tempdir().unwrap();
    let doc = json_of(
        dir.path(),
        &[
            "--param",
            "market.bitcoin.drift_per_year=-0.3,0.3",
            "--metric",
            "p_default",
            "--runs",
            "4",
            "--no-plots",
        ],
    );
    assert_eq!(doc["measure"], "p_default");
    // The mean of a 0/1 flag over 4 futures is a multiple of 1/4 in [0, 1].
    let base = doc["plans"][0]["base"]["value"].as_f64().unwrap();
    assert!(
        (0.0..=1.0).contains(&base) && (base * 4.0).fract() == 0.0,
        "{base}"
    );
}

#[test]
fn merge_refuses_an_incomplete_or_mixed_set_of_sensitivity_shards() {
    let dir = tempfile::tempdir().unwrap();
    let shard = |k: &str, runs: &str, out: &str| {
        let o = run_in(
            dir.path(),
            &[
                "sensitivity",
                "--param",
                "market.bitcoin.volatility=0.4,0.65",
                "--runs",
                runs,
                "--shard",
                k,
                "-o",
                out,
                "-q",
            ],
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    };
    shard("1/2", "4", "a");
    shard("2/2", "6", "b");
    shard("2/2", "4", "c");
    for (dirs, expected) in [
        (&["a"][..], "incomplete set: shard(s) 2/2 missing"),
        (&["a", "b"][..], "belongs to another study"),
        (&["a", "c", "c"][..], "given twice"),
    ] {
        let mut args = vec!["merge"];
        args.extend_from_slice(dirs);
        args.extend_from_slice(&["-o", "merged"]);
        let o = run_in(dir.path(), &args, &[]);
        assert_eq!(o.status.code(), Some(2), "{dirs:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{dirs:?}: {}", stderr(&o));
        assert!(!dir.path().join("merged").exists());
    }
}

#[test]
fn the_bitcoin_market_leaves_a_plan_without_miners_unchanged_to_the_last_bit() {
    // TeraWulf's deal as signed has no ASICs: the BTC path sets nothing it earns. The market's
    // segments (block boundaries) used to cut its accrual all the same, which moved its sums'
    // last bits (swings of ±10⁻⁷ USD); now it is exactly the same future at both values.
    let dir = tempfile::tempdir().unwrap();
    let config =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/deals/terawulf-fluidstack.yaml");
    let doc = json_of(
        dir.path(),
        &[
            config.to_str().unwrap(),
            "--param",
            "market.bitcoin.price_usd=83600,106900",
            "--param",
            "market.bitcoin.volatility=0.4,0.65",
            "--runs",
            "8",
            "--no-plots",
        ],
    );
    for input in ["market.bitcoin.price_usd", "market.bitcoin.volatility"] {
        assert_eq!(
            swing(&doc, "deal-as-signed", input),
            (0.0, 0.0, 0.0),
            "{input}"
        );
    }
}
