//! Robustness seen from outside the process (issue #20): one run owns its output folder,
//! signals are honoured while writing, shards are checked for integrity, and messages are
//! honest. Each test drives the built binary, as a script or a cluster would.

use std::path::Path;
use std::process::Output;

use crate::common::{assert_refused, listing, stderr};

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

/// Starts `pivotsim ARGS` in `dir` without waiting, stdout discarded, stderr captured.
#[cfg(unix)]
fn spawn_in(dir: &Path, args: &[&str]) -> std::process::Child {
    crate::common::pivotsim()
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// A started run that is killed if the test fails before waiting for it, so that no run
/// (e.g. one blocked on a FIFO) outlives its test.
#[cfg(unix)]
struct Reaper(Option<std::process::Child>);

#[cfg(unix)]
impl Reaper {
    fn child(&mut self) -> &mut std::process::Child {
        self.0.as_mut().expect("not yet waited for")
    }

    fn wait_with_output(mut self) -> Output {
        self.0
            .take()
            .expect("not yet waited for")
            .wait_with_output()
            .unwrap()
    }
}

#[cfg(unix)]
impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends `signal` (e.g. `-INT`) to `child`.
#[cfg(unix)]
fn signal(child: &std::process::Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits (up to a minute) until `path` exists.
fn wait_for(path: &Path) {
    let start = std::time::Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Makes a FIFO at `path`.
#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn merge_refuses_an_out_that_is_one_of_its_shards() {
    let dir = tempfile::tempdir().unwrap();
    for k in ["1/2", "2/2"] {
        let out = format!("s{}", &k[..1]);
        assert!(
            quick(dir.path(), &["--shard", k, "--out", &out])
                .status
                .success()
        );
    }
    let before = std::fs::read(dir.path().join("s2/shard.json")).unwrap();
    let listed = listing(&dir.path().join("s2"));
    for out in ["s2", "./s2/", "s1/../s2"] {
        let o = run_in(dir.path(), &["merge", "s1", "s2", "--out", out, "-q"]);
        assert_eq!(o.status.code(), Some(2), "{out}: {}", stderr(&o));
        assert!(stderr(&o).contains("shard folder"), "{}", stderr(&o));
        assert_eq!(
            std::fs::read(dir.path().join("s2/shard.json")).unwrap(),
            before
        );
        assert_eq!(listing(&dir.path().join("s2")), listed);
    }
}

#[test]
fn a_rerun_removes_every_file_of_an_earlier_run_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("point-004")).unwrap();
    std::fs::create_dir_all(out.join(".plots.partial-7/x")).unwrap();
    // What earlier runs could have left: plots of plans that no longer exist, a sweep's
    // points and table, a killed run's temporaries, a shard marker.
    for stale in [
        "summary.json",
        "shard.json",
        "npv_cdf.png",
        "revenue_mix_gone.svg",
        "sweep.csv",
        "sweep.png",
        "report.html",
        ".runs.csv.partial-7",
        "point-004/summary.json",
        "point-004/runs.csv",
    ] {
        std::fs::write(out.join(stale), b"stale").unwrap();
    }
    // What the user put there stays.
    for mine in ["notes.txt", "photo.png"] {
        std::fs::write(out.join(mine), b"mine").unwrap();
    }
    let o = quick(dir.path(), &["--out", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        listing(&out),
        [
            "notes.txt",
            "photo.png",
            "report.html",
            "runs.csv",
            "summary.json",
            "timeseries.csv"
        ]
    );
    assert_ne!(std::fs::read(out.join("summary.json")).unwrap(), b"stale");
    assert_ne!(std::fs::read(out.join("report.html")).unwrap(), b"stale");
}

#[cfg(unix)]
#[test]
fn a_second_run_into_a_busy_folder_fails_fast_and_leaves_the_first_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Reaper(Some(spawn_in(
        dir.path(),
        &[
            "run", "--runs", "1000000", "--seed", "1", "--out", "out", "-q", "-j", "1",
        ],
    )));
    // The first run holds the folder once its streamed runs.csv exists.
    wait_for(
        &dir.path()
            .join(format!("out/.runs.csv.partial-{}", first.child().id())),
    );
    let started = std::time::Instant::now();
    let second = quick(dir.path(), &["--out", "out"]);
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("in use by another pivotsim run"),
        "{}",
        stderr(&second)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(
        first.child().try_wait().unwrap().is_none(),
        "the first run goes on"
    );
    assert!(
        dir.path()
            .join(format!("out/.runs.csv.partial-{}", first.child().id()))
            .exists(),
        "the second run touched the first one's files"
    );
    signal(first.child(), "-INT");
    let first = first.wait_with_output();
    assert_eq!(first.status.code(), Some(130), "{}", stderr(&first));
    assert!(!dir.path().join("out").exists());
    // Free again: a run into it now succeeds.
    assert!(quick(dir.path(), &["--out", "out"]).status.success());
}

