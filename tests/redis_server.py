"""A redis-server for tests: the one PARVANDEH_REDIS_URL names, or a private one.

scripts/test.sh starts Redis on 127.0.0.1:6379 and exports
PARVANDEH_REDIS_URL=redis://127.0.0.1:6379/15; without it, a private redis-server is
started on 127.0.0.1 on a free port (no persistence, its files in a temporary folder).
Only loopback addresses are ever used, and tests flush only their own database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

ENV = "PARVANDEH_REDIS_URL"
HOST = "127.0.0.1"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def check_loopback(url: str) -> str:
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK:
        raise RuntimeError(f"{ENV} must point at a loopback address for tests, not {host!r}")
    return url


class RedisServer:
    """A redis-server process on 127.0.0.1 that a test can stop and start again."""

    def __init__(self, port: int | None = None) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="parvandeh-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", HOST, "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = Redis(host=HOST, port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except RedisConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on {HOST}:{self.port}") from None
                time.sleep(0.05)
            finally:
                client.close()
        return self

    def stop(self) -> None:
        """Stop at once, as a crash or a restart would (nothing is saved)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def shared_url() -> str | None:
    """The URL scripts/test.sh exported, checked to be on loopback."""
    url = os.environ.get(ENV)
    return check_loopback(url) if url else None
