//! How a command line becomes a [`Cli`]: clap, with the leniencies of compose's flag parser
//! (pflag) on top, and the flag errors a compose user needs. A repeated flag's last value wins
//! (list flags accumulate), every boolean flag takes `--flag=VALUE` with the values Go's
//! `strconv.ParseBool` takes (`--flag VALUE` stays two words), a project flag typed after the
//! sub-command is answered with the command line it belongs in, and an unknown flag with the
//! nearest real one.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command, CommandFactory, FromArgMatches};

use super::Cli;

/// The values `--flag=VALUE` takes for a boolean flag, as Go's `strconv.ParseBool` reads them.
pub fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing {value:?}: invalid syntax"
        )),
    }
}

/// The command rcompose parses with: the derived one, each boolean flag of every command
/// taking an optional `=VALUE` (a bare `--flag` and `-d` still mean true).
pub fn command() -> Command {
    lenient(Cli::command())
}

fn lenient(cmd: Command) -> Command {
    cmd.mut_args(|a| if is_bool(&a) { takes_bool(a) } else { a })
        .mut_subcommands(lenient)
}

/// True for a flag whose value is a boolean: a plain switch, or one already taking `=BOOL`.
fn is_bool(a: &Arg) -> bool {
    !a.is_positional()
        && (matches!(a.get_action(), ArgAction::SetTrue)
            || (matches!(a.get_action(), ArgAction::Set)
                && a.get_value_parser().type_id() == std::any::TypeId::of::<bool>()))
}

fn takes_bool(a: Arg) -> Arg {
    let switch = matches!(a.get_action(), ArgAction::SetTrue);
    let a = a
        .action(ArgAction::Set)
        .value_parser(parse_bool)
        .value_name("BOOL")
        .num_args(0..=1)
        .require_equals(true)
        .default_missing_value("true");
    if switch { a.default_value("false") } else { a }
}

/// Why the command line was not run: clap's own answer (help, version, or an error clap
/// words well), or one of ours.
#[derive(Debug)]
pub enum Refusal {
    Clap(clap::Error),
    /// A flag error in compose's words, for stderr with exit status 1.
    Message(String),
}

/// Parses `args` (the program first, as in `std::env::args`); `program` is how the user
/// invoked us (`rcompose`, `docker compose`), for the command lines errors suggest.
pub fn parse(args: &[String], program: &str) -> Result<Cli, Refusal> {
    let err = match command().try_get_matches_from(args) {
        Ok(mut m) => return Cli::from_arg_matches_mut(&mut m).map_err(Refusal::Clap),
        Err(e) => e,
    };
    let context = |kind| match err.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    Err(match err.kind() {
        // Help as the derived command renders it: `-d, --detach`, not `--detach[=<BOOL>]`.
        ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            match Cli::command().try_get_matches_from(args) {
                Err(plain) if plain.kind() == err.kind() => Refusal::Clap(plain),
                _ => Refusal::Clap(err),
            }
        }
        ErrorKind::UnknownArgument => match context(ContextKind::InvalidArg) {
            Some(flag) if flag.starts_with('-') => Refusal::Message(unknown_flag(
                &flag,
                context(ContextKind::SuggestedArg),
                args.get(1..).unwrap_or_default(),
                program,
            )),
            _ => Refusal::Clap(err),
        },
        ErrorKind::InvalidSubcommand => match context(ContextKind::InvalidSubcommand) {
            // compose's root command answers a word it does not know (after printing its help on
            // stdout, which rcompose leaves out: an error prints nothing there); nested ones are
            // clap's.
            Some(name) if first_word(args.get(1..).unwrap_or_default()) == Some(&name) => {
                let nearest = match err.get(ContextKind::SuggestedSubcommand) {
                    Some(ContextValue::Strings(s)) => s.first().cloned(),
                    Some(ContextValue::String(s)) => Some(s.clone()),
                    _ => None,
                };
                let hint = nearest
                    .map(|n| format!(" (did you mean '{n}'?)"))
                    .unwrap_or_default();
                Refusal::Message(format!(
                    "unknown docker command: \"compose {name}\"{hint}\nSee '{program} --help'."
                ))
            }
            _ => Refusal::Clap(err),
        },
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            match bad_bool(
                context(ContextKind::InvalidArg),
                context(ContextKind::InvalidValue),
            ) {
                Some(m) => Refusal::Message(m),
                None => Refusal::Clap(err),
            }
        }
        _ => Refusal::Clap(err),
    })
}

