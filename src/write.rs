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

/// A path [`Resolver::resolve`] accepted.
#[derive(Debug)]
pub struct Resolved {
    /// The file written: the path under the root, or where a link inside the root leads.
    pub path: PathBuf,
    /// The file's path with every link resolved: two artifacts with the same identity would
    /// write one file.
    pub identity: PathBuf,
    /// What stands there, when something does: always a regular file.
    metadata: Option<std::fs::Metadata>,
}

/// Resolves artifact paths under one root, looking at each folder on the way once however
/// many artifacts it holds.
#[derive(Debug)]
pub struct Resolver {
    root: PathBuf,
    exists: bool,
    /// The root with every link resolved, found when first needed.
    base: Option<PathBuf>,
    /// What each folder under the root, by its relative path, was found to be.
    folders: rustc_hash::FxHashMap<String, Folder>,
}

#[derive(Clone, Debug)]
enum Folder {
    /// A folder, or a link to a folder inside the root.
    Present {
        /// Whether it is a link.
        link: bool,
    },
    Missing,
    Refused(Refusal),
}

impl Resolver {
    /// A resolver for paths under `root`.
    #[must_use]
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            // When the root does not exist yet, nothing under it can be a link.
            exists: std::fs::symlink_metadata(root).is_ok(),
            base: None,
            folders: rustc_hash::FxHashMap::default(),
        }
    }

    /// The root the paths are under.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file that `relative` names under the root, once it is checked to stay inside the
    /// root: every component is a plain name, and no symbolic link on the way, the file itself
    /// included, leads outside the root. A link that stays inside is followed, so the file it
    /// points at is the one written.
    ///
    /// # Errors
    /// When the path is malformed, leaves the root, or meets something that is not a folder on
    /// the way or not a file at its end.
    pub fn resolve(&mut self, relative: &str) -> Result<Resolved, Refusal> {
        let plain = |p: &str| {
            !p.is_empty()
                && p != "."
                && p != ".."
                && !p.contains(['\\', '\0', ':'])
                && !p.chars().any(char::is_control)
        };
        if !relative.split('/').all(plain) {
            return Err(Refusal::NotRelative);
        }
        if !self.exists {
            // Nothing under a root that does not exist yet is another artifact's file.
            let path = self.root.join(relative);
            return Ok(Resolved {
                identity: path.clone(),
                path,
                metadata: None,
            });
        }
        // Whether a link was followed on the way, and the deepest folder that exists.
        let (mut linked, mut existing) = (false, 0);
        for (end, _) in relative.match_indices('/') {
            match self.folder(&relative[..end]) {
                Folder::Present { link } => (linked, existing) = (linked || link, end),
                Folder::Missing => break,
                Folder::Refused(refusal) => return Err(refusal),
            }
        }
        let path = self.root.join(relative);
        let identity = |resolver: &mut Self| {
            if linked {
                let (folder, rest) = relative.split_at(existing);
                let folder = resolver.root.join(folder);
                std::fs::canonicalize(&folder)
                    .unwrap_or(folder)
                    .join(rest.trim_start_matches('/'))
            } else {
                resolver.base().join(relative)
            }
        };
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            return Ok(Resolved {
                identity: identity(self),
                path,
                metadata: None,
            });
        };
        if metadata.file_type().is_symlink() {
            let target = self.inside(&path)?;
            return match std::fs::metadata(&target) {
                Ok(metadata) if metadata.is_file() => Ok(Resolved {
                    identity: target.clone(),
                    path: target,
                    metadata: Some(metadata),
                }),
                _ => Err(Refusal::NotAFile(path)),
            };
        }
        if !metadata.is_file() {
            return Err(Refusal::NotAFile(path));
        }
        Ok(Resolved {
            identity: identity(self),
            path,
            metadata: Some(metadata),
        })
    }

    /// What the folder `relative` (no trailing `/`) is, looked at once.
    fn folder(&mut self, relative: &str) -> Folder {
        if let Some(folder) = self.folders.get(relative) {
            return folder.clone();
        }
        let path = self.root.join(relative);
        let folder = match std::fs::symlink_metadata(&path) {
            Err(_) => Folder::Missing,
            Ok(metadata) if metadata.file_type().is_symlink() => match self.inside(&path) {
                Ok(target) if target.is_dir() => Folder::Present { link: true },
                Ok(_) => Folder::Refused(Refusal::NotAFolder(path)),
                Err(refusal) => Folder::Refused(refusal),
            },
            Ok(metadata) if metadata.is_dir() => Folder::Present { link: false },
            Ok(_) => Folder::Refused(Refusal::NotAFolder(path)),
        };
        self.folders.insert(relative.to_owned(), folder.clone());
        folder
    }

    /// The root with every link resolved.
    fn base(&mut self) -> &Path {
        let root = &self.root;
        self.base
            .get_or_insert_with(|| std::fs::canonicalize(root).unwrap_or_else(|_| root.clone()))
    }

    /// Where the link `link` leads, when that is inside the root.
    fn inside(&mut self, link: &Path) -> Result<PathBuf, Refusal> {
        let Ok(target) = std::fs::canonicalize(link) else {
            return Err(Refusal::Dangling(link.to_path_buf()));
        };
        if target.starts_with(self.base()) {
            Ok(target)
        } else {
            Err(Refusal::Escapes {
                link: link.to_path_buf(),
                target,
            })
        }
    }
}

