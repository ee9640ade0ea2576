//! Tables on stdout, laid out byte for byte as docker and compose lay them out (Go's
//! tabwriter with each command's settings), so scripts and clients that cut columns keep
//! working; and the `ps` and `ls` rows.

/// One row of `ps`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PsRow {
    pub id: String,
    pub name: String,
    pub image: String,
    pub command: String,
    pub service: String,
    pub project: String,
    /// Unix seconds.
    pub created: i64,
    pub state: String,
    pub status: String,
    /// Published or exposed ports, docker style.
    pub ports: String,
    /// Every name of the container, without the leading `/` (the first is its own name).
    pub names: Vec<String>,
    pub labels: std::collections::BTreeMap<String, String>,
    /// Volume names (or host paths of binds) mounted in the container.
    pub mounts: Vec<String>,
    /// How many of the mounts use the `local` volume driver.
    pub local_volumes: usize,
    /// Networks the container is attached to, sorted.
    pub networks: Vec<String>,
    /// `starting`, `healthy` or `unhealthy` for a running container with a healthcheck.
    pub health: String,
    /// Exit code of an exited or dead container, 0 otherwise.
    pub exit_code: i64,
    /// Every published or exposed port.
    pub publishers: Vec<PortShown>,
}

/// How one of Go's `text/tabwriter` writers is set up:
/// `tabwriter.NewWriter(w, minwidth, 1, padding, ' ', 0)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoTabwriter {
    /// Minimum cell width, padding included.
    pub minwidth: usize,
    /// Spaces added to the widest cell of a column.
    pub padding: usize,
}

/// The docker CLI's formatter (`cli/command/formatter`): `ps`, `stats`, `volumes` and every
/// `--format 'table …'` template.
pub const DOCKER_CLI: GoTabwriter = GoTabwriter {
    minwidth: 10,
    padding: 3,
};

/// Compose's own `formatter.Print` (`cmd/formatter/pretty.go`): `ls`, `images`,
/// `config --variables`.
pub const COMPOSE_PRETTY: GoTabwriter = GoTabwriter {
    minwidth: 20,
    padding: 3,
};

/// Compose's `top` (`cmd/compose/top.go`).
pub const COMPOSE_TOP: GoTabwriter = GoTabwriter {
    minwidth: 4,
    padding: 2,
};

/// `text` (tab-terminated cells, newline-terminated lines) laid out as Go's tabwriter lays it
/// out: a column is a run of contiguous lines that have a tab-terminated cell in it, each of
/// its cells padded to the widest plus `padding` (at least `minwidth`); the text after a
/// line's last tab is no column's and is written as it is. So a row whose last cell is empty
/// ends with the padding of the cell before it, exactly as docker prints it.
pub fn tabwrite_text(text: &str, w: GoTabwriter) -> String {
    use std::io::Write;
    // The crate's width is max(minwidth, widest) + padding; Go's max(minwidth, widest +
    // padding).
    let mut tw = tabwriter::TabWriter::new(Vec::new())
        .minwidth(w.minwidth.saturating_sub(w.padding))
        .padding(w.padding);
    // Writing to and flushing into a Vec cannot fail.
    let _ = tw.write_all(text.as_bytes());
    let _ = tw.flush();
    String::from_utf8_lossy(&tw.into_inner().unwrap_or_default()).into_owned()
}

/// `header` and `rows` written as Go code writes them into a tabwriter
/// (`fmt.Fprintf(w, "%s\t%s\n", …)`: cells joined by tabs, the last one not tab-terminated),
/// then laid out by [`tabwrite_text`].
pub fn tab_table<S: AsRef<str>>(w: GoTabwriter, header: &[&str], rows: &[Vec<S>]) -> String {
    let mut text = header.join("\t");
    text.push('\n');
    for r in rows {
        let cells: Vec<&str> = r.iter().map(AsRef::as_ref).collect();
        text.push_str(&cells.join("\t"));
        text.push('\n');
    }
    tabwrite_text(&text, w)
}

/// [`tab_table`] with the docker CLI's settings.
pub fn tabwrite<S: AsRef<str>>(header: &[&str], rows: &[Vec<S>]) -> String {
    tab_table(DOCKER_CLI, header, rows)
}

