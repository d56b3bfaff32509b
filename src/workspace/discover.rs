//! Finds the apps of a workspace folder: the one place that lists a workspace's folders and
//! reads its workspace file (each app is then read by [`crate::load`], as a single app is).
//!
//! Apps are found, in this order of precedence, from `specdeploy-workspace.json`, from the
//! `workspaces` of the root `package.json` (Bun's), or as the sub-folders, down to
//! [`MAX_DEPTH`], that hold a `specs/` folder. A folder that has `specs/` itself is one app,
//! never a workspace.

use std::path::Path;

use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{Sources, Span};

/// The workspace file's name, in the workspace folder.
pub const WORKSPACE_FILE: &str = "specdeploy-workspace.json";

/// How deep below the workspace folder apps are looked for when nothing lists them.
pub const MAX_DEPTH: usize = 2;

/// How deep below the folder where it stands a `**` pattern part looks: as deep as an app's
/// own files are read.
pub const GLOBSTAR_DEPTH: usize = 8;

/// Folders never looked into for apps.
const SKIPPED_DIRS: &[&str] = &["node_modules", ".git", "target", "dist", "coverage"];

/// Where the list of apps came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// `specdeploy-workspace.json`.
    WorkspaceFile,
    /// `workspaces` in the root `package.json`.
    BunWorkspaces,
    /// Sub-folders that hold `specs/`.
    Folders,
}

/// The apps of a workspace folder, as found.
#[derive(Clone, Debug)]
pub struct Discovery {
    /// Where the list came from.
    pub origin: Origin,
    /// The project name the workspace file gives, if it gives one.
    pub name: Option<String>,
    /// Apps whose port is published even when other apps call them (`public` in the
    /// workspace file), by folder or name.
    pub public: Vec<String>,
    /// The app folders, relative to the workspace folder, `/`-separated, sorted, each once.
    pub members: Vec<String>,
    /// The workspace file's text and that of the root `package.json`, when read.
    pub sources: Sources,
}

/// Whether `dir` is a workspace: it has no `specs/` of its own, and a workspace file, Bun
/// workspaces, or sub-folders with `specs/`.
#[must_use]
pub fn is_workspace(dir: &Path) -> bool {
    if dir.join("specs").is_dir() || !dir.is_dir() {
        return false;
    }
    dir.join(WORKSPACE_FILE).is_file()
        || bun_workspaces(dir).is_some()
        || !folders_with_specs(dir).is_empty()
}

/// Finds the apps of the workspace folder `root`; problems with the workspace file or its
/// entries go to `diagnostics` (`SD0006`).
pub fn discover(root: &Path, diagnostics: &mut Diagnostics) -> Discovery {
    let mut sources = Sources::new();
    let file = root.join(WORKSPACE_FILE);
    if file.is_file() {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let id = sources.add(WORKSPACE_FILE, text.clone());
        let mut problem = |message: String, help: &str| {
            diagnostics.push(
                Diagnostic::new(Code::InvalidWorkspace, message)
                    .at(Span::file_start(id), "in this file")
                    .help(help.to_owned()),
            );
        };
        let parsed: Result<Value, _> = serde_json::from_str(&text);
        let (name, public, patterns) = match &parsed {
            Ok(Value::Object(o)) => (
                o.get("name").and_then(Value::as_str).map(str::to_owned),
                strings(o.get("public")),
                o.get("apps").and_then(Value::as_array).map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                }),
            ),
            Ok(_) => (None, Vec::new(), None),
            Err(e) => {
                problem(
                    format!("{WORKSPACE_FILE} is not valid JSON: {e}"),
                    "write it as a JSON object: { \"apps\": [\"api\", \"workers/*\"] }",
                );
                return empty(Origin::WorkspaceFile, sources);
            }
        };
        let Some(patterns) = patterns else {
            problem(
                format!("{WORKSPACE_FILE} has no `apps` list of app folders"),
                "list the app folders, relative to this file: { \"apps\": [\"api\", \"workers/*\"] }",
            );
            return empty(Origin::WorkspaceFile, sources);
        };
        let mut reported = false;
        let members = expand(root, &patterns, true, &mut |m: String, h: &str| {
            reported = true;
            problem(m, h);
        });
        if members.is_empty() && !reported {
            problem(
                format!("the `apps` list of {WORKSPACE_FILE} selects no app"),
                "list at least one app folder that holds specs/: { \"apps\": [\"api\", \"workers/*\"] }",
            );
        }
        return Discovery {
            origin: Origin::WorkspaceFile,
            name,
            public,
            members,
            sources,
        };
    }
    // A root package.json with `workspaces` decides which apps there are, as Bun does: a list
    // that cannot be read is a problem, never a reason to look at other folders instead.
    let Some(bun) = bun_workspaces(root) else {
        return Discovery {
            origin: Origin::Folders,
            name: None,
            public: Vec::new(),
            members: folders_with_specs(root),
            sources,
        };
    };
    let id = sources.add("package.json", bun.text);
    let reported = std::cell::Cell::new(false);
    let mut problem = |message: String, help: &str| {
        reported.set(true);
        diagnostics.push(
            Diagnostic::new(Code::InvalidWorkspace, message)
                .at(Span::file_start(id), "in `workspaces`")
                .help(help.to_owned()),
        );
    };
    let members = match bun.patterns {
        Err(message) => {
            problem(
                message,
                "write `workspaces` as a list of folder patterns: \"workspaces\": [\"apps/*\"]",
            );
            Vec::new()
        }
        Ok(patterns) => {
            let members = expand_listed(root, &patterns, &mut problem);
            if members.is_empty() && !reported.get() {
                problem(
                    "the `workspaces` of package.json select no app: no folder they name holds specs/".to_owned(),
                    "list the app folders that hold specs/ in `workspaces`, or list the apps in specdeploy-workspace.json",
                );
            }
            members
        }
    };
    Discovery {
        origin: Origin::BunWorkspaces,
        name: None,
        public: Vec::new(),
        members,
        sources,
    }
}