/// Runs a study into `new/deeper/out` with a FIFO planted at `fifo` (relative to the output
/// folder, `{pid}` replaced by the run's process id) once the run has cleared the folder, so
/// that the run blocks on it while writing. Sends the signals `signals` while it blocks, then
/// unblocks it and returns its output.
#[cfg(unix)]
fn interrupt_while_writing(
    extra: &[&str],
    fifo: &str,
    signals: &[&str],
) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "run",
        "--runs",
        "1024",
        "--seed",
        "5",
        "--set",
        "horizon_years=3",
        "-q",
        "-j",
        "1",
        "--out",
        "new/deeper/out",
    ];
    args.extend(extra);
    let mut child = Reaper(Some(spawn_in(dir.path(), &args)));
    let out = dir.path().join("new/deeper/out");
    wait_for(&out.join(format!(".runs.csv.partial-{}", child.child().id())));
    let fifo = out.join(fifo.replace("{pid}", &child.child().id().to_string()));
    std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    mkfifo(&fifo);
    // Wait until the run is blocked opening the FIFO: its other outputs are written before.
    let pid = child.child().id();
    let start = std::time::Instant::now();
    loop {
        let syscall = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|tasks| {
                tasks
                    .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("wchan")).ok())
                    .any(|w| w.contains("wait_for_partner") || w.contains("fifo"))
            })
            .unwrap_or(false);
        if syscall {
            break;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(120));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    for s in signals {
        signal(child.child(), s);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Unblock it: open the FIFO for reading, again and again (non-blocking, as the run may
    // already have exited and no writer would ever come), until the run has exited.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        std::thread::spawn(move || {
            use std::os::unix::fs::OpenOptionsExt;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(mut f) = std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(&fifo)
                {
                    let mut sink = Vec::new();
                    let _ = std::io::Read::read_to_end(&mut f, &mut sink);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        })
    };
    let output = child.wait_with_output();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = reader.join();
    (output, dir)
}

#[cfg(unix)]
#[test]
fn a_signal_while_the_summary_is_written_stops_the_run_and_removes_everything() {
    let (o, dir) =
        interrupt_while_writing(&["--no-plots"], ".summary.json.partial-{pid}", &["-TERM"]);
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    // Nothing committed, and the parents the run created are gone too.
    assert!(
        !dir.path().join("new").exists(),
        "{:?}",
        listing(dir.path())
    );
}

#[cfg(unix)]
#[test]
fn a_signal_while_the_plots_are_drawn_stops_the_run() {
    // The plots are drawn in a hidden staging folder; the first file blocks the drawing.
    let (o, dir) =
        interrupt_while_writing(&[], ".plots.partial-{pid}/npv_histogram.svg", &["-INT"]);
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(
        !dir.path().join("new").exists(),
        "{:?}",
        listing(dir.path())
    );
}

#[cfg(unix)]
#[test]
fn a_second_signal_exits_at_once_even_while_writing() {
    // Two signals while the run is blocked writing the summary: the second ends it without
    // waiting for the write.
    let started = std::time::Instant::now();
    let (o, _dir) = interrupt_while_writing(
        &["--no-plots"],
        ".summary.json.partial-{pid}",
        &["-INT", "-INT"],
    );
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
}

