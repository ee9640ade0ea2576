//! One template string through `interpolate`, with a few variables set (one empty).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcompose::model::interpolate::interpolate;

fn lookup(name: &str) -> Option<String> {
    match name {
        "A" => Some("alpha".to_string()),
        "EMPTY" => Some(String::new()),
        "NESTED" => Some("${A}".to_string()),
        "DOLLAR" => Some("$$".to_string()),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(template) = std::str::from_utf8(data) {
        let _ = interpolate(template, &lookup);
    }
});
