"""Publishing a run's files as one set (skillcast.outputs.publish) and the workspace
helpers under it: the lock, writable folders."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from skillcast.outputs import FileSet, files, publish, run_folder_name
from skillcast.workspace import FileLock, WorkspaceBusy, WorkspaceError, ensure_writable

LINKS = {
    "latest.csv": "forecast.csv",
    "latest_openings.csv": "openings.csv",
    "latest_supply_gap.csv": "supply_gap.csv",
}


def table(run: str, rows: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"value": range(rows), "forecast_run_id": [run] * rows})


def write(folder: Path, run: str, names=("forecast.csv", "openings.csv"), label="2026-H1"):
    with FileSet(folder, f"2026010{run}T000000Z_{label}_{run}", keep=2) as fs:
        for name in names:
            fs.add(name, table(run))
        return fs.publish(LINKS, label=label)


def view(folder: Path) -> dict[str, str]:
    """What a reader opening each latest name sees: the run id inside, or absent."""
    out = {}
    for name in LINKS:
        path = folder / name
        if path.exists():
            out[name] = pd.read_csv(path, encoding="utf-8-sig", dtype=str)["forecast_run_id"][0]
    return out


def tree(folder: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for parent, folders, names in os.walk(folder):
        for name in [*folders, *names]:
            path = Path(parent) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                out[key] = os.readlink(path)
            elif path.is_file() and name != ".lock":
                out[key] = path.read_bytes()
    return out


def test_a_run_is_published_as_one_set_of_links(tmp_path: Path) -> None:
    out = tmp_path / "forecasts"
    first = write(out, "1", names=("forecast.csv", "openings.csv", "supply_gap.csv"))
    assert first == out / "runs" / first.name
    assert os.readlink(out / "latest") == f"runs/{first.name}"
    assert os.readlink(out / "2026-H1") == f"runs/{first.name}"
    assert os.readlink(out / "latest.csv") == "latest/forecast.csv"
    assert view(out) == dict.fromkeys(LINKS, "1")
    assert (out / "latest.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert sorted(p.name for p in first.iterdir()) == [
        "forecast.csv",
        "openings.csv",
        "supply_gap.csv",
    ]
    assert not (out / ".staging").exists()

    second = write(out, "2")  # no supply gap this time: its latest name goes
    assert view(out) == {"latest.csv": "2", "latest_openings.csv": "2"}
    assert not os.path.lexists(out / "latest_supply_gap.csv")
    assert os.readlink(out / "2026-H1") == f"runs/{second.name}"
    assert first.is_dir()  # kept: keep=2 unlinked run folders


def test_old_run_folders_are_pruned_but_linked_ones_kept(tmp_path: Path) -> None:
    out = tmp_path / "forecasts"
    write(out, "1", label="2025-H2")  # the only run of its period: linked, kept
    for run in "2345":
        write(out, run)
    names = sorted(p.name.rsplit("_", 1)[1] for p in (out / "runs").iterdir() if p.is_dir())
    assert names == ["1", "3", "4", "5"]  # 5 current; 3, 4 the two kept; 2 pruned
    published = (out / "runs" / ".published").read_text().split()
    assert sorted(n.rsplit("_", 1)[1] for n in published) == ["1", "3", "4", "5"]


def test_a_failure_before_the_swap_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "forecasts"
    write(out, "1")
    before = tree(out)
    real = files.write_csv

    def flaky(frame: pd.DataFrame, path) -> None:
        if Path(path).name == "openings.csv":
            Path(path).write_bytes(b"half a fi")
            raise OSError("disk full")
        real(frame, path)

    monkeypatch.setattr(files, "write_csv", flaky)
    with pytest.raises(OSError, match="disk full"):
        write(out, "2")
    assert tree(out) == before


@pytest.mark.parametrize("blocked", ["latest_openings.csv", "latest"])
def test_a_folder_in_the_way_stops_the_run_before_any_change(tmp_path: Path, blocked) -> None:
    out = tmp_path / "forecasts"
    if blocked == "latest":  # nothing published yet, someone made a folder there
        (out / "latest").mkdir(parents=True)
    else:
        write(out, "1")
        (out / blocked).unlink()
        (out / blocked).mkdir()
    before = tree(out)
    with pytest.raises(WorkspaceError, match="move it away"):
        write(out, "2")
    assert tree(out) == before


def test_what_killed_runs_left_is_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "forecasts"
    write(out, "1")
    (out / ".staging" / "dead").mkdir(parents=True)  # killed while writing
    (out / ".staging" / "dead" / "forecast.csv").write_text("x")
    os.symlink("runs/x", out / ".latest.0a1b2c.tmp")  # killed in a swap
    (out / ".latest.csv.k2j3h4.tmp").write_text("x")  # the earlier layout's temp file
    legacy = out / "2025-H2"
    legacy.mkdir()
    (legacy / ".forecast.csv.abc.tmp").write_text("x")
    never = out / "runs" / "20260109T000000Z_2026-H1_dead"  # killed before its swap
    never.mkdir()
    (never / "forecast.csv").write_text("x")
    current = os.readlink(out / "latest")
    second = write(out, "2")
    left = {str(p.relative_to(out)) for p in out.rglob("*")}
    assert not [p for p in left if p.endswith(".tmp") or p.startswith(".staging")]
    assert not never.exists()
    assert (out / current).is_dir() and os.readlink(out / "latest") == f"runs/{second.name}"


def test_the_earlier_layout_is_taken_over_without_a_visible_change(
    tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "forecasts"
    dated = out / "2026-H1"
    dated.mkdir(parents=True)
    for name, file in LINKS.items():
        files.write_csv(table("old"), out / name)
        files.write_csv(table("old"), dated / file)
    seen: list[set[str]] = []
    real = publish._swap

    def watched(path: Path, target: str) -> None:
        real(path, target)
        seen.append(set(view(out).values()))
        assert len(view(out)) in (0, 2, 3)  # old set: 3 files; new set: 2

    monkeypatch.setattr(publish, "_swap", watched)
    run = write(out, "new")
    assert all(len(ids) == 1 for ids in seen)  # never a mix, at any step
    assert seen[0] == {"old"} and seen[-1] == {"new"}
    assert view(out) == {"latest.csv": "new", "latest_openings.csv": "new"}
    assert os.readlink(dated) == f"runs/{run.name}"
    kept = [p for p in (out / "runs").iterdir() if p.is_dir() and p != run]
    assert len(kept) == 2  # the old latest files and the old dated folder, as run folders
    for folder in kept:
        assert {pd.read_csv(p, encoding="utf-8-sig")["forecast_run_id"][0] for p in
                folder.glob("*.csv")} == {"old"}  # fmt: skip


def test_run_folder_names_sort_in_time_order() -> None:
    from datetime import UTC, datetime

    first = run_folder_name(datetime(2026, 2, 15, 2, 0, 5, tzinfo=UTC), "2026-H1", "4888e9cd12")
    later = run_folder_name(datetime(2026, 8, 15, 2, 0, 5, tzinfo=UTC), "2025-H2", "0000aaaa")
    assert first == "20260215T020005Z_2026-H1_4888e9cd" and first < later


def test_file_lock_serialises_and_says_who_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "project" / "skillcast.lock"
    with FileLock(path, purpose="skillcast-train"):
        with pytest.raises(WorkspaceBusy, match=f"pid {os.getpid()}, skillcast-train") as busy:
            FileLock(path, timeout=0.3).acquire()
        assert "lock_timeout" in str(busy.value)
    order: list[str] = []

    def second() -> None:
        with FileLock(path, timeout=5):
            order.append("second")

    with FileLock(path):
        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(0.3)
        order.append("first")
    waiter.join(5)
    assert order == ["first", "second"]


def test_unusable_folders_are_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="a file is in the way"):
        ensure_writable(tmp_path / "file" / "forecasts", "output.dir")
    with pytest.raises(WorkspaceError, match="not a valid path"):
        ensure_writable("bad\0name")
    with pytest.raises(WorkspaceError, match="cannot be written"):
        ensure_writable("/proc/skillcast-forecasts")
    assert ensure_writable(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert list((tmp_path / "a" / "b").iterdir()) == []  # the probe file is gone
