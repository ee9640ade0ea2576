# bench/bench.py — owns the benchmark's timing loop, checks and report (started by bench/run.sh, which builds and installs what it needs).
"""Times rcompose, the raw parallel engine client and docker-compose v1 on generated projects.

For every project size and run, each tool goes through one cycle, timed per step:
cold `up -d` (from nothing), no-op `up -d` (everything already up), `ps`, `stop`, `down -v`.
Before each cycle the tool's project is checked to be gone (and removed, untimed, if not);
after each step the engine is checked (untimed) to be in the state the step should leave.
The medians go to stdout and to bench/results/latest.md.

Settings come from the environment (run.sh sets the paths):
  BENCH_RUNS     runs per tool and size (default 5)
  BENCH_SIZES    project sizes, in services (default "10 30")
  RCOMPOSE       the rcompose binary
  RAW_CLIENT     the raw client binary (bench/raw_client.rs)
  DC_V1          the docker-compose v1 command; empty to skip that column
  DC_V1_NOTE     why docker-compose v1 is skipped, when it is
"""

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

IMAGE = "rcompose-test/busybox:latest"
OPS = ["up", "noop", "ps", "stop", "down"]
OP_LABEL = {
    "up": "cold up -d",
    "noop": "no-op up -d",
    "ps": "ps",
    "stop": "stop",
    "down": "down -v",
}
STEP_TIMEOUT = 300  # seconds; a step slower than this is a failure, not a data point
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class StepFailed(Exception):
    pass


# --- the tools ---------------------------------------------------------------------------------


class Tool:
    def __init__(self, key, title, suffix, argv):
        self.key = key  # short id
        self.title = title  # column heading
        self.suffix = suffix  # project name suffix
        self.argv = argv  # (op, project, n, compose_file) -> argv
        self.error = None  # first failure, if any

    def project(self, n):
        return f"rcbench{n}{self.suffix}"


def make_tools(rcompose, raw, dc_v1):
    def rc(op, project, n, f):
        sub = {
            "up": ["up", "-d"],
            "noop": ["up", "-d"],
            "ps": ["ps"],
            "stop": ["stop"],
            "down": ["down", "-v"],
        }[op]
        return [rcompose, "-f", f, "-p", project, *sub]

    def rw(op, project, n, f):
        return {
            "up": [raw, "up", project, str(n)],
            "noop": [raw, "noop", project, str(n)],
            "ps": [raw, "ps", project],
            "stop": [raw, "stop", project],
            "down": [raw, "down", project],
        }[op]

    def v1(op, project, n, f):
        sub = {
            "up": ["up", "-d"],
            "noop": ["up", "-d"],
            "ps": ["ps"],
            "stop": ["stop"],
            "down": ["down", "-v"],
        }[op]
        return [*dc_v1.split(), "-f", f, "-p", project, *sub]

    tools = [Tool("rc", "rcompose", "rc", rc), Tool("raw", "raw client", "raw", rw)]
    if dc_v1:
        tools.append(Tool("v1", "docker-compose v1", "v1", v1))
    return tools


# --- the engine, seen through the docker CLI (untimed checks and cleanup) ----------------------


