//! Shard folders: one slice of a run's replications, written so that `pivotsim merge` can
//! combine slices from many machines into exactly the single-process outputs.
//!
//! A shard folder holds `runs.csv` (its rows, same columns as a full run) and `shard.json`:
//! the manifest (scenario, seed, run count, which slice) and the slice's exact statistics.
//! `shard.json` is written last, atomically, and records the size and FNV-1a digest of
//! `runs.csv`: a folder without it, or whose `runs.csv` does not match it, is an interrupted or
//! damaged shard and is refused. It also records the FNV-1a digest of its own `statistics`
//! section, so a number edited there (which no shape check can catch) is refused too. Timing is kept in `shard.json`'s `timing` only; it never
//! reaches the merged outputs.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::CompiledScenario;
use crate::montecarlo::{MonteCarloResult, Shard};
use crate::report::atomic::write_atomic;
use crate::scenario::{FNV1A64_OFFSET, Scenario, fnv1a64_update};

/// The manifest's file name.
pub const MANIFEST: &str = "shard.json";
/// What `format` holds.
pub const FORMAT: &str = "pivotsim-shard";
/// Version of the shard layout; merge refuses others. 4: text cells of `runs.csv` are
/// neutralised against spreadsheet formulas, so rows of an earlier shard may differ. 6:
/// `runs.csv` writes undefined values as empty cells and counts as whole numbers. 7: the
/// statistics hold each stressed plan against the same plan unstressed.
pub const FORMAT_VERSION: u32 = 7;

/// A problem with a shard folder or a set of them. Every one means the shards must be fixed
/// or rerun; `merge` writes nothing.
#[derive(Debug, Error)]
pub enum ShardError {
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A shard is incomplete, damaged, or does not belong with the others.
    #[error("{path}: {message}")]
    Invalid {
        /// The shard folder or file.
        path: PathBuf,
        /// What is wrong, and what was expected.
        message: String,
    },
}

fn invalid(path: &Path, message: impl Into<String>) -> ShardError {
    ShardError::Invalid {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Wall-clock facts about a shard: informative only, never merged into results.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardTiming {
    /// Seconds the shard's replications took.
    pub elapsed_s: f64,
    /// Worker threads used.
    pub threads: usize,
}

/// `shard.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ShardManifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The pivotsim version that ran it; merge requires all shards to agree with it.
    pub pivotsim_version: String,
    /// Fingerprint of the effective scenario.
    pub scenario_fingerprint: String,
    /// Root seed.
    pub seed: u64,
    /// Replications of the whole run (all shards together).
    pub runs: u64,
    /// Which slice this is.
    pub shard: Shard,
    /// First replication and one past the last.
    pub replications: (u64, u64),
    /// Stress sets run (`--stress`).
    pub stresses: Vec<String>,
    /// Size of `runs.csv` in bytes.
    pub runs_csv_bytes: u64,
    /// FNV-1a 64 digest of `runs.csv`, 16 hex digits.
    pub runs_csv_fnv1a64: String,
    /// FNV-1a 64 digest of `statistics` as serialised, 16 hex digits.
    pub statistics_fnv1a64: String,
    /// Timing (kept apart from results).
    pub timing: ShardTiming,
    /// The effective scenario (after `--set`).
    pub scenario: serde_json::Value,
    /// The slice's exact statistics.
    pub statistics: MonteCarloResult,
}

/// Size and FNV-1a digest of a file, streamed.
fn digest(path: &Path) -> Result<(u64, String), ShardError> {
    let io = |e: std::io::Error| ShardError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut file = BufReader::new(std::fs::File::open(path).map_err(io)?);
    let mut hash = FNV1A64_OFFSET;
    let mut size = 0u64;
    let mut buf = [0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hash = fnv1a64_update(hash, &buf[..n]);
        size += n as u64;
    }
    Ok((size, format!("{hash:016x}")))
}

/// FNV-1a digest of the statistics' JSON. Floats serialise as their shortest round-trip
/// text, so statistics read back serialise to the same bytes unless a value was changed.
fn statistics_digest(statistics: &MonteCarloResult, path: &Path) -> Result<String, ShardError> {
    let json = serde_json::to_vec(statistics).map_err(|e| invalid(path, e.to_string()))?;
    Ok(format!("{:016x}", fnv1a64_update(FNV1A64_OFFSET, &json)))
}

/// What a finished shard needs to describe itself.
pub struct ShardInfo<'a> {
    /// The effective scenario.
    pub scenario: &'a Scenario,
    /// Total runs of the whole run.
    pub runs: u64,
    /// The slice.
    pub shard: Shard,
    /// Stress sets run.
    pub stresses: &'a [String],
    /// Timing.
    pub timing: ShardTiming,
}

