//! The live progress view on a terminal, drawn as compose's tty writer draws it: a header
//! `[+] <operation> <done>/<total>`, one line per resource (mark, id, status, details, elapsed
//! seconds on the right), redrawn in place every 100 ms and once more when it ends.
//!
//! Every line is written with its newline and fits the terminal: a line too long for it wraps
//! between words (a word wider than the line is cut short with `…`), so the terminal never wraps
//! a line mid-word, the view redraws exactly over itself, and what is left on the screen (or in
//! a captured log) when it ends is whole lines, the last one ending with a newline. Warnings
//! printed meanwhile go above the view ([`print_above`]), not into it.

use std::collections::HashMap;
use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::event::{Event, Status};

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TICK: Duration = Duration::from_millis(100);
/// Continuation lines start under the resource id.
const INDENT: &str = "   ";

/// One resource's line.
struct Item {
    id: String,
    status: Status,
    text: String,
    details: String,
    start: Instant,
    end: Option<Instant>,
}

/// What the view shows, and how many terminal lines its last drawing took.
#[derive(Default)]
struct View {
    title: String,
    items: Vec<Item>,
    index: HashMap<String, usize>,
    frame: usize,
    drawn: usize,
}

impl View {
    fn apply(&mut self, e: Event, now: Instant) {
        let id = format!("{} {}", e.kind, e.name);
        let i = *self.index.entry(id.clone()).or_insert_with(|| {
            self.items.push(Item {
                id,
                status: e.status,
                text: String::new(),
                details: String::new(),
                start: now,
                end: None,
            });
            self.items.len() - 1
        });
        let item = &mut self.items[i];
        item.status = e.status;
        item.text = e.text;
        item.details = e.details;
        item.end = match e.status {
            Status::Working => None,
            _ => item.end.or(Some(now)),
        };
    }

    /// The lines of the view for a terminal `columns` wide at `now`, each with its colours.
    fn lines(&self, columns: usize, now: Instant) -> Vec<String> {
        // Never the last column: a line that fills it leaves some terminals waiting to wrap.
        let width = columns.saturating_sub(1).max(10);
        let done = self
            .items
            .iter()
            .filter(|i| i.status == Status::Done)
            .count();
        let header = format!("[+] {} {done}/{}", self.title, self.items.len());
        let mut lines = wrap(&header, "", "", width);
        let id_width = self.items.iter().map(|i| i.id.chars().count()).max();
        let text_width = self.items.iter().map(|i| i.text.chars().count()).max();
        for item in &self.items {
            let mark = match item.status {
                Status::Working => SPINNER[self.frame % SPINNER.len()].to_string(),
                Status::Done => "\x1b[32m✔\x1b[0m".to_string(),
                Status::Warning => "\x1b[33m!\x1b[0m".to_string(),
                Status::Error => "\x1b[31m✘\x1b[0m".to_string(),
            };
            let elapsed = item
                .end
                .unwrap_or(now)
                .saturating_duration_since(item.start);
            let timer = format!("{:.1}s", elapsed.as_secs_f64());
            let widths = (id_width.unwrap_or(0), text_width.unwrap_or(0));
            let plain = item_lines(item, widths, &timer, width);
            lines.extend(paint(plain, &mark, &timer));
        }
        lines
    }
}

/// An item's lines without colour, the mark at the second character of the first line: one
/// line with the columns aligned and the timer on the right when it fits, else wrapped.
fn item_lines(
    item: &Item,
    (id_width, text_width): (usize, usize),
    timer: &str,
    width: usize,
) -> Vec<String> {
    let details = match item.details.is_empty() {
        true => String::new(),
        false => format!(" {}", item.details),
    };
    let aligned = format!(
        " * {:<id_width$} {:<text_width$}{details}",
        item.id, item.text
    );
    let plain = format!(" * {} {}{details}", item.id, item.text);
    for left in [aligned.as_str(), plain.trim_end()] {
        let used = left.chars().count() + 1 + timer.chars().count();
        if used <= width {
            return vec![format!("{left}{}{timer}", " ".repeat(width - used + 1))];
        }
    }
    let mut lines = wrap(
        &format!("{} {}{details}", item.id, item.text),
        " * ",
        INDENT,
        width,
    );
    if let Some(last) = lines.last_mut() {
        let used = last.chars().count() + 1 + timer.chars().count();
        if used <= width {
            last.push_str(&" ".repeat(width - used + 1));
            last.push_str(timer);
        }
    }
    lines
}

