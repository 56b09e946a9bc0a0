"""Shared fixtures: where the guest images and CPU test vectors live.

``PYX86_IMAGES`` names the images folder (default ``../shared/images`` beside
the checkout); the CPU test vectors are its sibling ``cpu-tests``.  Missing
data fails the tests that need it: a skip would let the suite stop checking
without anyone noticing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _required_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        pytest.fail(f"{what} not found: {path} (set PYX86_IMAGES to the images folder)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def images_dir() -> Path:
    """The guest images folder: ``$PYX86_IMAGES``, else ``<repo>/../shared/images``."""
    env = os.environ.get("PYX86_IMAGES")
    return _required_dir(Path(env) if env else REPO_ROOT.parent / "shared" / "images", "images folder")


@pytest.fixture(scope="session")
def cpu_tests_dir(images_dir: Path) -> Path:
    """The SingleStepTests vectors: ``cpu-tests`` beside the images folder."""
    return _required_dir(images_dir.parent / "cpu-tests", "CPU test vectors folder")
