//! Helpers shared by the integration tests: the built binary, run in a folder of the test's
//! choosing, and its output as text.

use std::path::Path;
use std::process::{Command, Output};

/// The `pivotsim` binary that cargo built for these tests.
pub fn pivotsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pivotsim"))
}

/// Runs `pivotsim ARGS` in `dir` with the extra environment `env` and waits for it.
pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = pivotsim();
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

/// What the command wrote on stderr, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every shipped scenario: `configs/*.yaml` and the public deals in `configs/deals/`, sorted.
pub fn shipped_configs() -> Vec<std::path::PathBuf> {
    let configs = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let mut files: Vec<_> = [configs.clone(), configs.join("deals")]
        .into_iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// Runs `study` (a `pivotsim run` of one fixed study into `--out DIR`, given extra arguments)
/// with 1 and 2 threads and as 3 shards merged in reverse order, in `dir`, and asserts that
/// `files` are the same bytes in all three folders (`one`, `two`, `merged`). Returns the
/// shard folders.
pub fn assert_same_bytes_for_threads_and_shards(
    dir: &Path,
    study: impl Fn(&[&str]),
    files: &[&str],
) -> Vec<std::path::PathBuf> {
    study(&["--out", "one", "-j", "1"]);
    study(&["--out", "two", "-j", "2"]);
    let shards: Vec<std::path::PathBuf> = (1..=3)
        .map(|k| {
            let out = dir.join(format!("shard-{k}"));
            let shard = format!("{k}/3");
            study(&["--shard", &shard, "--out", &out.display().to_string()]);
            out
        })
        .collect();
    let reversed: Vec<&Path> = shards.iter().rev().map(|p| p.as_path()).collect();
    let m = merge_shards(dir, "merged", &reversed);
    assert!(m.status.success(), "{}", stderr(&m));
    for file in files {
        let one = std::fs::read(dir.join("one").join(file)).unwrap();
        assert!(
            one == std::fs::read(dir.join("two").join(file)).unwrap(),
            "{file}: 1 vs 2 threads"
        );
        assert!(
            one == std::fs::read(dir.join("merged").join(file)).unwrap(),
            "{file}: merged"
        );
    }
    shards
}

/// `pivotsim merge --no-plots -q --out OUT SHARD...` in `dir`.
pub fn merge_shards(dir: &Path, out: &str, shards: &[&Path]) -> Output {
    let mut args = vec!["merge", "--no-plots", "-q", "--out", out];
    let names: Vec<String> = shards.iter().map(|p| p.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    run_in(dir, &args, &[])
}

/// Runs `opts` on `model` through the library, keeping every row.
pub fn run_keeping_rows(
    model: &pivotsim::model::CompiledScenario,
    opts: &pivotsim::montecarlo::RunOptions,
) -> (
    pivotsim::montecarlo::MonteCarloResult,
    Vec<pivotsim::montecarlo::ReplicationRow>,
) {
    let mut rows = Vec::new();
    let result = pivotsim::montecarlo::run_in_pool(
        model,
        opts,
        |row| {
            rows.push(row.clone());
            Ok::<(), ()>(())
        },
        |_| {},
    )
    .unwrap()
    .unwrap();
    (result, rows)
}

/// The names in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Asserts exit 2, one `error:` line on stderr that holds every `expected` part, and that the
/// command created nothing in `dir`.
pub fn assert_refused(o: &Output, dir: &Path, expected: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.trim_end().lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    for part in expected {
        assert!(err.contains(part), "`{part}` not in: {err}");
    }
    assert!(listing(dir).is_empty(), "created {:?}", listing(dir));
}
