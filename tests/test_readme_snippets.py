"""Each README snippet runs with exactly the extras it names, and needs them.

The snippets are README.md's ```python blocks. A block's extras are those its
section (from its ``## `` heading to the next) names in ``pip install ".[...]"``;
every block after the Quickstart's continues it (it may use ``X_train``,
``model``...), so it runs after the Quickstart's block. A snippet runs in a fresh
process in which every installed distribution that is not needed by skdeep's core
dependencies plus those extras (as ``pyproject.toml`` declares them, with their
own dependencies, transitively) cannot be imported: the environment a user gets
from ``pip install ".[<extras>]"``, without building one. Each snippet that names
an extra must also fail without it (the blocking really blocks, and the extra is
really needed). The other checks: every extra the README names exists, the
Installation section names every feature's extra, and ``all`` is every feature.

The README is being rewritten (issue 15): until its Installation section names
``.[all]``, the README-driven tests are skipped with a message saying so.

The snippets are marked ``slow`` (about a minute together: a process each, twice
for those that name an extra).
"""

import importlib.metadata as metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
EXTRAS = PYPROJECT["project"]["optional-dependencies"]

#: The extras that add a feature (``all`` is all of them).
FEATURES = ("plot", "onnx", "dask", "progress", "skops")

#: The section whose block every other block continues.
FIRST = "Quickstart"

_EXTRA = re.compile(r"""(?:skdeep|\.)\[([a-z,\s]+)\]""")
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _sections(text: str) -> dict:
    """``{heading: text}`` of the README's ``## `` sections."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {heading.strip(): body for heading, body in zip(parts[1::2], parts[2::2])}


def _extras_named(text: str) -> set:
    named = set()
    for group in _EXTRA.findall(text):
        named |= {extra for extra in group.replace(" ", "").split(",") if extra}
    return named


def _snippets(text: str) -> dict:
    """``{id: (extras, code)}`` of the README's python blocks, in order."""
    found = {}
    for heading, body in _sections(text).items():
        blocks = _BLOCK.findall(body)
        extras = tuple(sorted(_extras_named(body) - {"test", "bench"}))
        slug = re.sub(r"[^a-z0-9]+", "_", heading.lower()).strip("_")
        for k, code in enumerate(blocks):
            found[slug if len(blocks) == 1 else f"{slug}_{k}"] = (extras, code)
    return found


TEXT = README.read_text()
SECTIONS = _sections(TEXT)
SNIPPETS = _snippets(TEXT)
PRELUDE = _BLOCK.findall(SECTIONS.get(FIRST, ""))
MERGED = ".[all]" in SECTIONS.get("Installation", "")
readme_merged = pytest.mark.skipif(
    not MERGED,
    reason="README.md's Installation section does not name .[all] yet: the README "
    "proposed with issue 15 is not merged",
)


# ------------------------------------------------- the environment of the extras
def _closure(requirements, extras=()) -> set:
    """Names of the installed distributions that ``requirements`` (strings, with
    ``extras`` active for their markers) need, transitively."""
    needed, seen, todo = set(), set(), [(r, set(extras)) for r in requirements]
    while todo:
        text, active = todo.pop()
        req = Requirement(text)
        if req.marker is not None and not any(
            req.marker.evaluate({"extra": extra}) for extra in (active or {""})
        ):
            continue
        # A distribution is visited again for other extras (dask-ml needs
        # dask[array,dataframe] where the dask extra names dask[array]).
        key = (_canonical(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue  # optional elsewhere, not installed here
        needed.add(key[0])
        todo.extend((r, set(req.extras)) for r in dist.requires or ())
    return needed


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _blocked_modules(extras) -> list:
    """Top-level modules of installed distributions that skdeep's core plus
    ``extras`` do not need."""
    requirements = list(PYPROJECT["project"]["dependencies"])
    for extra in extras:
        requirements.extend(EXTRAS[extra])
    allowed = _closure(requirements) | {"skdeep"}
    blocked = set()
    for module, dists in metadata.packages_distributions().items():
        if module.startswith("_") or module in sys.stdlib_module_names:
            continue
        if not any(_canonical(dist) in allowed for dist in dists):
            blocked.add(module)
    return sorted(blocked)


BLOCKER = """
import importlib.abc, sys

class _NotInstalled(importlib.abc.MetaPathFinder):
    blocked = frozenset({blocked!r})

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.blocked:
            raise ModuleNotFoundError(
                f"No module named {{name!r}} (not in these extras)", name=name
            )
        return None

sys.meta_path.insert(0, _NotInstalled())
"""


def _run(name, extras, tmp_path):
    code = BLOCKER.format(blocked=_blocked_modules(extras))
    slug = re.sub(r"[^a-z0-9]+", "_", FIRST.lower())
    if name != slug and PRELUDE:
        code += PRELUDE[0]
    code += SNIPPETS[name][1]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
@readme_merged
@pytest.mark.parametrize("name", list(SNIPPETS))
def test_a_snippet_runs_with_exactly_its_extras(name, tmp_path):
    result = _run(name, SNIPPETS[name][0], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
@readme_merged
@pytest.mark.parametrize("name", [name for name in SNIPPETS if SNIPPETS[name][0]])
def test_a_snippet_fails_without_its_extras(name, tmp_path):
    result = _run(name, (), tmp_path)
    assert result.returncode != 0
    assert "not in these extras" in result.stderr, result.stderr[-3000:]


@readme_merged
def test_the_snippets_are_the_documented_ones():
    """The Quickstart's block, and one block naming each feature's extra (so a
    section that loses its ``pip install`` line or its example fails here)."""
    assert PRELUDE, f"README.md has no python block under '## {FIRST}'"
    covered = set()
    for extras, _ in SNIPPETS.values():
        covered |= set(extras)
    assert covered == set(FEATURES), covered


@readme_merged
def test_the_installation_section_names_every_extra():
    named = _extras_named(SECTIONS["Installation"])
    assert named >= {*FEATURES, "all", "test", "bench"}, named


def test_the_core_does_not_import_an_extra():
    """``import skdeep`` and every estimator need none of the extras."""
    code = BLOCKER.format(blocked=_blocked_modules(()))
    code += "import skdeep\nfrom skdeep import *  # noqa: F403\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


def test_every_extra_the_readme_names_exists():
    for extra in _extras_named(TEXT):
        assert extra in EXTRAS, f"README names the extra {extra!r}"


def test_all_is_every_feature():
    features = set()
    for extra in FEATURES:
        features |= set(EXTRAS[extra])
    assert set(EXTRAS["all"]) == features
