//! Bad-input suite: every file in `tests/bad_inputs/` (plus a few generated cases) must be
//! refused by `pivotsim run` and `pivotsim validate` with exit code 2 and ONE located error
//! message, quickly, in bounded memory, without creating the output folder.
//!
//! Each YAML file starts with comment lines that state what its message must say:
//!
//! ```text
//! # expect: field `sites[0].grid_mw`   (substring of the message; repeatable, all must match)
//! # line: 47                           (optional: the exact line the message must point at)
//! # case: negative grid limit          (one-line description, for the report)
//! ```
//!
//! Files that cannot hold a comment (empty, whitespace-only, binary) take their expectations
//! from [`builtin_expectations`]. Run with `-- --nocapture` to see the timing table.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pivotsim");

/// Fewest corpus files accepted: one per class of mistake.
const MIN_CORPUS_FILES: usize = 30;

/// Wall-clock budget per invocation. Debug builds get a generous allowance; the budget that
/// matters is the release one.
fn time_budget() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(3)
    } else {
        Duration::from_secs(1)
    }
}

/// A child still running after this long is killed and the case fails (so a hang or an
/// alias bomb cannot stall the suite).
const WATCHDOG: Duration = Duration::from_secs(20);

/// Peak resident memory allowed per invocation, KiB.
const MAX_RSS_KIB: u64 = 100 * 1024;

/// Words that belong to the implementation (Rust types, parser settings, `Debug` output), not
/// to a message a scenario author can act on.
const JARGON: &[&str] = &[
    "DuplicateKeyPolicy",
    "Options",
    "budget breached",
    " { ",
    " }",
    "f64",
    "f32",
    "u32",
    "u64",
    "i64",
    "usize",
    "serde",
    "saphyr",
];

/// Whether a message for this case must carry a line number.
#[derive(Clone, Copy, Debug, PartialEq)]
enum LineRule {
    /// `FILE:LINE:COL:` with LINE ≥ 1; when `Some`, LINE must equal it.
    Required(Option<usize>),
    /// A line is allowed (for example line 1 of an empty file) but not required.
    Optional,
    /// There is no line to point at (unreadable, missing, a directory, oversized).
    NotApplicable,
}

#[derive(Debug)]
struct Case {
    /// Short name for the report.
    name: String,
    /// What it breaks.
    description: String,
    /// The scenario argument, exactly as passed (and as the message must name it).
    path: PathBuf,
    /// Substrings the message (after its location) must contain.
    expects: Vec<String>,
    line: LineRule,
}

