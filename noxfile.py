"""CI as nox sessions: the cell matrix (Airflow/Python pairs) and lint, defined once here.

A cell is one Airflow release on one Python, pinned by ``constraints/airflow-<AIRFLOW>-py<X.Y>.txt``.
Sessions (``nox -l`` lists them; the Makefile is the usual entry point and runs them):

- ``test-<cell>``: the test suite in that cell's virtualenv (``.nox/``); tags ``cells``, and ``default``
  (the first cell, what ``make test`` runs) or ``others``.
- ``lint``: ruff, ruff format, mypy, and the checks on the CI files, in the default cell.
- ``constraints-<cell>``: (re)write the cell's constraints file from a resolved install.
- ``dev``: the virtualenv ``make demo``/``ui``/``bench`` use (``.venv``, or ``.venv-<cell>`` for
  ``nox -s dev -- <cell>``).

Virtualenvs are built and filled by uv, which is several times faster than venv + pip here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nox

REPO = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Cell:
    """One Airflow release on one Python minor version."""

    airflow: str
    python: str

    @property
    def name(self) -> str:
        return f"{self.airflow}-py{self.python}"

    @property
    def line(self) -> str:
        """The Airflow line, 3.0.6 -> 3.0 (3.4.0b2 -> 3.4)."""
        return ".".join(self.airflow.split(".")[:2])

    @property
    def constraints(self) -> Path:
        return REPO / "constraints" / f"airflow-{self.name}.txt"


# The cells CI tests: one per supported Airflow line, on its oldest or newest Python here.
# The first is the default cell: `make test`, lint, `make demo` and `make ui` use it.
CELLS = (
    Cell("3.3.2", "3.11"),
    Cell("2.11.2", "3.12"),
    Cell("3.0.6", "3.12"),
    Cell("3.1.8", "3.12"),
    Cell("3.2.2", "3.13"),
    Cell("3.3.2", "3.13"),
    Cell("3.4.0b2", "3.13"),
)
DEFAULT = CELLS[0]

# Per Airflow line: requirements installed beside Airflow, pinned by the same constraints.
# On Airflow 3.0 and 3.1 the connection form's widgets and field behaviours come from the hook's
# classmethods, which Airflow only loads with Flask-AppBuilder, i.e. the FAB provider, installed.
# (2.x has FAB built in; >= 3.2 builds the form from the provider info.)
EXTRA_REQS = {
    "3.0": ["apache-airflow-providers-fab"],
    "3.1": ["apache-airflow-providers-fab"],
}
# Only when resolving a cell's constraints: one aiohttp in every cell, and upper bounds on releases
# newer than an Airflow line that break every DAG run on it.
RESOLVE_PINS = {
    "3.0": ["fastapi<0.117", "cadwyn<6", "svcs<26"],
    "3.2": ["fastapi<0.137", "svcs<26"],
}
ALL_LINES_PINS = ["aiohttp==3.14.5"]

nox.options.default_venv_backend = "uv"
# Re-running a session reuses its virtualenv; uv makes the install step a quick no-op.
nox.options.reuse_venv = "yes"
# Plain `nox`: lint and every cell, which is what CI runs.
nox.options.sessions = ["lint", *(f"test-{cell.name}" for cell in CELLS)]
nox.options.error_on_missing_interpreters = True


def interpreter(version: str) -> str:
    """The interpreter for Python ``version`` (``3.12``): ``python3.12`` on PATH if it runs, else pyenv's.

    pyenv's shims run only the versions pyenv has selected; when the shim refuses, the interpreter
    is taken from pyenv's own install of that version (the newest patch release).
    """
    exe = shutil.which(f"python{version}")
    if exe and subprocess.run([exe, "-c", ""], capture_output=True, check=False).returncode == 0:  # noqa: S603
        return exe
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(
        root.glob(f"versions/{version}.*/bin/python{version}"),
        key=lambda p: tuple(int(x) for x in p.parts[-3].split(".") if x.isdigit()),
    )
    return str(found[-1]) if found else version


def install_cell(session: nox.Session, cell: Cell, *extras: str) -> None:
    """Airflow, the cell's extra requirements and the project (editable, with ``extras``), pinned."""
    need_constraints(session, cell)
    session.install(
        "-c", str(cell.constraints), f"apache-airflow=={cell.airflow}", *EXTRA_REQS.get(cell.line, []),
        f"-e.[{','.join(extras)}]",
    )  # fmt: skip


