//! `pivotsim trace` (being written).

use crate::cli::Failure;
use crate::cli::args::TraceArgs;

pub(crate) fn trace(_args: &TraceArgs) -> Result<(), Failure> {
    Err(Failure::Invalid("trace: not yet available".into()))
}
