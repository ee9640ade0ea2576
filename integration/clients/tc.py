"""testcontainers-python 4.15's DockerCompose driving `docker compose` (rcompose installed as
the CLI plugin).

Usage: tc.py PROJECT_DIR (the project name comes from COMPOSE_PROJECT_NAME). Waits for health
(`up --wait --build`), looks up host and port, makes an HTTP request to the published port on
127.0.0.1, execs, reads logs and stops (`down --volumes web worker`: services named, as
DockerCompose(services=...) does). Any failed check raises (exit 1); the Rust side then judges
engine state by label.
"""

import sys
import urllib.request

from testcontainers.compose import DockerCompose


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok", what, flush=True)


compose = DockerCompose(sys.argv[1], build=True, wait=True, services=["web", "worker"])
compose.start()
try:
    web = compose.get_container("web")
    check(web.State == "running" and web.Health == "healthy", f"web {web.State} {web.Health}")
    containers = compose.get_containers()
    check(sorted(c.Service for c in containers) == ["web", "worker"], "get_containers")

    host = compose.get_service_host("web", 8080)
    port = compose.get_service_port("web", 8080)
    check(host == "127.0.0.1", f"host {host!r}")
    check(isinstance(port, int) and port > 0, f"port {port!r}")
    check(compose.get_service_host_and_port("web", 8080) == (host, port), "host and port")

    compose.wait_for(f"http://127.0.0.1:{port}/")
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
    check(body.strip() == "hello from web", f"GET / -> {body!r}")

    out, err, code = compose.exec_in_container(["sh", "-c", "echo out; echo err >&2"], "worker")
    check((out, err, code) == ("out\n", "err\n", 0), f"exec {(out, err, code)!r}")

    stdout, stderr = compose.get_logs("worker")
    check("worker says hello" in stdout, f"logs {stdout!r} {stderr!r}")
    stdout, _ = compose.get_logs()
    check("web starting" in stdout, f"all logs {stdout!r}")

    check(web.get_wrapped_container() is web, "wrapped container")
finally:
    compose.stop()
print("testcontainers scenario passed")
