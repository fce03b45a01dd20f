//! The local folder an S3 lake's partition is written to before it is
//! uploaded, and the sweep that removes the folders of runs that were killed.
//!
//! A run that ends, well or badly, removes its folder. A run that is killed
//! (a nightly job's timeout, `kill -9`, an out-of-memory kill) cannot: its
//! folder, a whole date of Parquet, stayed under `TMPDIR` for good, one more
//! per killed run. So each run holds its folder's lock file locked while it
//! lives, and every S3 run first removes the folders whose lock nobody holds:
//! the operating system releases a lock when its process dies, however it
//! dies. A folder whose lock is held belongs to a run still going (a
//! concurrent shard, say) and is left alone.

use super::LakeError;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// The name every upload folder starts with, under `TMPDIR`.
const PREFIX: &str = "iamlake-upload-";

/// The lock file in an upload folder, held by the run that owns the folder.
const LOCK: &str = ".iamlake-run.lock";

/// An upload folder and the lock that marks its run as alive. Dropping it
/// removes the folder, then releases the lock.
#[derive(Debug)]
pub struct UploadFolder {
    // Fields drop in order: the folder goes while the lock is still held,
    // so that no other run's sweep removes it at the same time.
    dir: tempfile::TempDir,
    _lock: File,
}

impl UploadFolder {
    /// Removes the upload folders that killed runs left in `TMPDIR`, then
    /// makes this run's.
    pub fn create() -> Result<UploadFolder, LakeError> {
        let tmp = std::env::temp_dir();
        sweep(&tmp);
        Self::create_in(&tmp)
    }

    /// Makes an upload folder in `parent`, its lock held.
    fn create_in(parent: &Path) -> Result<UploadFolder, LakeError> {
        let dir = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir_in(parent)
            .map_err(LakeError::io(parent, "creating a temporary folder"))?;
        // The lock is taken under another name and then renamed into place:
        // a sweep only opens `LOCK`, so it never sees the file unlocked
        // between its creation and its locking.
        let unlocked = dir.path().join(".iamlake-run.lock.new");
        let lock = File::create(&unlocked).map_err(LakeError::io(&unlocked, "creating"))?;
        lock.try_lock()
            .map_err(io::Error::from)
            .map_err(LakeError::io(&unlocked, "locking"))?;
        let path = dir.path().join(LOCK);
        fs::rename(&unlocked, &path).map_err(LakeError::io(&path, "creating"))?;
        Ok(UploadFolder { dir, _lock: lock })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Removes the upload folders in `tmp` whose run is gone; returns them.
/// Best effort: a folder that cannot be read or removed (another user's,
/// one removed meanwhile) is skipped, and nothing here fails the run.
pub fn sweep(tmp: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(tmp) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let folder = entry.path();
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(PREFIX));
        // `file_type` does not follow symbolic links: a link named like an
        // upload folder is not one, and is never followed.
        if !ours || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        // No lock file: a folder of a version before the lock, or one whose
        // run has not locked it yet. Either way, not provably abandoned.
        let Ok(lock) = File::open(folder.join(LOCK)) else {
            continue;
        };
        if lock.try_lock().is_ok() && fs::remove_dir_all(&folder).is_ok() {
            removed.push(folder);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_runs_folder_is_kept_and_a_dead_ones_is_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let alive = UploadFolder::create_in(tmp.path()).unwrap();
        let dead = UploadFolder::create_in(tmp.path()).unwrap();
        fs::write(dead.path().join("part-00000.parquet"), b"PAR1").unwrap();
        let dead_path = dead.path().to_path_buf();
        // A killed run: its folder stays, its lock is released.
        let UploadFolder { dir, _lock } = dead;
        let _ = dir.keep();
        drop(_lock);

        assert_eq!(sweep(tmp.path()), vec![dead_path.clone()]);
        assert!(!dead_path.exists());
        assert!(alive.path().join(LOCK).exists());
        assert!(sweep(tmp.path()).is_empty());
    }

    #[test]
    fn folders_without_a_lock_and_other_names_are_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let legacy = tmp.path().join(format!("{PREFIX}old"));
        fs::create_dir(&legacy).unwrap();
        let other = tmp.path().join("something-else");
        fs::create_dir(&other).unwrap();
        fs::write(other.join(LOCK), b"").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&other, tmp.path().join(format!("{PREFIX}link"))).unwrap();

        assert!(sweep(tmp.path()).is_empty());
        assert!(legacy.exists() && other.join(LOCK).exists());
    }

    #[test]
    fn a_finished_runs_folder_is_removed_by_the_run() {
        let tmp = tempfile::tempdir().unwrap();
        let folder = UploadFolder::create_in(tmp.path()).unwrap();
        let path = folder.path().to_path_buf();
        drop(folder);
        assert!(!path.exists());
    }
}