/// The `ps` table: NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS, sorted by name.
pub fn ps_table(rows: &[PsRow], now: i64, truncate: bool) -> String {
    let mut rows: Vec<&PsRow> = rows.iter().collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.image.clone(),
                quote_command(&r.command, truncate),
                r.service.clone(),
                format!("{} ago", human_duration(now - r.created)),
                r.status.clone(),
                r.ports.clone(),
            ]
        })
        .collect();
    tabwrite(
        &[
            "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS",
        ],
        &cells,
    )
}

/// One line of `ps --format json`: the object docker compose prints per container, with every
/// key of its container formatter in Go's (sorted) order. `zone` is the local zone at creation
/// time (offset in seconds east of UTC, abbreviation), for `CreatedAt`.
pub fn ps_json(r: &PsRow, truncate: bool, now: i64, zone: (i64, &str)) -> String {
    let ellipsis = |s: &str, max: usize| -> String {
        if truncate && s.chars().count() > max {
            s.chars().take(max - 1).collect::<String>() + "…"
        } else {
            s.to_string()
        }
    };
    let id: String = if truncate {
        r.id.chars().take(12).collect()
    } else {
        r.id.clone()
    };
    let names = if truncate {
        r.names
            .iter()
            .find(|n| !n.contains('/'))
            .cloned()
            .unwrap_or_else(|| r.names.join(","))
    } else {
        r.names.join(",")
    };
    let mut publishers = r.publishers.clone();
    publishers.sort_by_key(|p| p.private);
    let publishers: Vec<serde_json::Value> = publishers
        .iter()
        .map(|p| {
            serde_json::json!({
                "URL": p.ip.clone().unwrap_or_default(),
                "TargetPort": p.private,
                "PublishedPort": p.public.unwrap_or(0),
                "Protocol": p.protocol,
            })
        })
        .collect();
    let labels: Vec<String> = r.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mounts: Vec<String> = r.mounts.iter().map(|m| ellipsis(m, 15)).collect();
    let obj = serde_json::json!({
        "Command": quote_command(&r.command, truncate),
        "CreatedAt": super::time::go_time_string(r.created, zone.0, zone.1),
        "Engine": r.labels.get("com.docker.compose.engine").cloned().unwrap_or_default(),
        "ExitCode": r.exit_code,
        "Health": r.health,
        "ID": id,
        "Image": r.image,
        "Labels": labels.join(","),
        "LocalVolumes": r.local_volumes.to_string(),
        "Mounts": mounts.join(","),
        "Name": r.name,
        "Names": names,
        "Networks": r.networks.join(","),
        "Ports": r.ports,
        "Project": r.project,
        "Publishers": publishers,
        "RunningFor": format!("{} ago", human_duration(now - r.created)),
        "Service": r.service,
        "Size": "0B",
        "State": r.state,
        "Status": r.status,
    });
    obj.to_string()
}

/// One compose project on the engine, as `ls` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectRow {
    pub name: String,
    /// `running(2)`, `exited(1), running(1)`.
    pub status: String,
    /// Comma-joined compose files of its containers.
    pub config_files: String,
}

/// Groups containers' (project, state, config files label) into `ls` rows, sorted by name:
/// states counted and sorted (`exited(1), running(2)`), config files in first-seen order
/// without duplicates.
pub fn project_rows<'a>(
    containers: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> Vec<ProjectRow> {
    /// Per project: (state, count) and config files.
    type Seen<'s> = (Vec<(&'s str, usize)>, Vec<&'s str>);
    let mut by_project: std::collections::BTreeMap<&str, Seen<'a>> =
        std::collections::BTreeMap::new();
    for (project, state, files) in containers {
        let (states, all_files) = by_project.entry(project).or_default();
        match states.iter_mut().find(|(s, _)| *s == state) {
            Some((_, n)) => *n += 1,
            None => states.push((state, 1)),
        }
        for f in files.split(',') {
            if !all_files.contains(&f) {
                all_files.push(f);
            }
        }
    }
    by_project
        .into_iter()
        .map(|(name, (mut states, files))| {
            states.sort();
            ProjectRow {
                name: name.to_string(),
                status: states
                    .iter()
                    .map(|(s, n)| format!("{s}({n})"))
                    .collect::<Vec<_>>()
                    .join(", "),
                config_files: files.join(","),
            }
        })
        .collect()
}