/// An artifact's file, resolved, with what stood there when it was looked at: what
/// [`Place::write`] compares with and replaces.
#[derive(Debug)]
pub struct Place {
    path: PathBuf,
    identity: PathBuf,
    /// What stood there, when something did.
    metadata: Option<std::fs::Metadata>,
    /// Its bytes, when it is no larger than the largest input and could be read.
    bytes: Option<Vec<u8>>,
    /// Why it could not be read, when it could not.
    unreadable: Option<std::io::Error>,
}

impl Place {
    /// Looks at the file `resolved` leads to, reading it when it exists.
    #[must_use]
    pub fn look(resolved: Resolved) -> Self {
        let Resolved {
            path,
            identity,
            metadata,
        } = resolved;
        let (bytes, unreadable) = match &metadata {
            None => (None, None),
            Some(metadata) => match read_regular(&path, metadata) {
                Ok(bytes) => (bytes, None),
                Err(e) => (None, Some(e)),
            },
        };
        Self {
            path,
            identity,
            metadata,
            bytes,
            unreadable,
        }
    }

    /// The file written.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's path with every link resolved, as [`Resolved::identity`].
    #[must_use]
    pub fn identity(&self) -> &Path {
        &self.identity
    }

    /// Its bytes before the write, when it existed and could be read.
    #[must_use]
    pub fn bytes(&self) -> Option<&[u8]> {
        self.bytes.as_deref()
    }

    /// What stood there: nothing, a file specdeploy wrote (unchanged or edited since), or the
    /// user's own file.
    ///
    /// # Errors
    /// When the file exists but could not be read.
    pub fn standing(&self) -> Result<Standing, &std::io::Error> {
        if let Some(e) = &self.unreadable {
            return Err(e);
        }
        Ok(match (&self.metadata, &self.bytes) {
            (None, _) => Standing::Absent,
            (Some(_), None) => Standing::Foreign,
            (Some(_), Some(bytes)) => match marker::provenance(bytes) {
                Provenance::Generated => Standing::Generated,
                Provenance::Edited => Standing::Edited,
                Provenance::Foreign => Standing::Foreign,
            },
        })
    }

    /// Whether the file already holds `contents`, as [`holds`] compares them.
    #[must_use]
    pub fn holds(&self, contents: &str) -> bool {
        self.bytes().is_some_and(|bytes| holds(bytes, contents))
    }

    /// Writes `contents` here, atomically (a temporary file in the same folder, then a
    /// rename), so a failure leaves the old file or the new one, never a truncated one. A
    /// file that already holds `contents` is left as it is.
    ///
    /// # Errors
    /// When the folder cannot be created or the file cannot be written.
    pub fn write(&self, contents: &str) -> std::io::Result<Outcome> {
        if self.holds(contents) {
            return Ok(Outcome::Unchanged);
        }
        let folder = self.path.parent().unwrap_or(Path::new("."));
        if self.metadata.is_none() {
            std::fs::create_dir_all(folder)?;
        }
        let mut temporary = tempfile::NamedTempFile::new_in(folder)?;
        std::io::Write::write_all(&mut temporary, contents.as_bytes())?;
        temporary.as_file().sync_all()?;
        // Keep the permissions of a file being replaced; a new file gets the usual rw-r--r--
        // rather than the temporary file's owner-only mode.
        match &self.metadata {
            Some(metadata) => std::fs::set_permissions(temporary.path(), metadata.permissions())?,
            None => set_default_permissions(temporary.path())?,
        }
        temporary.persist(&self.path).map_err(|e| e.error)?;
        Ok(if self.metadata.is_some() {
            Outcome::Updated
        } else {
            Outcome::Created
        })
    }
}

