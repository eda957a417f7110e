"""The shipped deployment, started from its own files: config/deploy's nginx configuration and systemd units,
rendered with this run's ports and paths, and the environment-file template with this run's database."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "config" / "deploy"
INSTALLED_ROOT = "/srv/hotline1999"  # where the units expect the project


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def render(template: Path, values: dict[str, str]) -> str:
    text = template.read_text(encoding="utf-8")
    rendered = re.sub(r"@@([A-Z0-9_]+)@@", lambda match: values[match.group(1)], text)
    return rendered


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as systemd's EnvironmentFile reads them (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def unit_environment(unit: Path) -> dict[str, str]:
    """The unit's own Environment= lines (after its EnvironmentFile, as systemd applies them)."""
    lines = unit.read_text(encoding="utf-8").splitlines()
    pairs = [line.removeprefix("Environment=").split("=", 1) for line in lines if line.startswith("Environment=")]
    return {key: value for key, value in pairs}


def unit_command(unit: Path, instance: str, env: dict[str, str]) -> list[str]:
    """The unit's ExecStart with %i and ${VAR} filled in as systemd would, run from this checkout."""
    line = next(line for line in unit.read_text(encoding="utf-8").splitlines() if line.startswith("ExecStart="))
    line = line.removeprefix("ExecStart=").replace("%i", instance)
    line = re.sub(r"\$\{([A-Z_]+)\}", lambda match: env[match.group(1)], line)
    line = line.replace(f"{INSTALLED_ROOT}/.venv/bin/", f"{Path(sys.executable).parent}/")
    return shlex.split(line)


