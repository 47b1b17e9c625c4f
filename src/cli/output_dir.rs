//! The output folder of one command, owned by that command for the whole run.
//!
//! The rule (README, "Outputs"): a run takes an advisory lock on its `--out` folder (`flock` on
//! the folder itself, on Unix, so no lock file is left and the kernel releases it even after SIGKILL);
//! a second run into the same folder fails at once with exit 1 instead of interleaving its
//! files with the first. Once it holds the lock, the run removes every file an earlier
//! pivotsim run wrote there ([`is_output_name`]: run files, plots, sweep points, hidden
//! temporaries), completion markers first, and leaves anything else alone. If the run then
//! fails or is interrupted, it removes what it had written, and the folders it created,
//! parents included, when they are left empty. So a `summary.json` only ever vouches for
//! files of its own run.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::Failure;
use crate::report::outputs::is_output_name;

/// A locked output folder; dropped without [`OutputDir::keep`], it removes what the command
/// wrote and the folders it created.
pub(crate) struct OutputDir {
    path: PathBuf,
    /// Folders this command created, deepest first.
    created: Vec<PathBuf>,
    /// The open folder whose lock is held while this value lives.
    _lock: File,
    keep: bool,
}

impl OutputDir {
    /// Creates `path` (and missing parents), locks it and clears an earlier run's files.
    pub(crate) fn create(path: &Path) -> Result<Self, Failure> {
        let mut created = Vec::new();
        let mut missing = Some(path);
        while let Some(p) = missing.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
            created.push(p.to_path_buf());
            missing = p.parent();
        }
        let removing_created = |created: &[PathBuf]| {
            for dir in created {
                let _ = std::fs::remove_dir(dir);
            }
        };
        if let Err(e) = std::fs::create_dir_all(path) {
            removing_created(&created);
            return Err(Failure::Runtime(anyhow::Error::new(e).context(format!(
                "cannot create output folder {}",
                path.display()
            ))));
        }
        let lock = match lock(path) {
            Ok(lock) => lock,
            Err(failure) => {
                removing_created(&created);
                return Err(failure);
            }
        };
        let dir = OutputDir {
            path: path.to_path_buf(),
            created,
            _lock: lock,
            keep: false,
        };
        clear_earlier_outputs(path)
            .with_context(|| {
                format!(
                    "cannot remove an earlier run's files from {}",
                    path.display()
                )
            })
            .map_err(Failure::Runtime)?;
        Ok(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the folder: its files are complete.
    pub(crate) fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        // Everything of pivotsim's in the folder is this run's (the earlier run's files were
        // cleared under the lock), so none of it may stay without its summary.
        let _ = clear_earlier_outputs(&self.path);
        // Only empty folders: never delete anything a user put there.
        for dir in &self.created {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Takes the folder's advisory lock, or fails at once if another run holds it.
fn lock(path: &Path) -> Result<File, Failure> {
    let runtime = |e: io::Error| {
        Failure::Runtime(
            anyhow::Error::new(e).context(format!("cannot lock output folder {}", path.display())),
        )
    };
    let folder = File::open(path).map_err(runtime)?;
    match try_lock(&folder) {
        Ok(()) => Ok(folder),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(Failure::Runtime(anyhow::anyhow!(
            "output folder {} is in use by another pivotsim run; wait for it to finish or \
                 choose another --out",
            path.display()
        ))),
        Err(e) => Err(runtime(e)),
    }
}

/// An exclusive, non-blocking `flock` on the open folder (`File::try_lock` is newer than the
/// minimum supported Rust).
#[cfg(unix)]
fn try_lock(folder: &File) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: the descriptor is open for the duration of the call; flock reads nothing else.
    let rc = unsafe { libc::flock(folder.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Elsewhere the folder is not locked: only the clearing of earlier files applies.
#[cfg(not(unix))]
fn try_lock(_folder: &File) -> io::Result<()> {
    Ok(())
}

/// Removes every entry of `dir` that a pivotsim command writes, completion markers first, and
/// recurses into sweep points (removing each once it is empty). Nothing is followed through a
/// symbolic link, and other files are left alone.
pub(crate) fn clear_earlier_outputs(dir: &Path) -> io::Result<()> {
    for marker in ["summary.json", "shard.json"] {
        match std::fs::remove_file(dir.join(marker)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let is_dir = entry.file_type()?.is_dir();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !is_output_name(&name, is_dir) {
            continue;
        }
        let path = entry.path();
        if !is_dir {
            std::fs::remove_file(&path)?;
        } else if name.starts_with('.') {
            // A killed run's plot staging folder: hidden, and only ever pivotsim's.
            std::fs::remove_dir_all(&path)?;
        } else {
            clear_earlier_outputs(&path)?;
            match std::fs::remove_dir(&path) {
                // A user's file inside a point folder keeps the folder.
                Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => {}
                other => other?,
            }
        }
    }
    Ok(())
}