/// The first word of `tokens` that is neither a flag nor a flag's value: the sub-command.
fn first_word(tokens: &[String]) -> Option<&String> {
    let mut root = command();
    root.build();
    let mut i = 0;
    while i < tokens.len() {
        if !is_flag(&tokens[i]) {
            return Some(&tokens[i]);
        }
        split_flag(tokens, &mut i, (&root, Owner::Root), (&root, Owner::Root));
    }
    None
}

/// compose's text for a boolean flag given a value ParseBool refuses.
fn bad_bool(flag: Option<String>, value: Option<String>) -> Option<String> {
    let (flag, value) = (flag?, value?);
    if !flag.ends_with("[=<BOOL>]") {
        return None;
    }
    let long = flag.trim_end_matches("[=<BOOL>]").trim_start_matches('-');
    let mut cmd = command();
    cmd.build();
    let arg = all_commands(&cmd)
        .flat_map(|c| c.get_arguments())
        .find(|a| a.get_long() == Some(long))?;
    let names = match arg.get_short() {
        Some(s) => format!("-{s}, --{long}"),
        None => format!("--{long}"),
    };
    let reason = parse_bool(&value).err()?;
    Some(format!(
        "invalid argument {value:?} for {names:?} flag: {reason}"
    ))
}

fn all_commands(cmd: &Command) -> Box<dyn Iterator<Item = &Command> + '_> {
    Box::new(std::iter::once(cmd).chain(cmd.get_subcommands().flat_map(all_commands)))
}

/// The text for an unknown flag `flag` (as clap reports it: `--name` or `-c`): compose's line,
/// then where the flag belongs when it is the other side's (a project flag typed after the
/// sub-command, a sub-command's flag before it) with the user's command line rewritten, or
/// else the nearest flag clap found.
fn unknown_flag(flag: &str, nearest: Option<String>, tokens: &[String], program: &str) -> String {
    let mut root = command();
    root.build();
    let line = Line::read(&root, tokens);
    let inner = line.command(&root);
    let first = match flag.strip_prefix("--") {
        Some(_) => format!("unknown flag: {flag}"),
        None => {
            let c = flag.chars().nth(1).unwrap_or('-');
            format!("unknown shorthand flag: '{c}' in {flag}")
        }
    };
    let typed_at_root = line.path.is_empty()
        || line
            .before
            .iter()
            .any(|p| p.words.first().is_some_and(|w| same_flag(w, flag)));
    let see = match typed_at_root {
        true => format!("See '{program} --help'."),
        false => format!("See '{program} {} --help'.", line.path.join(" ")),
    };
    let known = |c: &Command| lookup(c, flag).is_some_and(|a| !a.is_hide_set());
    let hint = match typed_at_root {
        _ if line.path.is_empty() => None,
        true if known(inner) => Some(format!(
            "flags of '{}' such as {flag} go after it: {}",
            line.path.join(" "),
            line.rewritten(program)
        )),
        false if known(&root) => Some(format!(
            "project flags such as {flag} go before the sub-command: {}",
            line.rewritten(program)
        )),
        _ => None,
    };
    match (hint, nearest) {
        (Some(h), _) => format!("{first}\n{h}\n{see}"),
        (None, Some(n)) => format!("{first} (did you mean '{n}'?)\n{see}"),
        (None, None) => format!("{first}\n{see}"),
    }
}

