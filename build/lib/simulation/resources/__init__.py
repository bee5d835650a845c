"""The repository's ``configs/``, ``experiments/`` and ``data/`` folders as package resources.

They stay at the top level of the repository, where users look for them, and this package reaches them through
symbolic links (``configs -> ../../../configs``...), so that there is one source: an editable install from a clone
reads the clone's folders, and a wheel (``pip install .``) carries copies of them as package data
(``pyproject.toml``, ``[tool.setuptools.package-data]``). Hydra finds the configuration through its ``pkg://``
search path (``pkg://simulation.resources.configs``, which is why ``configs/`` holds an ``__init__.py``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _folder(name: str) -> Path:
    return Path(str(resources.files(__name__) / name))


def configs_dir() -> Path:
    """The configuration folder (``config.yaml`` and the config groups)."""
    return _folder("configs")


def experiments_dir() -> Path:
    """The folder of the experiment files (``<name>.yaml``)."""
    return _folder("experiments")


def data_dir(name: str) -> Path:
    """A folder of the shipped data (``nievre``, ``france``, ``orlib-pmed``)."""
    return _folder("data") / name