/// The mark in place of the `*` of the first line, the timer (when it ends the last) dimmed.
fn paint(mut lines: Vec<String>, mark: &str, timer: &str) -> Vec<String> {
    if let Some(first) = lines.first_mut() {
        *first = first.replacen('*', mark, 1);
    }
    if let Some(last) = lines.last_mut()
        && let Some(rest) = last.strip_suffix(timer)
    {
        *last = format!("{rest}\x1b[2m{timer}\x1b[0m");
    }
    lines
}

/// `text` in lines of at most `width` characters, broken between words: the first line
/// starts with `first`, the others with `rest`; a word wider than a line is cut short with `…`.
fn wrap(text: &str, first: &str, rest: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        let room = width.saturating_sub(line.chars().count()).max(1);
        match word.chars().count() > room {
            true => line.extend(word.chars().take(room - 1).chain(['…'])),
            false => line.push_str(word),
        }
        empty = false;
    }
    lines.push(line);
    lines
}

/// The bytes that draw `lines` over the `drawn` lines of the previous drawing (the cursor is
/// at the start of the line below them): each line cleared, written and ended with a newline,
/// anything below from a longer previous drawing cleared.
fn frame(drawn: usize, lines: &[String]) -> String {
    let mut out = String::from("\x1b[?25l");
    if drawn > 0 {
        out.push_str(&format!("\x1b[{drawn}A\r"));
    }
    for l in lines {
        out.push_str("\x1b[2K");
        out.push_str(l);
        out.push('\n');
    }
    out.push_str("\x1b[J\x1b[?25h");
    out
}

/// Draws the view on stderr; while live, at most the terminal's height less one line (the
/// last ones), so that the cursor can always get back to the first; the last drawing in full.
fn draw(view: &Mutex<View>, last: bool) {
    let mut v = view.lock().unwrap_or_else(|p| p.into_inner());
    if v.items.is_empty() {
        return;
    }
    let (rows, columns) = super::terminal::stderr_size().unwrap_or((24, 80));
    let mut lines = v.lines(columns.into(), Instant::now());
    let room = usize::from(rows).saturating_sub(1).max(1);
    if !last && lines.len() > room {
        lines.drain(..lines.len() - room);
    }
    let bytes = frame(v.drawn, &lines);
    v.drawn = lines.len();
    v.frame += 1;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(bytes.as_bytes());
    let _ = err.flush();
}

/// The view being drawn, for [`print_above`].
static ACTIVE: Mutex<Option<Arc<Mutex<View>>>> = Mutex::new(None);

/// Writes `text` (whole lines) on stderr; while a live view is drawn, in its place: the view
/// is wiped and drawn again below the text at its next tick.
pub fn print_above(text: &str) {
    let active = ACTIVE.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut out = String::new();
    let mut view = active
        .as_ref()
        .map(|v| v.lock().unwrap_or_else(|p| p.into_inner()));
    if let Some(v) = view.as_mut().filter(|v| v.drawn > 0) {
        out.push_str(&format!("\x1b[{}A\r\x1b[J", v.drawn));
        v.drawn = 0;
    }
    out.push_str(text);
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(out.as_bytes());
    let _ = err.flush();
}

