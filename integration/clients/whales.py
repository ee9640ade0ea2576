"""python-on-whales 0.81 driving `docker compose` (rcompose installed as the CLI plugin).

Usage: whales.py PROJECT_DIR PROJECT_NAME. Runs the scenario of the clients tier: up --wait,
ps, config parsed into python-on-whales' models, build, port, logs, exec, run, ls, restart,
pause, stop/start, down -v, version. Any failed check raises (exit 1); the Rust side then judges
engine state by label.
"""

import sys
import urllib.request

from python_on_whales import DockerClient
from python_on_whales.components.compose.models import ComposeConfig

project_dir, name = sys.argv[1], sys.argv[2]
docker = DockerClient(
    compose_project_directory=project_dir,
    compose_project_name=name,
    compose_env_files=[],
)
compose = docker.compose


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok", what, flush=True)


version = compose.version()
check(version.startswith("Docker Compose version v2."), f"version {version!r}")

config = compose.config()
check(isinstance(config, ComposeConfig), "config parsed into ComposeConfig")
check(sorted(config.services) == ["web", "worker"], f"services {sorted(config.services)}")
web_cfg = config.services["web"]
check(web_cfg.build is not None and web_cfg.build.context is not None, "web has a build context")
check(web_cfg.ports[0].target == 8080, f"web port {web_cfg.ports}")
check(web_cfg.volumes[0].source == "data", f"web volume {web_cfg.volumes}")
check("data" in config.volumes, f"top-level volumes {config.volumes}")
raw = compose.config(return_json=True)
check(raw["name"] == name, f"config name {raw.get('name')}")

compose.build()
check(docker.image.exists(f"{name}-web"), "build made the web image")

compose.up(detach=True, wait=True)
containers = compose.ps()
check(len(containers) == 2, f"ps lists {len(containers)} containers")
states = {c.name: c.state.status for c in containers}
check(all(s == "running" for s in states.values()), f"states {states}")
web = next(c for c in containers if c.config.labels["com.docker.compose.service"] == "web")
check(web.state.health.status == "healthy", f"web health {web.state.health.status}")
check(web.host_config.port_bindings is not None, "port_bindings is not None")
worker = next(c for c in containers if c.config.labels["com.docker.compose.service"] == "worker")
check(worker.host_config.port_bindings is not None, "worker port_bindings is {} not None")

host, port = compose.port("web", 8080)
check(host == "127.0.0.1" and port and port > 0, f"port {host}:{port}")
body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
check(body.strip() == "hello from web", f"GET / -> {body!r}")

logs = compose.logs()
check("web starting" in logs and "worker says hello" in logs, f"logs {logs!r}")

out = compose.execute("worker", ["sh", "-c", "echo exec-$((40+2))"], tty=False)
check(out.strip() == "exec-42", f"exec {out!r}")
out = compose.execute("web", ["cat", "/www/index.html"], tty=False)
check(out.strip() == "hello from web", f"exec web {out!r}")

out = compose.run("worker", ["echo", "one-off"], remove=True, tty=False, dependencies=False)
check(out.strip() == "one-off", f"run {out!r}")
left = docker.container.list(all=True, filters={"label": f"com.docker.compose.project={name}"})
check(len(left) == 2, f"run --rm left {len(left)} containers")

projects = {p.name: p for p in compose.ls()}
check(name in projects and projects[name].running == 2, f"ls {projects.get(name)}")

started_at = web.state.started_at
compose.restart(["web"])
web.reload()
check(web.state.running and web.state.started_at != started_at, "restart started web again")

compose.pause(["worker"])
worker.reload()
check(worker.state.paused, "pause")
compose.unpause(["worker"])
worker.reload()
check(worker.state.running and not worker.state.paused, "unpause")

compose.stop()
for c in (web, worker):
    c.reload()
    check(not c.state.running, f"stop {c.name}")
compose.start()
for c in (web, worker):
    c.reload()
    check(c.state.running, f"start {c.name}")

compose.down(volumes=True)
check(compose.ps(all=True) == [], "down removed the containers")
check(not docker.volume.exists(f"{name}_data"), "down -v removed the volume")
print("whales scenario passed")