/// Bun's patterns, where a plain folder that does not exist is a problem (a folder without
/// `specs/` is passed over: Bun workspaces list libraries too).
fn expand_listed(
    root: &Path,
    patterns: &[String],
    problem: &mut impl FnMut(String, &str),
) -> Vec<String> {
    for pattern in patterns
        .iter()
        .filter(|p| !p.starts_with('!') && !p.contains('*'))
    {
        let trimmed = pattern.trim_start_matches("./").trim_end_matches('/');
        if !trimmed.is_empty()
            && !Path::new(trimmed).is_absolute()
            && !trimmed.contains("..")
            && !is_real_dir(&root.join(trimmed))
        {
            problem(
                format!("the folder {pattern:?} listed in `workspaces` does not exist"),
                "check the folder names; paths are relative to package.json",
            );
        }
    }
    expand(root, patterns, false, problem)
}

fn empty(origin: Origin, sources: Sources) -> Discovery {
    Discovery {
        origin,
        name: None,
        public: Vec::new(),
        members: Vec::new(),
        sources,
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The root `package.json`'s text and its `workspaces`: a list of patterns, or
/// `{ "packages": [...] }`; `Err` says why they cannot be read. `None` when there is no
/// `package.json` or it has no `workspaces`.
struct BunWorkspaces {
    text: String,
    patterns: Result<Vec<String>, String>,
}

fn bun_workspaces(root: &Path) -> Option<BunWorkspaces> {
    let text = std::fs::read_to_string(root.join("package.json")).ok()?;
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return Some(BunWorkspaces {
                text,
                patterns: Err(format!("the root package.json is not valid JSON: {e}")),
            });
        }
    };
    let workspaces = value.get("workspaces")?;
    let list = workspaces.get("packages").unwrap_or(workspaces);
    let patterns = match list.as_array() {
        Some(items) if items.iter().all(Value::is_string) => Ok(items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()),
        Some(_) => {
            Err("`workspaces` in package.json holds an entry that is not a string".to_owned())
        }
        None => Err(format!(
            "`workspaces` in package.json is not a list of folder patterns: {}",
            short(list)
        )),
    };
    Some(BunWorkspaces { text, patterns })
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!("{}...", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

/// The folders `patterns` name under `root`. A pattern is a relative folder path whose parts
/// may be `*` (any one folder) or, last, `**` (any folder below); a leading `!` leaves the
/// folders it names out. With `strict`, a named folder without `specs/` is a problem (the
/// workspace file lists apps); otherwise it is passed over (Bun workspaces list libraries too).
fn expand(
    root: &Path,
    patterns: &[String],
    strict: bool,
    problem: &mut impl FnMut(String, &str),
) -> Vec<String> {
    let mut found = std::collections::BTreeSet::new();
    let mut excluded = std::collections::BTreeSet::new();
    for pattern in patterns {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern.as_str()),
        };
        let trimmed = pattern.trim_start_matches("./").trim_end_matches('/');
        let parts: Vec<&str> = trimmed.split('/').filter(|p| !p.is_empty()).collect();
        let unsupported = parts.iter().enumerate().any(|(i, p)| {
            *p == ".."
                || (*p == "**" && i + 1 != parts.len())
                || (*p != "*" && *p != "**" && p.contains(['*', '?', '[', ']', '{', '}']))
        });
        if parts.is_empty() || unsupported || Path::new(trimmed).is_absolute() {
            problem(
                format!("the app folder pattern {pattern:?} is not supported"),
                "name folders relative to the workspace, inside it; a part may be `*` (any one folder), and the last part `**` (any folder below)",
            );
            continue;
        }
        let matches = matching(root, &parts);
        if negated {
            excluded.extend(matches);
            continue;
        }
        let wildcard = parts.iter().any(|p| p.contains('*'));
        let mut any = false;
        for folder in matches {
            if root.join(&folder).join("specs").is_dir() {
                found.insert(folder);
                any = true;
            } else if strict && !wildcard {
                problem(
                    format!("the listed app folder {folder} has no specs/ folder"),
                    "list only app folders that hold specs/, or add the app's specs",
                );
                any = true;
            }
        }
        if strict && !any {
            problem(
                format!("no app folder matches {pattern:?}"),
                "check the folder names; paths are relative to the workspace file",
            );
        }
    }
    found.retain(|f| !excluded.contains(f));
    found.into_iter().collect()
}

