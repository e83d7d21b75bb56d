"""Intercom's OpenAPI description (the full 2.16 one), loaded once per session for the contract tests.

The description lives in ``../shared/intercom`` beside the checkout (or ``$INTERCOM_SPEC_DIR``,
as in the root conftest); it is never copied into the project. Without that folder the contract
tests are skipped; with the folder but without ``full/api-2.16.yaml`` they fail, since a broken
copy of the contract must not pass for a missing one.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SPEC_DIR = Path(os.environ.get("INTERCOM_SPEC_DIR", REPO.parent / "shared" / "intercom"))
FULL_SPEC = Path("full") / "api-2.16.yaml"


@pytest.fixture(scope="session")
def spec_dir() -> Path:
    """The shared folder with Intercom's API description; skips when it is absent."""
    if not SPEC_DIR.is_dir():
        pytest.skip(
            f"{SPEC_DIR} is absent: the contract tests need Intercom's OpenAPI description in ../shared/intercom "
            "beside the checkout (or $INTERCOM_SPEC_DIR)"
        )
    if not (SPEC_DIR / FULL_SPEC).is_file():
        pytest.fail(f"{SPEC_DIR} is there but has no {FULL_SPEC}: the full 2.16 description is missing", pytrace=False)
    return SPEC_DIR


@pytest.fixture(scope="session")
def full_spec(spec_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``full/api-2.16.yaml`` parsed; cached as a pickle keyed by the file's hash (parsing takes ~1 s)."""
    text = (spec_dir / FULL_SPEC).read_bytes()
    # pytest-of-<user>/ outlives one session's basetemp and belongs to this user only.
    cache = tmp_path_factory.getbasetemp().parent / f"intercom-api-2.16-{hashlib.sha256(text).hexdigest()[:16]}.pickle"
    if cache.is_file():
        spec: dict[str, Any] = pickle.loads(cache.read_bytes())  # noqa: S301 - our own cache, keyed by content
        return spec
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    partial = cache.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(pickle.dumps(spec))
    partial.replace(cache)  # atomic: parallel workers never read half a file
    return spec