/// Writes `shard.json` into `dir`, after `runs.csv` has been committed there. Its presence
/// marks the shard complete.
pub fn write_manifest(
    dir: &Path,
    info: ShardInfo<'_>,
    statistics: &MonteCarloResult,
) -> Result<(), ShardError> {
    let (runs_csv_bytes, runs_csv_fnv1a64) = digest(&dir.join("runs.csv"))?;
    let range = info.shard.replications(info.runs);
    let manifest = ShardManifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        pivotsim_version: env!("CARGO_PKG_VERSION").into(),
        scenario_fingerprint: info.scenario.fingerprint(),
        seed: statistics.seed,
        runs: info.runs,
        shard: info.shard,
        replications: (range.start, range.end),
        stresses: info.stresses.to_vec(),
        runs_csv_bytes,
        runs_csv_fnv1a64,
        statistics_fnv1a64: statistics_digest(statistics, dir)?,
        timing: info.timing,
        scenario: serde_json::to_value(info.scenario).map_err(|e| invalid(dir, e.to_string()))?,
        statistics: statistics.clone(),
    };
    let path = dir.join(MANIFEST);
    let json = serde_json::to_string(&manifest).map_err(|e| invalid(&path, e.to_string()))?;
    write_atomic(&path, json.as_bytes()).map_err(|e| ShardError::Io {
        path,
        message: e.to_string(),
    })
}

/// A shard read back and checked on its own.
#[derive(Debug)]
pub struct LoadedShard {
    /// Its folder.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: ShardManifest,
}

/// Reads and checks one shard folder: complete, undamaged, internally consistent.
pub fn read(dir: &Path) -> Result<LoadedShard, ShardError> {
    if !dir.is_dir() {
        return Err(invalid(
            dir,
            "no such folder; expected a shard folder written by `pivotsim run --shard K/N`",
        ));
    }
    let path = dir.join(MANIFEST);
    if !path.exists() {
        return Err(invalid(
            dir,
            format!(
                "no {MANIFEST}: the shard is incomplete (interrupted or still running); rerun it"
            ),
        ));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| ShardError::Io {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let mut de = serde_json::Deserializer::from_str(&text);
    let manifest: ShardManifest = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        invalid(
            &path,
            format!(
                "line {}: field `{}`: {}; expected a shard manifest written by pivotsim",
                inner.line(),
                e.path(),
                inner
            ),
        )
    })?;
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        return Err(invalid(
            &path,
            format!(
                "format {} version {}; expected {FORMAT} version {FORMAT_VERSION}",
                manifest.format, manifest.format_version
            ),
        ));
    }
    let shard = manifest.shard;
    if shard.count == 0 || shard.index == 0 || shard.index > shard.count {
        return Err(invalid(
            &path,
            format!("shard {}/{} is not a valid K/N", shard.index, shard.count),
        ));
    }
    let range = shard.replications(manifest.runs);
    if manifest.replications != (range.start, range.end)
        || manifest.statistics.runs != range.end - range.start
    {
        return Err(invalid(
            &path,
            "its replication range or run count does not match its K/N; the manifest is damaged",
        ));
    }
    let recorded = statistics_digest(&manifest.statistics, &path)?;
    if recorded != manifest.statistics_fnv1a64 {
        return Err(invalid(
            &path,
            format!(
                "its statistics have digest {recorded}, but it records {}: the manifest was \
                 edited or damaged; rerun the shard",
                manifest.statistics_fnv1a64
            ),
        ));
    }
    let csv = dir.join("runs.csv");
    if !csv.exists() {
        return Err(invalid(
            dir,
            "no runs.csv: the shard is incomplete; rerun it",
        ));
    }
    let (bytes, hash) = digest(&csv)?;
    if bytes != manifest.runs_csv_bytes || hash != manifest.runs_csv_fnv1a64 {
        return Err(invalid(
            &csv,
            format!(
                "{bytes} bytes with digest {hash}, but {MANIFEST} records {} bytes with digest {}: \
                 the file was changed or truncated; rerun the shard",
                manifest.runs_csv_bytes, manifest.runs_csv_fnv1a64
            ),
        ));
    }
    Ok(LoadedShard {
        dir: dir.to_path_buf(),
        manifest,
    })
}

/// A complete set of shards, checked against each other, in index order.
#[derive(Debug)]
pub struct ShardSet {
    /// Shards 1..=N.
    pub shards: Vec<LoadedShard>,
    /// The scenario they ran.
    pub scenario: Scenario,
    /// Their statistics merged.
    pub statistics: MonteCarloResult,
}

