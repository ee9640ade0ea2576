//! The `rcompose` binary: parse the command line, run the command on a tokio runtime, render
//! any error once on stderr and exit with compose's status codes (1 for errors, 130 when
//! interrupted).

use std::process::ExitCode;

use rcompose::cli::parse::{self, Refusal};
use rcompose::cli::plugin;
use rcompose::model::LoadError;
use rcompose::output::diagnostic;

/// Counts SIGINT and SIGTERM into `commands::INTERRUPTS`.
async fn count_interrupts() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    loop {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        rcompose::commands::INTERRUPTS.send_modify(|n| *n += 1);
    }
}

/// Resolves at the first interrupt, unless the running command handles interrupts itself.
async fn first_unhandled_interrupt() {
    let mut rx = rcompose::commands::INTERRUPTS.subscribe();
    while rx.changed().await.is_ok() {
        if !rcompose::commands::HANDLES_INTERRUPTS.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
    }
    std::future::pending::<()>().await
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.get(1).map(String::as_str) == Some(plugin::METADATA_ARG) {
        println!("{}", plugin::metadata());
        return ExitCode::SUCCESS;
    }
    let program = plugin::program_name(&args);
    let cli = match parse::parse(&plugin::plugin_args(args), &program) {
        Ok(c) => c,
        Err(Refusal::Clap(e)) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
        Err(Refusal::Message(m)) => {
            eprintln!("{m}");
            return ExitCode::from(1);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        tokio::spawn(count_interrupts());
        tokio::select! {
            r = rcompose::commands::run(cli) => Some(r),
            _ = first_unhandled_interrupt() => None,
        }
    });
    match result {
        Some(Ok(code)) => ExitCode::from(code.clamp(0, 255) as u8),
        Some(Err(e)) => {
            let text = match e.downcast_ref::<LoadError>() {
                Some(le) => diagnostic::render(&le.message, le.location.as_ref()),
                None => format!("{e:#}"),
            };
            eprintln!("{text}");
            ExitCode::from(1)
        }
        None => ExitCode::from(130),
    }
}
