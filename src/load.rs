//! Reads an app folder: the only place specdeploy reads the user's files.
//!
//! Everything read is put in the [`Sources`] table so diagnostics can point into it; files
//! that cannot be read become diagnostics, never panics. Formal models are read for their
//! SHA-256 as well, with the verification record that holds their verdicts, and the verifier
//! logs that `specdeploy verify` is given are read here too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Sources, Span};
use crate::verify::{self, ConfigFile, ModelFile};

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
    /// The formal models (`specs/dafny/**/*.dfy`, `specs/tla/**/*.tla` with a `.cfg`) and
    /// the hashes of their bytes, in path order.
    pub models: Vec<ModelFile>,
    /// The verification record `specs/.specdeploy/verification.json`, if present.
    pub verification_record: Option<FileId>,
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
    let specs = root.join("specs");
    if std::fs::symlink_metadata(&specs).is_ok_and(|m| m.file_type().is_symlink()) {
        folder.has_specs_dir = false;
        diagnostics.push(
            Diagnostic::new(
                Code::NoSpecsFolder,
                format!(
                    "{} has no specs/ folder: specs is a symbolic link, and links to folders are not followed",
                    display(root)
                ),
            )
            .help("make specs/ a real folder of the app (move the specs in, in place of the link)"),
        );
        return folder;
    }
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
        .filter(|p| is_spec_file(p))
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
    read_models(root, &mut folder, diagnostics);
    folder
}

/// An app folder given as texts, each a path (relative, `/`-separated) and its contents,
/// classified the way [`load`] classifies the files it finds on disk. For callers that hold
/// the files in memory already: an editor's unsaved buffers, tests, fuzzing.
#[must_use]
pub fn from_texts<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> AppFolder {
    let files: std::collections::BTreeMap<&str, &str> = files.into_iter().collect();
    let mut folder = AppFolder {
        files: files.keys().map(|p| (*p).to_owned()).collect(),
        has_specs_dir: files.keys().any(|p| p.starts_with("specs/")),
        ..AppFolder::default()
    };
    for (path, text) in &files {
        let is_spec = path.starts_with("specs/")
            && Path::new(path)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("spec"));
        if *path == "specs/assertions.json" {
            folder.manifest = Some(folder.sources.add(*path, *text));
        } else if *path == "package.json" {
            folder.package_json = Some(folder.sources.add(*path, *text));
        } else if is_spec {
            folder.spec_files.push(folder.sources.add(*path, *text));
        }
    }
    for model in verify::models_in(&folder.files) {
        let text_of = |path: &str| files.get(path).copied().unwrap_or_default();
        let text = text_of(&model.path);
        let config = model.config.map(|path| {
            let text = text_of(&path);
            ConfigFile {
                sha256: verify::sha256_hex(text.as_bytes()),
                text: Some(folder.sources.add(path.clone(), text)),
                path,
            }
        });
        folder.models.push(ModelFile {
            tool: model.tool,
            sha256: verify::sha256_hex(text.as_bytes()),
            text: Some(folder.sources.add(model.path.clone(), text)),
            path: model.path,
            config,
        });
    }
    folder
}

/// Reads the formal models for their hashes (and their text, for diagnostics that point into
/// them), and the verification record that holds their verdicts. The record's folder is
/// never listed among the app's files, so it is read by its path.
fn read_models(root: &Path, folder: &mut AppFolder, diagnostics: &mut Diagnostics) {
    for model in verify::models_in(&folder.files) {
        let Some((sha256, text)) = read_hashed(root, &model.path, &mut folder.sources, diagnostics)
        else {
            continue;
        };
        let config = model.config.and_then(|path| {
            let (sha256, text) = read_hashed(root, &path, &mut folder.sources, diagnostics)?;
            Some(ConfigFile { path, sha256, text })
        });
        folder.models.push(ModelFile {
            tool: model.tool,
            path: model.path,
            sha256,
            text,
            config,
        });
    }
    if root.join(verify::record::PATH).is_file() {
        folder.verification_record =
            read(root, verify::record::PATH, &mut folder.sources, diagnostics);
    }
}

/// Reads a file's bytes and returns their SHA-256, with the file's text added to `sources`
/// when it is UTF-8. A model that is not UTF-8 still has a hash; only its diagnostics lose
/// their place.
fn read_hashed(
    root: &Path,
    path: &str,
    sources: &mut Sources,
    diagnostics: &mut Diagnostics,
) -> Option<(String, Option<FileId>)> {
    match read_inside(root, path) {
        Ok(bytes) => {
            let sha256 = verify::sha256_hex(&bytes);
            let text = String::from_utf8(bytes).ok().map(|t| sources.add(path, t));
            Some((sha256, text))
        }
        Err((code, message, help)) => {
            diagnostics.push(Diagnostic::new(code, message).help(help));
            None
        }
    }
}