/// One invocation's outcome.
struct Outcome {
    code: Option<i32>,
    stderr: String,
    stdout: String,
    elapsed: Duration,
    timed_out: bool,
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus_dir() -> PathBuf {
    manifest_dir().join("tests").join("bad_inputs")
}

/// Expectations for corpus files that cannot carry a `# expect:` comment.
fn builtin_expectations(file_name: &str) -> Option<(&'static str, Vec<&'static str>, LineRule)> {
    match file_name {
        "empty.yaml" => Some(("empty file (0 bytes)", vec!["empty"], LineRule::Optional)),
        "whitespace.yaml" => Some((
            "spaces, tabs and newlines only",
            vec!["empty"],
            LineRule::Optional,
        )),
        "binary.bin" => Some((
            "binary bytes: NUL and invalid UTF-8",
            vec!["UTF-8"],
            LineRule::NotApplicable,
        )),
        _ => None,
    }
}

/// Reads the `# expect:` / `# line:` / `# case:` header of a corpus file.
fn corpus_case(path: &Path) -> Result<Case, String> {
    let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut expects = Vec::new();
    let mut line = LineRule::Required(None);
    let mut description = String::new();
    for l in text.lines() {
        let Some(comment) = l.strip_prefix('#') else {
            break;
        };
        let comment = comment.trim();
        if let Some(x) = comment.strip_prefix("expect:") {
            expects.push(x.trim().to_owned());
        } else if let Some(x) = comment.strip_prefix("line:") {
            // A note may follow the number: `# line: 46  (why)`.
            let n: usize = x
                .split_whitespace()
                .next()
                .unwrap_or("")
                .parse()
                .map_err(|_| format!("{file_name}: bad `# line:` header"))?;
            line = LineRule::Required(Some(n));
        } else if let Some(x) = comment.strip_prefix("case:") {
            description = x.trim().to_owned();
        }
    }
    if expects.is_empty() {
        let (d, e, l) = builtin_expectations(&file_name).ok_or_else(|| {
            format!("{file_name}: no `# expect:` header and no built-in expectation")
        })?;
        description = d.to_owned();
        expects = e.into_iter().map(str::to_owned).collect();
        line = l;
    }
    Ok(Case {
        name: file_name,
        description,
        path: path.to_path_buf(),
        expects,
        line,
    })
}

fn corpus_cases() -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/bad_inputs exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    assert!(
        paths.len() >= MIN_CORPUS_FILES,
        "tests/bad_inputs holds {} files; expected at least {MIN_CORPUS_FILES}",
        paths.len()
    );
    paths
        .iter()
        .map(|p| corpus_case(p).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// The text of `configs/default.yaml`.
fn default_scenario() -> String {
    std::fs::read_to_string(manifest_dir().join("configs").join("default.yaml"))
        .expect("configs/default.yaml")
}

/// Cases that are generated rather than committed: a missing path, a directory, and files too
/// large to keep in the repository.
fn generated_cases(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();

    cases.push(Case {
        name: "<nonexistent path>".into(),
        description: "a path that does not exist".into(),
        path: dir.join("no-such-scenario.yaml"),
        expects: vec!["no such file".into()],
        line: LineRule::NotApplicable,
    });

    let as_dir = dir.join("scenario-dir.yaml");
    std::fs::create_dir(&as_dir).unwrap();
    cases.push(Case {
        name: "<directory>".into(),
        description: "a directory given as the scenario".into(),
        path: as_dir,
        expects: vec!["directory".into()],
        line: LineRule::NotApplicable,
    });

    // A device reports 0 bytes and never ends: the read must stop at the size limit rather
    // than fill memory (found while writing the fuzz target, issue #8).
    let zero = Path::new("/dev/zero");
    if zero.exists() {
        cases.push(Case {
            name: "</dev/zero>".into(),
            description: "an endless device given as the scenario".into(),
            path: zero.to_path_buf(),
            expects: vec!["4194304 bytes, the limit".into()],
            line: LineRule::NotApplicable,
        });
    }

    // 1,000,000 lines, about 24 MB: refused on size before parsing.
    let big = dir.join("million-lines-oversized.yaml");
    {
        let mut w = BufWriter::new(std::fs::File::create(&big).unwrap());
        let body = default_scenario();
        let head = body.lines().count();
        w.write_all(body.as_bytes()).unwrap();
        for i in 0..1_000_000 - head {
            writeln!(w, "  - {{name: plan-{i:07}}}").unwrap();
        }
        w.flush().unwrap();
    }
    cases.push(Case {
        name: "<1,000,000 lines, 24 MB>".into(),
        description: "the default scenario followed by a million plans (over the size limit)"
            .into(),
        path: big,
        expects: vec!["4194304".into()],
        line: LineRule::NotApplicable,
    });

    // 1,000,000 lines under the size limit (4 bytes each): refused by the node budget, at the
    // line where the budget ran out.
    let many = dir.join("million-lines-nodes.yaml");
    {
        let mut w = BufWriter::new(std::fs::File::create(&many).unwrap());
        writeln!(w, "padding:").unwrap();
        for _ in 0..999_999 {
            w.write_all(b"- 1\n").unwrap();
        }
        w.flush().unwrap();
    }
    cases.push(Case {
        name: "<1,000,000 lines, 4 MB>".into(),
        description: "a million one-item lines, under the size limit (node budget)".into(),
        path: many,
        expects: vec!["100000".into()],
        line: LineRule::Required(None),
    });

    cases
}

/// Runs the binary with a watchdog, capturing stderr (and stdout) and the wall time.
fn invoke(args: &[&std::ffi::OsStr]) -> Outcome {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pivotsim");
    let mut err_pipe = child.stderr.take().unwrap();
    let mut out_pipe = child.stdout.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for pivotsim") {
            break status;
        }
        if started.elapsed() > WATCHDOG {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait for killed pivotsim");
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned();
    Outcome {
        code: status.code(),
        stderr,
        stdout,
        elapsed,
        timed_out,
    }
}

/// Peak RSS in KiB of one invocation, measured by GNU time (`/usr/bin/time -f %M`); `None`
/// when the tool is missing or its output cannot be read.
fn peak_rss_kib(args: &[&std::ffi::OsStr], scratch: &Path) -> Option<u64> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let report = scratch.join("rss.txt");
    let _ = std::fs::remove_file(&report);
    Command::new(time)
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    // GNU time writes "Command exited with non-zero status 2" before the figure.
    let text = std::fs::read_to_string(&report).ok()?;
    text.lines().last()?.trim().parse().ok()
}

/// Splits `error: FILE[:LINE:COL]: rest` into (line, rest); `Err` when the prefix is wrong.
fn split_location(message: &str, file: &str) -> Result<(Option<usize>, String), String> {
    let prefix = format!("error: {file}");
    let rest = message.strip_prefix(&prefix).ok_or_else(|| {
        format!("does not start with `{prefix}` (the message must name the file first)")
    })?;
    if let Some(after) = rest.strip_prefix(": ") {
        return Ok((None, after.to_owned()));
    }
    let parse = || -> Option<(usize, String)> {
        let rest = rest.strip_prefix(':')?;
        let (line, rest) = rest.split_once(':')?;
        let (col, rest) = rest.split_once(": ")?;
        let line: usize = line.parse().ok()?;
        col.parse::<usize>().ok()?;
        Some((line, rest.to_owned()))
    };
    match parse() {
        Some((line, rest)) => Ok((Some(line), rest)),
        None => Err(format!(
            "after the file name expected `:LINE:COL: ` or `: `, found `{}`",
            rest.chars().take(40).collect::<String>()
        )),
    }
}

/// Checks one message; returns the problems found.
fn check_message(case: &Case, out: &Outcome, what: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let file = case.path.display().to_string();
    if out.timed_out {
        problems.push(format!("{what}: still running after {WATCHDOG:?}; killed"));
        return problems;
    }
    if out.code != Some(2) {
        problems.push(format!("{what}: exit code {:?}, expected 2", out.code));
    }
    let stderr = out.stderr.as_str();
    if stderr.trim().is_empty() {
        problems.push(format!("{what}: stderr is empty"));
        return problems;
    }
    if stderr.contains("panicked") {
        problems.push(format!("{what}: stderr reports a panic"));
    }
    if !stderr.starts_with("error: ") {
        problems.push(format!("{what}: stderr does not start with `error: `"));
    }
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    if lines.len() != 1 || stderr.matches("error:").count() != 1 {
        problems.push(format!(
            "{what}: expected one error message on one line, got {} line(s)",
            lines.len()
        ));
    }
    if !stderr.ends_with('\n') {
        problems.push(format!("{what}: stderr does not end with a newline"));
    }
    let first = lines.first().copied().unwrap_or("");
    let body = match split_location(first, &file) {
        Ok((line, body)) => {
            match (case.line, line) {
                (LineRule::Required(_), None) => {
                    problems.push(format!("{what}: no line number (`{file}:LINE:COL:`)"));
                }
                (_, Some(0)) => problems.push(format!("{what}: line number 0")),
                (LineRule::Required(Some(want)), Some(got)) if want != got => {
                    problems.push(format!(
                        "{what}: points at line {got}, expected line {want}"
                    ));
                }
                _ => {}
            }
            body
        }
        Err(e) => {
            problems.push(format!("{what}: {e}"));
            first.to_owned()
        }
    };
    for expect in &case.expects {
        if !body.contains(expect.as_str()) {
            problems.push(format!("{what}: message does not contain `{expect}`"));
        }
    }
    for word in JARGON {
        if body.contains(word) {
            problems.push(format!(
                "{what}: message uses implementation jargon `{}`",
                word.trim()
            ));
        }
    }
    if !out.stdout.is_empty() {
        problems.push(format!(
            "{what}: unexpected stdout `{}`",
            out.stdout.trim_end()
        ));
    }
    if out.elapsed > time_budget() {
        problems.push(format!(
            "{what}: took {:.0} ms, budget {:.0} ms",
            out.elapsed.as_secs_f64() * 1e3,
            time_budget().as_secs_f64() * 1e3
        ));
    }
    problems
}

struct Report {
    name: String,
    description: String,
    run_ms: f64,
    validate_ms: f64,
    rss_kib: Option<u64>,
    stderr: String,
    problems: Vec<String>,
}

fn check_case(case: &Case) -> Report {
    let scratch = tempfile::tempdir().unwrap();
    let out_dir = scratch.path().join("out");
    let scenario = case.path.as_os_str();

    let run_args = [
        std::ffi::OsStr::new("run"),
        scenario,
        std::ffi::OsStr::new("--out"),
        out_dir.as_os_str(),
    ];
    let run = invoke(&run_args);
    let mut problems = check_message(case, &run, "run");
    if out_dir.exists() {
        problems.push("run: created the output folder (partial output)".into());
    }

    let validate_args = [std::ffi::OsStr::new("validate"), scenario];
    let validate = invoke(&validate_args);
    problems.extend(check_message(case, &validate, "validate"));
    if validate.stderr != run.stderr {
        problems.push(format!(
            "validate: message differs from run's: `{}`",
            validate.stderr.trim_end()
        ));
    }

    // Memory, measured on `run` once the case is known to finish.
    let rss_kib = if run.timed_out {
        None
    } else {
        let rss = peak_rss_kib(&run_args, scratch.path());
        if let Some(kib) = rss.filter(|&kib| kib > MAX_RSS_KIB) {
            problems.push(format!(
                "run: peak RSS {:.1} MB, budget {} MB",
                kib as f64 / 1024.0,
                MAX_RSS_KIB / 1024
            ));
        }
        if out_dir.exists() {
            problems.push("run (memory pass): created the output folder".into());
        }
        rss
    };

    Report {
        name: case.name.clone(),
        description: case.description.clone(),
        run_ms: run.elapsed.as_secs_f64() * 1e3,
        validate_ms: validate.elapsed.as_secs_f64() * 1e3,
        rss_kib,
        stderr: run.stderr,
        problems,
    }
}

#[test]
fn bad_inputs_are_refused_with_one_located_message() {
    let generated_dir = tempfile::tempdir().unwrap();
    let mut cases = corpus_cases();
    cases.extend(generated_cases(generated_dir.path()));

    // The binary fixture must really be binary: a NUL and invalid UTF-8.
    let binary = std::fs::read(corpus_dir().join("binary.bin")).expect("binary.bin");
    assert!(binary.contains(&0) && std::str::from_utf8(&binary).is_err());

    let reports: Vec<Report> = cases.iter().map(check_case).collect();

    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let memory_note = if Path::new("/usr/bin/time").exists() {
        "peak RSS via /usr/bin/time -f %M"
    } else {
        "peak RSS not measured: /usr/bin/time is missing"
    };
    println!(
        "\nbad-input suite ({profile} build, budget {} ms per call, {memory_note})",
        time_budget().as_millis()
    );
    println!(
        "{:<34} {:>8} {:>11} {:>9}  result",
        "case", "run ms", "validate ms", "RSS MB"
    );
    for r in &reports {
        println!(
            "{:<34} {:>8.1} {:>11.1} {:>9}  {}",
            r.name,
            r.run_ms,
            r.validate_ms,
            r.rss_kib
                .map_or("-".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0)),
            if r.problems.is_empty() { "ok" } else { "FAIL" }
        );
    }
    let slowest = reports
        .iter()
        .max_by(|a, b| a.run_ms.total_cmp(&b.run_ms))
        .unwrap();
    println!(
        "slowest: {} ({:.1} ms); {} of {} cases pass",
        slowest.name,
        slowest.run_ms,
        reports.iter().filter(|r| r.problems.is_empty()).count(),
        reports.len()
    );

