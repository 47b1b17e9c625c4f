//! pivotsim's integration tests, compiled into one test binary.
//!
//! Each file below used to be its own binary under `tests/`, and each linked the whole crate:
//! on a fresh clone most of `cargo test`'s time went to compiling and linking them. As modules
//! of one binary they share that work, and the helpers in `common`.

mod common;

mod bad_input;
mod batch;
mod cli;
mod commands;
mod control_variates;
mod deals;
mod docs;
mod finance;
mod gpu;
mod gpu_cloud;
mod history;
mod leases;
mod model;
mod optimize;
mod outputs;
mod properties;
mod robustness;
mod schema;
mod sensitivity;
mod variance;