/// A verifier's log read from disk: its text, the exit code saved beside it, and when it was
/// last written.
#[derive(Clone, Debug)]
pub struct VerifierLog {
    /// The log's text (invalid UTF-8 replaced: logs are read for their messages only).
    pub text: String,
    /// The tool's exit code, from `<log>.exit` or, for `run.log`, `run.exit`, when present.
    pub exit_code: Option<i32>,
    /// The log's modification time: when the tool finished writing it.
    pub modified: Option<std::time::SystemTime>,
}

/// Reads the verifier log at `path` (given on the command line, so not under the app folder)
/// and the exit code saved beside it.
///
/// # Errors
/// A diagnostic when the log cannot be read, or the exit code file holds no number.
pub fn read_log(path: &Path) -> Result<VerifierLog, Box<Diagnostic>> {
    let shown = path.display().to_string();
    let bytes = read_bytes(path, &shown)
        .map_err(|(code, message, help)| Box::new(Diagnostic::new(code, message).help(help)))?;
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut sidecars = vec![PathBuf::from(format!("{shown}.exit"))];
    if path.extension().is_some() {
        sidecars.push(path.with_extension("exit"));
    }
    let mut exit_code = None;
    for sidecar in sidecars {
        let Ok(text) = std::fs::read_to_string(&sidecar) else {
            continue;
        };
        exit_code = Some(text.trim().parse().map_err(|_| {
            Box::new(
                Diagnostic::new(
                Code::UnusableLog,
                format!(
                    "{} should hold the exit code of the run that wrote {shown}, and holds {:?}",
                    sidecar.display(),
                    text.trim()
                ),
            )
                .help("write the tool's exit code alone (`echo $? > run.exit`), or remove the file"),
            )
        })?);
        break;
    }
    Ok(VerifierLog {
        text: String::from_utf8_lossy(&bytes).into_owned(),
        exit_code,
        modified,
    })
}

fn display(path: &Path) -> String {
    let shown = path.display().to_string();
    if shown.is_empty() {
        ".".to_owned()
    } else {
        shown
    }
}

/// Reads one file into `sources`; problems become diagnostics on an empty entry for the path,
/// or, for text that is not UTF-8, on the text with the invalid bytes replaced, pointing at
/// the first of them.
fn read(
    root: &Path,
    path: &str,
    sources: &mut Sources,
    diagnostics: &mut Diagnostics,
) -> Option<FileId> {
    let problem = match read_inside(root, path) {
        Ok(bytes) => {
            match String::from_utf8(bytes) {
                Ok(text) => return Some(sources.add(path, text)),
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    let line = text.get(..at).map_or(0, |t| t.matches('\n').count()) + 1;
                    let id = sources.add(path, text);
                    diagnostics.push(
                    Diagnostic::new(
                        Code::NotUtf8,
                        format!("{path} is not UTF-8 text (invalid byte at offset {at}, line {line})"),
                    )
                    .at(Span::new(id, at, at + char::REPLACEMENT_CHARACTER.len_utf8()), "not UTF-8")
                    .help("save the file as UTF-8"),
                );
                    return None;
                }
            }
        }
        Err(problem) => problem,
    };
    let (code, message, help) = problem;
    let id = sources.add(path, "");
    diagnostics.push(
        Diagnostic::new(code, message)
            .at(Span::file_start(id), "this file")
            .help(help),
    );
    None
}

