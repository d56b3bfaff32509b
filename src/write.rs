//! Puts artifacts on disk: the only place specdeploy writes files.

use std::path::Path;

use crate::emit::Artifact;

/// Whether the file at `path` may be replaced: it does not exist, or specdeploy wrote it (its
/// first lines carry the generated-file header).
#[must_use]
pub fn is_ours_or_absent(path: &Path) -> bool {
    match std::fs::read(path) {
        Ok(bytes) => {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned();
            head.lines()
                .take(3)
                .any(|l| l.contains(crate::emit::HEADER))
        }
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

/// What happened to one artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The file did not exist and was written.
    Created,
    /// The file existed with other contents and was replaced.
    Updated,
    /// The file already held exactly these contents.
    Unchanged,
}

/// Writes `artifact` under `out`, atomically (a temporary file in the same folder, then a
/// rename), so a failure leaves the old file or the new one, never a truncated one.
///
/// # Errors
/// When the folder cannot be created or the file cannot be written.
pub fn write(out: &Path, artifact: &Artifact) -> std::io::Result<Outcome> {
    let path = out.join(&artifact.path);
    let existing = std::fs::read(&path).ok();
    if existing.as_deref() == Some(artifact.contents.as_bytes()) {
        return Ok(Outcome::Unchanged);
    }
    let folder = path.parent().unwrap_or(out);
    std::fs::create_dir_all(folder)?;
    let mut temporary = tempfile::NamedTempFile::new_in(folder)?;
    std::io::Write::write_all(&mut temporary, artifact.contents.as_bytes())?;
    temporary.as_file().sync_all()?;
    // Keep the permissions of a file being replaced; a new file gets the usual rw-r--r--
    // rather than the temporary file's owner-only mode.
    match std::fs::metadata(&path) {
        Ok(meta) => std::fs::set_permissions(temporary.path(), meta.permissions())?,
        Err(_) => set_default_permissions(temporary.path())?,
    }
    temporary.persist(&path).map_err(|e| e.error)?;
    Ok(if existing.is_some() {
        Outcome::Updated
    } else {
        Outcome::Created
    })
}

#[cfg(unix)]
fn set_default_permissions(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_default_permissions(_path: &Path) -> std::io::Result<()> {
    Ok(())
}