/// The folders under `root` that `parts` match, `/`-separated, without following links.
fn matching(root: &Path, parts: &[&str]) -> Vec<String> {
    let mut current: Vec<String> = vec![String::new()];
    for part in parts {
        let mut next = Vec::new();
        for base in &current {
            let dir = if base.is_empty() {
                root.to_path_buf()
            } else {
                root.join(base)
            };
            let join = |name: &str| {
                if base.is_empty() {
                    name.to_owned()
                } else {
                    format!("{base}/{name}")
                }
            };
            match *part {
                "*" => next.extend(subfolders(&dir).into_iter().map(|n| join(&n))),
                "**" => {
                    let mut stack = vec![(base.clone(), 0)];
                    while let Some((at, depth)) = stack.pop() {
                        if depth >= GLOBSTAR_DEPTH {
                            continue;
                        }
                        let d = if at.is_empty() {
                            root.to_path_buf()
                        } else {
                            root.join(&at)
                        };
                        for name in subfolders(&d) {
                            let path = if at.is_empty() {
                                name
                            } else {
                                format!("{at}/{name}")
                            };
                            next.push(path.clone());
                            stack.push((path, depth + 1));
                        }
                    }
                }
                name => {
                    if is_real_dir(&dir.join(name)) {
                        next.push(join(name));
                    }
                }
            }
        }
        current = next;
    }
    current.sort();
    current.dedup();
    current
}

fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// The sub-folders of `dir` worth looking into, by name, sorted: no links, no hidden folders,
/// no dependency or build folders.
fn subfolders(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| !n.starts_with('.') && !SKIPPED_DIRS.contains(&n.as_str()))
        .collect();
    names.sort();
    names
}

/// The folders below `root`, down to [`MAX_DEPTH`], that hold `specs/`; below an app folder
/// nothing more is looked for.
fn folders_with_specs(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack: Vec<(String, usize)> = vec![(String::new(), 0)];
    while let Some((at, depth)) = stack.pop() {
        let dir = if at.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&at)
        };
        if depth > 0 && is_real_dir(&dir.join("specs")) {
            found.push(at);
            continue;
        }
        if depth == MAX_DEPTH {
            continue;
        }
        for name in subfolders(&dir) {
            let path = if at.is_empty() {
                name
            } else {
                format!("{at}/{name}")
            };
            stack.push((path, depth + 1));
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(root: &Path, folder: &str) {
        std::fs::create_dir_all(root.join(folder).join("specs")).expect("create app");
    }

    #[test]
    fn patterns_take_stars_globstars_and_exclusions() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for folder in [
            "apps/api",
            "apps/worker",
            "jobs/nightly/etl",
            "libs/util/src",
        ] {
            app(root, folder);
        }
        std::fs::create_dir_all(root.join("apps/node_modules/x/specs")).expect("create");
        let mut problems = Vec::new();
        let found = expand(
            root,
            &[
                "apps/*".to_owned(),
                "jobs/**".to_owned(),
                "!apps/worker".to_owned(),
            ],
            true,
            &mut |m, _| problems.push(m),
        );
        assert_eq!(found, ["apps/api", "jobs/nightly/etl"]);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn a_globstar_reaches_any_depth_up_to_the_limit_and_skips_what_is_never_an_app() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for folder in [
            "api",
            "a/b/c/deep",
            "a/b/c/d/e/f/g/eight",
            "a/b/c/d/e/f/g/h/nine",
            "x/node_modules/dep",
            "x/.hidden/app",
            "x/dist/app",
        ] {
            app(root, folder);
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("a"), root.join("x/link")).expect("link");
        let mut problems = Vec::new();
        let found = expand(root, &["**".to_owned()], true, &mut |m, _| {
            problems.push(m);
        });
        assert_eq!(found, ["a/b/c/d/e/f/g/eight", "a/b/c/deep", "api"]);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn sub_folders_with_specs_are_found_two_levels_down_and_not_below_an_app() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for folder in [
            "api",
            "apps/worker",
            "apps/worker/inner",
            "a/b/too-deep",
            ".hidden",
        ] {
            app(root, folder);
        }
        assert_eq!(folders_with_specs(root), ["api", "apps/worker"]);
        assert!(is_workspace(root));
        assert!(!is_workspace(&root.join("api")));
    }
}
