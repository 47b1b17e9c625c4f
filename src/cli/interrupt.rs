//! Ctrl-C and SIGTERM: stop cleanly, leave nothing that looks complete, exit 130.
//!
//! The first signal raises a flag. The Monte Carlo loop stops starting replications, the
//! command returns [`Failure::Interrupted`](crate::cli::Failure::Interrupted) before anything
//! is committed, and every uncommitted temporary file is deleted as it is dropped. A second
//! signal exits at once (the hidden `.partial` temporaries may then remain; they never carry a
//! final file name). Slurm's `scancel` and time limits send SIGTERM, so an interrupted shard
//! simply has no `shard.json`, and `merge` refuses it.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::EXIT_INTERRUPTED;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Installs the handler (once; later calls do nothing). If it cannot be installed, runs
/// simply keep the default behaviour of the signal.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        });
    });
}

/// The flag the Monte Carlo loop watches.
pub(crate) fn flag() -> &'static AtomicBool {
    &INTERRUPTED
}

/// Whether a signal has arrived.
pub(crate) fn raised() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
