//! Everything that knows a file format or a terminal: CSV, JSON, HTML and tables.
//!
//! The layers below produce numbers; this one decides how they look. Every file is written
//! atomically (see [`atomic`]), so a failed or interrupted run leaves no half-written output.

pub mod atomic;
pub mod console;
pub mod csv_number;
pub mod csv_text;
pub mod figures;
pub mod format;
pub mod html;
pub mod optimize;
pub mod outputs;
pub mod plots;
pub mod runs_csv;
pub mod sensitivity;
pub mod shard;
pub mod summary;
pub mod sweep;
pub mod table;
pub mod timeseries_csv;
pub mod trace_log;

use std::path::{Path, PathBuf};

use thiserror::Error;

/// A failure to write an output.
#[derive(Debug, Error)]
pub enum ReportError {
    /// A file or directory could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A CSV row could not be written.
    #[error("cannot write {path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: csv::Error,
    },
    /// A plot could not be drawn.
    #[error("cannot draw a plot: {0}")]
    Plot(String),
    /// Ctrl-C or SIGTERM arrived while the outputs were being written; nothing more was
    /// committed.
    #[error("interrupted while writing the outputs")]
    Interrupted,
    /// A JSON document could not be produced.
    #[error("cannot encode {what} as JSON: {source}")]
    Json {
        /// What was being encoded.
        what: &'static str,
        /// The cause.
        source: serde_json::Error,
    },
}

impl ReportError {
    /// [`ReportError::Interrupted`] once `cancel` is raised: checked between files, so a signal
    /// during writing stops the run before its next commit.
    pub fn stop_if(cancel: &std::sync::atomic::AtomicBool) -> Result<(), ReportError> {
        if cancel.load(std::sync::atomic::Ordering::SeqCst) {
            Err(ReportError::Interrupted)
        } else {
            Ok(())
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A CSV error on `path`.
    pub fn csv(path: &Path, source: csv::Error) -> Self {
        ReportError::Csv {
            path: path.to_path_buf(),
            source,
        }
    }
}
