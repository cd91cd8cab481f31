"""``make demo``: the main job on an embedded default, start to finish.

1. start the demo Socket.IO server (python-socketio) on a free port;
2. put ``sioproxy record`` in front of it and show its packet log;
3. run the scripted demo client through the proxy (websocket, then polling with upgrade);
4. stop the real server, serve the recording with ``sioproxy replay``;
5. run the same client against the replay and check it saw exactly the same.

Every process is started on 127.0.0.1 and stopped by its pid. Exit status 0
when the replayed run matched the recorded one.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

READY_TIMEOUT = 20.0


class Child:
    """A subprocess whose stdout lines are echoed with a prefix as they come."""

    def __init__(self, name: str, argv: Sequence[str], *, echo: bool) -> None:
        self.name = name
        self.process = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        self.first_line = self._read_first_line()
        self._echo = echo
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _read_first_line(self) -> str:
        assert self.process.stdout is not None
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(_readline(self.process.stdout)))
        reader.start()
        reader.join(READY_TIMEOUT)
        if not result or not result[0]:
            self.stop()
            raise SystemExit(f"demo: {self.name} did not start")
        return result[0].strip()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if self._echo:
                print(f"  [{self.name}] {line.rstrip()}", flush=True)

    def stop(self) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if hasattr(self, "_thread"):
            self._thread.join(5)
        return self.process.returncode


def _readline(stream: IO[str] | None) -> str:
    return stream.readline() if stream is not None else ""


def _url_of(line: str) -> str:
    prefix = "sioproxy listening on "
    if not line.startswith(prefix):
        raise SystemExit(f"demo: unexpected first line {line!r}")
    return line[len(prefix) :]


def _client(url: str, transport: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "sioproxy.demo.client", "--url", url, "--transport", transport],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="record and replay the sioproxy demo app")
    parser.add_argument("--out", default=f"recordings/demo-{time.strftime('%Y%m%d-%H%M%S')}.jsonl")
    args = parser.parse_args(argv)
    py = sys.executable
    out = Path(args.out)
    print("== 1. demo Socket.IO server (python-socketio)", flush=True)
    server = Child("server", [py, "-m", "sioproxy.demo.server", "--port", "0"], echo=False)
    upstream = f"http://127.0.0.1:{server.first_line.split()[1]}"
    print(f"   listening on {upstream}", flush=True)
    print(f"== 2. sioproxy record in front of it, recording to {out}", flush=True)
    proxy = Child(
        "sioproxy record",
        [
            py,
            "-m",
            "sioproxy",
            "record",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            upstream,
            "--out",
            str(out),
        ],
        echo=True,
    )
    proxy_url = _url_of(proxy.first_line)
    print(f"   {proxy.first_line}", flush=True)
    try:
        print("== 3. the demo client through the proxy (websocket, then polling + upgrade)")
        recorded = [_client(proxy_url, "websocket"), _client(proxy_url, "upgrade")]
    finally:
        time.sleep(0.3)  # let the last log lines arrive
        proxy.stop()
        server.stop()
    print("== 4. real server stopped; sioproxy replay serves the recording", flush=True)
    replay = Child(
        "sioproxy replay",
        [
            py,
            "-m",
            "sioproxy",
            "replay",
            str(out),
            "--listen",
            "127.0.0.1:0",
            "--speed",
            "0",
            "--exit-when-done",
        ],
        echo=True,
    )
    try:
        print("== 5. the same client against the replay", flush=True)
        replayed = [
            _client(_url_of(replay.first_line), "websocket"),
            _client(_url_of(replay.first_line), "upgrade"),
        ]
    finally:
        status = replay.stop() if replay.process.poll() is None else replay.process.wait(10)
    same = replayed == recorded
    print(
        f"== result: the client saw {'the same' if same else 'something DIFFERENT'} "
        f"against the replay as against the real server (replay exit status {status})"
    )
    print(f"   recording: {out}  (try: sioproxy replay {out} --listen 127.0.0.1:8080)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