/// Whether the word `word` (`--name`, `--name=VALUE`, `-c`, `-cVALUE`) is the flag `flag`.
fn same_flag(word: &str, flag: &str) -> bool {
    match flag.starts_with("--") {
        true => word.split_once('=').map_or(word, |(n, _)| n) == flag,
        false => word.starts_with(flag),
    }
}

/// The argument a flag names (`--name`, `--name=VALUE`, `-c`) in `cmd`.
fn lookup<'a>(cmd: &'a Command, flag: &str) -> Option<&'a Arg> {
    if let Some(long) = flag.strip_prefix("--") {
        let name = long.split_once('=').map_or(long, |(n, _)| n);
        return cmd.get_arguments().find(|a| {
            a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name))
        });
    }
    let c = flag.strip_prefix('-')?.chars().next()?;
    short(cmd, c)
}

fn short(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| {
        a.get_short() == Some(c) || a.get_all_short_aliases().is_some_and(|al| al.contains(&c))
    })
}

/// Whether `a` takes the next word as its value when none is attached.
fn needs_value(a: &Arg) -> bool {
    a.get_num_args().is_some_and(|n| n.min_values() > 0) && !a.is_require_equals_set()
}

/// Which part of the line a flag belongs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Root,
    Sub,
    /// Neither knows it: it stays where it was typed.
    Unknown,
}

/// One word or one flag (with the value it takes) of the command line.
#[derive(Debug, Clone)]
struct Piece {
    words: Vec<String>,
    owner: Owner,
}

/// A command line cut at its sub-command: what was typed before it, the sub-command names,
/// and what was typed after them, flag by flag.
#[derive(Debug, Default)]
struct Line {
    before: Vec<Piece>,
    path: Vec<String>,
    after: Vec<Piece>,
}

impl Line {
    fn read(root: &Command, tokens: &[String]) -> Line {
        // First the sub-command path, so that each flag is judged by the command it follows.
        let mut line = Line::default();
        let mut inner = root;
        let mut names = Vec::new();
        let mut i = 0;
        while i < tokens.len() && tokens[i] != "--" {
            let t = &tokens[i];
            if is_flag(t) {
                let mut j = i;
                split_flag(tokens, &mut j, (inner, Owner::Sub), (root, Owner::Root));
                i = j;
                continue;
            }
            match inner.find_subcommand(t) {
                Some(sub) => {
                    line.path.push(t.clone());
                    names.push(i);
                    inner = sub;
                }
                // A positional: for exec and run the rest is the container's command.
                None if trailing(inner) => break,
                None => {}
            }
            i += 1;
        }
        let first = names.first().copied().unwrap_or(tokens.len());
        let mut i = 0;
        while i < tokens.len() {
            let t = &tokens[i];
            let side = if i < first {
                &mut line.before
            } else {
                &mut line.after
            };
            if names.contains(&i) {
                i += 1;
            } else if is_flag(t) {
                let order = if i < first {
                    [(root, Owner::Root), (inner, Owner::Sub)]
                } else {
                    [(inner, Owner::Sub), (root, Owner::Root)]
                };
                side.extend(split_flag(tokens, &mut i, order[0], order[1]));
            } else {
                let stop = t == "--" || (i > first && trailing(inner));
                let end = if stop { tokens.len() } else { i + 1 };
                side.extend(tokens[i..end].iter().map(|w| Piece {
                    words: vec![w.clone()],
                    owner: Owner::Unknown,
                }));
                i = end;
            }
        }
        line
    }

