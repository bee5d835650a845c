"""Beasley's OR-Library p-median instances (pmed1-pmed40): reader and published optima.

File format (OR-Library, ``pmedinfo``): the first line is ``n_vertices n_edges p``, then one undirected edge a
line, ``i j cost``, vertices numbered from 1. The cost matrix of the p-median problem is the all-pairs
shortest-path distance over that graph; every vertex is both a demand point (weight 1) and a candidate site.

The duplicate-edge rule: some instances list the same edge twice with different costs (pmed1 has 2 such
edges, pmed40 has 315). The published optima are those of the graph in which the **last** listed cost of an
edge is kept (as in Beasley's own Fortran reader, which overwrites the matrix entry), not the smallest; the
reader follows that rule. Both plain and gzip-compressed (``.gz``) files are read.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import shortest_path

from simulation import resources
from simulation.core.errors import InputFileError

__all__ = [
    "PMedInstance",
    "default_data_dir",
    "instance_path",
    "read_pmed",
    "read_pmed_optima",
]


@dataclass(frozen=True)
class PMedInstance:
    """An OR-Library p-median instance.

    Attributes:
        name: the file's stem (``pmed1``).
        n: number of vertices (demand points = candidate sites).
        p: number of medians to open.
        edges: ``(m, 3)`` integer array of the kept edges ``i, j, cost`` (0-based vertices, ``i < j``,
            duplicates resolved by the last-listed rule).
        n_edges_listed: number of edge lines of the file (duplicates included).
        cost: ``(n, n)`` float array of shortest-path distances (``np.inf`` between disconnected vertices).
    """

    name: str
    n: int
    p: int
    edges: np.ndarray
    n_edges_listed: int
    cost: np.ndarray


def default_data_dir() -> Path:
    """The repository's ``data/orlib-pmed`` folder (the instances are committed gzip-compressed)."""
    return resources.data_dir("orlib-pmed")


def instance_path(name: str, data_dir: str | Path | None = None) -> Path:
    """The file of instance ``name`` (``pmed7``) in ``data_dir``: ``name.txt`` or ``name.txt.gz``.

    Raises:
        InputFileError: neither file exists.
    """
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    for candidate in (folder / f"{name}.txt", folder / f"{name}.txt.gz"):
        if candidate.is_file():
            return candidate
    raise InputFileError(
        str(folder / f"{name}.txt"), "missing (nor .txt.gz); expected an OR-Library pmed file"
    )


def _read_lines(path: Path) -> list[str]:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="ascii") as fh:
                return fh.read().splitlines()
        return path.read_text(encoding="ascii").splitlines()
    except FileNotFoundError:
        raise InputFileError(str(path), "missing; expected an OR-Library pmed file") from None
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputFileError(str(path), f"unreadable ({exc})") from None


def _ints(path: Path, line_no: int, text: str, what: str, count: int) -> list[int]:
    fields = text.split()
    if len(fields) != count:
        raise InputFileError(
            str(path),
            f"expected {count} integers ({what}), got {len(fields)} fields: {text.strip()!r}",
            line_no,
        )
    try:
        return [int(f) for f in fields]
    except ValueError:
        raise InputFileError(
            str(path), f"expected integers ({what}), got {text.strip()!r}", line_no
        ) from None


