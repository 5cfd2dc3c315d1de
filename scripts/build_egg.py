"""Build the project's Scrapyd egg: the packages, their data files and the settings entry point.

    .venv/bin/python scripts/build_egg.py [OUT]       # default build/cn_news_crawler.egg
    .venv/bin/scrapyd-deploy [TARGET] --egg build/cn_news_crawler.egg

Scrapyd runs a project from an egg whose ``scrapy`` entry point names the
settings module (``settings = crawler.settings``). Plain ``scrapyd-deploy``
builds one with a ``setup.py`` it writes into the repository, and setuptools then
takes the package metadata from ``pyproject.toml``, which has no ``scrapy``
entry point and wins over ``setup.py``: the egg would upload and fail to run.
So the egg is built here, in a temporary folder from a copy of the packages
(the working tree is left alone), with what ``pyproject.toml`` says about
packages and package data. Deploying is then ``scrapyd-deploy --egg``, which
uploads to the ``[deploy]`` target of ``scrapy.cfg``. See the README, "Scrapyd".
"""

from __future__ import annotations

import argparse
import glob
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "build" / "cn_news_crawler.egg"

_SETUP_PY = """\
from setuptools import setup

setup(
    name={name!r},
    version={version!r},
    packages={packages!r},
    package_data={package_data!r},
    entry_points={{"scrapy": ["settings = {settings}"]}},
    zip_safe=False,
)
"""


def settings_module(repo: Path = REPO) -> str:
    """The ``[settings] default`` module of the project's ``scrapy.cfg``."""
    from configparser import ConfigParser

    cfg = ConfigParser()
    cfg.read(repo / "scrapy.cfg")
    return cfg.get("settings", "default")


def build_egg(out: Path = DEFAULT_OUT, repo: Path = REPO) -> Path:
    """Build the egg into ``out`` (folders created) and return its path."""
    from setuptools import find_packages

    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    tool = project.get("tool", {}).get("setuptools", {})
    include = tool.get("packages", {}).get("find", {}).get("include", ["*"])
    packages = sorted(find_packages(where=str(repo), include=include))
    tops = sorted({p.split(".")[0] for p in packages})
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory(prefix="egg-") as tmp:
        stage = Path(tmp) / "src"
        stage.mkdir()
        for top in tops:
            shutil.copytree(repo / top, stage / top, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (stage / "setup.py").write_text(_SETUP_PY.format(
            name=project["project"]["name"], version=project["project"]["version"], packages=packages,
            package_data=tool.get("package-data", {}), settings=settings_module(repo)))
        dist = Path(tmp) / "dist"
        proc = subprocess.run([sys.executable, "setup.py", "-q", "bdist_egg", "-d", str(dist)],
                              cwd=stage, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"setup.py bdist_egg failed:\n{proc.stderr[-3000:]}")
        (egg,) = glob.glob(str(dist / "*.egg"))
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(egg, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default=str(DEFAULT_OUT),
                        help=f"egg file to write (default {DEFAULT_OUT.relative_to(REPO)})")
    args = parser.parse_args(argv)
    try:
        path = build_egg(Path(args.out))
    except RuntimeError as exc:
        print(f"build_egg: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
