"""A real redis-server on a free loopback port, one per test class (``REDIS_SERVER`` overrides the
binary). No server, no test: a missing binary fails the class, it is never skipped."""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

import redis  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    def __init__(self):
        binary = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
        if not binary:
            raise RuntimeError("no redis-server: install it or set REDIS_SERVER to its path")
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="agentbus-py-redis-")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.directory], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}"
        self.client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"redis-server did not answer PING on port {self.port}")
                time.sleep(0.05)

    def stop(self) -> None:
        self.client.close()
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


class RedisTestCase(unittest.IsolatedAsyncioTestCase):
    """Starts a redis-server for the class; ``self.redis`` is a synchronous raw client of it, for wire checks."""

    @classmethod
    def setUpClass(cls):
        cls.server = RedisServer()
        cls.redis = cls.server.client

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    async def eventually(self, condition, timeout: float = 5.0, what: str = "condition"):
        """Waits for ``condition()`` (sync or async) to be truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail(f"timed out after {timeout} s waiting for {what}")
            await asyncio.sleep(0.02)