def docker(*args, check=True):
    p = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=STEP_TIMEOUT
    )
    if check and p.returncode != 0:
        raise StepFailed(f"docker {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def container_states(project):
    out = docker(
        "ps",
        "-a",
        "--filter",
        f"label=com.docker.compose.project={project}",
        "--format",
        "{{.State}}",
    )
    return [s.strip() for s in out.splitlines() if s.strip()]


def network_exists(project):
    name = f"{project}_default"
    out = docker("network", "ls", "--filter", f"name={name}", "--format", "{{.Name}}")
    return name in out.split()


def is_clean(project):
    return not container_states(project) and not network_exists(project)


def force_clean(project):
    ids = docker(
        "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"
    ).split()
    if ids:
        docker("rm", "-f", "-v", *ids, check=False)
    if network_exists(project):
        docker("network", "rm", f"{project}_default", check=False)


# --- one cycle ---------------------------------------------------------------------------------


def run_step(tool, op, project, n, compose_file):
    argv = tool.argv(op, project, n, compose_file)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    start = time.perf_counter()
    try:
        p = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,  # progress output: kept only to explain a failure
            env=env,
            timeout=STEP_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise StepFailed(f"`{' '.join(argv)}` took over {STEP_TIMEOUT} s")
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise StepFailed(
            f"`{' '.join(argv)}` exited {p.returncode}: " + " | ".join(err)
        )
    return elapsed, p.stdout.decode(errors="replace")


def expect(project, n, op, ps_out=None):
    """Checks that the engine is in the state `op` should leave it in."""
    states = container_states(project)
    if op in ("up", "noop"):
        ok = len(states) == n and all(s == "running" for s in states)
    elif op == "ps":
        missing = [
            f"svc{i:02d}" for i in range(1, n + 1) if f"svc{i:02d}" not in ps_out
        ]
        ok = not missing
    elif op == "stop":
        ok = len(states) == n and all(s == "exited" for s in states)
    else:  # down
        ok = not states and not network_exists(project)
    if not ok:
        raise StepFailed(
            f"after {OP_LABEL[op]}: project {project} is not as expected "
            f"(containers: {states or 'none'}, network: {network_exists(project)})"
        )


def cycle(tool, n, compose_file):
    project = tool.project(n)
    if not is_clean(project):  # untimed: every cold up starts from nothing
        try:
            run_step(tool, "down", project, n, compose_file)
        except StepFailed:
            pass
        force_clean(project)
        if not is_clean(project):
            raise StepFailed(f"could not clean project {project} before a run")
    times = {}
    for op in OPS:
        times[op], out = run_step(tool, op, project, n, compose_file)
        expect(project, n, op, out)
    return times


# --- the report --------------------------------------------------------------------------------


def fmt_s(x):
    return "—" if x is None else f"{x:.3f}"


def fmt_ratio(a, b):
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


def target_for(n, op, med):
    """(target text, met?) for a row; met is None when no target applies."""
    rc, raw = med.get("rc"), med.get("raw")
    if op == "up":
        if rc is None or raw is None:
            return "≤ 1.05× raw", None
        return "≤ 1.05× raw", rc <= 1.05 * raw
    if op == "noop" and n == 30:
        return "≤ 0.100 s", None if rc is None else rc <= 0.100
    if op == "ps" and n == 30:
        return "≤ 0.050 s", None if rc is None else rc <= 0.050
    return "", None


def tool_version(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (p.stdout or p.stderr).strip().splitlines()[0]
    except Exception:
        return "?"


def report(tools, sizes, runs, samples, notes, started):
    by_key = {t.key: t for t in tools}
    have_v1 = "v1" in by_key
    cols = ["services", "operation", "rcompose (s)", "raw client (s)"]
    if have_v1:
        cols.append("docker-compose v1 (s)")
    cols.append("rcompose / raw")
    if have_v1:
        cols.append("rcompose / v1")
    cols += ["target", "met"]
    rows = []
    met_count = total_targets = 0
    for n in sizes:
        for op in OPS:
            med = {}
            for t in tools:
                xs = samples[t.key][n][op]
                med[t.key] = statistics.median(xs) if xs else None
            target, met = target_for(n, op, med)
            if target:
                total_targets += 1
                met_count += bool(met)
            row = [str(n), OP_LABEL[op], fmt_s(med.get("rc")), fmt_s(med.get("raw"))]
            if have_v1:
                row.append(fmt_s(med.get("v1")))
            row.append(fmt_ratio(med.get("rc"), med.get("raw")))
            if have_v1:
                row.append(fmt_ratio(med.get("rc"), med.get("v1")))
            row += [target, "" if not target else ("?" if met is None else ("yes" if met else "**NO**"))]
            rows.append(row)

    def md_table(header, body):
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
        sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        return "\n".join([line(header), sep, *(line(r) for r in body)])

    engine = docker("version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})", check=False).strip()
    rev = subprocess.run(
        ["git", "-C", ROOT, "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    ).stdout.strip() or "?"
    lines = [
        "# rcompose benchmark",
        "",
        f"- when: {started} (UTC), took {time.time() - START:.0f} s",
        f"- medians of {runs} runs per tool and size; sizes: {', '.join(map(str, sizes))} busybox services (`sleep 3600`, `init: true`, default network)",
        f"- machine: {os.cpu_count()} cores; engine {engine or '?'}",
        f"- rcompose: target/release/rcompose, working tree at {rev}",
        "- raw client: bench/raw_client.rs (bollard, every create/start/stop/remove of a phase at once)",
        f"- docker-compose v1: {tool_version([*os.environ['DC_V1'].split(), 'version', '--short']) if have_v1 else 'skipped'}",
        "",
        md_table(cols, rows),
        "",
        f"Targets met: {met_count}/{total_targets}.",
    ]
    if notes:
        lines += ["", "Notes:", *(f"- {n}" for n in notes)]
    lines += ["", "All samples (s), in run order:", ""]
    for t in tools:
        for n in sizes:
            parts = [
                f"{OP_LABEL[op]} [{' '.join(f'{x:.3f}' for x in samples[t.key][n][op])}]"
                for op in OPS
            ]
            lines.append(f"- {t.title}, {n}: " + "; ".join(parts))
    return "\n".join(lines) + "\n"


# --- main --------------------------------------------------------------------------------------

START = time.time()


def main():
    runs = int(os.environ.get("BENCH_RUNS", "5"))
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10 30").split()]
    if runs < 1 or not sizes:
        sys.exit("bench: BENCH_RUNS must be ≥ 1 and BENCH_SIZES non-empty")
    notes = []
    dc_v1 = os.environ.get("DC_V1", "")
    if not dc_v1:
        notes.append(
            "docker-compose v1 column skipped: "
            + (os.environ.get("DC_V1_NOTE") or "not available")
        )
    tools = make_tools(os.environ["RCOMPOSE"], os.environ["RAW_CLIENT"], dc_v1)
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")

    # SIGTERM ends the run like Ctrl-C does, through the cleanup below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    workdir = tempfile.mkdtemp(prefix="rcbench-")
    samples = {t.key: {n: {op: [] for op in OPS} for n in sizes} for t in tools}
    files = {}
    try:
        for n in sizes:
            d = os.path.join(workdir, f"rcbench{n}")
            os.makedirs(d)
            files[n] = os.path.join(d, "compose.yaml")
            with open(files[n], "w") as f:
                f.write("services:\n")
                for i in range(1, n + 1):
                    f.write(
                        f"  svc{i:02d}:\n"
                        f"    image: {IMAGE}\n"
                        f'    command: ["sleep", "3600"]\n'
                        f"    init: true\n"
                    )
        for n in sizes:
            for t in tools:  # a tool that failed at one size is tried again at the next
                t.error = None
            for r in range(runs):
                # Rotate the order so no tool always runs first (or right after another).
                order = tools[r % len(tools) :] + tools[: r % len(tools)]
                for t in order:
                    if t.error:
                        continue
                    try:
                        times = cycle(t, n, files[n])
                    except StepFailed as e:
                        t.error = str(e)
                        log(f"{t.title} FAILED at {n} services, run {r + 1}: {e}")
                        notes.append(f"{t.title} failed at {n} services, run {r + 1}: {e}")
                        try:
                            run_step(t, "down", t.project(n), n, files[n])
                        except StepFailed:
                            pass
                        force_clean(t.project(n))
                        continue
                    for op in OPS:
                        samples[t.key][n][op].append(times[op])
                    log(
                        f"{n:>3} services, run {r + 1}/{runs}, {t.title:<17} "
                        + "  ".join(f"{op} {times[op]:.3f}" for op in OPS)
                    )
    finally:
        for n in sizes:
            for t in tools:
                try:
                    if not is_clean(t.project(n)):
                        run_step(t, "down", t.project(n), n, files.get(n, ""))
                except Exception:
                    pass
                try:
                    force_clean(t.project(n))
                except Exception:
                    pass
        shutil.rmtree(workdir, ignore_errors=True)

    text = report(tools, sizes, runs, samples, notes, started)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    out = os.path.join(ROOT, "bench", "results", "latest.md")
    with open(out, "w") as f:
        f.write(text)
    print(text, end="")
    log(f"written to {os.path.relpath(out, os.getcwd())}")
    # rcompose or the raw client failing leaves the comparison incomplete.
    failed = [n for n in notes if n.startswith(("rcompose failed", "raw client failed"))]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