/// Whether `on_disk` holds `contents`: the same bytes, or the same text with CRLF line
/// endings, as a checkout on Windows makes them. Such a file is left as it is.
#[must_use]
pub fn holds(on_disk: &[u8], contents: &str) -> bool {
    if on_disk == contents.as_bytes() {
        return true;
    }
    memchr::memchr(b'\r', on_disk).is_some()
        && on_disk.len() > contents.len()
        && std::str::from_utf8(on_disk).is_ok_and(|text| text.replace("\r\n", "\n") == contents)
}

/// What stands at `path` (an already resolved path): nothing, a file specdeploy wrote
/// (unchanged or edited since), or the user's own file.
///
/// # Errors
/// When the file exists but cannot be read.
pub fn standing(path: &Path) -> std::io::Result<Standing> {
    let metadata = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
        Ok(metadata) => Some(metadata),
    };
    let mut place = Place::look(Resolved {
        path: path.to_path_buf(),
        identity: path.to_path_buf(),
        metadata,
    });
    if let Some(e) = place.unreadable.take() {
        return Err(e);
    }
    Ok(place.standing().unwrap_or(Standing::Foreign))
}

/// The contents of the file at `path`, whose metadata is `metadata`, as it stands before a
/// write, when it is a regular file no larger than the largest input: a pipe or device would
/// block the read, and specdeploy never wrote anything that large. `None` for anything else.
fn read_regular(path: &Path, metadata: &std::fs::Metadata) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    if !metadata.is_file() || metadata.len() > crate::load::MAX_FILE_BYTES {
        return Ok(None);
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0) + 1);
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

/// Writes `artifact` under `out` with [`Place::write`], once [`Resolver::resolve`] has
/// checked its path.
///
/// # Errors
/// When the path is refused, the folder cannot be created or the file cannot be written.
pub fn write(out: &Path, artifact: &Artifact) -> std::io::Result<Outcome> {
    let resolved = Resolver::new(out)
        .resolve(&artifact.path)
        .map_err(|r| std::io::Error::new(std::io::ErrorKind::InvalidInput, r.to_string()))?;
    Place::look(resolved).write(&artifact.contents)
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

    fn resolve(root: &Path, relative: &str) -> Result<PathBuf, Refusal> {
        Resolver::new(root).resolve(relative).map(|r| r.path)
    }

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

    #[test]
    fn a_place_is_written_only_when_its_contents_change() {
        let root = tempfile::tempdir().expect("temporary folder");
        let mut resolver = Resolver::new(root.path());
        let look = |resolver: &mut Resolver| {
            Place::look(resolver.resolve("deploy/k8s/app.yaml").expect("resolves"))
        };
        let place = look(&mut resolver);
        assert_eq!(place.standing().ok(), Some(Standing::Absent));
        assert_eq!(place.write("one\n").ok(), Some(Outcome::Created));
        // The resolver remembers `deploy/` as missing; a new one sees what was created.
        let mut resolver = Resolver::new(root.path());
        let place = look(&mut resolver);
        assert_eq!(place.bytes(), Some(&b"one\n"[..]));
        assert_eq!(place.standing().ok(), Some(Standing::Foreign));
        assert_eq!(place.write("one\n").ok(), Some(Outcome::Unchanged));
        assert_eq!(place.write("two\n").ok(), Some(Outcome::Updated));
        assert!(holds(b"a\r\nb\r\n", "a\nb\n"));
        assert!(!holds(b"a\r\nb\r\n", "a\nc\n"));
        assert!(!holds(b"a\rb", "a\nb"));
        let written = std::fs::read_to_string(root.path().join("deploy/k8s/app.yaml"));
        assert_eq!(written.ok().as_deref(), Some("two\n"));
    }

    #[cfg(unix)]
    #[test]
    fn a_refused_folder_refuses_every_file_in_it() {
        let root = tempfile::tempdir().expect("temporary folder");
        std::os::unix::fs::symlink("/", root.path().join("deploy")).expect("link");
        std::fs::write(root.path().join("file"), "x").expect("file");
        let mut resolver = Resolver::new(root.path());
        for relative in ["deploy/a.yaml", "deploy/k8s/b.yaml", "deploy/a.yaml"] {
            assert!(
                matches!(resolver.resolve(relative), Err(Refusal::Escapes { .. })),
                "{relative}"
            );
        }
        for relative in ["file/a.yaml", "file/b.yaml"] {
            assert!(
                matches!(resolver.resolve(relative), Err(Refusal::NotAFolder(_))),
                "{relative}"
            );
        }
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
