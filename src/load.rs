//! Reads an app folder: the only place specdeploy reads the user's files.
//!
//! Everything read is put in the [`Sources`] table so diagnostics can point into it; files
//! that cannot be read become diagnostics, never panics.

use std::collections::BTreeSet;
use std::path::Path;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Sources, Span};

/// The largest input file read, in bytes (a manifest of 100,000 assertions is about 25 MB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// How deep below the app folder files are listed.
const MAX_DEPTH: usize = 8;

/// Folders never listed: dependencies, build output, version control.
const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    ".git",
    "dist",
    "target",
    "coverage",
    ".specdeploy",
];

/// What was read from an app folder.
#[derive(Clone, Debug, Default)]
pub struct AppFolder {
    /// Every file read, for diagnostics.
    pub sources: Sources,
    /// `specs/assertions.json`, if present.
    pub manifest: Option<FileId>,
    /// `specs/**/*.spec`, sorted by path.
    pub spec_files: Vec<FileId>,
    /// `package.json`, if present.
    pub package_json: Option<FileId>,
    /// Paths of the app's files relative to the folder, with `/` separators (dependencies and
    /// build output left out).
    pub files: BTreeSet<String>,
    /// Whether a `specs/` folder exists.
    pub has_specs_dir: bool,
}

impl AppFolder {
    /// Whether the app has the file at `path` (relative, `/`-separated).
    #[must_use]
    pub fn has(&self, path: &str) -> bool {
        self.files.contains(path)
    }
}

/// Reads the app folder at `root`.
pub fn load(root: &Path, diagnostics: &mut Diagnostics) -> AppFolder {
    let mut folder = AppFolder {
        files: if root.is_dir() {
            list_files(root, diagnostics)
        } else {
            BTreeSet::new()
        },
        has_specs_dir: root.join("specs").is_dir(),
        ..AppFolder::default()
    };
    if !folder.has_specs_dir {
        diagnostics.push(
            Diagnostic::new(
                Code::NoSpecsFolder,
                format!("{} has no specs/ folder", display(root)),
            )
            .help("run specdeploy in an app folder that holds specs/assertions.json or specs/*.spec, or pass that folder as APP_DIR"),
        );
        return folder;
    }

    if folder.has("specs/assertions.json") {
        folder.manifest = read(
            root,
            "specs/assertions.json",
            &mut folder.sources,
            diagnostics,
        );
    }
    let spec_paths: Vec<String> = folder
        .files
        .iter()
        .filter(|p| {
            p.starts_with("specs/")
                && Path::new(p.as_str())
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("spec"))
        })
        .cloned()
        .collect();
    for path in spec_paths {
        if let Some(id) = read(root, &path, &mut folder.sources, diagnostics) {
            folder.spec_files.push(id);
        }
    }
    if folder.has("package.json") {
        folder.package_json = read(root, "package.json", &mut folder.sources, diagnostics);
    }
    folder
}

fn display(path: &Path) -> String {
    let shown = path.display().to_string();
    if shown.is_empty() {
        ".".to_owned()
    } else {
        shown
    }
}

/// Reads one file into `sources`; problems become diagnostics on an empty entry for the path.
fn read(
    root: &Path,
    path: &str,
    sources: &mut Sources,
    diagnostics: &mut Diagnostics,
) -> Option<FileId> {
    match read_text(&root.join(path), path) {
        Ok(text) => Some(sources.add(path, text)),
        Err((code, message, help)) => {
            let id = sources.add(path, "");
            diagnostics.push(
                Diagnostic::new(code, message)
                    .at(Span::file_start(id), "this file")
                    .help(help),
            );
            None
        }
    }
}

/// A problem reading a file: its code, message and help.
type ReadProblem = (Code, String, &'static str);

fn read_text(full: &Path, path: &str) -> Result<String, ReadProblem> {
    let unreadable = |e: std::io::Error| {
        (
            Code::UnreadableFile,
            format!("cannot read {path}: {e}"),
            "check that the file exists and is readable",
        )
    };
    let meta = std::fs::metadata(full).map_err(unreadable)?;
    // A device, a pipe or a folder behind a spec file's name would block or make no sense.
    if !meta.is_file() {
        return Err((
            Code::UnreadableFile,
            format!("{path} is not a regular file"),
            "replace it with a regular file, or remove it",
        ));
    }
    let size = meta.len();
    if size > MAX_FILE_BYTES {
        return Err((
            Code::InputTooLarge,
            format!("{path} is {size} bytes, over the limit of {MAX_FILE_BYTES} bytes"),
            "split the specs over several files, or remove what is not a spec",
        ));
    }
    let bytes = std::fs::read(full).map_err(unreadable)?;
    String::from_utf8(bytes).map_err(|e| {
        (
            Code::NotUtf8,
            format!(
                "{path} is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
            "save the file as UTF-8",
        )
    })
}

/// Lists the app's files, relative to `root`, without following symbolic links.
fn list_files(root: &Path, diagnostics: &mut Diagnostics) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .max_depth(MAX_DEPTH)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_type().is_dir()
                    && e.file_name()
                        .to_str()
                        .is_some_and(|n| SKIPPED_DIRS.contains(&n)))
        });
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_file() || entry.path_is_symlink() => {
                if let Ok(relative) = entry.path().strip_prefix(root) {
                    let parts: Option<Vec<&str>> = relative
                        .components()
                        .map(|c| c.as_os_str().to_str())
                        .collect();
                    if let Some(parts) = parts {
                        files.insert(parts.join("/"));
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                let path = e
                    .path()
                    .map_or_else(String::new, |p| p.display().to_string());
                diagnostics.push(
                    Diagnostic::new(Code::UnreadableFile, format!("cannot list {path}: {e}"))
                        .help("check the folder's permissions"),
                );
            }
        }
    }
    files
}