/// A problem reading a file: its code, message and help.
type ReadProblem = (Code, String, &'static str);

/// Reads the bytes of `path` under `root`: a regular file inside `root` (a symbolic link is
/// followed only while it stays inside), of at most [`MAX_FILE_BYTES`].
fn read_inside(root: &Path, path: &str) -> Result<Vec<u8>, ReadProblem> {
    let full = root.join(path);
    if std::fs::symlink_metadata(&full).is_ok_and(|m| m.file_type().is_symlink()) {
        let base = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        match std::fs::canonicalize(&full) {
            Ok(target) if target.starts_with(&base) => {}
            Ok(target) => {
                return Err((
                    Code::UnreadableFile,
                    format!(
                        "{path} is a symbolic link to {}, outside the app folder; it is not read",
                        target.display()
                    ),
                    "specdeploy reads only files inside the app folder: copy the file in, in place of the link",
                ));
            }
            Err(e) => {
                return Err((
                    Code::UnreadableFile,
                    format!("{path} is a symbolic link that loops or leads nowhere: {e}"),
                    "replace the link by the file it should stand for, or remove it",
                ));
            }
        }
    }
    read_bytes(&full, path)
}

/// Reads the text of the app's file at `path` (relative, `/`-separated) with the rules of
/// every read of the app folder: a regular file inside `root`, at most [`MAX_FILE_BYTES`],
/// UTF-8. For the files the passes do not need but `build` looks at: the entry point, an
/// app's own `.dockerignore`.
///
/// # Errors
/// The diagnostic for a file that breaks one of the rules or cannot be read.
pub fn read_app_text(root: &Path, path: &str) -> Result<String, Box<Diagnostic>> {
    let problem =
        |(code, message, help): ReadProblem| Box::new(Diagnostic::new(code, message).help(help));
    let bytes = read_inside(root, path).map_err(problem)?;
    String::from_utf8(bytes).map_err(|e| {
        problem((
            Code::NotUtf8,
            format!(
                "{path} is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
            "save the file as UTF-8",
        ))
    })
}

fn read_bytes(full: &Path, path: &str) -> Result<Vec<u8>, ReadProblem> {
    use std::io::Read as _;
    let unreadable = |e: std::io::Error| {
        (
            Code::UnreadableFile,
            format!("cannot read {path}: {e}"),
            "check that the file exists and is readable",
        )
    };
    let not_regular = || {
        (
            Code::UnreadableFile,
            format!("{path} is not a regular file"),
            "replace it with a regular file, or remove it",
        )
    };
    let too_large = |size: u64| {
        (
            Code::InputTooLarge,
            format!("{path} is {size} bytes, over the limit of {MAX_FILE_BYTES} bytes"),
            "split the specs over several files, or remove what is not a spec",
        )
    };
    // A device, a pipe or a folder behind the name would block or make no sense: refused
    // before it is opened, and again by the handle's own metadata after.
    let meta = std::fs::metadata(full).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(full).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0) + 1);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// `path` relative to `root`, `/`-separated, when every component is UTF-8.
fn relative_path(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect();
    parts.map(|p| p.join("/"))
}

/// Whether the symbolic link at `relative` is listed as a file of the app. Links to folders
/// are never followed, so a loop cannot hang the listing, and neither are links out of the
/// app folder, which an image build cannot follow either: both are skipped with a warning.
/// Where specdeploy reads files (`specs/`, `package.json`), a link out of the app folder is
/// refused instead, and one that loops or leads nowhere is reported too.
fn link_is_followed(
    relative: &str,
    link: &Path,
    base: Option<&Path>,
    diagnostics: &mut Diagnostics,
) -> bool {
    let read_here = relative.starts_with("specs/") || relative == "package.json";
    let skipped = |diagnostics: &mut Diagnostics, why: &str| {
        diagnostics.push(
            Diagnostic::new(
                Code::SkippedLink,
                format!("{relative} is a symbolic link {why}; it is skipped"),
            )
            .help("replace the link by the file or folder it should stand for, or remove it"),
        );
        false
    };
    match std::fs::canonicalize(link) {
        Err(_) if read_here => skipped(diagnostics, "that loops or leads nowhere"),
        Err(_) => false,
        Ok(target) if target.is_dir() => skipped(
            diagnostics,
            "to a folder, and links to folders are not followed",
        ),
        Ok(target) if !base.is_some_and(|b| target.starts_with(b)) => {
            if read_here {
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnreadableFile,
                        format!(
                            "{relative} is a symbolic link to {}, outside the app folder; it is not read",
                            target.display()
                        ),
                    )
                    .help("specdeploy reads only files inside the app folder: copy the file in, in place of the link"),
                );
                false
            } else {
                skipped(
                    diagnostics,
                    "to a file outside the app folder, which an image build cannot follow",
                )
            }
        }
        Ok(_) => true,
    }
}

/// Whether `relative` names a `.spec` file under `specs/`.
fn is_spec_file(relative: &str) -> bool {
    relative.starts_with("specs/")
        && Path::new(relative)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("spec"))
}

/// Whether `relative` names a file specdeploy reads its specs from.
fn is_read_as_specs(relative: &str) -> bool {
    relative == "package.json" || relative == "specs/assertions.json" || is_spec_file(relative)
}

/// Lists the app's files, relative to `root`, without following symbolic links to folders.
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
    let base = std::fs::canonicalize(root).ok();
    for entry in walker {
        match entry {
            Ok(entry) if entry.path_is_symlink() => {
                if let Some(relative) = relative_path(root, entry.path()) {
                    if link_is_followed(&relative, entry.path(), base.as_deref(), diagnostics) {
                        files.insert(relative);
                    }
                }
            }
            Ok(entry) if entry.file_type().is_file() => {
                if let Some(relative) = relative_path(root, entry.path()) {
                    files.insert(relative);
                }
            }
            Ok(entry) => {
                // A folder, pipe, socket or device where specdeploy reads a file is said, not
                // skipped: the specs it would hold would otherwise vanish without a word.
                let Some(relative) = relative_path(root, entry.path()) else {
                    continue;
                };
                if is_read_as_specs(&relative) {
                    let what = if entry.file_type().is_dir() {
                        "a folder"
                    } else {
                        "a pipe, socket or device"
                    };
                    diagnostics.push(
                        Diagnostic::new(
                            Code::UnreadableFile,
                            format!("cannot read {relative}: it is {what}, not a regular file"),
                        )
                        .help("specdeploy reads specs/assertions.json, specs/**/*.spec and package.json as plain files: replace it with one, or rename it"),
                    );
                }
            }
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
