//! pivotsim: a discrete-event Monte Carlo simulator of data-center capacity for bitcoin-mining
//! sites that are converting power, cooling and rack slots to GPU/AI tenants.
//!
//! Layers, each importing only those below it (see `ARCHITECTURE.md`):
//! `cli` → `report` → `montecarlo` → `stats`, `model` → `scenario`, `engine`.
#![warn(missing_docs)]

pub mod cli;
pub mod engine;
pub mod model;
pub mod montecarlo;
pub mod report;
pub mod scenario;
pub mod stats;
