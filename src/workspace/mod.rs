//! Workspaces: several apps in one folder, one dependency graph, one deployment.
//!
//! [`discover`] finds the apps (the only part that lists folders); each app is read and
//! compiled by the single-app pipeline; [`compile`] here, which is pure, then names the apps
//! so no two services collide ([`naming`]), builds the [`graph`] of apps and backing services
//! (which decides sharing and start order, and finds cycles), merges the apps into one
//! deployment ([`merge`]) and renders the workspace's own artifacts: `compose.yaml`,
//! `compose.dev.yaml`, `.env.example` and the shared PostgreSQL's init script. Each app keeps
//! its own Dockerfile, `.dockerignore` and health code. [`dot`] draws the graph and
//! [`explain`] explains the whole workspace.

pub mod discover;
pub mod dot;
pub mod explain;
pub mod graph;
pub mod merge;
pub mod naming;

use crate::compile::Compilation;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Label};
use crate::emit::compose::{self, AppUnit, Project};
use crate::emit::{Artifact, Root, env_file, postgres_init};
use crate::ir::ServiceRole;
use crate::source::{FileId, Sources, Span};

/// The artifacts of a single-app build that a workspace writes once, at its root, instead.
pub const WORKSPACE_ARTIFACTS: &[&str] = &["compose.yaml", "compose.dev.yaml", ".env.example"];

/// One app of the workspace, compiled.
#[derive(Debug)]
pub struct Input {
    /// Its folder relative to the workspace, `/`-separated.
    pub folder: String,
    /// The single-app compilation of the folder.
    pub compilation: Compilation,
    /// Its build context relative to the workspace's output folder, `/`-separated.
    pub context: String,
}

/// How the workspace is deployed.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The Compose project's name.
    pub name: String,
    /// Apps published on the host even when other apps call them, by service name, app name
    /// or folder.
    pub public: Vec<String>,
    /// The registry that prefixes every app's image.
    pub image_registry: Option<String>,
    /// Whether to render the artifacts.
    pub emit: bool,
}

/// An app of the compiled workspace.
#[derive(Debug)]
pub struct Member {
    /// Its folder relative to the workspace.
    pub folder: String,
    /// Its service name, unique in the workspace.
    pub service: String,
    /// Its build context relative to the output folder.
    pub context: String,
    /// Its compilation; the artifacts are those written into the app's folder.
    pub compilation: Compilation,
    /// Its sources, with paths relative to the workspace (same ids as the compilation's).
    pub sources: Sources,
    /// Where its files start in [`Workspace::sources`].
    pub offset: u32,
}

/// The compiled workspace.
#[derive(Debug)]
pub struct Workspace {
    /// The Compose project's name.
    pub name: String,
    /// The apps, in folder order.
    pub members: Vec<Member>,
    /// Every file read, of every app, with paths relative to the workspace.
    pub sources: Sources,
    /// Every problem, of every app and of the workspace, pointing into [`Self::sources`].
    pub diagnostics: Diagnostics,
    /// The dependency graph.
    pub graph: graph::Graph,
    /// The merged deployment, when every app compiled.
    pub deployment: Option<merge::Deployment>,
    /// The artifacts written at the workspace's root (its output folder).
    pub artifacts: Vec<Artifact>,
}

fn shift(label: &mut Label, offset: u32) {
    label.span = Span::new(
        FileId(label.span.file.0 + offset),
        label.span.start(),
        label.span.end(),
    );
}

fn prefixed(sources: &Sources, folder: &str) -> Sources {
    let mut out = Sources::new();
    for (_, file) in sources.iter() {
        let path = if folder == "." {
            file.path.clone()
        } else {
            format!("{folder}/{}", file.path)
        };
        out.add_shared(path, file.text.clone());
    }
    out
}

