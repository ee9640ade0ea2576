//! The local terminal for `exec` and `run` with a TTY: raw mode while attached (restored when
//! the guard is dropped), the window size to give the container's TTY, and our stdin read on a
//! plain thread (so a read blocked on a terminal never holds the process open at exit).

use std::io::{IsTerminal, Read};

use tokio::sync::mpsc;

/// Puts stdin's terminal in raw mode until dropped; does nothing when stdin is not a terminal.
pub struct RawMode {
    saved: Option<libc::termios>,
}

impl RawMode {
    pub fn enable() -> RawMode {
        if !std::io::stdin().is_terminal() {
            return RawMode { saved: None };
        }
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a termios we own.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return RawMode { saved: None };
            }
            let saved = t;
            // As the docker CLI does: the container's TTY does the line discipline.
            libc::cfmakeraw(&mut t);
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return RawMode { saved: None };
            }
            RawMode { saved: Some(saved) }
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            // SAFETY: restores the attributes read in `enable`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, t);
            }
        }
    }
}

/// The size of the terminal on stdout (or stdin): (rows, columns).
pub fn size() -> Option<(u16, u16)> {
    size_on(&[1, 0])
}

/// The size of the terminal on stderr, where progress is drawn (or stdout, stdin).
pub fn stderr_size() -> Option<(u16, u16)> {
    size_on(&[2, 1, 0])
}

fn size_on(fds: &[libc::c_int]) -> Option<(u16, u16)> {
    for &fd in fds {
        // SAFETY: TIOCGWINSZ fills a winsize we own.
        unsafe {
            let mut ws: libc::winsize = std::mem::zeroed();
            if libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 {
                return Some((ws.ws_row, ws.ws_col));
            }
        }
    }
    None
}

/// Reads our stdin on its own thread, chunk by chunk, until end of file or an error; the
/// channel closes then.
pub fn stdin_chunks() -> mpsc::UnboundedReceiver<Vec<u8>> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    });
    rx
}

/// Writes bytes of a container's output to our stdout or stderr, flushed at once.
pub fn write_raw(stderr: bool, bytes: &[u8]) {
    use std::io::Write;
    if stderr {
        let mut e = std::io::stderr().lock();
        let _ = e.write_all(bytes);
        let _ = e.flush();
    } else {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(bytes);
        let _ = o.flush();
    }
}
