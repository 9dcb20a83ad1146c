"""The on-disk cache of the checked knowledge base and the atlas: current, checked, private.

Each test works on its own copy of the shipped data and its own cache folder, so the
copy can be edited the way a data author would edit it.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from filiform.core.atlas.build import build_atlas, load_spec
from filiform.core.atlas.model import Atlas
from filiform.core.kb import cache, loader
from filiform.core.kb.knowledge import KnowledgeBase
from filiform.errors import KnowledgeBaseError

TARGET = Path("targets/muscles/infraspinatus.yaml")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(str(resources.files("filiform.data")), root, ignore=shutil.ignore_patterns("__pycache__"))
    assert (root / TARGET).is_file()
    return root


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every real build of the base (a cache hit does not call the loader)."""
    seen: list[Path] = []
    real = loader.load_checked

    def counting(root: Path | None = None) -> KnowledgeBase:
        seen.append(Path(str(root)))
        return real(root)

    monkeypatch.setattr(loader, "load_checked", counting)
    return seen


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("knowledge-base-*.pickle"))


def _rename(root: Path, old: str, new: str) -> None:
    path = root / TARGET
    text = path.read_text(encoding="utf-8")
    assert f"name: {old}\n" in text
    path.write_text(text.replace(f"name: {old}\n", f"name: {new}\n", 1), encoding="utf-8")


def test_an_edited_data_file_rebuilds_the_cache(data: Path, tmp_path: Path, builds: list[Path]) -> None:
    folder = tmp_path / "cache"
    first = loader.load_cached(data, folder=folder)
    again = loader.load_cached(data, folder=folder)
    assert builds == [data]  # the second load came from disk
    assert len(_entries(folder)) == 1
    assert again.target("infraspinatus").name == first.target("infraspinatus").name == "Infraspinatus"

    _rename(data, "Infraspinatus", "Infraspinatus (edited)")
    edited = loader.load_cached(data, folder=folder)
    assert builds == [data, data]
    assert edited.target("infraspinatus").name == "Infraspinatus (edited)"
    assert len(_entries(folder)) == 2  # a new key; the old entry can never match again

    assert loader.load_cached(data, folder=folder).target("infraspinatus").name == "Infraspinatus (edited)"
    assert len(builds) == 2


def test_a_cache_hit_is_the_same_base_as_a_fresh_load(data: Path, tmp_path: Path) -> None:
    fresh = loader.load_checked(data)
    loader.load_cached(data, folder=tmp_path / "cache")
    hit = loader.load_cached(data, folder=tmp_path / "cache")
    assert hit is not fresh
    for field in ("targets", "citations", "danger", "depth"):
        assert list(getattr(hit, field)) == list(getattr(fresh, field))
        assert {k: v.model_dump() for k, v in getattr(hit, field).items()} == {
            k: v.model_dump() for k, v in getattr(fresh, field).items()
        }
    assert hit.origins == fresh.origins
    assert hit.docs == fresh.docs == []


def test_invalid_data_is_refused_and_never_cached(data: Path, tmp_path: Path) -> None:
    path = data / TARGET
    text = path.read_text(encoding="utf-8")
    assert "citations: [donnelly2019, kwon2017" in text
    path.write_text(text.replace("citations: [donnelly2019", "citations: [no_such_source_2099, donnelly2019", 1))
    folder = tmp_path / "cache"
    with pytest.raises(KnowledgeBaseError):
        loader.load_cached(data, folder=folder)
    assert _entries(folder) == []


@pytest.mark.parametrize("damage", ["truncate", "flip", "foreign"])
def test_a_damaged_entry_is_rebuilt_not_trusted(damage: str, data: Path, tmp_path: Path, builds: list[Path]) -> None:
    folder = tmp_path / "cache"
    loader.load_cached(data, folder=folder)
    (entry,) = _entries(folder)
    raw = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(raw[: len(raw) // 2])
    elif damage == "flip":
        entry.write_bytes(raw[:-10] + bytes([raw[-10] ^ 0xFF]) + raw[-9:])
    else:
        entry.write_bytes(b"not a cache file at all\n")
    kb = loader.load_cached(data, folder=folder)
    assert len(builds) == 2
    assert kb.target("infraspinatus").name == "Infraspinatus"
    assert cache.MAGIC in _entries(folder)[0].read_bytes()[: len(cache.MAGIC)]


def test_an_entry_others_could_write_is_ignored(data: Path, tmp_path: Path, builds: list[Path]) -> None:
    folder = tmp_path / "cache"
    loader.load_cached(data, folder=folder)
    (entry,) = _entries(folder)
    assert entry.stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700
    entry.chmod(0o666)
    loader.load_cached(data, folder=folder)
    assert len(builds) == 2


def test_switched_off_or_unwritable_builds_in_memory(
    data: Path, tmp_path: Path, builds: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.OFF_ENV, "1")
    assert cache.cache_dir() is None
    loader.load_cached(data)
    monkeypatch.delenv(cache.OFF_ENV)
    blocked = tmp_path / "a-file"  # no folder can be made below a file, whoever runs the test
    blocked.write_text("")
    kb = loader.load_cached(data, folder=blocked / "cache")
    assert kb.target("infraspinatus").name == "Infraspinatus"
    assert len(builds) == 2


def test_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache.OFF_ENV, raising=False)
    monkeypatch.setenv(cache.DIR_ENV, str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(cache.DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "filiform"


def test_the_atlas_round_trips_through_the_cache(tmp_path: Path) -> None:
    root = resources.files("filiform.data")
    built = build_atlas(load_spec())
    calls: list[int] = []

    def build() -> Atlas:
        calls.append(1)
        return built

    cache.cached("atlas", build, Atlas, root=root, libraries=("shapely", "numpy"), folder=tmp_path)
    hit = cache.cached("atlas", build, Atlas, root=root, libraries=("shapely", "numpy"), folder=tmp_path)
    assert calls == [1] and hit is not built
    assert hit.regions.keys() == built.regions.keys()
    assert hit.adjacency == built.adjacency
    assert hit.cells == built.cells and hit.landmarks == built.landmarks


def test_the_key_changes_with_the_data_and_the_libraries(data: Path) -> None:
    before = cache.fingerprint(data, ("pydantic",))
    assert cache.fingerprint(data, ("pydantic",)) == before
    assert cache.fingerprint(data, ("pydantic", "numpy")) != before
    (data / "citations" / "extra-note.txt").write_text("a new file is part of the data too\n")
    assert cache.fingerprint(data, ("pydantic",)) != before