/// Compiles the workspace from its apps' compilations. `sources` holds the files discovery
/// read (the workspace file), which `diagnostics` may point into.
#[must_use]
pub fn compile(
    inputs: Vec<Input>,
    settings: &Settings,
    sources: Sources,
    diagnostics: Diagnostics,
) -> Workspace {
    let mut all = sources;
    let mut diagnostics = diagnostics;
    let names: Vec<(String, String)> = inputs
        .iter()
        .map(|i| {
            let name = i.compilation.ir.as_ref().map_or_else(
                || i.folder.rsplit('/').next().unwrap_or(&i.folder).to_owned(),
                |ir| ir.app.name.clone(),
            );
            (i.folder.clone(), name)
        })
        .collect();
    let pairs: Vec<(&str, &str)> = names
        .iter()
        .map(|(f, n)| (f.as_str(), n.as_str()))
        .collect();
    let services = naming::service_names(&pairs);

    let mut members = Vec::new();
    for (input, service) in inputs.into_iter().zip(services) {
        let member_sources = prefixed(&input.compilation.folder.sources, &input.folder);
        let offset = u32::try_from(all.iter().count()).unwrap_or(u32::MAX);
        for (_, file) in member_sources.iter() {
            all.add_shared(file.path.clone(), file.text.clone());
        }
        for mut d in input.compilation.diagnostics.clone() {
            if let Some(l) = d.primary.as_mut() {
                shift(l, offset);
            }
            for l in &mut d.secondary {
                shift(l, offset);
            }
            diagnostics.push(d);
        }
        let mut compilation = input.compilation;
        compilation
            .artifacts
            .retain(|a| !(a.root == Root::Out && WORKSPACE_ARTIFACTS.contains(&a.path.as_str())));
        members.push(Member {
            folder: input.folder,
            service,
            context: input.context,
            compilation,
            sources: member_sources,
            offset,
        });
    }
    unknown_public(&members, settings, &all, &mut diagnostics);
    if members.is_empty() && !diagnostics.has_errors() {
        diagnostics.push(
            Diagnostic::new(Code::NoSpecsFolder, "the workspace holds no app: no folder in it has a specs/ folder")
                .help("list the app folders in specdeploy-workspace.json, or run specdeploy in an app folder"),
        );
    }

    let views: Vec<graph::MemberView<'_>> = members
        .iter()
        .map(|m| graph::MemberView {
            service: &m.service,
            folder: &m.folder,
            ir: m.compilation.ir.as_ref(),
            specs: &m.compilation.specs,
            sources: &m.sources,
            offset: m.offset,
        })
        .collect();
    let graph = graph::build(&views, &mut diagnostics);
    replaced_settings(&members, &graph, &mut diagnostics);
    tracing::debug!(
        apps = members.len(),
        nodes = graph.graph.node_count(),
        edges = graph.graph.edge_count(),
        "workspace graph built"
    );

    let mut workspace = Workspace {
        name: settings.name.clone(),
        members,
        sources: all,
        diagnostics,
        graph,
        deployment: None,
        artifacts: Vec::new(),
    };
    if workspace.diagnostics.has_errors()
        || workspace.members.iter().any(|m| m.compilation.ir.is_none())
    {
        return workspace;
    }
    let deployment = deploy(&workspace, settings);
    if settings.emit {
        let (artifacts, problems) = emit(&workspace, &deployment);
        workspace.artifacts = artifacts;
        workspace.diagnostics.extend(problems);
    }
    workspace.deployment = Some(deployment);
    workspace
}

/// The role, database and password of an app on the shared PostgreSQL are the workspace's: a
/// default the app's specs give them is not used, and is said so (`SD0613`).
fn replaced_settings(members: &[Member], graph: &graph::Graph, diagnostics: &mut Diagnostics) {
    for (i, m) in members.iter().enumerate() {
        let shared = graph
            .backing_of
            .get(i)
            .and_then(|b| b.get("postgres"))
            .is_some_and(|name| name == "postgres");
        if !shared {
            continue;
        }
        let ident = crate::passes::config::database_identifier(&m.service);
        for decl in &m.compilation.specs.variables {
            let name = decl.name.value.as_str();
            let instead = match name {
                "POSTGRES_USER" | "POSTGRES_DB" => format!("`{ident}`"),
                "POSTGRES_PASSWORD" => format!("${}", merge::scoped(&m.service, name)),
                _ => continue,
            };
            let Some(default) = &decl.default else {
                continue;
            };
            let span = Span::new(
                FileId(default.span.file.0 + m.offset),
                default.span.start(),
                default.span.end(),
            );
            diagnostics.push(
                Diagnostic::new(
                    Code::SharedServerSetting,
                    format!(
                        "{} shares the workspace's PostgreSQL, so its {name} is {instead}, not the default {:?} its specs give",
                        m.service, default.value
                    ),
                )
                .at(span, "not used on the shared server")
                .help("drop the default; to keep it, give the app a PostgreSQL of its own (say `dedicated` or `own server` in the assertion behind its database need)"),
            );
        }
    }
}

