//! `graph`: services with their dependency conditions, and the networks and volumes they use,
//! rendered as text, Graphviz dot or Mermaid. Pure: a [`Graph`] drawn from the model in, text out.

use crate::model::Project;
use crate::model::short_syntax::MountKind;

/// A `depends_on` edge: `service` waits for `dependency` to reach `condition`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyEdge {
    pub service: String,
    pub dependency: String,
    /// `service_started`, `service_healthy`, `service_completed_successfully`, plus
    /// `, restart` / `, optional` when set.
    pub label: String,
}

/// What `graph` draws.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// Service name and image.
    pub services: Vec<(String, String)>,
    pub dependencies: Vec<DependencyEdge>,
    /// Network keys of the project.
    pub networks: Vec<String>,
    /// Volume keys of the project.
    pub volumes: Vec<String>,
    /// (service, network key).
    pub service_networks: Vec<(String, String)>,
    /// (service, volume key, mount target).
    pub service_volumes: Vec<(String, String, String)>,
}

impl Graph {
    /// Draws the graph of a loaded project (services in file order).
    pub fn from_project(project: &Project) -> Graph {
        let mut g = Graph {
            networks: project.networks.keys().cloned().collect(),
            volumes: project.volumes.keys().cloned().collect(),
            ..Default::default()
        };
        for (name, s) in &project.services {
            g.services.push((name.clone(), s.image_name(project)));
            for (dep, d) in &s.depends_on {
                let mut label = d.condition.as_str().to_string();
                if d.restart {
                    label.push_str(", restart");
                }
                if !d.required {
                    label.push_str(", optional");
                }
                g.dependencies.push(DependencyEdge {
                    service: name.clone(),
                    dependency: dep.clone(),
                    label,
                });
            }
            for n in s.networks.keys() {
                if project.networks.contains_key(n) {
                    g.service_networks.push((name.clone(), n.clone()));
                }
            }
            for m in &s.volumes {
                if let (MountKind::Volume, Some(src)) = (m.kind, &m.source)
                    && project.volumes.contains_key(src)
                {
                    g.service_volumes
                        .push((name.clone(), src.clone(), m.target.clone()));
                }
            }
        }
        g
    }
}

/// Output formats of `graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Dot,
    Mermaid,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "text" => Some(Format::Text),
            "dot" => Some(Format::Dot),
            "mermaid" => Some(Format::Mermaid),
            _ => None,
        }
    }
}

/// Renders `g` in `format`; the text ends with a newline.
pub fn render(g: &Graph, format: Format) -> String {
    match format {
        Format::Text => text(g),
        Format::Dot => dot(g),
        Format::Mermaid => mermaid(g),
    }
}

fn text(g: &Graph) -> String {
    let mut out = String::new();
    for (s, image) in &g.services {
        out.push_str(&format!("service {s} ({image})\n"));
        for e in g.dependencies.iter().filter(|e| &e.service == s) {
            out.push_str(&format!("  depends on {} [{}]\n", e.dependency, e.label));
        }
        for (_, n) in g.service_networks.iter().filter(|(x, _)| x == s) {
            out.push_str(&format!("  network {n}\n"));
        }
        for (_, v, target) in g.service_volumes.iter().filter(|(x, _, _)| x == s) {
            out.push_str(&format!("  volume {v} at {target}\n"));
        }
    }
    for n in &g.networks {
        out.push_str(&format!("network {n}\n"));
    }
    for v in &g.volumes {
        out.push_str(&format!("volume {v}\n"));
    }
    out
}

fn dot_id(prefix: &str, name: &str) -> String {
    format!("\"{prefix}:{}\"", name.replace('"', "\\\""))
}

