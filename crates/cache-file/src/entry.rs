//! Blocking operations on the entry files of one directory. Everything here runs on tokio's
//! blocking pool, never on an async worker thread.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use cache_core::{Error, Result};

use crate::Durability;
use crate::layout::{self, Header, Invalid, Limits};
use crate::paths::{self, TEMP_PREFIX};

/// What the file under an entry name holds.
pub(crate) enum State {
    /// No file.
    Missing,
    /// Something to leave alone: a whole entry of another key, or not a regular file.
    NotOurs,
    /// A whole, unexpired entry, positioned at its value.
    Live(Header, File),
    /// An expired entry, or bytes that are not a whole entry: to be removed.
    Stale(Option<Invalid>, File),
}

/// One value to write, with its absolute expiry.
pub(crate) struct Pending {
    pub(crate) key: String,
    pub(crate) value: Bytes,
    pub(crate) expires_at_ms: u64,
}

/// The cache directory and how writes to it are made durable.
#[derive(Debug)]
pub(crate) struct Dir {
    path: PathBuf,
    durability: Durability,
}

impl Dir {
    pub(crate) fn new(path: PathBuf, durability: Durability) -> Self {
        Self { path, durability }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn get(&self, key: &str, now_ms: u64) -> Result<Option<Bytes>> {
        let path = self.path.join(paths::entry_name(key));
        let Some((header, mut file)) = lookup(&path, key, now_ms)? else {
            return Ok(None);
        };
        match layout::read_value(&mut file, &header).map_err(|e| io_error("read", &path, e))? {
            Ok(value) => Ok(Some(value.into())),
            Err(why) => {
                remove_if_unchanged(&path, &file, Some(why));
                Ok(None)
            }
        }
    }

    /// The first `len` bytes of the value of `key`, read without the rest. The header's
    /// checksum is checked; the value's covers the whole value, so a prefix is not checked
    /// against it.
    pub(crate) fn get_prefix(&self, key: &str, len: usize, now_ms: u64) -> Result<Option<Bytes>> {
        let path = self.path.join(paths::entry_name(key));
        let Some((header, file)) = lookup(&path, key, now_ms)? else {
            return Ok(None);
        };
        let len = header.value_len.min(u64::try_from(len).unwrap_or(u64::MAX));
        // Within the value length, which the header's read checked against the file's.
        let mut prefix = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        let read = file.take(len).read_to_end(&mut prefix);
        read.map_err(|e| io_error("read", &path, e))?;
        if prefix.len() as u64 != len {
            // The file was cut short since its header was read: nothing whole to show.
            return Ok(None);
        }
        Ok(Some(prefix.into()))
    }

    pub(crate) fn ttl(&self, key: &str, now_ms: u64) -> Result<Option<Duration>> {
        let path = self.path.join(paths::entry_name(key));
        let header = lookup(&path, key, now_ms)?.map(|(header, _)| header);
        Ok(header.map(|h| Duration::from_millis(h.expires_at_ms - now_ms)))
    }

    pub(crate) fn delete(&self, key: &str, now_ms: u64) -> Result<bool> {
        let path = self.path.join(paths::entry_name(key));
        if lookup(&path, key, now_ms)?.is_none() {
            return Ok(false);
        }
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            // Another process deleted it, or found it expired, in between.
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_error("remove", &path, e)),
        }
    }

    /// Writes every entry, each through a temporary file renamed over its target.
    pub(crate) fn write(&self, entries: &[Pending]) -> Result<()> {
        for entry in entries {
            self.write_one(entry)?;
        }
        if self.durability == Durability::SyncFileAndDir && !entries.is_empty() {
            sync_dir(&self.path).map_err(|e| io_error("sync directory", &self.path, e))?;
        }
        Ok(())
    }

    fn write_one(&self, entry: &Pending) -> Result<()> {
        let target = self.path.join(paths::entry_name(&entry.key));
        let mut temp = match self.temp_file() {
            // Someone removed the whole cache directory while we run: make it again.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(&self.path).and_then(|()| self.temp_file())
            }
            other => other,
        }
        .map_err(|e| io_error("create a temporary file in", &self.path, e))?;
        let value_len = entry.value.len() as u64;
        let header = Header::encode(entry.key.as_bytes(), value_len, entry.expires_at_ms);
        let file = temp.as_file_mut();
        file.write_all(&header)
            .and_then(|()| file.write_all(&entry.value))
            .and_then(|()| file.write_all(&layout::value_trailer(&entry.value)))
            .and_then(|()| match self.durability {
                Durability::NoSync => Ok(()),
                // Without it, a power loss right after the rename may leave the new name
                // on a file whose blocks never reached the disk.
                Durability::SyncFile | Durability::SyncFileAndDir => file.sync_data(),
            })
            .map_err(|e| io_error("write", temp.path(), e))?;
        // On error the temporary file is dropped, which removes it.
        temp.persist(&target)
            .map_err(|e| io_error("rename a temporary file to", &target, e.error))?;
        Ok(())
    }

    fn temp_file(&self) -> io::Result<tempfile::NamedTempFile> {
        tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&self.path)
    }
}