def read_pmed(path: str | Path) -> PMedInstance:
    """Read an OR-Library p-median file and compute its shortest-path cost matrix.

    Args:
        path: a ``pmedN.txt`` file, plain or ``.gz``.

    Returns:
        The instance, with ``cost[i, j]`` the shortest-path distance between vertices ``i`` and ``j``
        (0-based), the last-listed cost of a duplicated edge being the one kept.

    Raises:
        InputFileError: the file is missing, unreadable or malformed (names the line): a header that is
            not three positive integers, ``p > n``, an edge line that is not three integers, a vertex out of
            ``1..n``, a negative cost, fewer edge lines than announced, or extra non-blank lines.
    """
    path = Path(path)
    lines = _read_lines(path)
    # Line numbers are 1-based, as an editor shows them; blank lines are skipped but keep their numbers.
    numbered = [(k + 1, text) for k, text in enumerate(lines) if text.strip()]
    if not numbered:
        raise InputFileError(str(path), "empty; expected a header 'n_vertices n_edges p'", 1)
    header_no, header = numbered[0]
    n, m, p = _ints(path, header_no, header, "n_vertices n_edges p", 3)
    if n < 1 or m < 0 or p < 1 or p > n:
        raise InputFileError(
            str(path),
            f"header {header.strip()!r}: expected n_vertices >= 1, n_edges >= 0, 1 <= p <= n",
            header_no,
        )
    body = numbered[1:]
    if len(body) < m:
        last = body[-1][0] if body else header_no
        raise InputFileError(str(path), f"the header announces {m} edges, the file has {len(body)}", last)
    if len(body) > m:
        raise InputFileError(str(path), f"extra line after the {m} edges announced by the header", body[m][0])
    edges = np.empty((m, 3), dtype=np.int64)
    for row, (line_no, text) in enumerate(body):
        i, j, c = _ints(path, line_no, text, "i j cost", 3)
        if not (1 <= i <= n and 1 <= j <= n):
            raise InputFileError(str(path), f"vertex out of range 1..{n} in {text.strip()!r}", line_no)
        if c < 0:
            raise InputFileError(str(path), f"negative cost {c}; expected a cost >= 0", line_no)
        edges[row] = (min(i, j) - 1, max(i, j) - 1, c)
    edges = edges[edges[:, 0] != edges[:, 1]]  # a self-loop never shortens a path
    # Last-listed rule: unique over the reversed list keeps each pair's first occurrence there, i.e. its last.
    key = edges[:, 0] * n + edges[:, 1]
    _, first_in_reversed = np.unique(key[::-1], return_index=True)
    kept = edges[::-1][np.sort(first_in_reversed)][::-1]
    kept = kept[np.lexsort((kept[:, 1], kept[:, 0]))]
    # A zero-cost edge would vanish from a sparse matrix (csgraph reads a stored zero as "no edge"), so it gets
    # a tiny positive cost and the distances are rounded back (OR-Library costs are integers).
    weight = np.where(kept[:, 2] == 0, 1e-9, kept[:, 2]).astype(float)
    graph = coo_array((weight, (kept[:, 0], kept[:, 1])), shape=(n, n)).tocsr()
    cost = shortest_path(graph, method="D", directed=False)
    finite = np.isfinite(cost)
    cost[finite] = np.round(cost[finite])
    return PMedInstance(name=path.name.split(".")[0], n=n, p=p, edges=kept, n_edges_listed=m, cost=cost)


def read_pmed_optima(path: str | Path | None = None) -> dict[str, float]:
    """Read ``pmedopt.txt``: the published optimal value of each instance.

    Args:
        path: the file (plain or ``.gz``); default: ``pmedopt.txt`` in :func:`default_data_dir`.

    Returns:
        ``{"pmed1": 5819.0, ...}``.

    Raises:
        InputFileError: a line (after the optional header ``Data file ...``) is not ``name value``.
    """
    if path is None:
        folder = default_data_dir()
        path = folder / "pmedopt.txt"
        if not path.is_file():
            path = folder / "pmedopt.txt.gz"
    path = Path(path)
    optima: dict[str, float] = {}
    for k, text in enumerate(_read_lines(path)):
        fields = text.split()
        if not fields or (k == 0 and not fields[-1].lstrip("-").isdigit()):
            continue  # blank line or the header line
        if len(fields) != 2:
            raise InputFileError(str(path), f"expected 'name value', got {text.strip()!r}", k + 1)
        try:
            optima[fields[0]] = float(fields[1])
        except ValueError:
            raise InputFileError(str(path), f"expected a number, got {fields[1]!r}", k + 1) from None
    return optima
