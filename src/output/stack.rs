//! What `rcompose stack ls|services|ps` print: docker stack's tables, its `--format json`
//! objects and Go templates over the same fields.

use serde_json::{Value, json};

use super::table::tabwrite;
use super::template::Template;

/// One row of `stack ls`.
pub struct StackRow {
    pub name: String,
    pub services: usize,
}

/// One row of `stack services`.
pub struct ServiceRow {
    pub id: String,
    pub name: String,
    pub mode: String,
    pub replicas: String,
    pub image: String,
    pub ports: String,
}

/// One row of `stack ps`.
pub struct TaskRow {
    pub id: String,
    pub name: String,
    pub image: String,
    pub node: String,
    pub desired_state: String,
    pub current_state: String,
    pub error: String,
    pub ports: String,
}

/// Renders `rows` (as JSON objects, with the table's `header`/`fields`) per `--format`.
fn render(
    format: Option<&str>,
    header: &[&str],
    fields: &[&str],
    objects: &[Value],
) -> Result<String, String> {
    match format.map(str::trim) {
        None | Some("") | Some("table") => {
            let rows: Vec<Vec<String>> = objects
                .iter()
                .map(|o| {
                    fields
                        .iter()
                        .map(|f| o[*f].as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .collect();
            Ok(tabwrite(header, &rows))
        }
        Some("json") => Ok(objects.iter().map(|o| format!("{o}\n")).collect()),
        Some(t) => Template::parse(t)?.render_all(objects),
    }
}

pub fn stacks(rows: &[StackRow], format: Option<&str>) -> Result<String, String> {
    let objects: Vec<Value> = rows
        .iter()
        .map(|r| json!({"Name": r.name, "Namespace": "", "Orchestrator": "Swarm", "Services": r.services.to_string()}))
        .collect();
    render(
        format,
        &["NAME", "SERVICES"],
        &["Name", "Services"],
        &objects,
    )
}

pub fn services(rows: &[ServiceRow], format: Option<&str>) -> Result<String, String> {
    let objects: Vec<Value> = rows
        .iter()
        .map(|r| json!({"ID": r.id, "Name": r.name, "Mode": r.mode, "Replicas": r.replicas, "Image": r.image, "Ports": r.ports}))
        .collect();
    render(
        format,
        &["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"],
        &["ID", "Name", "Mode", "Replicas", "Image", "Ports"],
        &objects,
    )
}

pub fn tasks(rows: &[TaskRow], format: Option<&str>) -> Result<String, String> {
    let objects: Vec<Value> = rows
        .iter()
        .map(|r| json!({"ID": r.id, "Name": r.name, "Image": r.image, "Node": r.node, "DesiredState": r.desired_state, "CurrentState": r.current_state, "Error": r.error, "Ports": r.ports}))
        .collect();
    render(
        format,
        &[
            "ID",
            "NAME",
            "IMAGE",
            "NODE",
            "DESIRED STATE",
            "CURRENT STATE",
            "ERROR",
            "PORTS",
        ],
        &[
            "ID",
            "Name",
            "Image",
            "Node",
            "DesiredState",
            "CurrentState",
            "Error",
            "Ports",
        ],
        &objects,
    )
}

/// docker's `*:8080->80/tcp` for a service's published ports.
pub fn service_ports(ports: &[(String, Option<i64>, i64, String)]) -> String {
    ports
        .iter()
        .filter_map(|(_, published, target, proto)| {
            published.map(|p| format!("*:{p}->{target}/{proto}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_table_and_json() {
        let rows = [StackRow {
            name: "one".into(),
            services: 2,
        }];
        assert_eq!(
            stacks(&rows, None).unwrap(),
            "NAME      SERVICES\none       2\n"
        );
        assert_eq!(
            stacks(&rows, Some("json")).unwrap(),
            "{\"Name\":\"one\",\"Namespace\":\"\",\"Orchestrator\":\"Swarm\",\"Services\":\"2\"}\n"
        );
        assert_eq!(
            stacks(&rows, Some("{{.Name}} {{.Services}}")).unwrap(),
            "one 2\n"
        );
    }
}
