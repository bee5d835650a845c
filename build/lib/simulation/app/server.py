"""``lieux-app``: serve the dashboard on http://localhost:8765, every asset from this machine.

Solara's page loads its JavaScript, CSS and fonts (the Vuetify app, RequireJS, Font Awesome) from a CDN path
that the Solara server proxies: ``/_solara/cdn/<package>@<version>/...`` is answered from a cache folder,
``<sys.prefix>/share/solara/cdn/``, and only a file missing there is fetched from the internet. The package
``solara-assets`` (in the ``app`` extra) installs the files of that cache, so nothing is fetched: the page
renders with the network closed (``tests/test_app_browser.py`` checks that every request of the browser goes
to the local server and none fails). Besides, this command turns off what would call out: Solara's telemetry,
its check of the installed version against PyPI and the development-mode page check (it runs Solara in
production mode).

Two gaps of ``solara-assets`` (1.58.2) for the pinned Solara (1.64.1):

* Altair charts (``solara.FigureAltair``, Mesa's default plot backend) ask for ``vega@5``, ``vega-lite@5`` and
  ``vega-embed@6`` (version ranges) where the package holds exact versions: :func:`link_asset_aliases` links the
  range names to them at start-up, so those charts load offline too.
* ``solara.Markdown`` loads KaTeX 0.16.9, which the package does not ship at all: the views use
  ``solara.HTML`` instead (``tests/test_app_browser.py`` fails on any request that does not succeed locally).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

PROG = "lieux-app"
DEFAULT_HOST = "localhost"
DEFAULT_PORT = 8765
APP_MODULE = "simulation.app.pages"
# The assets the page needs at load time, as the Solara version pinned in pyproject.toml names them
# (solara/server/templates/solara.html.j2).
REQUIRED_ASSETS: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.min.js",
    "@widgetti/solara-vuetify-app@10.1.1/dist/main8.css",
    "@widgetti/solara-vuetify-app@10.1.1/dist/fonts.css",
    "requirejs@2.3.6/require.js",
    "font-awesome@4.5.0/css/font-awesome.min.css",
)
# Version ranges that Solara's front end asks the CDN for -> the exact versions solara-assets installs.
ASSET_ALIASES: dict[str, str] = {
    "vega@5": "vega@5.21.0",
    "vega-lite@5": "vega-lite@5.2.0",
    "vega-embed@6": "vega-embed@6.20.2",
}
# Environment of the server: no telemetry, assets through the local proxy (settings read when Solara is imported).
OFFLINE_ENV: dict[str, str] = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    "SOLARA_ASSETS_PROXY": "true",
}


def assets_folder() -> Path:
    """Where Solara's server looks for CDN files before fetching them (``SOLARA_ASSETS_PROXY_CACHE_DIR``)."""
    return Path(
        os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR", Path(sys.prefix) / "share" / "solara" / "cdn")
    )


def missing_assets(folder: Path | None = None) -> list[str]:
    """The required assets absent from the proxy's cache folder (empty when the page can load offline)."""
    root = assets_folder() if folder is None else folder
    return [name for name in REQUIRED_ASSETS if not (root / name).is_file()]


def link_asset_aliases(folder: Path | None = None) -> list[str]:
    """Link the version ranges of :data:`ASSET_ALIASES` to the installed versions in the assets folder.

    Idempotent; an alias that exists (a link, or files fetched earlier) is left alone, and so is one whose
    target is not installed.

    Args:
        folder: the proxy's cache folder (default: :func:`assets_folder`).

    Returns:
        The aliases created now.
    """
    root = assets_folder() if folder is None else folder
    made = []
    for alias, target in ASSET_ALIASES.items():
        link, real = root / alias, root / target
        if real.is_dir() and not link.exists() and not link.is_symlink():
            try:
                link.symlink_to(target, target_is_directory=True)
            except OSError:  # a read-only environment: those charts then need the internet
                continue
            made.append(alias)
    return made


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line of ``lieux-app``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="The lieux-partages dashboard (Run, Compare, Place), served by Solara.",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"interface to listen on (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT}; 0: a free one)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"argument --port: got {args.port}, expected an integer from 0 to 65535")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``lieux-app`` console script: serve :mod:`simulation.app.pages` until interrupted.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
    """
    args = parse_args(argv)
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    try:
        from solara.__main__ import cli as solara_cli
    except ImportError:
        print(
            f"{PROG}: error: Solara is not installed; install the app extra: pip install -e '.[app]'",
            file=sys.stderr,
        )
        sys.exit(2)
    link_asset_aliases()
    missing = missing_assets()
    if missing:
        print(
            f"{PROG}: warning: {len(missing)} of Solara's assets are not in {assets_folder()} (e.g. {missing[0]}); "
            "the page will try to fetch them from the internet (pip install -e '.[app]' installs solara-assets)",
            file=sys.stderr,
        )
    solara_args = [
        "run",
        APP_MODULE,
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--production",  # no development-mode check that loads a page of solara.dev
        "--no-open",
        "--no-check-version",
    ]
    solara_cli.main(args=solara_args, prog_name=PROG)
