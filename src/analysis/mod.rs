//! Questions asked of many variants of one scenario (`sensitivity`, `optimize`).
//!
//! Every variant is simulated on the same futures (one seed, the same replication indices), so
//! on any one future the difference between two variants is the effect of what changed between
//! them, not of different luck: common random numbers. `evaluate` runs the variants and keeps
//! each future's value of the measures asked for; `estimate` turns those values into
//! statistics with confidence intervals.

pub mod estimate;
pub mod evaluate;
pub mod optimize;
pub mod sensitivity;
