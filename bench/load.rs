//! Loader benchmark: times `rcompose::model::load` on a generated 100-service project split over
//! five files, with anchors, merge keys, `.env` and interpolation, and prints the median of
//! many runs against the 20 ms target. Run: `cargo run --release --example load-bench`.

use std::time::{Duration, Instant};

use indexmap::IndexMap;
use rcompose::model::{LoadOptions, load};

const SERVICES: usize = 100;
const FILES: usize = 5;
const RUNS: usize = 50;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let per_file = SERVICES / FILES;
    let mut files = Vec::new();
    for f in 0..FILES {
        let mut text = String::from(
            "x-common: &common\n  image: ${IMAGE:-rcompose-test/busybox:latest}\n  init: true\n  restart: unless-stopped\n  environment:\n    LOG_LEVEL: ${LOG_LEVEL:-info}\n    REGION: $REGION\n  labels:\n    team: platform\n\nservices:\n",
        );
        for i in 0..per_file {
            let n = f * per_file + i;
            let dep = if n > 0 {
                format!("    depends_on: [svc{:03}]\n", n - 1)
            } else {
                String::new()
            };
            text.push_str(&format!(
                "  svc{n:03}:\n    <<: *common\n    command: [\"sh\", \"-c\", \"echo ${{GREETING:-hello}} {n} && sleep 3600\"]\n    ports:\n      - \"127.0.0.1:{}:80\"\n    volumes:\n      - data{n:03}:/data\n      - ./conf:/conf:ro\n{dep}    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 10s\n      timeout: 2s\n      retries: 3\n",
                20000 + n
            ));
        }
        text.push_str("volumes:\n");
        for i in 0..per_file {
            text.push_str(&format!("  data{:03}:\n", f * per_file + i));
        }
        let path = dir.path().join(format!("compose.{f}.yaml"));
        std::fs::write(&path, text).expect("write");
        files.push(path);
    }
    std::fs::write(
        dir.path().join(".env"),
        "REGION=eu-west-1\nGREETING=\"hi there\"\n",
    )
    .expect("write .env");
    let opts = LoadOptions {
        files,
        cwd: dir.path().to_path_buf(),
        project_name: Some("loadbench".into()),
        os_env: IndexMap::from([("HOME".to_string(), "/root".to_string())]),
        // As every command but `config` loads it.
        skip_canonical: true,
        ..Default::default()
    };
    let project = load(&opts).expect("the generated project loads");
    assert_eq!(project.services.len(), SERVICES);
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            let p = load(&opts).expect("loads");
            std::hint::black_box(p);
            t.elapsed()
        })
        .collect();
    times.sort();
    let median = times[RUNS / 2];
    if std::env::var_os("LOAD_BENCH_STAGES").is_some() {
        // Where the time goes: YAML parsing alone, for the same files.
        let texts: Vec<String> = opts
            .files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        let mut parse: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                for text in &texts {
                    std::hint::black_box(rcompose::model::yaml::parse(text).unwrap());
                }
                t.elapsed()
            })
            .collect();
        parse.sort();
        println!(
            "yaml parse alone: median {:.2} ms",
            parse[RUNS / 2].as_secs_f64() * 1000.0
        );
    }
    let ms = median.as_secs_f64() * 1000.0;
    println!(
        "load: {SERVICES} services in {FILES} files: median {ms:.2} ms over {RUNS} runs (min {:.2} ms, max {:.2} ms); target <= 20 ms: {}",
        times[0].as_secs_f64() * 1000.0,
        times[RUNS - 1].as_secs_f64() * 1000.0,
        if ms <= 20.0 { "met" } else { "NOT met" }
    );
}