/// Opens the entry file of `key` and returns its header when it is live. A stale file is
/// removed; a file of another key is a miss.
fn lookup(path: &Path, key: &str, now_ms: u64) -> Result<Option<(Header, File)>> {
    match inspect(path, Some(key.as_bytes()), now_ms).map_err(|e| io_error("read", path, e))? {
        State::Live(header, file) => Ok(Some((header, file))),
        State::Stale(why, file) => {
            remove_if_unchanged(path, &file, why);
            Ok(None)
        }
        State::Missing | State::NotOurs => Ok(None),
    }
}

/// Reads and checks the header of the file at `path`; `key` of `None` accepts any key.
pub(crate) fn inspect(path: &Path, key: Option<&[u8]>, now_ms: u64) -> io::Result<State> {
    let mut file = match open_entry(path)? {
        Ok(file) => file,
        Err(nothing_to_read) => return Ok(nothing_to_read),
    };
    // Checked on what was opened, not on the path, which may have changed since.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(State::NotOurs);
    }
    let header = match layout::read_header(&mut file, meta.len(), Limits::DEFAULT)? {
        Ok(header) => header,
        Err(why) => return Ok(State::Stale(Some(why), file)),
    };
    if key.is_some_and(|key| key != header.key) {
        return Ok(State::NotOurs);
    }
    if header.expires_at_ms <= now_ms {
        return Ok(State::Stale(None, file));
    }
    Ok(State::Live(header, file))
}

/// Opens the file at `path` for reading without waiting and without following a link, or
/// says why there is nothing to read: [`State::Missing`] or [`State::NotOurs`].
///
/// Opening a FIFO for reading would wait for a writer, forever if none comes, and a socket
/// cannot be opened at all: without `O_NONBLOCK` a FIFO under an entry name would hang every
/// reader and every sweep. A link is not followed, so a link planted under an entry name
/// never makes a reader show, or a sweep judge, a file elsewhere. What opens is checked to
/// be a regular file before it is read; for one of those `O_NONBLOCK` changes nothing.
#[cfg(unix)]
fn open_entry(path: &Path) -> io::Result<Result<File, State>> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    match opened {
        Ok(file) => Ok(Ok(file)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Err(State::Missing)),
        // ELOOP: a link, refused by O_NOFOLLOW; ENXIO: a socket. Neither is an entry.
        Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENXIO)) => {
            Ok(Err(State::NotOurs))
        }
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn open_entry(path: &Path) -> io::Result<Result<File, State>> {
    match File::open(path) {
        Ok(file) => Ok(Ok(file)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Err(State::Missing)),
        Err(e) => Err(e),
    }
}

/// Removes the file at `path` if it is still the one `opened` reads, and says whether it did.
///
/// Best effort: a failure only leaves the file for the next sweep. The identity check keeps
/// a fresh entry, renamed into place by another process since `opened` was opened, from
/// being removed for its predecessor's faults; the window left between the check and the
/// removal can only lose that fresh entry (a miss), never show a wrong value.
pub(crate) fn remove_if_unchanged(path: &Path, opened: &File, why: Option<Invalid>) -> bool {
    if !same_file(path, opened) {
        return false;
    }
    match fs::remove_file(path) {
        Ok(()) => {
            tracing::debug!(path = %path.display(), reason = why.unwrap_or("expired"), "removed a stale cache entry");
            true
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => {
            tracing::debug!(path = %path.display(), error = %e, "cannot remove a stale cache entry");
            false
        }
    }
}

#[cfg(unix)]
fn same_file(path: &Path, opened: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::symlink_metadata(path), opened.metadata()) {
        (Ok(at_path), Ok(opened)) => at_path.dev() == opened.dev() && at_path.ino() == opened.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &Path, _: &File) -> bool {
    true
}

#[cfg(unix)]
fn sync_dir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    // Whatever may have taken the directory's place, the open does not wait on it.
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NONBLOCK)
        .open(path)?
        .sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) -> io::Result<()> {
    Ok(())
}

/// The expiry of an entry written at `now_ms` for `ttl`, rounded up to a whole millisecond
/// so that no non-zero TTL is stored as already expired.
pub(crate) fn expiry_ms(now_ms: u64, ttl: Duration) -> u64 {
    let ttl_ms = u64::try_from(ttl.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
    now_ms.saturating_add(ttl_ms)
}

pub(crate) fn io_error(action: &str, path: &Path, err: io::Error) -> Error {
    Error::backend(format!("cannot {action} {}", path.display()), err)
}
