"""Pytest plugin: run tests against SQLite and a throwaway PostgreSQL server.

Load it from ``tests/conftest.py`` with ``pytest_plugins = ["tests.db_fixtures"]``.

Fixtures:

``db_url``
    Parametrized over ``sqlite`` and ``postgresql``: a SQLAlchemy URL of a new, empty
    database (a file under ``tmp_path``, or a fresh PostgreSQL database), also set as
    ``CATALOG_DB`` so CLI calls in the test use it.
``sqlite_url`` / ``pg_url``
    The same for one backend only.
``migrated_db_url`` (and ``migrated_sqlite_url`` / ``migrated_pg_url``)
    The same, but already migrated to the newest schema: copied from a database that
    was migrated once per session, which is faster than migrating in every test.
``pg_server``
    The PostgreSQL server of this test session (one per xdist worker): started on first
    use with ``initdb`` + ``pg_ctl`` in a temporary folder, listening on a unix socket
    there only, trust authentication, stopped and deleted at the end of the session.

When PostgreSQL cannot be started (no server binaries, even after one
``apt-get install -y postgresql``; no unprivileged user to run it as), every test that
needs it is skipped with one line giving the reason; SQLite tests still run.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

BACKENDS = ["sqlite", "postgresql"]
# Set CATALOG_TEST_PG_URL to a server's URL (a superuser's, database part ignored) to
# use an existing PostgreSQL instead of starting one.
EXTERNAL_ENV = "CATALOG_TEST_PG_URL"
_SUPERUSER = "postgres"
_TEMPLATE = "catalog_template"
_counter = itertools.count(1)


class PostgresUnavailable(Exception):
    """Why no PostgreSQL server could be had, in one line."""


@dataclass
class PgServer:
    """A running PostgreSQL server the tests may create databases in."""

    base_url: str  # "postgresql+psycopg://postgres@/{db}?host=/tmp/..." with {db}
    folder: Path | None = None  # the server's temp folder, when we started it
    run_as: str | None = None
    bindir: Path | None = None
    _admin: Engine | None = None
    template: str = _TEMPLATE  # the empty database new ones are copied from
    _migrated_template: str | None = None
    watchdog: subprocess.Popen[bytes] | None = None

    def url(self, dbname: str) -> str:
        return self.base_url.format(db=dbname)

    def admin(self, sql: str) -> None:
        """Run one statement as the superuser, outside a transaction."""
        if self._admin is None:
            from sqlalchemy import create_engine

            self._admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            conn.exec_driver_sql(sql)

    def dispose(self) -> None:
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None

    def create_database(self, *, migrated: bool = False) -> str:
        """A new database, empty or already at the newest schema; its URL."""
        template = self.template
        if migrated:
            if not self._migrated_template:
                self._migrated_template = self._make_migrated_template()
            template = self._migrated_template
        name = f"t{os.getpid()}_{next(_counter)}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE {template}')
        return self.url(name)

    def _make_migrated_template(self) -> str:
        from catalog.store.catalog import Catalog

        name = f"{self.template}_head"
        self.admin(f"DROP DATABASE IF EXISTS {name}")
        self.admin(f"CREATE DATABASE {name} TEMPLATE {self.template}")
        Catalog.open(self.url(name)).close()  # migrate, then leave no connection behind
        return name

    def drop_database(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _find_bindir() -> Path | None:
    candidates = []
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _install_postgres() -> None:
    """One ``apt-get install -y postgresql`` (root only); xdist workers take turns."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    import fcntl

    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with open("/tmp/catalog-tests-apt.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _find_bindir() is not None:  # another worker installed it meanwhile
            return
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "postgresql"]):
            cmd[1:1] = ["-o", "DPkg::Lock::Timeout=300"]
            subprocess.run(cmd, env=env, capture_output=True, timeout=900, check=False)


