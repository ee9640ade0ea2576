//! The short-syntax parsers: ports, volumes, durations and sizes. The first byte picks one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcompose::model::short_syntax::{parse_bytes, parse_duration, parse_port, parse_volume};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 4 {
        0 => drop(parse_port(s)),
        1 => drop(parse_volume(s)),
        2 => drop(parse_duration(s)),
        _ => drop(parse_bytes(s)),
    }
});
