"""Build docker/Dockerfile and run containers from it with buildah, no daemon needed.

Test-side helper. ``docker/build-image.sh`` builds (docker/podman when an engine
answers, else buildah); containers run under ``buildah run --isolation chroot
--network host``. That isolation has no PID namespace, and a signal sent to the
``buildah run`` process is not forwarded: buildah kills the command outright (the
recording is never closed). So ``stop`` does what ``docker stop`` does: SIGTERM to
the container's main process, found under ``buildah-chroot-exec`` by its host pid.
Every process is stopped by its pid; waits are bounded.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from tests.interop.peers import REPO
from tests.interop.sioproxy_proc import PREFIX, RunningSioproxy
from tests.ops.helpers import ADMIN_PREFIX, _read_lines

IMAGE = "localhost/sioproxy:latest"
BUILD_TIMEOUT = 1800.0
STOP_TIMEOUT = 20.0
ENV = dict(os.environ, STORAGE_DRIVER="vfs", BUILDAH_ISOLATION="chroot")


def buildah(*args: str, timeout: float = 120.0) -> str:
    done = subprocess.run(
        ["buildah", *args], capture_output=True, text=True, timeout=timeout, env=ENV, check=False
    )
    assert done.returncode == 0, f"buildah {' '.join(args)}: {done.stderr}"
    return done.stdout


@functools.cache
def build_image() -> None:
    """``docker/build-image.sh``, once per test session; buildah's layer cache makes
    a rebuild of an unchanged tree quick in the next session."""
    done = subprocess.run(
        ["bash", str(REPO / "docker" / "build-image.sh")],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        env=dict(ENV, IMAGE=IMAGE),
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]


def image_config(image: str = IMAGE) -> dict[str, Any]:
    """The Docker-format config (``User``, ``Healthcheck``, ``Entrypoint``...)."""
    info = json.loads(buildah("inspect", "--type", "image", image))
    config: dict[str, Any] = info["Docker"]["config"]
    return config


UNITS = {"B": 1, "kB": 10**3, "KB": 10**3, "MB": 10**6, "GB": 10**9}


def image_size(image: str = IMAGE) -> int:
    """Bytes of the image, uncompressed, as ``buildah images`` shows it (``416 MB``)."""
    number, unit = buildah("images", "--format", "{{.Size}}", image).split()[:2]
    return int(float(number) * UNITS[unit])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _argv0(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode()
    except OSError:
        return ""


def main_process(run_pid: int) -> int:
    """The container's main process: the child of ``buildah-chroot-exec``."""
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        queue = [run_pid]
        while queue:
            pid = queue.pop()
            kids = _children(pid)
            if _argv0(pid) == "buildah-chroot-exec" and kids:
                return kids[0]
            queue += kids
        time.sleep(0.05)
    raise AssertionError(f"no container process under buildah run pid {run_pid}")


class Container:
    """One working container from the image; each ``run`` is a process in it."""

    def __init__(self, recordings: Path, image: str = IMAGE) -> None:
        self.name = buildah("from", "--pull=never", "--quiet", image).strip()
        # buildah run mounts a VOLUME of the image as its own copy, hiding a --volume
        # on the same path; the working container drops the declaration (not the image).
        for volume in image_config(image).get("Volumes") or {}:
            buildah("config", "--volume", f"{volume}-", self.name)
        self.recordings = recordings
        self.config = image_config(image)

    def command(
        self, argv: Sequence[str], env: Mapping[str, str] = {}, user: str | None = None
    ) -> list[str]:
        cmd = ["buildah", "run", "--isolation", "chroot", "--network", "host"]
        cmd += ["--volume", f"{self.recordings}:/recordings"]
        if user is not None:
            cmd += ["--user", user]
        for key, value in env.items():
            cmd += ["--env", f"{key}={value}"]
        return [*cmd, self.name, "--", *argv]

    def default_argv(self) -> list[str]:
        """ENTRYPOINT + CMD, as ``docker run IMAGE`` runs them (``buildah run`` does not)."""
        return [*(self.config.get("Entrypoint") or []), *(self.config.get("Cmd") or [])]

    def exec(
        self, argv: Sequence[str], env: Mapping[str, str] = {}, user: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in this container (its filesystem, config and network) and wait."""
        return subprocess.run(
            self.command(argv, env, user),
            capture_output=True,
            text=True,
            timeout=120,
            env=ENV,
            check=False,
        )

    def start(
        self, argv: Sequence[str], env: Mapping[str, str], stderr: IO[bytes]
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` in this container, stdout piped; ``stop`` ends it."""
        return subprocess.Popen(
            self.command(argv, env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=ENV,
        )

    def start_sioproxy(
        self, argv: Sequence[str], env: Mapping[str, str], *, admin: bool = True
    ) -> tuple[RunningSioproxy, str, int]:
        """Start sioproxy in this container: (proxy, admin URL or "", main process pid)."""
        fd, name = tempfile.mkstemp(prefix="sioproxy-docker-", suffix=".stderr")
        stderr_path = Path(name)
        with os.fdopen(fd, "wb") as stderr:
            process = self.start(argv, env, stderr)
        wanted = (PREFIX, ADMIN_PREFIX) if admin else (PREFIX,)
        lines: list[str] = []
        try:
            while not all(any(li.startswith(w) for li in lines) for w in wanted):
                assert len(lines) < 10, lines
                lines += _read_lines(process, 1)
        except AssertionError as exc:
            process.kill()
            process.wait(STOP_TIMEOUT)
            raise AssertionError(f"{exc}\n{stderr_path.read_text('utf-8', 'replace')}") from None
        found = {w: next(li[len(w) :] for li in lines if li.startswith(w)) for w in wanted}
        proxy = RunningSioproxy(process, found[PREFIX], stderr_path)
        proxy.lines[:0] = lines
        return proxy, found.get(ADMIN_PREFIX, ""), main_process(process.pid)

    def remove(self) -> None:
        buildah("rm", self.name)


def stop(proxy: RunningSioproxy, main_pid: int) -> int:
    """``docker stop``: SIGTERM to the main process, then the run's exit status."""
    os.kill(main_pid, signal.SIGTERM)
    status = proxy.wait(STOP_TIMEOUT)
    proxy.stop(signal.SIGKILL)  # a no-op when it has exited
    return status


def stop_process(process: subprocess.Popen[bytes]) -> int:
    """``docker stop`` for a container started with ``Container.start``."""
    if process.poll() is None:
        os.kill(main_process(process.pid), signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
    if process.stdout is not None:
        process.stdout.close()
    return process.returncode
