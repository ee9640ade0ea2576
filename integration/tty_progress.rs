//! Issue #16: progress in a terminal. rcompose runs with stderr on a pseudo-terminal of a set
//! size, as in a user's terminal; every line it draws ends with a newline and fits the width
//! (none left to the terminal to wrap, so none wraps mid-word), the last drawing ends with a
//! newline, and the engine state is what the command was for.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::Stdio;

use crate::harness::{BUSYBOX, TestProject};

/// A pseudo-terminal `columns` wide: (the side we read, the side rcompose writes to).
fn pty(rows: u16, columns: u16) -> (std::fs::File, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize {
        ws_row: rows,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty fills two descriptors we then own, from a winsize we own.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are not owned elsewhere.
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    }
}

/// Runs rcompose ARGS with stderr on a terminal `columns` wide and progress left on auto;
/// returns the exit status and everything written to the terminal.
fn on_terminal(p: &TestProject, args: &[&str], columns: u16) -> (i32, String) {
    let (mut master, slave) = pty(40, columns);
    let mut cmd = p.command(args);
    cmd.env_remove("COMPOSE_PROGRESS")
        .stdout(Stdio::null())
        .stderr(Stdio::from(slave));
    let mut child = cmd.spawn().expect("spawning rcompose");
    // Our copy of the terminal's other side goes, so reading ends when rcompose's does.
    drop(cmd);
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        // Linux answers EIO once no one holds the other side.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    });
    let status = child.wait().expect("waiting for rcompose");
    let out = reader.join().expect("reader");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out).into_owned(),
    )
}

/// The text of terminal output: escape sequences and carriage returns left out.
fn text(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Checks every line of every drawing against the width; returns the last drawing's lines.
#[track_caller]
fn drawn_lines(raw: &str, columns: usize) -> Vec<String> {
    let all = text(raw);
    assert!(all.ends_with('\n'), "the last line has no newline: {raw:?}");
    for line in all.lines() {
        assert!(
            line.chars().count() < columns,
            "{line:?} is wider than the terminal's {columns} columns less one"
        );
    }
    // The last drawing starts where the cursor was last moved up to redraw.
    let last = raw.rfind("\x1b[?25l").map_or(raw, |i| &raw[i..]);
    text(last).lines().map(str::to_string).collect()
}

fn project(test: &str) -> TestProject {
    TestProject::new(test).compose(&format!(
        "
        services:
          web:
            image: {BUSYBOX}
            command: sleep 600
            init: true
          db:
            image: {BUSYBOX}
            command: sleep 600
            init: true
        "
    ))
}

#[test]
fn progress_on_a_terminal_ends_every_line_and_fits_80_columns_one_line_per_resource() {
    let p = project("tty-progress-80");
    let (code, raw) = on_terminal(&p, &["up", "-d"], 80);
    assert_eq!(code, 0, "{raw}");
    let lines = drawn_lines(&raw, 80);
    assert_eq!(lines[0], "[+] up 3/3", "{lines:#?}");
    assert_eq!(lines.len(), 4, "{lines:#?}");
    for (kind, name) in [
        ("Network", format!("{}_default", p.name)),
        ("Container", format!("{}-web-1", p.name)),
        ("Container", format!("{}-db-1", p.name)),
    ] {
        let line = lines
            .iter()
            .find(|l| l.contains(&name))
            .unwrap_or_else(|| panic!("no line for {name}: {lines:#?}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[..3], ["✔", kind, name.as_str()], "{line:?}");
        assert!(words[4].ends_with('s'), "no elapsed time in {line:?}");
    }
    let running: Vec<String> = p
        .containers()
        .into_iter()
        .filter(|c| c.state == "running")
        .map(|c| c.service().to_string())
        .collect();
    assert_eq!(running.len(), 2, "{running:?}");

    let (code, raw) = on_terminal(&p, &["down"], 80);
    assert_eq!(code, 0, "{raw}");
    let lines = drawn_lines(&raw, 80);
    assert_eq!(lines[0], "[+] down 3/3", "{lines:#?}");
    assert!(p.containers().is_empty());
    assert!(p.networks().is_empty());
}

#[test]
fn progress_on_a_narrow_terminal_wraps_between_words() {
    let p = project("tty-40");
    let (code, raw) = on_terminal(&p, &["up", "-d"], 40);
    assert_eq!(code, 0, "{raw}");
    let lines = drawn_lines(&raw, 40);
    assert_eq!(lines[0], "[+] up 3/3", "{lines:#?}");
    assert!(
        lines.iter().any(|l| l.starts_with("   ")),
        "nothing wrapped at 40 columns: {lines:#?}"
    );
    // Each container's name (shorter than a line) stays whole on one line.
    let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
    for name in [format!("{}-web-1", p.name), format!("{}-db-1", p.name)] {
        assert!(words.contains(&name.as_str()), "{name} cut: {lines:#?}");
    }
    assert_eq!(words.iter().filter(|w| **w == "Started").count(), 2);
    assert_eq!(p.containers().len(), 2);
}