    /// The innermost sub-command of the line.
    fn command<'a>(&self, root: &'a Command) -> &'a Command {
        self.path
            .iter()
            .fold(root, |c, name| c.find_subcommand(name).unwrap_or(c))
    }

    /// The line with each flag where it belongs: project flags before the sub-command, the
    /// sub-command's after it.
    fn rewritten(&self, program: &str) -> String {
        let root = |p: &&Piece| p.owner == Owner::Root;
        let sub = |p: &&Piece| p.owner == Owner::Sub;
        let words: Vec<&String> = (self.before.iter().filter(|p| !sub(p)))
            .chain(self.after.iter().filter(root))
            .flat_map(|p| p.words.iter())
            .chain(self.path.iter())
            .chain(
                (self.before.iter().filter(sub))
                    .chain(self.after.iter().filter(|p| !root(p)))
                    .flat_map(|p| p.words.iter()),
            )
            .collect();
        let words: Vec<String> = words.into_iter().map(|w| quoted(w)).collect();
        format!("{program} {}", words.join(" "))
    }
}

/// A word as a shell would need it typed: as is when it is plain, else single-quoted.
fn quoted(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_=./:,@%+".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn is_flag(word: &str) -> bool {
    word.starts_with('-') && word.len() > 1 && word != "--"
}

/// Whether everything after the first positional of `cmd` belongs to a container's command.
fn trailing(cmd: &Command) -> bool {
    cmd.get_arguments().any(|a| a.is_trailing_var_arg_set())
}

/// Splits the flag word `tokens[*i]` into single flags (a cluster `-dp x` into `-d` and
/// `-p x`), each with the value word it takes, owned by the first of the two commands that
/// knows it; advances `i` past the words used.
fn split_flag(
    tokens: &[String],
    i: &mut usize,
    first: (&Command, Owner),
    second: (&Command, Owner),
) -> Vec<Piece> {
    let t = tokens[*i].clone();
    *i += 1;
    let owner_of = |flag: &str| match lookup(first.0, flag) {
        Some(a) => (first.1, Some(a)),
        None => match lookup(second.0, flag) {
            Some(a) => (second.1, Some(a)),
            None => (Owner::Unknown, None),
        },
    };
    let mut take_next = |words: &mut Vec<String>| {
        if let Some(v) = tokens.get(*i) {
            words.push(v.clone());
            *i += 1;
        }
    };
    if t.starts_with("--") {
        let (owner, arg) = owner_of(&t);
        let mut words = vec![t.clone()];
        if !t.contains('=') && arg.is_some_and(needs_value) {
            take_next(&mut words);
        }
        return vec![Piece { words, owner }];
    }
    let chars: Vec<char> = t[1..].chars().collect();
    let mut pieces = Vec::new();
    for (k, c) in chars.iter().enumerate() {
        let flag = format!("-{c}");
        let (owner, arg) = owner_of(&flag);
        let rest: String = chars[k + 1..].iter().collect();
        let mut words = vec![flag];
        let done = match arg {
            // `-tVALUE`, `-t=VALUE`, `-t VALUE`.
            Some(a) if needs_value(a) => {
                match rest.is_empty() {
                    true => take_next(&mut words),
                    false => words[0].push_str(&rest),
                }
                true
            }
            // `-d=false`.
            Some(a) if a.is_require_equals_set() && rest.starts_with('=') => {
                words[0].push_str(&rest);
                true
            }
            _ => false,
        };
        pieces.push(Piece { words, owner });
        if done {
            break;
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_bool_takes_what_go_takes() {
        for v in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_bool(v), Ok(true), "{v}");
        }
        for v in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_bool(v), Ok(false), "{v}");
        }
        for v in ["", "yes", "no", "tRUE", "2", "on"] {
            assert!(parse_bool(v).is_err(), "{v}");
        }
    }

    #[test]
    fn quotes_only_words_a_shell_would_split() {
        assert_eq!(quoted("--ansi=never"), "--ansi=never");
        assert_eq!(quoted("my app"), "'my app'");
        assert_eq!(quoted("it's"), "'it'\\''s'");
        assert_eq!(quoted(""), "''");
    }
}