@dataclass
class Stack:
    """nginx (TLS on a port other than 443) in front of two web processes, and two workers."""

    directory: Path
    database_url: str
    redis_url: str
    threads: int = 40
    max_conns: int = 36
    extra_env: dict[str, str] = field(default_factory=dict)
    https_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    web_ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # One channel for the whole run (every process's wake-ups and console counts), this run's only.
    channel: str = field(default_factory=lambda: f"hotline-deploy-{uuid.uuid4().hex}")

    @property
    def certificate(self) -> str:
        return str(self.directory / "etc" / "cert.pem")

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def env(self) -> dict[str, str]:
        values = read_env_file(DEPLOY / "hotline1999.env.example")
        values.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            SECRET_KEY="deploy-test-secret",
            HOTLINE_INSTANCE_DIR=str(self.directory / "instance"),
            HOTLINE_SOCKETIO_CHANNEL=self.channel,
            HOTLINE_BALANCE_SECONDS="1",
            PUBLIC_BASE_URL=self.url,
            HOTLINE_THREADS=str(self.threads),
            HOTLINE_SLA_SWEEP_SECONDS="1",
        )
        return {**os.environ, **values, **self.extra_env}

    def nginx_conf(self, variant: str = "tls") -> Path:
        etc, logs, prefix = (self.directory / name for name in ("etc", "logs", "prefix"))
        for folder in (etc, logs, prefix):
            folder.mkdir(parents=True, exist_ok=True)
        shutil.copy("/etc/nginx/mime.types", etc / "mime.types")
        certificate, key = etc / "cert.pem", etc / "key.pem"
        if not certificate.exists():
            request = "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost"
            request += " -addext subjectAltName=DNS:localhost -keyout"
            subprocess.run(  # noqa: S603
                [shutil.which("openssl") or "openssl", *request.split(), str(key), "-out", str(certificate)],
                check=True,
                capture_output=True,
            )
        values = {
            "USER": os.environ.get("USER") or "root",
            "PREFIX": str(prefix),
            "LOGS": str(logs),
            "ETC": str(etc),
            "SERVER_NAME": "localhost",
            "HTTPS_PORT": str(self.https_port),
            "HTTP_PORT": str(self.http_port),
            "CERTIFICATE": str(certificate),
            "CERTIFICATE_KEY": str(key),
            "WEB_PORT_1": str(self.web_ports[0]),
            "WEB_PORT_2": str(self.web_ports[1]),
            "MAX_CONNS": str(self.max_conns),
            "API_WRITES_IN_FLIGHT": "64",
        }
        nginx = DEPLOY / "nginx"
        (etc / "hotline1999-upstream.conf").write_text(render(nginx / "upstream.conf", values), encoding="utf-8")
        (etc / "hotline1999-proxy.conf").write_text(render(nginx / "hotline1999-proxy.conf", values), encoding="utf-8")
        conf = etc / f"nginx-{variant}.conf"
        conf.write_text(render(nginx / f"nginx-{variant}.conf", values), encoding="utf-8")
        return conf

    def check_nginx(self, variant: str) -> subprocess.CompletedProcess[str]:
        conf = self.nginx_conf(variant)
        command = ["nginx", "-t", "-p", str(self.directory / "prefix"), "-c", str(conf)]
        return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603

    def start_nginx(self, variant: str = "tls") -> None:
        conf = self.nginx_conf(variant)
        command = ["nginx", "-p", str(self.directory / "prefix"), "-c", str(conf), "-g", "daemon off;"]
        self._spawn("nginx", command, os.environ.copy())
        self._wait_for_port(self.https_port if variant == "tls" else self.http_port, "nginx")

    def start_web(self, *numbers: int) -> None:
        for number in numbers:
            port = self.web_ports[number - 1]
            unit = DEPLOY / "systemd" / "hotline1999-web@.service"
            self._spawn(f"web-{number}", unit_command(unit, str(port), self.env()), self.env() | unit_environment(unit))
        for number in numbers:
            self._wait_until_serving(f"http://127.0.0.1:{self.web_ports[number - 1]}", f"web-{number}")

    def upstreams(self, marker: str = "") -> dict[str, str]:
        """From nginx's access log: the process (port) that last answered each client address."""
        answered: dict[str, str] = {}
        for line in (self.directory / "logs" / "access.log").read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if marker in line and parts[-2].startswith("127.0.0.1:"):
                answered[parts[0]] = parts[-2].rsplit(":", 1)[1]
        return answered

    def identity(self, name: str) -> str:
        """How the unit's gunicorn worker names itself among its peers (app/realtime/balance.py)."""
        master = self.processes[name].pid
        tasks = Path(f"/proc/{master}/task").glob("*")
        workers = [int(pid) for task in tasks for pid in (task / "children").read_text().split()]
        return f"{socket.gethostname()}:{workers[0]}"

    def consoles_per_process(self) -> dict[str, int]:
        """What each live web process last published of its console count (app/realtime/balance.py)."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            now = float(client.time()[0])
            entries = client.hgetall(f"{self.channel}:consoles").items()
        finally:
            client.close()
        counts = {}
        for identity, value in entries:
            held, at = value.decode().split()
            if now - float(at) <= 3:  # STALE_BEATS x HOTLINE_BALANCE_SECONDS: a killed process's entry is not counted
                counts[identity.decode()] = int(held)
        return counts

    def start_worker(self, *numbers: int) -> None:
        unit = DEPLOY / "systemd" / "hotline1999-worker@.service"
        for number in numbers:
            env = self.env() | unit_environment(unit)
            self._spawn(f"worker-{number}", unit_command(unit, str(number), env), env)
        for number in numbers:
            self.wait_for_log(f"worker-{number}", "Worker started", timeout=60)

    def wait_for_log(self, name: str, text: str, timeout: float) -> float:
        start = time.monotonic()
        while text not in self.log(name):
            if name in self.processes and self.processes[name].poll() is not None:
                raise AssertionError(f"{name} exited: {self.log(name)[-2000:]}")
            if time.monotonic() - start > timeout:
                raise AssertionError(f"no {text!r} from {name} in {timeout}s: {self.log(name)[-2000:]}")
            time.sleep(0.05)
        return time.monotonic() - start

    def kill(self, name: str) -> None:
        """kill -9 the unit's every process (gunicorn's master and its worker), as `systemctl kill -s KILL`."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        output = (self.directory / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )

    def _wait_for_port(self, port: int, name: str) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise AssertionError(f"{name} exited: {self.log(name)[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"{name} did not listen on {port}: {self.log(name)[-2000:]}")

    def _wait_until_serving(self, url: str, name: str) -> None:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise AssertionError(f"{name} exited: {self.log(name)[-2000:]}")
            try:
                httpx.get(f"{url}/api/v1/openapi.json", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"{name} did not start: {self.log(name)[-2000:]}")