fn dot(g: &Graph) -> String {
    let mut out = String::from("digraph compose {\n  rankdir=LR;\n");
    for (s, image) in &g.services {
        out.push_str(&format!(
            "  {} [label=\"{s}\\n{image}\", shape=box];\n",
            dot_id("service", s)
        ));
    }
    for n in &g.networks {
        out.push_str(&format!(
            "  {} [label=\"{n}\", shape=ellipse];\n",
            dot_id("network", n)
        ));
    }
    for v in &g.volumes {
        out.push_str(&format!(
            "  {} [label=\"{v}\", shape=cylinder];\n",
            dot_id("volume", v)
        ));
    }
    for e in &g.dependencies {
        out.push_str(&format!(
            "  {} -> {} [label=\"{}\"];\n",
            dot_id("service", &e.service),
            dot_id("service", &e.dependency),
            e.label
        ));
    }
    for (s, n) in &g.service_networks {
        out.push_str(&format!(
            "  {} -> {} [style=dashed];\n",
            dot_id("service", s),
            dot_id("network", n)
        ));
    }
    for (s, v, target) in &g.service_volumes {
        out.push_str(&format!(
            "  {} -> {} [style=dotted, label=\"{target}\"];\n",
            dot_id("service", s),
            dot_id("volume", v)
        ));
    }
    out.push_str("}\n");
    out
}

/// Mermaid node ids allow only word characters.
fn mermaid_id(prefix: &str, name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{clean}")
}

fn mermaid(g: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for (s, image) in &g.services {
        out.push_str(&format!(
            "  {}[\"{s}<br/>{image}\"]\n",
            mermaid_id("svc", s)
        ));
    }
    for n in &g.networks {
        out.push_str(&format!("  {}((\"{n}\"))\n", mermaid_id("net", n)));
    }
    for v in &g.volumes {
        out.push_str(&format!("  {}[(\"{v}\")]\n", mermaid_id("vol", v)));
    }
    for e in &g.dependencies {
        out.push_str(&format!(
            "  {} -->|\"{}\"| {}\n",
            mermaid_id("svc", &e.service),
            e.label,
            mermaid_id("svc", &e.dependency)
        ));
    }
    for (s, n) in &g.service_networks {
        out.push_str(&format!(
            "  {} -.- {}\n",
            mermaid_id("svc", s),
            mermaid_id("net", n)
        ));
    }
    for (s, v, target) in &g.service_volumes {
        out.push_str(&format!(
            "  {} -.-|\"{target}\"| {}\n",
            mermaid_id("svc", s),
            mermaid_id("vol", v)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> Graph {
        Graph {
            services: vec![
                ("app".into(), "people-app:latest".into()),
                ("db".into(), "people-db:latest".into()),
            ],
            dependencies: vec![DependencyEdge {
                service: "app".into(),
                dependency: "db".into(),
                label: "service_healthy".into(),
            }],
            networks: vec!["default".into()],
            volumes: vec!["db-data".into()],
            service_networks: vec![
                ("app".into(), "default".into()),
                ("db".into(), "default".into()),
            ],
            service_volumes: vec![(
                "db".into(),
                "db-data".into(),
                "/var/lib/postgresql/data".into(),
            )],
        }
    }

    #[test]
    fn text_golden() {
        assert_eq!(
            render(&people(), Format::Text),
            "service app (people-app:latest)
  depends on db [service_healthy]
  network default
service db (people-db:latest)
  network default
  volume db-data at /var/lib/postgresql/data
network default
volume db-data
"
        );
    }

    #[test]
    fn dot_golden() {
        assert_eq!(
            render(&people(), Format::Dot),
            r#"digraph compose {
  rankdir=LR;
  "service:app" [label="app\npeople-app:latest", shape=box];
  "service:db" [label="db\npeople-db:latest", shape=box];
  "network:default" [label="default", shape=ellipse];
  "volume:db-data" [label="db-data", shape=cylinder];
  "service:app" -> "service:db" [label="service_healthy"];
  "service:app" -> "network:default" [style=dashed];
  "service:db" -> "network:default" [style=dashed];
  "service:db" -> "volume:db-data" [style=dotted, label="/var/lib/postgresql/data"];
}
"#
        );
    }

    #[test]
    fn mermaid_golden() {
        assert_eq!(
            render(&people(), Format::Mermaid),
            r#"flowchart LR
  svc_app["app<br/>people-app:latest"]
  svc_db["db<br/>people-db:latest"]
  net_default(("default"))
  vol_db_data[("db-data")]
  svc_app -->|"service_healthy"| svc_db
  svc_app -.- net_default
  svc_db -.- net_default
  svc_db -.-|"/var/lib/postgresql/data"| vol_db_data
"#
        );
    }

    #[test]
    fn formats_parse() {
        assert_eq!(Format::parse("dot"), Some(Format::Dot));
        assert_eq!(Format::parse("svg"), None);
    }
}
