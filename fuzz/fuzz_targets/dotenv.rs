//! A `.env` file through compose's dotenv parser, with a lookup for `${VAR}` references.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcompose::model::dotenv::parse;

fn lookup(name: &str) -> Option<String> {
    (name == "HOME").then(|| "/home/fuzz".to_string())
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse(text, &lookup);
    }
});