#[cfg(unix)]
#[test]
fn an_interrupted_sweep_removes_its_finished_points() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/default.yaml");
    let child = spawn_in(
        dir.path(),
        &[
            "sweep",
            scenario,
            "--vary",
            "market.bitcoin.volatility=0.4,0.8",
            "--set",
            "horizon_years=3",
            "--runs",
            "512",
            "--seed",
            "1",
            "--out",
            "sw",
            "-q",
            "--no-plots",
        ],
    );
    // Point 0 is finished; interrupt while point 1 runs (it streams rows for a while).
    wait_for(&dir.path().join("sw/point-000/summary.json"));
    signal(&child, "-INT");
    let o = child.wait_with_output().unwrap();
    if o.status.code() == Some(0) {
        // Point 1 can finish before the signal lands; nothing to check then.
        return;
    }
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(!dir.path().join("sw").exists(), "{:?}", listing(dir.path()));
}

#[cfg(unix)]
#[test]
fn a_fifo_given_as_an_outage_trace_is_refused_instead_of_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("trace.csv");
    mkfifo(&fifo);
    let set = format!("sites[0].grid_outage_trace={}", fifo.display());
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/default.yaml");
    let mut child = spawn_in(dir.path(), &["validate", scenario, "--set", &set]);
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("validate blocked on a FIFO trace");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("FIFO"), "{}", stderr(&o));
}

#[test]
fn every_file_a_run_writes_is_recognised_as_an_earlier_runs_file() {
    // A run with every plot and the report, then a rerun without them: none may survive, so
    // the list of output names cannot fall behind the files actually written.
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "run",
        "--runs",
        "64",
        "--seed",
        "5",
        "--set",
        "horizon_years=3",
        "-q",
        "--out",
        "out",
    ];
    let o = run_in(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(listing(&dir.path().join("out")).len() > 10);
    assert!(listing(&dir.path().join("out")).contains(&"report.html".to_owned()));
    let o = quick(dir.path(), &["--out", "out", "--no-report"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        listing(&dir.path().join("out")),
        ["runs.csv", "summary.json", "timeseries.csv"]
    );
}

// Names are safe everywhere (#20, class 2): refused at validation with one located line, or
// made safe where they are written.

/// `validate` with `--set` overrides of the default scenario.
fn validate_default(dir: &Path, sets: &[&str]) -> Output {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/default.yaml");
    let mut args = vec!["validate", default];
    for s in sets {
        args.extend(["--set", s]);
    }
    run_in(dir, &args)
}

#[test]
fn plans_whose_file_stems_collide_are_refused_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let sets = ["plans[0].name=a,b", "plans[1].name=a;b"];
    let o = validate_default(dir.path(), &sets);
    assert_refused(
        &o,
        dir.path(),
        &["plans[1].name", "`a;b`", "`a,b`", "`a_b`"],
    );
    // `run` refuses it as well, before the simulation and before `--out` exists.
    let o = quick(
        dir.path(),
        &["--set", sets[0], "--set", sets[1], "--out", "out"],
    );
    assert_refused(&o, dir.path(), &["`a_b`"]);
    // Stems are compared without case: macOS and Windows would write one file for both.
    let o = validate_default(dir.path(), &["plans[0].name=Hold", "plans[1].name=hold"]);
    assert_refused(&o, dir.path(), &["`hold`", "`Hold`"]);
}

#[test]
fn a_stress_given_twice_is_refused_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let o = quick(
        dir.path(),
        &[
            "--stress",
            "btc-crash-2027",
            "--stress",
            "btc-crash-2027",
            "--out",
            "out",
        ],
    );
    assert_refused(&o, dir.path(), &["--stress btc-crash-2027", "twice"]);
}

