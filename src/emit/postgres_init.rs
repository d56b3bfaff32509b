//! The script the shared PostgreSQL of a workspace runs on its first start: one role and one
//! database per app, each password read from the container's environment.

use serde::Serialize;

use super::{Artifact, HEADER, Root, render, verbatim};
use crate::diagnostic::Diagnostics;

/// One app's role and database.
#[derive(Clone, Debug, Serialize)]
pub struct AppDatabase {
    /// The app's service name, for a comment.
    pub app: String,
    /// The role, which also names the database: lower-case letters, digits and `_`.
    pub role: String,
    /// The environment variable holding the role's password: upper-case letters, digits, `_`.
    pub password_variable: String,
}

#[derive(Serialize)]
struct Context {
    header: minijinja::Value,
    databases: Vec<AppDatabase>,
}

/// Whether every character is one a shell word and a SQL identifier carry as they are.
fn plain(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Renders the script to `path`; none when there is no database to create.
pub fn emit(
    path: &str,
    databases: &[AppDatabase],
    diagnostics: &mut Diagnostics,
) -> Option<Artifact> {
    if databases.is_empty()
        || !databases
            .iter()
            .all(|d| plain(&d.role) && plain(&d.password_variable))
    {
        return None;
    }
    let contents = render(
        "postgres-init.sh.j2",
        Context {
            header: verbatim(HEADER.to_owned()),
            databases: databases.to_vec(),
        },
        diagnostics,
    )?;
    Some(Artifact {
        path: path.to_owned(),
        root: Root::Out,
        purpose: format!(
            "creates a role and a database for each of {} app{} on the shared PostgreSQL",
            databases.len(),
            if databases.len() == 1 { "" } else { "s" }
        ),
        contents,
    })
}