    let failures: Vec<String> = reports
        .iter()
        .filter(|r| !r.problems.is_empty())
        .map(|r| {
            format!(
                "{} ({}):\n  - {}\n  stderr: {}",
                r.name,
                r.description,
                r.problems.join("\n  - "),
                if r.stderr.is_empty() {
                    "<empty>".to_owned()
                } else {
                    r.stderr.trim_end().replace('\n', "\n          ")
                }
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs were not refused properly:\n\n{}",
        failures.len(),
        reports.len(),
        failures.join("\n\n")
    );
}

#[test]
fn shipped_configs_validate() {
    let configs_dir = manifest_dir().join("configs");
    let mut configs: Vec<PathBuf> = [configs_dir.clone(), configs_dir.join("deals")]
        .into_iter()
        .flat_map(|dir| std::fs::read_dir(dir).expect("configs/"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    configs.sort();
    assert!(!configs.is_empty(), "no configs/*.yaml found");
    for config in &configs {
        let out = invoke(&[std::ffi::OsStr::new("validate"), config.as_os_str()]);
        assert!(
            !out.timed_out && out.code == Some(0),
            "pivotsim validate {} exited {:?}:\n{}",
            config.display(),
            out.code,
            out.stderr
        );
        assert!(
            out.stdout.starts_with("ok: "),
            "pivotsim validate {}: unexpected stdout {:?}",
            config.display(),
            out.stdout
        );
    }
}

/// `n` with thousands separators, as the README writes numbers.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn the_readme_quotes_the_limits_the_code_declares() {
    // Each limit is declared once in the code; the README states it in words. A limit changed
    // in one place and not the other fails here (the README once said 250,000 nodes while the
    // parser allowed 100,000).
    use pivotsim::montecarlo::MAX_THREADS;
    use pivotsim::scenario::resolve::MAX_EXPECTED_INQUIRIES;
    use pivotsim::scenario::source::{MAX_ALIASES, MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES};
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    for phrase in [
        format!("a file of at most {} MiB", MAX_FILE_BYTES / (1024 * 1024)),
        format!("nesting at most {MAX_DEPTH} deep"),
        format!("at most {} alias uses", grouped(MAX_ALIASES as u64)),
        format!("{} nodes and one document", grouped(MAX_NODES as u64)),
        format!("worker threads, 1 to {}", grouped(MAX_THREADS as u64)),
        format!(
            "at most {} plans",
            grouped(pivotsim::scenario::MAX_PLANS as u64)
        ),
        format!(
            "at most {} inquiries",
            grouped(MAX_EXPECTED_INQUIRIES as u64)
        ),
    ] {
        assert!(readme.contains(&phrase), "README lacks \"{phrase}\"");
    }
}

#[test]
fn leases_that_follow_one_another_in_a_hall_are_accepted() {
    // Hall A's 20 MW anchor, shortened to 2 years (2028-04 to 2030-04), then a second 20 MW
    // lease signed for 2030-04: never more than 20 MW at once, so the plan is valid. The
    // same second lease starting a month earlier overlaps and is refused.
    let lease = "      - {type: sign_tenant, date: 2027-01-01, site: West Texas, hall: A, mw: 20, \
                 term_years: 12, price_usd_per_kw_month: 130, escalator_per_year: 0.03, \
                 start_delay_months: 15,\n         delivery_milestone: {cancel_if_late_months: 6, \
                 liquidated_damages_usd_per_mw_month: 130000}}\n";
    let default = pivotsim::scenario::DEFAULT_SCENARIO_YAML;
    assert!(default.contains(lease));
    let with_second = |start: &str| {
        let short = lease.replace("term_years: 12", "term_years: 2");
        let second = format!(
            "      - {{type: sign_tenant, date: {start}, site: West Texas, hall: A, mw: 20, \
             term_years: 3, price_usd_per_kw_month: 140}}\n"
        );
        default.replace(lease, &(short + &second))
    };
    let follows = pivotsim::scenario::load_str(&with_second("2030-04-02"), "<test>");
    assert!(follows.is_ok(), "{:?}", follows.err());
    let overlaps = pivotsim::scenario::load_str(&with_second("2030-03-01"), "<test>")
        .expect_err("two 20 MW leases at once in a 20 MW hall");
    assert!(
        overlaps.to_string().contains("committed at once"),
        "{overlaps}"
    );
}
