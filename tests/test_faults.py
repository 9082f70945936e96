"""Fault suite: SIGKILL skillcast-train and skillcast-forecast at random moments, start
runs together, and check what they leave behind.

After every kill: the published latest set is wholly the old one or wholly the new one
(one forecast run id in every ``latest*.csv``, each file that of the set ``latest``
points at), the SQLite store passes ``PRAGMA integrity_check``, the champion loads with
:func:`skillcast.persistence.load_forecaster` and forecasts, and the next run of the same
app succeeds and leaves no temporary file or unpublished folder. Kill delays are drawn
with a seeded RNG from the run times measured on this machine; half the forecast kills
fall around the moment the set is published. Two campaigns (one per core) run side by
side in their own project folders. ``pytest -s`` prints the tally. A last test kills the
publishing step alone, in a loop, hundreds of times.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from app_runs import named_data
from skillcast.apps import forecast as forecast_app
from skillcast.apps import schema
from skillcast.apps import train as train_app
from skillcast.apps.forecast import latest_name
from skillcast.outputs import FileSet
from skillcast.persistence import load_forecaster

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SMALL = ["data.max_series=20", "output.horizon=2"]
TRAIN = ["data=sample", *SMALL, "model=seasonal_naive", "backtest=quick", "reconcile=none"]
# scenarios on every other run: the set alternates between 6 and 3 files
FORECASTS = ([*SMALL, "scenarios=sample"], SMALL)
SEEDS = (20261, 20262)  # one campaign per core
KILLS_PER_CAMPAIGN = 16  # the first run killed is a first-time train (store creation)
ENV = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
IN_PROCESS = threading.Lock()


@dataclass
class Tally:
    rows: list[tuple[str, int, str, str]] = field(default_factory=list)

    def add(self, app: str, delay_ms: int, left: str, next_run: str) -> None:
        self.rows.append((app, delay_ms, left, next_run))


def start(root: Path, app: str, *args: str) -> subprocess.Popen:
    with open(root / f"{app}.log", "ab") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [str(BIN / app), f"paths.root={root}", *args],
            cwd=root, stdout=log, stderr=subprocess.STDOUT, env=ENV,
        )  # fmt: skip


def finish(proc: subprocess.Popen, kill_after: float | None = None) -> int | None:
    """Wait for ``proc``; SIGKILL it after ``kill_after`` seconds (None: killed)."""
    try:
        code = proc.wait(timeout=kill_after if kill_after is not None else 300)
    except subprocess.TimeoutExpired:
        if kill_after is None:
            raise
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        code = None
    assert isinstance(proc.args, list)
    log = Path(proc.args[1].partition("=")[2]) / f"{Path(proc.args[0]).name}.log"
    if code not in (None, 0, 3):
        pytest.fail(f"{proc.args} exited {code}:\n" + log.read_text()[-3000:])
    return code


def timed(root: Path, app: str, *args: str) -> tuple[float, float | None]:
    """Run a console script to the end: its run time, and when the published set changed
    (None if it did not)."""
    latest = root / "forecasts" / "latest"
    before = os.readlink(latest) if os.path.lexists(latest) else None
    started = time.monotonic()
    proc = start(root, app, *args)
    changed = None
    while proc.poll() is None:
        now = os.readlink(latest) if os.path.lexists(latest) else None
        if changed is None and now != before:
            changed = time.monotonic() - started
        time.sleep(0.005)
    assert finish(proc) in (0, 3)
    return time.monotonic() - started, changed


# ----------------------------------------------------------------- the checks
def published_id(folder: Path) -> str | None:
    """The forecast run id every latest file carries; fail if they are not one set."""
    names = [n for n in os.listdir(folder) if n.startswith("latest")] if folder.is_dir() else []
    if not os.path.lexists(folder / "latest"):
        assert not names, f"latest files without a published set: {names}"
        return None
    run = folder / os.readlink(folder / "latest")
    assert run.is_dir(), f"latest points at {run}, which is not a folder"
    for file in run.glob("*.csv"):  # every file of the set has its latest name
        assert (folder / latest_name(file.name, "latest.csv")).read_bytes() == file.read_bytes()
    stamps = set()
    for name in names:
        path = folder / name
        if name == "latest" or not path.exists():
            continue  # a dangling link: that file is not in the current set
        assert (run / Path(os.readlink(path)).name).exists(), f"{name} is not of {run.name}"
        if not name.endswith(".csv"):  # the report page and the workbook: no stamp columns
            continue
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        stamps |= set(zip(frame["forecast_run_id"], frame["created_at"], strict=True))
    assert len(stamps) == 1, f"the latest files mix runs: {sorted(stamps)}"
    return next(iter(stamps))[0]


def check_store(root: Path) -> str | None:
    """Integrity of the SQLite store; the champion loads and forecasts. Its version."""
    db = root / "mlflow.db"
    if not db.exists():
        return None
    with closing(sqlite3.connect(db, timeout=60)) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        found = con.execute(
            "SELECT v.version, v.storage_location FROM registered_model_aliases a JOIN "
            "model_versions v ON a.name = v.name AND a.version = v.version "
            "WHERE a.alias = 'champion'"
        ).fetchone()
    if found is None:
        return None
    version, location = found
    artifacts = Path(unquote(urlparse(location).path))
    (state,) = {p.parent for p in artifacts.rglob("manifest.json")}
    forecast = load_forecaster(state).predict(1)
    assert len(forecast.frame) == 20
    return str(version)


def check_tidy(root: Path) -> None:
    """What a successful run leaves: no temporary file, no folder never published."""
    folder = root / "forecasts"
    leftovers = [p for p in root.rglob("*") if p.name.endswith((".tmp", ".creating"))]
    assert not leftovers, leftovers
    assert not (folder / ".staging").exists() or not any((folder / ".staging").iterdir())
    published = set((folder / "runs" / ".published").read_text().split())
    linked = {os.readlink(p).split("/")[-1] for p in folder.iterdir() if p.is_symlink()}
    runs = {p.name for p in (folder / "runs").iterdir() if p.is_dir()}
    assert runs <= published | linked, runs - published - linked


# ---------------------------------------------------------------- the fixture
@pytest.fixture(scope="module")
def pair(scratch: Path) -> tuple[Path, list[int | None], float]:
    """Two first-time trains started together on an empty project: their exit codes and
    the run time of the one that trained (the other waits for it)."""
    root = scratch / "pair"
    root.mkdir()
    started = time.monotonic()
    procs = [start(root, "skillcast-train", *TRAIN) for _ in range(2)]
    codes, first = [], None
    while any(proc.poll() is None for proc in procs):
        if first is None and any(proc.poll() is not None for proc in procs):
            first = time.monotonic() - started
        time.sleep(0.01)
    codes = [finish(proc) for proc in procs]
    return root, codes, first or time.monotonic() - started


def test_two_first_time_trains_started_together_both_succeed(pair) -> None:
    root, codes, first = pair
    assert codes == [0, 0]  # one trained; the other waited for the lock, found it done
    logs = (root / "skillcast-train.log").read_text()
    assert "Waiting for" in logs and "nothing to do" in logs
    assert "duplicate column" not in logs and "Traceback" not in logs
    assert check_store(root) == "1"
    print(f"\nfirst-time trains together: exit codes {codes}, the first done in {first:.1f} s")


# --------------------------------------------------------------- the campaigns
def in_process(app: str, root: Path, args: list[str]) -> int:
    """Run an app in this process (one at a time: Hydra and MLflow keep global state)."""
    module = train_app if app == "skillcast-train" else forecast_app
    with IN_PROCESS, initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        overrides = [f"paths.root={root}", *named_data(app, args)]
        cfg = compose(app.removeprefix("skillcast-"), overrides=overrides)
        return module.run(cfg)


def campaign(root: Path, seed: int, first_train: float) -> Tally:
    """Kill runs of one project until KILLS_PER_CAMPAIGN were killed; after each kill,
    check the project and run the same app again (in this process, which spares the
    seconds of imports; the console scripts run at the start, timed, and at the end)."""
    rng = random.Random(seed)
    tally = Tally()
    root.mkdir()
    took: dict[str, float] = {}
    publish_at = 1.0  # share of a forecast's run time at which its set is published
    published: str | None = None
    champion: str | None = None
    killed = n_forecasts = 0
    for step in range(3 * KILLS_PER_CAMPAIGN):
        if killed == KILLS_PER_CAMPAIGN:
            break
        first = step == 0
        app = "skillcast-train" if first or step % 2 else "skillcast-forecast"
        if app == "skillcast-train":
            args = TRAIN if first else [*TRAIN, "force=true"]
            delay = rng.uniform(0.3, 1.0) * (first_train if first else took[app])
        else:
            args = FORECASTS[n_forecasts % 2]
            n_forecasts += 1
            if rng.random() < 0.5:  # around the publishing step
                delay = publish_at * took[app] + rng.uniform(-0.6, 0.2)
            else:
                delay = rng.uniform(0.35, 1.0) * took[app]
        launched = time.monotonic()
        code = finish(start(root, app, *args), kill_after=max(0.05, delay))
        if code is None:
            killed += 1
        elif not first:  # done before the kill: it runs faster now
            took[app] = time.monotonic() - launched
        # the state the kill left: one whole set (checked), the old or the new one
        now = published_id(root / "forecasts")
        if app == "skillcast-train":
            assert now == published  # training never touches the published set
        left = (
            "set kept"
            if app == "skillcast-train"
            else ("old set" if now == published else "new set")
        )
        # the store is sound and a champion, once there, still loads
        assert check_store(root) is not None or champion is None
        # the next run succeeds
        assert in_process(app, root, args) in (0, 3)
        after = published_id(root / "forecasts")
        champion = check_store(root)
        assert champion is not None
        assert not list(root.glob(".mlflow.db.*"))  # no half-built store left
        if app == "skillcast-forecast":
            assert after is not None and after != now
            check_tidy(root)
            published = after
        elif first:  # run times under this load, and the first forecast, as scripts
            took["skillcast-train"], _ = timed(root, "skillcast-train", *TRAIN, "force=true")
            took["skillcast-forecast"], at = timed(root, "skillcast-forecast", *FORECASTS[0])
            assert at is not None
            publish_at = at / took["skillcast-forecast"]
            published = published_id(root / "forecasts")
        tally.add(app, round(delay * 1000), "killed" if code is None else f"exit {code}",
                  f"{left}; next ok")  # fmt: skip
    # the console scripts too, at the end
    assert finish(start(root, "skillcast-train", *TRAIN, "force=true")) in (0, 3)
    assert finish(start(root, "skillcast-forecast", *FORECASTS[0])) == 0
    assert published_id(root / "forecasts") != published
    check_tidy(root)
    assert check_store(root) is not None
    return tally


def test_sigkill_at_random_points_leaves_a_consistent_project(pair, scratch: Path) -> None:
    _, _, first_train = pair
    started = time.monotonic()
    with ThreadPoolExecutor(len(SEEDS)) as pool:
        tallies = list(
            pool.map(lambda s: campaign(scratch / f"campaign-{s}", s, first_train), SEEDS)
        )
    rows = [row for tally in tallies for row in tally.rows]
    kills = sum(1 for row in rows if row[2] == "killed")
    print(f"\n{'app':<20}{'delay ms':>9}  {'outcome':<9} state after it")
    for app, delay, outcome, state in rows:
        print(f"{app:<20}{delay:>9}  {outcome:<9} {state}")
    print(
        f"runs started: {len(rows)}, killed: {kills}, consistent after: {len(rows)} "
        f"(forecasts: old set {sum('old set' in r[3] for r in rows)}, new set "
        f"{sum('new set' in r[3] for r in rows)}), {time.monotonic() - started:.0f} s"
    )
    assert kills >= 30


# ------------------------------------------------------- the publishing step alone
def test_publishing_killed_at_any_instant_shows_one_set(scratch: Path) -> None:
    """A child process publishes sets of 2 or 3 files in a loop (about 10 ms each); it is
    killed after a random few milliseconds, 200 times: every time the latest names show
    one whole set."""
    folder = scratch / "publish-kills" / "forecasts"
    links = {latest_name(n, "latest.csv"): n for n in ("forecast.csv", "openings.csv",
                                                       "supply_gap.csv")}  # fmt: skip
    rng = random.Random(7)
    seen, midway = set(), 0
    for kill in range(200):
        pid = os.fork()
        if pid == 0:  # the child: publish until killed
            try:
                for i in range(10**6):
                    run = f"{kill:04d}{i:05d}"
                    with FileSet(folder, f"20260101T000000Z_2026-H1_{run}", keep=3) as fs:
                        for name in list(links.values())[: 2 + i % 2]:
                            fs.add(name, pd.DataFrame({"forecast_run_id": [run] * 50,
                                                       "created_at": ["t"] * 50}))  # fmt: skip
                        fs.publish(links, label="2026-H1")
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.005, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        seen.add(published_id(folder))
        midway += any((folder / ".staging").glob("*/*"))  # killed with files half published
    assert len(seen) > 20 and midway > 20  # kills landed in many runs and phases
    with FileSet(folder, "20260102T000000Z_2026-H1_last", keep=3) as fs:
        fs.add("forecast.csv", pd.DataFrame({"forecast_run_id": ["last"], "created_at": ["t"]}))
        fs.publish(links, label="2026-H1")
    assert published_id(folder) == "last"
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]
    assert len([p for p in (folder / "runs").iterdir() if p.is_dir()]) <= 4
    print(
        f"\npublishing killed 200 times ({midway} with a set half written): "
        f"{len(seen)} distinct sets seen, each whole"
    )