/// A live view being drawn by its own thread until [`Live::finish`] (or drop).
pub struct Live {
    view: Arc<Mutex<View>>,
    stop: mpsc::Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl Live {
    pub fn start(title: &str) -> Live {
        let view = Arc::new(Mutex::new(View {
            title: title.to_string(),
            ..View::default()
        }));
        let (stop, stopped) = mpsc::channel::<()>();
        *ACTIVE.lock().unwrap_or_else(|p| p.into_inner()) = Some(view.clone());
        let drawn = view.clone();
        let thread = std::thread::spawn(move || {
            loop {
                let last = !matches!(stopped.recv_timeout(TICK), Err(RecvTimeoutError::Timeout));
                draw(&drawn, last);
                if last {
                    break;
                }
            }
        });
        Live {
            view,
            stop,
            thread: Some(thread),
        }
    }

    pub fn event(&self, e: Event) {
        let mut v = self.view.lock().unwrap_or_else(|p| p.into_inner());
        v.apply(e, Instant::now());
    }

    /// Draws the view a last time, in full, and returns once it is on the terminal.
    pub fn finish(mut self) {
        self.stop_drawing();
    }

    fn stop_drawing(&mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let mut active = ACTIVE.lock().unwrap_or_else(|p| p.into_inner());
        if active.as_ref().is_some_and(|v| Arc::ptr_eq(v, &self.view)) {
            *active = None;
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop_drawing();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    fn view(names: &[&str]) -> (View, Instant) {
        let t0 = Instant::now();
        let mut v = View {
            title: "up".into(),
            ..View::default()
        };
        v.apply(
            Event::new("Network", "p_default", Status::Done, "Created"),
            t0,
        );
        for n in names {
            v.apply(Event::new("Container", n, Status::Working, "Starting"), t0);
        }
        if let Some(n) = names.first() {
            let later = t0 + Duration::from_millis(1500);
            v.apply(Event::new("Container", n, Status::Done, "Started"), later);
        }
        (v, t0 + Duration::from_secs(2))
    }

    #[test]
    fn at_80_columns_each_resource_is_one_aligned_line_with_the_timer_on_the_right() {
        let (v, now) = view(&["p-web-1", "p-database-1"]);
        let lines: Vec<String> = v.lines(80, now).iter().map(|l| strip(l)).collect();
        assert_eq!(lines[0], "[+] up 2/3");
        assert_eq!(
            lines[1],
            format!(" ✔ Network p_default      Created {}0.0s", " ".repeat(41))
        );
        assert_eq!(lines[2].chars().count(), 79);
        assert!(lines[2].starts_with(" ✔ Container p-web-1      Started  "));
        assert!(lines[2].ends_with(" 1.5s"), "{:?}", lines[2]);
        assert!(lines[3].starts_with(" ⠋ Container p-database-1 Starting "));
        assert!(lines[3].ends_with(" 2.0s"));
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn below_80_columns_lines_fit_and_break_between_words_only() {
        let name = "people-a-service-with-a-long-name-1";
        let (mut v, now) = view(&[name, "people-web-1"]);
        v.apply(
            Event::new("Container", "people-web-1", Status::Error, "Error")
                .with_details("driver failed programming external connectivity"),
            now,
        );
        for columns in [20, 30, 40, 41, 60, 79] {
            let lines: Vec<String> = v.lines(columns, now).iter().map(|l| strip(l)).collect();
            for l in &lines {
                assert!(l.chars().count() < columns, "{columns}: {l:?} is too long");
            }
            let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
            for w in ["Container", "Started", "Error", "driver", "connectivity"] {
                assert!(words.contains(&w), "{columns}: {w} cut in {lines:#?}");
            }
            // A name wider than the line is cut short, never carried over to the next.
            assert!(
                words.contains(&name) || words.iter().any(|w| w.ends_with('…')),
                "{columns}: {lines:#?}"
            );
            assert!(!words.iter().any(|w| w.starts_with("name-1")));
        }
        // Where it fits, the name stays whole on a wrapped line.
        let lines: Vec<String> = v.lines(41, now).iter().map(|l| strip(l)).collect();
        assert!(lines.iter().any(|l| l.contains(name)), "{lines:#?}");
    }

    #[test]
    fn a_frame_redraws_over_the_last_and_every_line_ends_with_a_newline() {
        let lines = vec![
            "[+] up 0/1".to_string(),
            " ⠋ Container a Starting".to_string(),
        ];
        let first = frame(0, &lines);
        assert!(!first.contains("\x1b[0A") && !first.contains('\r'));
        let again = frame(2, &lines);
        assert!(again.starts_with("\x1b[?25l\x1b[2A\r"));
        assert_eq!(strip(&again), "\r[+] up 0/1\n ⠋ Container a Starting\n");
    }

    #[test]
    fn wrap_breaks_between_words_and_cuts_a_word_wider_than_a_line() {
        assert_eq!(
            wrap("Container p-web-1 Started", " * ", "   ", 20),
            vec![" * Container p-web-1", "   Started"]
        );
        assert_eq!(wrap("abcdefghijklmnop", ">", "", 8), vec![">abcdef…"]);
        assert_eq!(wrap("", "[+]", "", 8), vec!["[+]"]);
    }
}
