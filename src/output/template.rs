//! Go-style `--format` templates for `ps`, `stats` and `volumes` (`{{.Name}}`, `{{json .}}`, a `table` prefix with
//! headers): a small subset of Go's text/template, rendered over the JSON object of a row.

use serde_json::Value;

use super::table::{DOCKER_CLI, tabwrite_text};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// `{{.Field}}`
    Field(String),
    /// `{{json .}}` (None) or `{{json .Field}}`
    Json(Option<String>),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// `table …`: rendered as aligned columns under a header.
    pub table: bool,
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`; `table ` at the start selects the table layout; `\t` (backslash, t) and
    /// `\n` in the text stand for a tab and a newline, as the docker CLI reads them.
    pub fn parse(text: &str) -> Result<Template, String> {
        let (table, body) = match text.strip_prefix("table") {
            // The docker CLI trims spaces (only spaces) around what follows `table`.
            Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
                (true, rest.trim_matches(' '))
            }
            _ => (false, text),
        };
        let body = body.replace("\\t", "\t").replace("\\n", "\n");
        let mut parts = Vec::new();
        let mut rest = body.as_str();
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                return Err(format!("template: unclosed action in {text:?}"));
            };
            let action = after[..end]
                .trim_start_matches('-')
                .trim_end_matches('-')
                .trim();
            parts.push(parse_action(action)?);
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { table, parts })
    }

    /// The template applied to one object.
    pub fn render(&self, v: &Value) -> Result<String, String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Field(f) => out.push_str(&plain(field(v, f)?)),
                Part::Json(None) => out.push_str(&v.to_string()),
                Part::Json(Some(f)) => out.push_str(&field(v, f)?.to_string()),
            }
        }
        Ok(out)
    }

    /// The header line of a `table` template: every field replaced by its column title.
    pub fn header(&self) -> String {
        self.header_with(&[])
    }

    /// [`Template::header`] with the listing's own titles (`(field, title)`) tried first.
    fn header_with(&self, titles: &[(&str, &str)]) -> String {
        let title_of = |f: &str| {
            titles
                .iter()
                .find(|(k, _)| *k == f)
                .map_or_else(|| title(f), |(_, t)| t.to_string())
        };
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Field(f) | Part::Json(Some(f)) => title_of(f),
                Part::Json(None) => String::new(),
            })
            .collect()
    }

    /// Every object rendered: one line each, or for a table, tab-separated cells aligned
    /// under the header like the docker CLI's tabwriter.
    pub fn render_all(&self, values: &[Value]) -> Result<String, String> {
        self.render_all_with(values, &[])
    }

    /// [`Template::render_all`] for a listing whose column titles (`(field, title)`) differ
    /// from `ps`' (`stats`' `CPUPerc` is `CPU %`).
    pub fn render_all_with(
        &self,
        values: &[Value],
        titles: &[(&str, &str)],
    ) -> Result<String, String> {
        let lines = values
            .iter()
            .map(|v| self.render(v))
            .collect::<Result<Vec<_>, _>>()?;
        if !self.table {
            return Ok(lines.into_iter().map(|l| l + "\n").collect());
        }
        // As the docker CLI: the header line, then every rendered row, each followed by a
        // newline, through its tabwriter.
        let mut text = self.header_with(titles);
        text.push('\n');
        for l in lines {
            text.push_str(&l);
            text.push('\n');
        }
        Ok(tabwrite_text(&text, DOCKER_CLI))
    }
}

fn parse_action(action: &str) -> Result<Part, String> {
    if let Some(arg) = action.strip_prefix("json") {
        let arg = arg.trim();
        return match arg {
            "." => Ok(Part::Json(None)),
            _ => match arg.strip_prefix('.') {
                Some(f) if is_ident(f) => Ok(Part::Json(Some(f.to_string()))),
                _ => Err(format!("template: unsupported argument to json: {arg:?}")),
            },
        };
    }
    match action.strip_prefix('.') {
        Some(f) if is_ident(f) => Ok(Part::Field(f.to_string())),
        _ => Err(format!(
            "template: unsupported action {{{{{action}}}}}: rcompose supports {{{{.Field}}}} and {{{{json .}}}}"
        )),
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, String> {
    v.get(name).ok_or_else(|| {
        format!("template: can't evaluate field {name} in type formatter.ContainerContext")
    })
}

/// A value as Go's template prints it: strings bare, numbers as they are.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The column title docker uses for a field (`ID` → `CONTAINER ID`, `ExitCode` → `EXIT CODE`).
fn title(field: &str) -> String {
    match field {
        "ID" => "CONTAINER ID".into(),
        "RunningFor" => "CREATED".into(),
        "CreatedAt" => "CREATED AT".into(),
        "ExitCode" => "EXIT CODE".into(),
        "LocalVolumes" => "LOCAL VOLUMES".into(),
        other => {
            let mut out = String::new();
            for (i, c) in other.chars().enumerate() {
                if i > 0 && c.is_ascii_uppercase() {
                    out.push(' ');
                }
                out.push(c.to_ascii_uppercase());
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row() -> Value {
        json!({"Name": "p-web-1", "Service": "web", "State": "running", "ExitCode": 0, "ID": "abc"})
    }

    #[test]
    fn fields_and_text() {
        let t = Template::parse("{{.Name}} is {{ .State }} ({{.ExitCode}})").unwrap();
        assert!(!t.table);
        assert_eq!(t.render(&row()).unwrap(), "p-web-1 is running (0)");
        assert_eq!(
            t.render_all(&[row(), row()]).unwrap(),
            "p-web-1 is running (0)\np-web-1 is running (0)\n"
        );
    }

    #[test]
    fn json_of_everything_or_a_field() {
        let t = Template::parse("{{json .}}").unwrap();
        assert_eq!(t.render(&row()).unwrap(), row().to_string());
        let t = Template::parse("{{json .Name}}").unwrap();
        assert_eq!(t.render(&row()).unwrap(), "\"p-web-1\"");
    }

    #[test]
    fn table_has_aligned_headers() {
        let t = Template::parse("table {{.Name}}\\t{{.ID}}\\t{{.ExitCode}}").unwrap();
        assert!(t.table);
        assert_eq!(
            t.render_all(&[row()]).unwrap(),
            "NAME      CONTAINER ID   EXIT CODE\np-web-1   abc            0\n"
        );
        assert_eq!(
            t.render_all(&[]).unwrap(),
            "NAME      CONTAINER ID   EXIT CODE\n"
        );
    }

    #[test]
    fn a_listing_can_bring_its_own_titles() {
        let t = Template::parse("table {{.Name}}\\t{{.CPUPerc}}\\t{{.ID}}").unwrap();
        let v = json!({"Name": "p-web-1", "CPUPerc": "0.01%", "ID": "abc"});
        assert_eq!(
            t.render_all_with(&[v], &[("CPUPerc", "CPU %")]).unwrap(),
            "NAME      CPU %     CONTAINER ID\np-web-1   0.01%     abc\n"
        );
    }

    #[test]
    fn errors_for_unknown_fields_and_syntax() {
        let t = Template::parse("{{.Nope}}").unwrap();
        assert_eq!(
            t.render(&row()).unwrap_err(),
            "template: can't evaluate field Nope in type formatter.ContainerContext"
        );
        assert!(Template::parse("{{.Name").is_err());
        assert!(Template::parse("{{range .}}").is_err());
        // `tablex` is not the table prefix
        assert!(!Template::parse("tablex {{.Name}}").unwrap().table);
    }
}