/// Each `public` entry of the workspace file must name an app, by folder, service or name: one
/// that names none would leave a port unpublished without a word.
fn unknown_public(
    members: &[Member],
    settings: &Settings,
    sources: &Sources,
    diagnostics: &mut Diagnostics,
) {
    let file = sources
        .iter()
        .find(|(_, f)| f.path == discover::WORKSPACE_FILE)
        .map(|(id, _)| id);
    for entry in &settings.public {
        let known = members.iter().any(|m| {
            let name = m.compilation.ir.as_ref().map(|ir| ir.app.name.as_str());
            *entry == m.service || *entry == m.folder || Some(entry.as_str()) == name
        });
        if known || members.is_empty() {
            continue;
        }
        let listed: Vec<&str> = members.iter().map(|m| m.folder.as_str()).collect();
        let d = Diagnostic::new(
            Code::InvalidWorkspace,
            format!("`public` names {entry:?}, which is no app of the workspace"),
        );
        let d = match file {
            Some(id) => d.at(Span::file_start(id), "in this file"),
            None => d,
        };
        diagnostics.push(d.help(format!(
            "name an app by its folder, service or name; the apps are {}",
            listed.join(", ")
        )));
    }
}

fn deploy(workspace: &Workspace, settings: &Settings) -> merge::Deployment {
    let g = &workspace.graph;
    let called: Vec<bool> = (0..workspace.members.len())
        .map(|i| g.calls.iter().any(|c| c.callee == i))
        .collect();
    let public = |m: &Member| {
        let name = m.compilation.ir.as_ref().map(|ir| ir.app.name.as_str());
        settings
            .public
            .iter()
            .any(|p| *p == m.service || *p == m.folder || Some(p.as_str()) == name)
    };
    // Host ports go to apps that publish, in folder order, so the first app on a port keeps it.
    let wanted: Vec<Option<u16>> = workspace
        .members
        .iter()
        .zip(&called)
        .map(|(m, &called)| {
            let ir = m.compilation.ir.as_ref()?;
            let app = ir.app_service()?;
            let port = app.ports.iter().find(|p| p.host.is_some())?;
            (!called || public(m)).then_some(port.container)
        })
        .collect();
    let hosts = naming::host_ports(&wanted);
    let deploys: Vec<merge::MemberDeploy<'_>> = workspace
        .members
        .iter()
        .zip(hosts)
        .filter_map(|(m, host_port)| {
            Some(merge::MemberDeploy {
                service: &m.service,
                ir: m.compilation.ir.as_ref()?,
                host_port,
            })
        })
        .collect();
    merge::deploy(&deploys, g, settings.image_registry.as_deref())
}

fn emit(workspace: &Workspace, deployment: &merge::Deployment) -> (Vec<Artifact>, Diagnostics) {
    let mut problems = Diagnostics::new();
    let services = deployment
        .services
        .iter()
        .map(|d| {
            let unit = d.member.and_then(|i| {
                let m = workspace.members.get(i)?;
                Some(AppUnit {
                    app: &m.compilation.ir.as_ref()?.app,
                    variables: &d.variables,
                    context: &m.context,
                    dockerfile: "Dockerfile",
                })
            });
            (&d.service, unit)
        })
        .collect();
    let project = Project {
        name: &workspace.name,
        services,
        env: &deployment.env,
    };
    let mut artifacts = Vec::new();
    let apps: Vec<&str> = deployment
        .services
        .iter()
        .filter(|d| d.service.role == ServiceRole::App)
        .map(|d| d.service.name.as_str())
        .collect();
    let backing: Vec<&str> = deployment
        .services
        .iter()
        .filter(|d| d.service.role != ServiceRole::App)
        .map(|d| d.service.name.as_str())
        .collect();
    if let Some(contents) = compose::render_compose(&project, &mut problems) {
        artifacts.push(Artifact {
            path: "compose.yaml".to_owned(),
            root: Root::Out,
            purpose: format!(
                "runs {} app{} ({}) with the backing services: {}",
                apps.len(),
                if apps.len() == 1 { "" } else { "s" },
                apps.join(", "),
                if backing.is_empty() {
                    "none".to_owned()
                } else {
                    backing.join(", ")
                }
            ),
            contents,
        });
    }
    if let Some(contents) = compose::render_dev(&project, &mut problems) {
        artifacts.push(Artifact {
            path: "compose.dev.yaml".to_owned(),
            root: Root::Out,
            purpose: compose::DEV_PURPOSE.to_owned(),
            contents,
        });
    }
    artifacts.extend(env_file::render_variables(&deployment.env, &mut problems));
    artifacts.extend(postgres_init::emit(
        merge::POSTGRES_INIT_PATH,
        &deployment.databases,
        &mut problems,
    ));
    for artifact in &mut artifacts {
        artifact.contents = crate::emit::marker::seal(&artifact.contents);
    }
    (artifacts, problems)
}
