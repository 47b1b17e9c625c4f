//! Ctrl-C and SIGTERM: stop cleanly, leave nothing that looks complete, exit 130.
//!
//! The first signal raises a flag. The Monte Carlo loop stops starting replications, the
//! command returns [`Failure::Interrupted`](crate::cli::Failure::Interrupted) before anything
//! is committed — also while the outputs are being written: the writers check the flag before
//! every commit — and the output folder's drop removes whatever this run wrote, and the folders
//! it created. A second signal exits at once through `_exit` (hidden `.partial` temporaries
//! or files without a `summary.json` may then remain; the next run into the folder removes
//! them). Slurm's `scancel` and time limits send SIGTERM, so an interrupted shard
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
                exit_now();
            }
        });
    });
}

/// Ends the process at once with exit code 130. `std::process::exit` first flushes stdout,
/// which can block on a full pipe or behind the thread writing the outputs; `_exit` cannot.
fn exit_now() -> ! {
    #[cfg(unix)]
    // SAFETY: `_exit` takes no pointers and never returns; skipping destructors and stdio
    // flushing is the point (the hidden temporaries left are removed by the next run).
    unsafe {
        libc::_exit(i32::from(EXIT_INTERRUPTED))
    }
    #[cfg(not(unix))]
    std::process::exit(i32::from(EXIT_INTERRUPTED))
}

/// The flag the Monte Carlo loop watches.
pub(crate) fn flag() -> &'static AtomicBool {
    &INTERRUPTED
}

/// Whether a signal has arrived.
pub(crate) fn raised() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
