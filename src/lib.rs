//! pivotsim: a discrete-event Monte Carlo simulator of data-center capacity for bitcoin-mining
//! sites that are converting power, cooling and rack slots to GPU/AI tenants.
//!
//! Layers, each importing only those below it (see `ARCHITECTURE.md`):
//! `cli` → `report` → `analysis` → `montecarlo` → `stats`, `model` → `scenario`, `engine`. The four lower
//! layers are crates of their own (`crates/`), so an import against that order does not
//! compile; they are re-exported here under their layer names.
#![warn(missing_docs)]

pub mod analysis;
pub mod cli;
pub mod montecarlo;
pub mod report;

pub use pivotsim_engine as engine;
pub use pivotsim_model as model;
pub use pivotsim_scenario as scenario;
pub use pivotsim_stats as stats;
