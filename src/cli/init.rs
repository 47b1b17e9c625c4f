//! `pivotsim init` and `pivotsim example`: a first scenario to edit, without searching the
//! repository for one. The shipped configs are compiled into the binary, so an installed
//! `pivotsim` carries them too, and they are the same bytes as `configs/*.yaml`.

use std::io::Write;
use std::path::Path;

use crate::cli::Failure;
use crate::cli::args::{ExampleArgs, InitArgs};
use crate::cli::run::print_stdout;
use crate::scenario::names::shown;
use crate::scenario::resolve::did_you_mean;

/// Every shipped scenario: (name, what it shows, the file's text).
pub(crate) const EXAMPLES: [(&str, &str, &str); 12] = [
    (
        "default",
        "a 100 MW West Texas mining site: stay mining, convert half in 2027, or adaptively",
        crate::scenario::DEFAULT_SCENARIO_YAML,
    ),
    (
        "core-scientific-lease",
        "a 70 MW IT hall leased for 12 years, against leaving it to the market",
        include_str!("../../configs/core-scientific-lease.yaml"),
    ),
    (
        "gpu-cloud-bit-digital",
        "operator-owned H100s rented by the hour: 2,048 against 4,096 GPUs",
        include_str!("../../configs/gpu-cloud-bit-digital.yaml"),
    ),
    (
        "stress-debt-2022",
        "a Core Scientific-style 2022: fast-amortizing debt through the BTC crash",
        include_str!("../../configs/stress-debt-2022.yaml"),
    ),
    (
        "hosting",
        "half the site hosting clients' machines, per kWh or per kW-month, against mining",
        include_str!("../../configs/hosting.yaml"),
    ),
    (
        "halving-2024",
        "the 2024 halving replayed from March 2024: how far the network dips",
        include_str!("../../configs/halving-2024.yaml"),
    ),
    (
        "backtest-2022",
        "the default plans from 2022 on the real 2022-26 market path (reads configs/history/)",
        include_str!("../../configs/backtest-2022.yaml"),
    ),
    (
        "deals/core-scientific-coreweave",
        "public deal: Core Scientific <- CoreWeave, 70 MW for 12 years, tenant-funded build",
        include_str!("../../configs/deals/core-scientific-coreweave.yaml"),
    ),
    (
        "deals/terawulf-fluidstack",
        "public deal: TeraWulf <- Fluidstack, 200 MW for 10 years, Google backstop",
        include_str!("../../configs/deals/terawulf-fluidstack.yaml"),
    ),
    (
        "deals/hut8-fluidstack-anthropic",
        "public deal: Hut 8 <- Fluidstack/Anthropic, 245 MW for 15 years at 3%",
        include_str!("../../configs/deals/hut8-fluidstack-anthropic.yaml"),
    ),
    (
        "deals/iren-microsoft",
        "public deal: IREN <- Microsoft, $9.7B of GPU capacity approximated as a lease",
        include_str!("../../configs/deals/iren-microsoft.yaml"),
    ),
    (
        "deals/galaxy-helios-coreweave",
        "public deal: Galaxy Helios <- CoreWeave, 800 MW in phases for 15 years",
        include_str!("../../configs/deals/galaxy-helios-coreweave.yaml"),
    ),
];

/// The file `pivotsim init` writes when no path is given.
pub(crate) const DEFAULT_INIT_PATH: &str = "scenario.yaml";

/// Writes the annotated default scenario to a new file (or stdout for `-`). An existing file
/// is never overwritten: that is bad input (exit 2), not a runtime failure.
pub(crate) fn init(args: &InitArgs) -> Result<(), Failure> {
    let path = args.path.as_deref().unwrap_or(Path::new(DEFAULT_INIT_PATH));
    if path == Path::new("-") {
        return print_stdout(crate::scenario::DEFAULT_SCENARIO_YAML);
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path);
    let mut file = match file {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Failure::Invalid(format!(
                "{}: the file exists, and init never overwrites one; expected a new path, or `-` for stdout",
                shown(&path.display().to_string())
            )));
        }
        Err(e) => {
            return Err(Failure::Runtime(
                anyhow::Error::new(e).context(format!("cannot create {}", path.display())),
            ));
        }
    };
    let written = file
        .write_all(crate::scenario::DEFAULT_SCENARIO_YAML.as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        // A partial scenario would look like a user's file: remove it.
        let _ = std::fs::remove_file(path);
        return Err(Failure::Runtime(
            anyhow::Error::new(e).context(format!("cannot write {}", path.display())),
        ));
    }
    let _ = writeln!(
        std::io::stderr(),
        "wrote {}: the annotated default scenario; edit it, then `pivotsim validate {0}` and `pivotsim run {0}`",
        path.display()
    );
    Ok(())
}

/// Lists the shipped scenarios, or prints one by name.
pub(crate) fn example(args: &ExampleArgs) -> Result<(), Failure> {
    let Some(name) = &args.name else {
        let width = EXAMPLES.iter().map(|e| e.0.len()).max().unwrap_or(0);
        let mut text =
            String::from("Shipped scenarios (print one with `pivotsim example NAME > my.yaml`):\n");
        for (name, about, _) in EXAMPLES {
            text.push_str(&format!("  {name:<width$}  {about}\n"));
        }
        return print_stdout(&text);
    };
    match EXAMPLES.iter().find(|e| e.0 == name) {
        Some((_, _, text)) => print_stdout(text),
        None => {
            let names: Vec<&str> = EXAMPLES.iter().map(|e| e.0).collect();
            Err(Failure::Invalid(format!(
                "example {}: no shipped scenario of that name{}; expected one of: {}",
                shown(name),
                did_you_mean(name, names.iter().copied()),
                names.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_config_is_an_example_with_the_same_bytes() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
        // configs/*.yaml by their names, configs/deals/*.yaml as `deals/NAME`.
        let mut files: Vec<String> = ["", "deals/"]
            .into_iter()
            .flat_map(|sub| {
                std::fs::read_dir(dir.join(sub))
                    .unwrap()
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter_map(move |f| f.strip_suffix(".yaml").map(|n| format!("{sub}{n}")))
            })
            .collect();
        files.sort();
        let mut names: Vec<String> = EXAMPLES.iter().map(|e| e.0.to_owned()).collect();
        names.sort();
        assert_eq!(names, files, "configs/ and EXAMPLES differ");
        for (name, _, text) in EXAMPLES {
            let on_disk = std::fs::read_to_string(dir.join(format!("{name}.yaml"))).unwrap();
            assert_eq!(text, on_disk, "{name}");
        }
    }
}
