//! Puts artifacts on disk: the only place specdeploy writes files.

use std::path::{Path, PathBuf};

use crate::emit::Artifact;
use crate::emit::marker::{self, Provenance};

/// What stands at an artifact's path before it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Nothing: the artifact is created.
    Absent,
    /// A file specdeploy wrote, unchanged since: it may be replaced.
    Generated,
    /// A file specdeploy wrote and someone edited since.
    Edited,
    /// A file without the generated-file header: the user's own.
    Foreign,
}

/// Why an artifact cannot be written where its path leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The path is not a plain relative path of file names (`..`, an absolute path, an empty
    /// or odd component).
    NotRelative,
    /// A symbolic link on the way leads outside the root.
    Escapes {
        /// The link.
        link: PathBuf,
        /// Where it leads.
        target: PathBuf,
    },
    /// A symbolic link on the way loops or leads nowhere.
    Dangling(PathBuf),
    /// Something other than a regular file stands where the file goes.
    NotAFile(PathBuf),
    /// Something other than a folder stands where a folder of the path must be.
    NotAFolder(PathBuf),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotRelative => f.write_str("the path is not a relative path of plain names"),
            Self::Escapes { link, target } => write!(
                f,
                "{} is a symbolic link to {}, outside the folder written to",
                link.display(),
                target.display()
            ),
            Self::Dangling(link) => write!(
                f,
                "{} is a symbolic link that loops or leads nowhere",
                link.display()
            ),
            Self::NotAFile(path) => write!(f, "{} is not a regular file", path.display()),
            Self::NotAFolder(path) => write!(
                f,
                "{} is not a folder, and the file goes inside it",
                path.display()
            ),
        }
    }
}

/// The file that `relative` names under `root`, once it is checked to stay inside `root`:
/// every component is a plain name, and no symbolic link on the way, the file itself
/// included, leads outside `root`. A link that stays inside is followed, so the file it
/// points at is the one written.
///
/// # Errors
/// When the path is malformed, leaves `root`, or meets something that is not a folder on the
/// way or not a file at its end.
pub fn resolve(root: &Path, relative: &str) -> Result<PathBuf, Refusal> {
    let parts: Vec<&str> = relative.split('/').collect();
    let plain = |p: &&str| {
        !p.is_empty()
            && *p != "."
            && *p != ".."
            && !p.contains(['\\', '\0', ':'])
            && !p.chars().any(char::is_control)
    };
    if parts.is_empty() || !parts.iter().all(plain) {
        return Err(Refusal::NotRelative);
    }
    if std::fs::symlink_metadata(root).is_err() {
        // The root does not exist yet: nothing under it can be a link.
        return Ok(root.join(relative));
    }
    let mut path = root.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let last = i + 1 == parts.len();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return Ok(root.join(relative));
        };
        if meta.file_type().is_symlink() {
            let Ok(target) = std::fs::canonicalize(&path) else {
                return Err(Refusal::Dangling(path));
            };
            let base = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
            if !target.starts_with(&base) {
                return Err(Refusal::Escapes { link: path, target });
            }
            if last {
                return if target.is_file() {
                    Ok(target)
                } else {
                    Err(Refusal::NotAFile(path))
                };
            }
            if !target.is_dir() {
                return Err(Refusal::NotAFolder(path));
            }
        } else if last && !meta.is_file() {
            return Err(Refusal::NotAFile(path));
        } else if !last && !meta.is_dir() {
            return Err(Refusal::NotAFolder(path));
        }
    }
    Ok(path)
}

/// What stands at `path` (an already resolved path): nothing, a file specdeploy wrote
/// (unchanged or edited since), or the user's own file.
///
/// # Errors
/// When the file exists but cannot be read.
pub fn standing(path: &Path) -> std::io::Result<Standing> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Standing::Absent),
        Err(e) => Err(e),
        Ok(_) => Ok(match existing(path)? {
            None => Standing::Foreign,
            Some(bytes) => match marker::provenance(&bytes) {
                Provenance::Generated => Standing::Generated,
                Provenance::Edited => Standing::Edited,
                Provenance::Foreign => Standing::Foreign,
            },
        }),
    }
}

/// The contents of the file at `path` as it stands before a write, when it is a regular file
/// no larger than the largest input: a pipe or device would block the read, and specdeploy
/// never wrote anything that large. `None` for anything else.
///
/// # Errors
/// When the file exists but cannot be read.
pub fn existing(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() || meta.len() > crate::load::MAX_FILE_BYTES {
        return Ok(None);
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0) + 1);
    file.take(crate::load::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= crate::load::MAX_FILE_BYTES).then_some(bytes))
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
/// rename), so a failure leaves the old file or the new one, never a truncated one. The path
/// is checked by [`resolve`] first.
///
/// # Errors
/// When the folder cannot be created or the file cannot be written.
pub fn write(out: &Path, artifact: &Artifact) -> std::io::Result<Outcome> {
    let path = resolve(out, &artifact.path)
        .map_err(|r| std::io::Error::new(std::io::ErrorKind::InvalidInput, r.to_string()))?;
    let existed = std::fs::symlink_metadata(&path).is_ok();
    let existing = existing(&path).ok().flatten();
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
    Ok(if existed {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_written() {
        let root = tempfile::tempdir().expect("temporary folder");
        for bad in [
            "../escape",
            "deploy/../../escape",
            "/etc/passwd",
            "",
            "a//b",
            "./Dockerfile",
            "a\\..\\b",
            "C:evil",
            "new\nline",
            "nul\0byte",
        ] {
            assert_eq!(
                resolve(root.path(), bad),
                Err(Refusal::NotRelative),
                "{bad:?}"
            );
        }
        assert_eq!(
            resolve(root.path(), "deploy/k8s/base/app.yaml"),
            Ok(root.path().join("deploy/k8s/base/app.yaml"))
        );
        assert_eq!(
            resolve(&root.path().join("not-yet"), ".env.example"),
            Ok(root.path().join("not-yet/.env.example"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_that_stays_inside_is_followed() {
        let root = tempfile::tempdir().expect("temporary folder");
        std::fs::create_dir(root.path().join("real")).expect("folder");
        std::fs::write(root.path().join("real/compose.yaml"), "x").expect("file");
        std::os::unix::fs::symlink("real", root.path().join("linked")).expect("link");
        std::os::unix::fs::symlink("real/compose.yaml", root.path().join("compose.yaml"))
            .expect("link");
        let base = std::fs::canonicalize(root.path()).expect("canonical");
        assert_eq!(
            resolve(root.path(), "compose.yaml"),
            Ok(base.join("real/compose.yaml"))
        );
        assert!(resolve(root.path(), "linked/new.yaml").is_ok());
        std::os::unix::fs::symlink("/", root.path().join("up")).expect("link");
        assert!(matches!(
            resolve(root.path(), "up/tmp/x"),
            Err(Refusal::Escapes { .. })
        ));
        std::os::unix::fs::symlink("loop", root.path().join("loop")).expect("link");
        assert!(resolve(root.path(), "loop/x").is_err());
    }
}
