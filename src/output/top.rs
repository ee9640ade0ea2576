//! `top`'s one table for the whole project, as compose lays it out: SERVICE, #, then the
//! process columns in the order the engine's top API names them, CMD right-most.

use super::table::{COMPOSE_TOP, tabwrite_text};

/// The processes of one running container, as the engine's top API reports them.
#[derive(Debug, Clone, Copy)]
pub struct TopContainer<'a> {
    pub service: &'a str,
    /// Its container number (empty for a one-off).
    pub number: &'a str,
    pub titles: &'a [String],
    pub processes: &'a [Vec<String>],
}

/// The table of every process of `containers` (given sorted by container name): the union of
/// their column titles in first-seen order with CMD moved last, a cell a container's top does
/// not have shown as `-`; nothing at all when there is no process.
pub fn top_table(containers: &[TopContainer]) -> String {
    let mut header: Vec<&str> = vec!["SERVICE", "#"];
    for c in containers {
        if c.processes.is_empty() {
            continue;
        }
        for t in c.titles {
            if !header.contains(&t.as_str()) {
                header.push(t);
            }
        }
    }
    if let Some(i) = header.iter().position(|h| *h == "CMD") {
        let cmd = header.remove(i);
        header.push(cmd);
    }
    let mut text = String::new();
    for c in containers {
        for p in c.processes {
            let cells: Vec<&str> = header
                .iter()
                .map(|h| match *h {
                    "SERVICE" => c.service,
                    "#" => c.number,
                    h => c
                        .titles
                        .iter()
                        .position(|t| t == h)
                        .and_then(|i| p.get(i))
                        .map_or("-", String::as_str),
                })
                .collect();
            text.push_str(&cells.join("\t"));
            text.push('\n');
        }
    }
    if text.is_empty() {
        return text;
    }
    tabwrite_text(&(header.join("\t") + "\n" + &text), COMPOSE_TOP)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn one_table_cmd_last_missing_cells_dashed() {
        let t1 = strings(&["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]);
        let p1 = vec![strings(&[
            "root",
            "1234",
            "1212",
            "0",
            "10:00",
            "?",
            "00:00:00",
            "sleep 300",
        ])];
        let t2 = strings(&["UID", "CMD", "EXTRA"]);
        let p2 = vec![strings(&["1000", "httpd -f", "x"])];
        let oneoff: Vec<Vec<String>> = vec![strings(&["0", "sh"])];
        let t3 = strings(&["UID", "CMD"]);
        let out = top_table(&[
            TopContainer {
                service: "db",
                number: "1",
                titles: &t1,
                processes: &p1,
            },
            TopContainer {
                service: "web",
                number: "2",
                titles: &t2,
                processes: &p2,
            },
            TopContainer {
                service: "web",
                number: "",
                titles: &t3,
                processes: &oneoff,
            },
        ]);
        assert_eq!(
            out,
            concat!(
                "SERVICE  #   UID   PID   PPID  C   STIME  TTY  TIME      EXTRA  CMD\n",
                "db       1   root  1234  1212  0   10:00  ?    00:00:00  -      sleep 300\n",
                "web      2   1000  -     -     -   -      -    -         x      httpd -f\n",
                "web          0     -     -     -   -      -    -         -      sh\n",
            )
        );
        assert_eq!(top_table(&[]), "");
    }
}
