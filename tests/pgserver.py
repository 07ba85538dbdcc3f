"""A throwaway PostgreSQL server for the tests: the machine's own binaries
(Debian's postgresql package, /usr/lib/postgresql/N/bin, or initdb on the
PATH), a cluster in a temporary directory, listening on a free loopback port,
stopped and deleted at the end of the session.

PostgreSQL refuses to run as root; as root the cluster belongs to the
`postgres` system user (the package makes it) and its programs run as that
user. Each test gets a database of its own (`database()`), made from
template0 in a few tens of milliseconds.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = (
    "the hub's tests need PostgreSQL's server binaries (initdb, postgres): "
    "install them (Debian: apt-get install postgresql; .ci/run does) or put initdb on the PATH"
)


def find_bin() -> Path:
    """The directory holding initdb and postgres: the newest Debian cluster version, else the PATH."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name), reverse=True
    )
    if found:
        return found[0].parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError(INSTALL_HINT)
    return Path(initdb).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One cluster for the session; `database()` a fresh database in it."""

    def __init__(self) -> None:
        self.bin = find_bin()
        self.root = Path(tempfile.mkdtemp(prefix="floorview-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None
        self._names = itertools.count(1)
        self._user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self._user = pwd.getpwnam("postgres")
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)

    def _run_as(self) -> dict:
        if self._user is None:
            return {}
        uid, gid = self._user.pw_uid, self._user.pw_gid

        def drop() -> None:
            os.setgid(gid)
            os.setuid(uid)

        return {"preexec_fn": drop}

    def start(self) -> PostgresServer:
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", "floorview", "--auth=trust", "-E", "UTF8"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.root,
            **self._run_as(),
        )
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.root),
            "max_connections": "300",
            "fsync": "off",  # a throwaway cluster: durability is not what the tests are about
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        args = [str(self.bin / "postgres"), "-D", str(self.data)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        log = open(self.root / "server.log", "wb")  # noqa: SIM115 - the server's, closed with it
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, cwd=self.root, **self._run_as())
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start: {(self.root / 'server.log').read_text()[-2000:]}")
                time.sleep(0.05)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.dsn("postgres")):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def dsn(self, db: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=floorview dbname={db}"

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://floorview@127.0.0.1:{self.port}/{db}"

    def database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"t{next(self._names)}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: ends open sessions (SIGTERM waits for them)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.root, ignore_errors=True)
