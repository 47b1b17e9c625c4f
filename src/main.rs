//! The `pivotsim` binary: everything lives in the library; see `pivotsim::cli`.

fn main() -> std::process::ExitCode {
    pivotsim::cli::main()
}