#[test]
fn stressed_plans_that_collide_are_refused_before_anything_is_created() {
    // Stresses `x` and `X` are distinct names, but "plan [x]" and "plan [X]" give one file
    // on a case-insensitive file system; either alone is fine.
    let dir = tempfile::tempdir().unwrap();
    let sets = ["stresses[0].name=x", "stresses[1].name=X"];
    let o = validate_default(dir.path(), &sets);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut args = vec!["--set", sets[0], "--set", sets[1]];
    args.extend(["--stress", "x", "--stress", "X", "--out", "out"]);
    let o = quick(dir.path(), &args);
    assert_refused(&o, dir.path(), &["`stay-mining [x]`", "`stay-mining [X]`"]);
}

#[test]
fn a_plan_named_like_a_stressed_plan_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let o = validate_default(
        dir.path(),
        &["plans[1].name='stay-mining [btc-crash-2027]'"],
    );
    assert_refused(
        &o,
        dir.path(),
        &["plans[1].name", "--stress btc-crash-2027", "`stay-mining`"],
    );
    // Also when only the stems match.
    let o = validate_default(dir.path(), &["plans[1].name=stay-mining__btc-crash-2027_"]);
    assert_refused(
        &o,
        dir.path(),
        &["plans[1].name", "`stay-mining__btc-crash-2027_`"],
    );
    // A plan whose own name ends in `_` gives a run of three underscores.
    let sets = ["plans[0].name=x_", "plans[1].name=x___btc-crash-2027_"];
    let o = validate_default(dir.path(), &sets);
    assert_refused(&o, dir.path(), &["plans[1].name", "`x_`"]);
}

#[test]
fn names_with_control_or_direction_characters_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (name, shown) in [
        ("\"a\\tb\"", "\\t"),
        ("\"a\\u007fb\"", "\\u{7f}"),
        ("\"a\\u0085b\"", "\\u{85}"),
        ("\"evil\\u202Etxt\"", "\\u{202e}"),
    ] {
        for field in ["plans[0].name", "sites[0].name", "sites[0].halls[0].name"] {
            let o = validate_default(dir.path(), &[&format!("{field}={name}")]);
            assert_refused(&o, dir.path(), &[field, shown, "control character"]);
        }
    }
}

