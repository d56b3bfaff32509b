//! Copying test inputs around.

use std::fs;
use std::path::{Path, PathBuf};

/// Copies the folder `from` into `to` recursively, creating `to` and any missing parents.
/// Symbolic links are copied as links. Panics, naming the path, on any IO error.
#[track_caller]
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|error| panic!("creating {}: {error}", to.display()));
    let entries =
        fs::read_dir(from).unwrap_or_else(|error| panic!("reading {}: {error}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|error| panic!("reading {}: {error}", from.display()));
        let source = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry
            .file_type()
            .unwrap_or_else(|error| panic!("inspecting {}: {error}", source.display()));
        if kind.is_dir() {
            copy_dir(&source, &target);
        } else if kind.is_symlink() {
            let link = fs::read_link(&source)
                .unwrap_or_else(|error| panic!("reading link {}: {error}", source.display()));
            std::os::unix::fs::symlink(&link, &target)
                .unwrap_or_else(|error| panic!("linking {}: {error}", target.display()));
        } else {
            fs::copy(&source, &target).unwrap_or_else(|error| {
                panic!(
                    "copying {} to {}: {error}",
                    source.display(),
                    target.display()
                )
            });
        }
    }
}

/// The input app folder of fixture `case`.
pub fn fixture_app(case: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(case)
        .join("app")
}

/// A throwaway copy of fixture `case`'s app folder, at `app/` in the returned folder.
#[track_caller]
pub fn copy_fixture(case: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let work = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
    let app = work.path().join("app");
    copy_dir(&fixture_app(case), &app);
    (work, app)
}

/// An env template with every empty value filled in, as a user does before `up`; `skip`
/// names one variable to leave empty.
pub fn filled_env(template: &str, skip: Option<&str>) -> String {
    template
        .lines()
        .map(|line| match line.strip_suffix('=') {
            Some(name) if !line.starts_with('#') && Some(name) != skip => {
                format!("{name}=placeholder1\n")
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

/// Every file under `root`, sorted.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Every file under `root`, as sorted `/`-separated paths relative to it.
pub fn relative_files(root: &Path) -> Vec<String> {
    files_under(root)
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(root).expect("under root");
            relative.to_string_lossy().replace('\\', "/")
        })
        .collect()
}