/// The `ls` table: NAME STATUS CONFIG FILES, laid out with compose's tabwriter (minimum cell
/// width 20).
pub fn ls_table(rows: &[ProjectRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| vec![r.name.clone(), r.status.clone(), r.config_files.clone()])
        .collect();
    tab_table(COMPOSE_PRETTY, &["NAME", "STATUS", "CONFIG FILES"], &cells)
}

/// `ls --format json`: one line holding a JSON array.
pub fn ls_json(rows: &[ProjectRow]) -> String {
    serde_json::to_string(rows).unwrap_or_else(|_| "[]".into())
}

/// The COMMAND cell: truncated to 20 characters with `…`, then Go-quoted.
pub fn quote_command(command: &str, truncate: bool) -> String {
    let chars: Vec<char> = command.chars().collect();
    let shown: String = if truncate && chars.len() > 20 {
        chars[..19].iter().collect::<String>() + "…"
    } else {
        command.to_string()
    };
    let mut q = String::from("\"");
    for c in shown.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// Docker's human duration (`4 seconds`, `About a minute`, `3 hours`).
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if s < 1 {
        "Less than a second".into()
    } else if s < 60 {
        plural(s, "second")
    } else if s / 60 == 1 {
        "About a minute".into()
    } else if s < 3600 {
        plural(s / 60, "minute")
    } else {
        // go-units rounds to the nearest hour from here on.
        let hours = (s + 1800) / 3600;
        if hours == 1 {
            "About an hour".into()
        } else if hours < 48 {
            plural(hours, "hour")
        } else if hours < 24 * 14 {
            plural(hours / 24, "day")
        } else if hours < 24 * 60 {
            plural(hours / 24 / 7, "week")
        } else if hours < 24 * 365 * 2 {
            plural(hours / 24 / 30, "month")
        } else {
            plural(s / 3600 / 24 / 365, "year")
        }
    }
}

/// One published or exposed port as `ps` shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PortShown {
    pub private: u16,
    pub protocol: String,
    pub ip: Option<String>,
    pub public: Option<u16>,
}