#[test]
fn name_limits_count_characters_not_bytes() {
    let limit = pivotsim::scenario::names::MAX_NAME_CHARS;
    let dir = tempfile::tempdir().unwrap();
    // Three bytes per character: the name at the limit has 600 bytes and is accepted.
    let at_limit = "計".repeat(limit);
    let o = validate_default(dir.path(), &[&format!("plans[0].name={at_limit}")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let over = "計".repeat(limit + 1);
    let o = validate_default(dir.path(), &[&format!("plans[0].name={over}")]);
    let expected = format!("{} characters; expected at most {limit}", limit + 1);
    assert_refused(&o, dir.path(), &["plans[0].name", &expected]);
}

#[test]
fn the_readme_states_the_name_limit_that_the_code_declares() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let limit = pivotsim::scenario::names::MAX_NAME_CHARS;
    let shown = pivotsim::scenario::names::MAX_SHOWN_CHARS;
    assert!(readme.contains(&format!("at most {limit} characters")));
    assert!(readme.contains(&format!("cut to {shown} characters")));
}

#[test]
fn csv_cells_a_spreadsheet_would_run_are_neutralised_and_numbers_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let o = quick(
        dir.path(),
        &[
            "--set",
            "plans[0].name==HYPERLINK(\"http://x\",\"y\")",
            "--set",
            "plans[1].name='@SUM(1+1)'",
            "--set",
            "plans[2].name='-2'",
            "--out",
            "out",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let runs = std::fs::read_to_string(dir.path().join("out/runs.csv")).unwrap();
    let mut negatives = 0;
    for (i, line) in runs.lines().enumerate().skip(1) {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        let plan = &record[1];
        assert!(
            ["'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(1+1)", "-2"].contains(&plan),
            "line {i}: {plan}"
        );
        for cell in record.iter().skip(2) {
            assert!(
                !cell.starts_with('\''),
                "line {i}: a number was prefixed: {cell}"
            );
            negatives += usize::from(cell.starts_with('-') && cell.parse::<f64>().is_ok());
        }
    }
    assert!(negatives > 0, "the run should hold negative numbers");
    let series = std::fs::read_to_string(dir.path().join("out/timeseries.csv")).unwrap();
    assert!(series.contains("\n'@SUM(1+1),"), "timeseries.csv");
    assert!(!series.contains("\n@"), "timeseries.csv");
}

#[test]
fn a_three_megabyte_reference_gives_a_short_message() {
    let dir = tempfile::tempdir().unwrap();
    let default =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/default.yaml"))
            .unwrap();
    let long = "x".repeat(3 * 1024 * 1024);
    let needle = "        site: West Texas\n";
    let at = default.find("plans:").unwrap()
        + default[default.find("plans:").unwrap()..]
            .find(needle)
            .unwrap();
    let edited = format!(
        "{}        site: {long}\n{}",
        &default[..at],
        &default[at + needle.len()..]
    );
    std::fs::write(dir.path().join("big.yaml"), edited).unwrap();
    let o = run_in(dir.path(), &["validate", "big.yaml"]);
    let err = stderr(&o);
    assert!(err.len() < 1_000, "{} bytes", err.len());
    let rest = format!(
        "({} more characters)",
        long.len() - pivotsim::scenario::names::MAX_SHOWN_CHARS
    );
    // `big.yaml` itself is the only file in the folder.
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no site is named `xxx") && err.contains(&rest),
        "{err}"
    );
}

#[test]
fn user_text_with_a_line_break_cannot_forge_a_second_error_line() {
    let dir = tempfile::tempdir().unwrap();
    // A key in the file (the corpus's key_with_newline.yaml) and a `--set` path and value.
    // A `--set` value clap refuses is quoted by clap's own message (followed by its usage
    // hint), so the check is on the lines that start with `error`.
    for set in [
        "x\nerror: forged=1",
        "name=[\"\nerror: forged\"",
        "plans[0].name=\"a\\nerror: b\"",
        "no equals sign\nerror: forged",
    ] {
        let o = validate_default(dir.path(), &[set]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        let errors = err.lines().filter(|l| l.starts_with("error")).count();
        assert_eq!(errors, 1, "{err}");
        assert!(err.contains("\\n") || err.contains("\\u{a}"), "{err}");
        assert!(listing(dir.path()).is_empty());
    }
    // Arguments clap itself refuses are quoted escaped too.
    for args in [
        &["run", "--x\nerror: forged"][..],
        &["ru\nerror: forged"],
        &["run", "--stress", "a\nerror: forged", "--out", "o"],
    ] {
        let o = run_in(dir.path(), args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        let errors = err.lines().filter(|l| l.starts_with("error")).count();
        assert_eq!(errors, 1, "{err}");
        assert!(listing(dir.path()).is_empty());
    }
}

#[test]
fn sweep_csv_neutralises_text_cells_but_not_negative_values() {
    let dir = tempfile::tempdir().unwrap();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/default.yaml");
    let o = run_in(
        dir.path(),
        &[
            "sweep",
            config,
            "--vary",
            "market.bitcoin.drift_per_year=-0.1,0.1",
            "--set",
            "plans[0].name=+cmd",
            "--set",
            "horizon_years=3",
            "--runs",
            "64",
            "--seed",
            "3",
            "--no-plots",
            "--out",
            "sweep",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("sweep/sweep.csv")).unwrap();
    assert!(csv.contains("\n0,-0.1,'+cmd,"), "{}", &csv[..300]);
    assert!(csv.contains("\n1,0.1,'+cmd,"));
    assert!(!csv.contains(",+cmd,") && !csv.contains("'-0.1"));
}

#[test]
fn the_trace_csv_neutralises_a_hall_name_a_spreadsheet_would_run() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "trace",
            "--plan",
            "convert-half-2027",
            "--set",
            "sites[0].halls[0].name='@A'",
            "--set",
            "plans[1].actions[0].hall='@A'",
            "--set",
            "plans[1].actions[3].hall='@A'",
            "--set",
            "horizon_years=3",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = String::from_utf8(o.stdout).unwrap();
    assert!(csv.contains(",convert_hall,'@A,hall_use,"), "{csv}");
    assert!(!csv.contains(",@A,"));
}
