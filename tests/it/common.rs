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