/// Docker-style port list: `127.0.0.1:8001->8000/tcp, [::]:8080->80/tcp, 443/tcp`.
pub fn ports_display(ports: &[PortShown]) -> String {
    let mut ports = ports.to_vec();
    ports.sort_by(|a, b| {
        (a.public.is_none(), a.private, &a.protocol, &a.ip).cmp(&(
            b.public.is_none(),
            b.private,
            &b.protocol,
            &b.ip,
        ))
    });
    let mut out: Vec<String> = Vec::new();
    for p in ports {
        let s = match (p.public, p.ip.as_deref()) {
            (Some(public), Some(ip)) if ip.contains(':') => {
                format!("[{ip}]:{public}->{}/{}", p.private, p.protocol)
            }
            (Some(public), Some(ip)) => format!("{ip}:{public}->{}/{}", p.private, p.protocol),
            (Some(public), None) => format!("{public}->{}/{}", p.private, p.protocol),
            (None, _) => format!("{}/{}", p.private, p.protocol),
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabwriter_layout() {
        let t = tabwrite(
            &["NAME", "X"],
            &[vec!["a-very-long-name".to_string(), "1".into()]],
        );
        assert_eq!(t, "NAME               X\na-very-long-name   1\n");
        let none: &[Vec<String>] = &[];
        assert_eq!(tabwrite(&["NAME", "X"], none), "NAME      X\n");
        // An empty cell before the last is padded like any other; an empty last cell leaves
        // the padding of the cell before it in place.
        assert_eq!(
            tabwrite_text("A\tB\tC\nxx\t\t\n", DOCKER_CLI),
            "A         B         C\nxx                  \n"
        );
        // A line of one cell ends every column: the lines after it are aligned anew.
        assert_eq!(
            tabwrite_text("A\tB\nlong-name-here\tx\nbreak\nC\tD\n", DOCKER_CLI),
            "A                B\nlong-name-here   x\nbreak\nC         D\n"
        );
        // A column runs only over contiguous lines having it.
        assert_eq!(
            tabwrite_text("a\tb\tc\naaaaaaaaaaaa\tb\nx\n", DOCKER_CLI),
            "a              b         c\naaaaaaaaaaaa   b\nx\n"
        );
        // Wide characters count twice, as the docker CLI's tabwriter counts them.
        assert_eq!(
            tabwrite_text("名前名前名前\tX\na\tb\n", DOCKER_CLI),
            "名前名前名前   X\na              b\n"
        );
        assert_eq!(
            tab_table(
                COMPOSE_TOP,
                &["SERVICE", "#", "C"],
                &[vec!["web", "1", "x"]]
            ),
            "SERVICE  #   C\nweb      1   x\n"
        );
    }

    /// `ps` exactly as docker compose prints it, trailing spaces included: the node wrapper
    /// splits rows on runs of spaces and needs the empty PORTS cell's padding.
    #[test]
    fn ps_table_golden() {
        let mut db = row();
        db.name = "p-db-1".into();
        db.image = "rcompose-test/busybox:latest".into();
        db.command = "sleep 300".into();
        db.service = "db".into();
        db.ports = String::new();
        let mut web = row();
        web.status = "Up 2 minutes (healthy)".into();
        let mut worker = row();
        worker.name = "p-worker-1".into();
        worker.command = "true".into();
        worker.service = "worker".into();
        worker.status = "Exited (0) 1 second ago".into();
        worker.ports = String::new();
        let now = row().created + 120;
        assert_eq!(
            ps_table(&[worker, web, db.clone()], now, true),
            concat!(
                "NAME         IMAGE                          COMMAND                  SERVICE   CREATED         STATUS                    PORTS\n",
                "p-db-1       rcompose-test/busybox:latest   \"sleep 300\"              db        2 minutes ago   Up 2 minutes              \n",
                "p-web-1      busybox                        \"httpd -f -p 80 -h /…\"   web       2 minutes ago   Up 2 minutes (healthy)    127.0.0.1:8080->80/tcp\n",
                "p-worker-1   busybox                        \"true\"                   worker    2 minutes ago   Exited (0) 1 second ago   \n",
            )
        );
        assert_eq!(
            ps_table(&[db], now, true),
            concat!(
                "NAME      IMAGE                          COMMAND       SERVICE   CREATED         STATUS         PORTS\n",
                "p-db-1    rcompose-test/busybox:latest   \"sleep 300\"   db        2 minutes ago   Up 2 minutes   \n",
            )
        );
        assert_eq!(
            ps_table(&[], now, true),
            "NAME      IMAGE     COMMAND   SERVICE   CREATED   STATUS    PORTS\n"
        );
    }

    #[test]
    fn command_and_durations() {
        assert_eq!(quote_command("sleep 300", true), "\"sleep 300\"");
        assert_eq!(
            quote_command("docker-entrypoint.sh postgres", true),
            "\"docker-entrypoint.s…\""
        );
        assert_eq!(human_duration(4), "4 seconds");
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(70), "About a minute");
        assert_eq!(human_duration(7200), "2 hours");
        // As go-units: hours rounded, weeks below 60 days.
        assert_eq!(human_duration(5400), "2 hours");
        assert_eq!(human_duration(3599), "59 minutes");
        assert_eq!(human_duration(3600 + 1799), "About an hour");
        assert_eq!(human_duration(70 * 86400), "2 months");
        assert_eq!(human_duration(59 * 86400), "8 weeks");
        assert_eq!(human_duration(3 * 365 * 86400), "3 years");
    }

    #[test]
    fn ports() {
        let p = |private, ip: Option<&str>, public| PortShown {
            private,
            protocol: "tcp".into(),
            ip: ip.map(str::to_string),
            public,
        };
        assert_eq!(
            ports_display(&[
                p(80, None, None),
                p(8000, Some("127.0.0.1"), Some(8001)),
                p(80, Some("::"), Some(8080))
            ]),
            "[::]:8080->80/tcp, 127.0.0.1:8001->8000/tcp, 80/tcp"
        );
    }

    fn row() -> PsRow {
        PsRow {
            id: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
            name: "p-web-1".into(),
            image: "busybox".into(),
            command: "httpd -f -p 80 -h /www/cgi".into(),
            service: "web".into(),
            project: "p".into(),
            created: 1_704_207_845,
            state: "running".into(),
            status: "Up 2 minutes".into(),
            ports: "127.0.0.1:8080->80/tcp".into(),
            names: vec!["p-web-1".into()],
            labels: [
                ("com.docker.compose.service".to_string(), "web".to_string()),
                ("com.docker.compose.project".to_string(), "p".to_string()),
            ]
            .into_iter()
            .collect(),
            mounts: vec!["a-rather-long-volume-name".into(), "/srv".into()],
            local_volumes: 1,
            networks: vec!["p_back".into(), "p_default".into()],
            health: "healthy".into(),
            exit_code: 0,
            publishers: vec![
                PortShown {
                    private: 443,
                    protocol: "tcp".into(),
                    ip: None,
                    public: None,
                },
                PortShown {
                    private: 80,
                    protocol: "tcp".into(),
                    ip: Some("127.0.0.1".into()),
                    public: Some(8080),
                },
            ],
        }
    }

    #[test]
    fn ps_json_golden() {
        let line = ps_json(&row(), true, 1_704_207_845 + 150, (0, "UTC"));
        assert_eq!(
            line,
            concat!(
                r#"{"Command":"\"httpd -f -p 80 -h /…\"","CreatedAt":"2024-01-02 15:04:05 +0000 UTC","#,
                r#""Engine":"","ExitCode":0,"Health":"healthy","ID":"0123456789ab","Image":"busybox","#,
                r#""Labels":"com.docker.compose.project=p,com.docker.compose.service=web","#,
                r#""LocalVolumes":"1","Mounts":"a-rather-long-…,/srv","Name":"p-web-1","Names":"p-web-1","#,
                r#""Networks":"p_back,p_default","Ports":"127.0.0.1:8080->80/tcp","Project":"p","#,
                r#""Publishers":[{"URL":"127.0.0.1","TargetPort":80,"PublishedPort":8080,"Protocol":"tcp"},"#,
                r#"{"URL":"","TargetPort":443,"PublishedPort":0,"Protocol":"tcp"}],"#,
                r#""RunningFor":"2 minutes ago","Service":"web","Size":"0B","State":"running","Status":"Up 2 minutes"}"#
            )
        );
        let full = ps_json(&row(), false, 1_704_207_845, (3600, "CET"));
        let v: serde_json::Value = serde_json::from_str(&full).unwrap();
        assert_eq!(v["ID"].as_str().unwrap().len(), 64);
        assert_eq!(v["Mounts"], "a-rather-long-volume-name,/srv");
        assert_eq!(v["CreatedAt"], "2024-01-02 16:04:05 +0100 CET");
        assert_eq!(v["Command"], "\"httpd -f -p 80 -h /www/cgi\"");
    }

    #[test]
    fn ls_rows_table_and_json() {
        let rows = project_rows([
            ("web", "running", "/a/compose.yaml"),
            ("db", "exited", "/b/compose.yaml,/b/override.yaml"),
            ("web", "running", "/a/compose.yaml"),
            ("db", "running", "/b/compose.yaml"),
        ]);
        assert_eq!(
            rows,
            vec![
                ProjectRow {
                    name: "db".into(),
                    status: "exited(1), running(1)".into(),
                    config_files: "/b/compose.yaml,/b/override.yaml".into(),
                },
                ProjectRow {
                    name: "web".into(),
                    status: "running(2)".into(),
                    config_files: "/a/compose.yaml".into(),
                },
            ]
        );
        assert_eq!(
            ls_table(&rows),
            concat!(
                "NAME                STATUS                  CONFIG FILES\n",
                "db                  exited(1), running(1)   /b/compose.yaml,/b/override.yaml\n",
                "web                 running(2)              /a/compose.yaml\n",
            )
        );
        assert_eq!(
            ls_json(&rows[1..]),
            r#"[{"Name":"web","Status":"running(2)","ConfigFiles":"/a/compose.yaml"}]"#
        );
        assert_eq!(ls_json(&[]), "[]");
        assert_eq!(
            ls_table(&[]),
            "NAME                STATUS              CONFIG FILES\n"
        );
    }
}