def need_constraints(session: nox.Session, cell: Cell) -> None:
    if not cell.constraints.exists():
        session.error(
            f"No {cell.constraints.relative_to(REPO)}: resolve it with `nox -s constraints-{cell.name}`"
            f" (make constraints AIRFLOW_VERSION={cell.airflow} PYTHON=python{cell.python})."
        )


def add_cell_sessions(cell: Cell) -> None:
    tags = ["cells", "default" if cell == DEFAULT else "others"]

    @nox.session(name=f"test-{cell.name}", python=interpreter(cell.python), tags=tags, download_python="never")
    def test(session: nox.Session) -> None:
        install_cell(session, cell, "test")
        session.run("python", "-c", "import airflow, sys; print('Airflow', airflow.__version__, 'on', sys.version)")
        session.run("pytest", *session.posargs)

    @nox.session(name=f"constraints-{cell.name}", python=interpreter(cell.python), default=False, reuse_venv=False)
    def constraints(session: nox.Session) -> None:
        # The existing file constrains the resolve, so only what changed is resolved anew; delete it
        # for a fresh resolve. The project itself is left out of the freeze.
        pins = [*ALL_LINES_PINS, *RESOLVE_PINS.get(cell.line, [])]
        existing = ["-c", str(cell.constraints)] if cell.constraints.exists() else []
        session.install(
            *existing, f"apache-airflow=={cell.airflow}", *EXTRA_REQS.get(cell.line, []), *pins, "-e.[test,lint]"
        )
        session.run("uv", "pip", "check", external=True)
        frozen = session.run("uv", "pip", "freeze", "-q", "--exclude-editable", external=True, silent=True)
        assert isinstance(frozen, str)
        cell.constraints.write_text(frozen)
        session.log(f"wrote {cell.constraints.relative_to(REPO)}")


for _cell in CELLS:
    add_cell_sessions(_cell)


@nox.session(python=interpreter(DEFAULT.python), download_python="never")
def lint(session: nox.Session) -> None:
    """ruff, ruff format and mypy in the default cell, then the checks on the CI files."""
    install_cell(session, DEFAULT, "test", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    check_ci_files(session)


def check_ci_files(session: nox.Session) -> None:
    """Every constraints file belongs to a cell, and pins what every cell's tests need."""
    cells = {cell.constraints.name for cell in CELLS}
    stray = sorted(p.name for p in (REPO / "constraints").glob("*.txt") if p.name not in cells)
    if stray:
        session.error(f"constraints/ holds files no cell uses: {', '.join(stray)} (remove them, or add the cells)")
    for cell in CELLS:
        text = cell.constraints.read_text() if cell.constraints.exists() else ""
        pinned = {line.split("==")[0].strip().lower() for line in text.splitlines() if "==" in line}
        missing = sorted({"apache-airflow", "trustme", "python-intercom", "aiohttp"} - pinned)
        if missing:
            session.error(f"{cell.constraints.relative_to(REPO)} pins no {', '.join(missing)}: re-resolve it")


@nox.session(venv_backend="none", default=False)
def dev(session: nox.Session) -> None:
    """The virtualenv for make demo/ui/bench: ``.venv`` for the default cell, ``.venv-<cell>`` else."""
    cell = next((c for c in CELLS if c.name in session.posargs), None) if session.posargs else DEFAULT
    if cell is None:
        session.error(f"No cell {' '.join(session.posargs)}; cells: {', '.join(c.name for c in CELLS)}")
    venv = REPO / (".venv" if cell == DEFAULT else f".venv-{cell.name}")
    need_constraints(session, cell)
    session.run("uv", "venv", "--allow-existing", "-q", "-p", interpreter(cell.python), str(venv), external=True)
    env = {"VIRTUAL_ENV": str(venv)}
    session.run(
        "uv", "pip", "install", "-q", "-c", str(cell.constraints), f"apache-airflow=={cell.airflow}",
        *EXTRA_REQS.get(cell.line, []), "-e.[test,lint,bench]", external=True, env=env,
    )  # fmt: skip
