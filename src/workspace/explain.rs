//! `specdeploy explain` of a workspace: the apps in start order, the backing services and who
//! shares them, the calls between apps, each with the assertions that caused it, then each
//! app's own explanation.

use std::fmt::Write as _;

use petgraph::visit::EdgeRef;
use serde::Serialize;

use super::Workspace;
use super::graph::{Cause, EdgeKind, Node};

fn cause_line(out: &mut String, c: &Cause) {
    let who = c
        .assertion
        .as_ref()
        .map_or_else(String::new, |a| format!("{a} "));
    let place = match (&c.file, c.line) {
        (Some(f), Some(l)) => format!(" at {f}:{l}"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "      {who}{} {:?} (rule {}){place}",
        c.field, c.matched, c.rule
    );
}

/// The explanation for people.
#[must_use]
pub fn human(workspace: &Workspace) -> String {
    let mut out = String::new();
    let g = &workspace.graph;
    let _ = writeln!(
        out,
        "Workspace {}: {} app{}",
        workspace.name,
        workspace.members.len(),
        if workspace.members.len() == 1 {
            ""
        } else {
            "s"
        }
    );

    let _ = writeln!(out, "\nApps, in start order");
    for &i in &g.start_order {
        let Some(m) = workspace.members.get(i) else {
            continue;
        };
        let Some(ir) = m.compilation.ir.as_ref() else {
            continue;
        };
        let service = workspace
            .deployment
            .as_ref()
            .and_then(|d| d.services.iter().find(|s| s.member == Some(i)));
        let port = service
            .and_then(|s| s.service.ports.first())
            .map_or_else(String::new, |p| match p.host {
                Some(h) => format!("; port {} published on host port {h}", p.container),
                None => format!("; port {} on the Compose network only", p.container),
            });
        let _ = writeln!(
            out,
            "  {} ({}) from {}/{port}",
            m.service,
            ir.app.archetype.as_str(),
            m.folder
        );
        if let Some(s) = service.filter(|s| !s.service.depends_on.is_empty()) {
            let _ = writeln!(out, "      waits for {}", s.service.depends_on.join(", "));
        }
    }

    let _ = writeln!(out, "\nBacking services");
    let backing: Vec<_> = g
        .graph
        .node_indices()
        .filter(|n| matches!(g.graph[*n], Node::Backing { .. }))
        .collect();
    if backing.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for n in backing {
        let Node::Backing {
            name,
            technology,
            dedicated_to,
        } = &g.graph[n]
        else {
            continue;
        };
        let users: Vec<_> = g
            .graph
            .edges_directed(n, petgraph::Direction::Incoming)
            .collect();
        let sharing = match dedicated_to.and_then(|i| workspace.members.get(i)) {
            Some(m) => format!("a server of {}'s own", m.service),
            None => format!(
                "{} {}",
                if users.len() > 1 {
                    "shared by"
                } else {
                    "used by"
                },
                users
                    .iter()
                    .map(|e| g.graph[e.source()].name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let _ = writeln!(out, "  {name} ({}): {sharing}", technology.as_str());
        for e in users {
            let _ = writeln!(out, "    for {}", g.graph[e.source()].name());
            for c in &e.weight().causes {
                cause_line(&mut out, c);
            }
        }
    }
    if let Some(d) = &workspace.deployment {
        for db in &d.databases {
            let _ = writeln!(
                out,
                "  postgres holds role and database {} for {} (password {})",
                db.role, db.app, db.password_variable
            );
        }
        let mut redis: Vec<(&usize, &String)> =
            d.redis_databases.iter().map(|(app, n)| (n, app)).collect();
        redis.sort();
        for (n, app) in redis {
            let _ = writeln!(out, "  redis database {n} is {app}'s");
        }
    }

    let _ = writeln!(out, "\nCalls between apps");
    if g.calls.is_empty() {
        let _ = writeln!(
            out,
            "  none: no external API in the specs names another app"
        );
    }
    for e in g.graph.edge_references() {
        if e.weight().kind != EdgeKind::Calls {
            continue;
        }
        let (from, to) = (g.graph[e.source()].name(), g.graph[e.target()].name());
        let variable = g
            .calls
            .iter()
            .find(|c| {
                workspace.members.get(c.caller).map(|m| m.service.as_str()) == Some(from)
                    && workspace.members.get(c.callee).map(|m| m.service.as_str()) == Some(to)
            })
            .map_or_else(String::new, |c| {
                format!(": {} on the Compose network", c.url_variable)
            });
        let _ = writeln!(out, "  {from} calls {to}{variable}");
        for c in &e.weight().causes {
            cause_line(&mut out, c);
        }
    }

    let _ = writeln!(out, "\nExternal APIs");
    let mut any = false;
    for e in g.graph.edge_references() {
        if e.weight().kind != EdgeKind::Reaches {
            continue;
        }
        any = true;
        let (from, to) = (g.graph[e.source()].name(), g.graph[e.target()].name());
        let _ = writeln!(out, "  {from} reaches {to}, outside the workspace");
        for c in &e.weight().causes {
            cause_line(&mut out, c);
        }
    }
    if !any {
        let _ = writeln!(out, "  none");
    }

    for (i, m) in workspace.members.iter().enumerate() {
        let Some(ir) = m.compilation.ir.as_ref() else {
            continue;
        };
        let _ = writeln!(out, "\n=== {} ({}/)\n", m.service, m.folder);
        out.push_str(&crate::explain::human(
            &in_workspace(ir, i, workspace),
            &m.sources,
        ));
    }
    out
}

/// The app's IR as the workspace deploys it: the URL of an app it calls is set by
/// `compose.yaml` on the Compose network, and the key derived for that call is dropped, so
/// the per-app part of the explanation agrees with the workspace's.
fn in_workspace(ir: &crate::ir::Ir, member: usize, workspace: &Workspace) -> crate::ir::Ir {
    let mut ir = ir.clone();
    for call in workspace.graph.calls.iter().filter(|c| c.caller == member) {
        ir.variables
            .retain(|v| call.derived_key.as_deref() != Some(v.name.as_str()));
        for v in &mut ir.variables {
            if v.name == call.url_variable {
                v.user_supplied = false;
                v.secret = false;
            }
        }
    }
    ir
}

#[derive(Serialize)]
struct AppJson<'a> {
    service: &'a str,
    folder: &'a str,
    explanation: serde_json::Value,
}

#[derive(Serialize)]
struct EdgeJson<'a> {
    from: &'a str,
    to: &'a str,
    kind: EdgeKind,
    because: &'a [Cause],
}

#[derive(Serialize)]
struct WorkspaceJson<'a> {
    workspace: &'a str,
    start_order: Vec<&'a str>,
    apps: Vec<AppJson<'a>>,
    nodes: Vec<&'a Node>,
    edges: Vec<EdgeJson<'a>>,
    databases: Vec<&'a crate::emit::postgres_init::AppDatabase>,
}

/// The explanation as one JSON document.
#[must_use]
pub fn json(workspace: &Workspace) -> String {
    let g = &workspace.graph;
    let document = WorkspaceJson {
        workspace: &workspace.name,
        start_order: g
            .start_order
            .iter()
            .filter_map(|i| workspace.members.get(*i).map(|m| m.service.as_str()))
            .collect(),
        apps: workspace
            .members
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                let ir = in_workspace(m.compilation.ir.as_ref()?, i, workspace);
                Some(AppJson {
                    service: &m.service,
                    folder: &m.folder,
                    explanation: serde_json::from_str(&crate::explain::json(&ir, &m.sources))
                        .unwrap_or_default(),
                })
            })
            .collect(),
        nodes: g.graph.node_weights().collect(),
        edges: g
            .graph
            .edge_references()
            .map(|e| EdgeJson {
                from: g.graph[e.source()].name(),
                to: g.graph[e.target()].name(),
                kind: e.weight().kind,
                because: &e.weight().causes,
            })
            .collect(),
        databases: workspace
            .deployment
            .iter()
            .flat_map(|d| d.databases.iter())
            .collect(),
    };
    serde_json::to_string_pretty(&document).unwrap_or_default()
}