def _unprivileged_user() -> str | None:
    """The user to run the server as: initdb and postgres refuse to run as root."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise PostgresUnavailable("running as root and no 'postgres' or 'nobody' user to run it as")


def _run(cmd: list[str], user: str | None, log_hint: str) -> None:
    if user is not None:
        cmd = ["runuser", "-u", user, "--", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).split())[-300:]
        raise PostgresUnavailable(f"{log_hint} failed: {tail}")


def start_postgres() -> PgServer:
    """initdb + pg_ctl start in a new temp folder; raise PostgresUnavailable if it can't."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise PostgresUnavailable("psycopg missing: pip install 'catalog[postgres]'") from None
    bindir = _find_bindir()
    if bindir is None:
        _install_postgres()
        bindir = _find_bindir()
    if bindir is None:
        raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) found")
    user = _unprivileged_user()
    # Short path: a unix socket path must fit in ~100 bytes.
    folder = Path(tempfile.mkdtemp(prefix="catpg", dir="/tmp"))
    try:
        if user is not None:
            shutil.chown(folder, user=user)
        data = folder / "data"
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                _SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            user,
            "initdb",
        )
        options = (
            f"-c listen_addresses='' -k {folder} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(folder / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            user,
            "pg_ctl start",
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    server = PgServer(
        base_url=f"postgresql+psycopg://{_SUPERUSER}@/{{db}}?host={folder}",
        folder=folder,
        run_as=user,
        bindir=bindir,
    )
    server.watchdog = subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(folder), *_stop_command(server)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        server.admin(f"CREATE DATABASE {server.template}")
    except Exception as exc:
        stop_postgres(server)
        raise PostgresUnavailable(f"server started but cannot be used: {exc}") from None
    return server


# Stops the server if the test process dies without cleaning up (killed, crashed):
# argv is the test process id, the server folder, then the stop command.
_WATCHDOG = """
import os, shutil, subprocess, sys, time
pid, folder, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
while os.path.isdir(folder):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        subprocess.run(stop, capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
        break
    time.sleep(1)
"""


def _stop_command(server: PgServer) -> list[str]:
    assert server.folder is not None and server.bindir is not None
    cmd = [str(server.bindir / "pg_ctl"), "-D", str(server.folder / "data"), "-m", "immediate"]
    cmd += ["-w", "stop"]
    if server.run_as is not None:
        cmd = ["runuser", "-u", server.run_as, "--", *cmd]
    return cmd


def stop_postgres(server: PgServer) -> None:
    if server.folder is None:  # an external server: leave it as we found it
        for name in (server._migrated_template, server.template):
            if name:
                try:
                    server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                except Exception:
                    pass
    server.dispose()
    if server.folder is None or server.bindir is None:
        return
    subprocess.run(_stop_command(server), capture_output=True, timeout=60, check=False)
    shutil.rmtree(server.folder, ignore_errors=True)
    if server.watchdog is not None:  # it sees the folder gone and exits
        server.watchdog.wait(timeout=30)


def external_server(url: str) -> PgServer:
    from sqlalchemy.engine import make_url

    parsed = make_url(url).set(database="DBNAME")
    base = parsed.render_as_string(hide_password=False).replace("DBNAME", "{db}", 1)
    server = PgServer(base_url=base)
    try:
        server.admin(f"DROP DATABASE IF EXISTS {_TEMPLATE}")
        server.admin(f"CREATE DATABASE {server.template}")
    except Exception as exc:
        raise PostgresUnavailable(f"{EXTERNAL_ENV} server cannot be used: {exc}") from None
    return server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    external = os.environ.get(EXTERNAL_ENV)
    try:
        server = external_server(external) if external else start_postgres()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {' '.join(str(exc).split())}")
    try:
        yield server
    finally:
        stop_postgres(server)


@pytest.fixture
def pg_url(pg_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = pg_server.create_database()
    monkeypatch.setenv("CATALOG_DB", url)
    yield url
    try:
        pg_server.drop_database(url)
    except Exception:  # a test that left connections open; the server goes away anyway
        pass


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    monkeypatch.setenv("CATALOG_DB", url)
    return url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    """A new, empty database on each backend; also ``CATALOG_DB`` for CLI calls."""
    name = "pg_url" if request.param == "postgresql" else "sqlite_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from catalog.store.catalog import Catalog

    path = tmp_path_factory.mktemp("migrated") / "catalog.sqlite"
    Catalog.open(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def migrated_sqlite_url(
    _migrated_sqlite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    import sqlite3

    target = tmp_path / "catalog.sqlite"
    with sqlite3.connect(_migrated_sqlite) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    copy.close()
    url = f"sqlite:///{target}"
    monkeypatch.setenv("CATALOG_DB", url)
    return url


@pytest.fixture
def migrated_pg_url(pg_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = pg_server.create_database(migrated=True)
    monkeypatch.setenv("CATALOG_DB", url)
    yield url
    try:
        pg_server.drop_database(url)
    except Exception:
        pass


@pytest.fixture(params=BACKENDS)
def migrated_db_url(request: pytest.FixtureRequest) -> str:
    """Like ``db_url``, but the database is already at the newest schema (faster)."""
    name = "migrated_pg_url" if request.param == "postgresql" else "migrated_sqlite_url"
    url: str = request.getfixturevalue(name)
    return url