/// Reads every folder, checks that together they are shards 1..=N of one run (same version,
/// scenario, seed, run count and stresses; none missing, none twice), and merges them.
pub fn read_set(dirs: &[PathBuf]) -> Result<ShardSet, ShardError> {
    let Some(first_dir) = dirs.first() else {
        return Err(invalid(Path::new("."), "no shard folders given"));
    };
    let mut by_index: BTreeMap<u64, LoadedShard> = BTreeMap::new();
    let mut reference: Option<ShardManifest> = None;
    for dir in dirs {
        let shard = read(dir)?;
        let m = &shard.manifest;
        if let Some(r) = &reference {
            // The scenario last: its fingerprint covers the seed and run count too, which
            // are named more usefully on their own.
            let fields = [
                ("pivotsim version", &r.pivotsim_version, &m.pivotsim_version),
                ("seed", &r.seed.to_string(), &m.seed.to_string()),
                ("run count", &r.runs.to_string(), &m.runs.to_string()),
                (
                    "shard count N",
                    &r.shard.count.to_string(),
                    &m.shard.count.to_string(),
                ),
                ("stresses", &r.stresses.join(","), &m.stresses.join(",")),
                ("scenario", &r.scenario_fingerprint, &m.scenario_fingerprint),
            ]
            .map(|(what, want, got)| (what, want.clone(), got.clone()));
            if let Some((what, want, got)) = fields.into_iter().find(|(_, a, b)| a != b) {
                return Err(invalid(
                    dir,
                    format!(
                        "belongs to another run: its {what} is {got}, but {} has {want}",
                        first_dir.display()
                    ),
                ));
            }
        } else {
            if m.pivotsim_version != env!("CARGO_PKG_VERSION") {
                return Err(invalid(
                    dir,
                    format!(
                        "written by pivotsim {}; this is pivotsim {}: merge with the version that ran the shards",
                        m.pivotsim_version,
                        env!("CARGO_PKG_VERSION")
                    ),
                ));
            }
            reference = Some(m.clone());
        }
        if let Some(other) = by_index.get(&m.shard.index) {
            return Err(invalid(
                dir,
                format!(
                    "shard {}/{} is given twice (also {})",
                    m.shard.index,
                    m.shard.count,
                    other.dir.display()
                ),
            ));
        }
        by_index.insert(m.shard.index, shard);
    }
    let Some(reference) = reference else {
        return Err(invalid(first_dir, "no shard folders given"));
    };
    let n = reference.shard.count;
    let missing: Vec<String> = (1..=n)
        .filter(|k| !by_index.contains_key(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(invalid(
            first_dir,
            format!("incomplete set: shard(s) {} missing", missing.join(", ")),
        ));
    }
    let scenario = Scenario::from_echo(
        &reference.scenario,
        &format!("{}/{MANIFEST}", first_dir.display()),
    )
    .map_err(|e| invalid(first_dir, format!("its scenario is not valid: {e}")))?;
    if scenario.fingerprint() != reference.scenario_fingerprint {
        return Err(invalid(
            first_dir,
            "its scenario does not match its fingerprint; the manifest is damaged",
        ));
    }
    let model = CompiledScenario::with_stresses(&scenario, &reference.stresses)
        .map_err(|e| invalid(first_dir, format!("its scenario cannot be compiled: {e}")))?;
    let months = crate::model::months_per_run(&model);
    let shards: Vec<LoadedShard> = by_index.into_values().collect();
    let mut statistics: Option<MonteCarloResult> = None;
    for shard in &shards {
        let part = &shard.manifest.statistics;
        part.check_shape(&model.plans, months)
            .map_err(|e| invalid(&shard.dir, format!("{e}; the manifest is damaged")))?;
        match &mut statistics {
            None => statistics = Some(part.clone()),
            Some(total) => total
                .merge(part)
                .map_err(|e| invalid(&shard.dir, e.to_string()))?,
        }
    }
    let Some(statistics) = statistics else {
        return Err(invalid(first_dir, "no shard folders given"));
    };
    Ok(ShardSet {
        shards,
        scenario,
        statistics,
    })
}

/// Streams each shard's `runs.csv` rows (without its header) in shard order to `sink`,
/// checking each header against `expected_header`.
pub fn for_each_runs_csv_body(
    set: &ShardSet,
    expected_header: &str,
    mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<(), ShardError> {
    for shard in &set.shards {
        let path = shard.dir.join("runs.csv");
        let io = |e: std::io::Error| ShardError::Io {
            path: path.clone(),
            message: e.to_string(),
        };
        let mut reader = BufReader::new(std::fs::File::open(&path).map_err(io)?);
        let mut header = String::new();
        reader.read_line(&mut header).map_err(io)?;
        if header.trim_end_matches(['\n', '\r']) != expected_header {
            return Err(invalid(
                &path,
                "its header differs from this version's runs.csv columns",
            ));
        }
        let mut buf = Vec::with_capacity(1 << 16);
        loop {
            buf.clear();
            let n = (&mut reader)
                .take(1 << 16)
                .read_to_end(&mut buf)
                .map_err(io)?;
            if n == 0 {
                break;
            }
            sink(&buf).map_err(io)?;
        }
    }
    Ok(())
}
