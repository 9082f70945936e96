"""reconcile_blocks on a LocalCluster of 2 worker processes started and closed here: the
block decomposition gives Reconciler.transform's result, on the sample's hierarchy and on
a synthetic national panel cut by region."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from distributed import Client, KilledWorker, get_task_stream

from skillcast import load_panel
from skillcast.datasets import load_sample, make_national, national_spec
from skillcast.distributed.local_models import DistributedFitError
from skillcast.distributed.reconciliation import bottom_blocks, reconcile_blocks
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.reconcile import SummingStructure, build_structure, make_reconciler
from skillcast.reconcile.projection import DENSE_LIMIT


@pytest.fixture(scope="module")
def client(dask_client) -> Client:
    return dask_client  # conftest: a LocalCluster of 2 worker processes for this module


def _problem(structure: SummingStructure, seed: int, horizon: int = 3):
    """Incoherent base forecasts around a coherent truth, some of them negative, and
    residuals with errors shared down the hierarchy (so MinT's low-rank part matters)."""
    rng = np.random.default_rng(seed)
    truth = structure.aggregate(rng.lognormal(1.0, 1.0, size=(structure.n_bottom, horizon)))
    base = truth + rng.normal(size=truth.shape) * (1.0 + np.sqrt(truth))
    shared = structure.aggregate(rng.normal(size=(structure.n_bottom, 8)))
    residuals = shared + rng.normal(size=(structure.n_total, 8)) * 2.0
    return base, residuals


@pytest.fixture(scope="module")
def sample_case():
    panel = load_sample()
    structure = build_structure(panel, cross=[("sector", "occupation_major")])
    base, residuals = _problem(structure, seed=1)
    fixed = np.random.default_rng(2).random(structure.n_bottom) < 0.2
    return structure, base, residuals, fixed, bottom_blocks(structure, "sector")


@pytest.fixture(scope="module")
def national_panel():
    return load_panel(make_national(8_000, seed=0), national_spec())


#: national aggregations: the default (~570 aggregates, a dense Cholesky factorisation)
#: and with regions x sectors and sectors x levels (~3,000: a sparse LU)
NATIONAL = {"default": [], "regional": [("region", "sector"), ("sector", "level")]}


def _assert_same(out: np.ndarray, local: np.ndarray) -> None:
    assert out.shape == local.shape
    scale = max(1.0, float(np.abs(local).max()))
    assert float(np.abs(out - local).max()) <= 1e-8 * scale


def _on_cluster(client, reconciler, base, blocks) -> tuple[np.ndarray, list[dict]]:
    with get_task_stream(client) as stream:
        out = reconcile_blocks(reconciler, base, blocks, client=client)
    return out, stream.data


def _tasks(stream: list[dict], name: str) -> list[dict]:
    return [t for t in stream if str(t["key"]).startswith(name)]


@pytest.mark.parametrize("nonnegative", [False, True], ids=["free", "nonneg"])
@pytest.mark.parametrize("with_fixed", [False, True], ids=["all", "fixed"])
@pytest.mark.parametrize("method", ["ols", "wls_struct", "mint_shrink", "bottom_up"])
def test_sample_blocks_on_the_cluster_give_transform(
    client, sample_case, method, with_fixed, nonnegative
):
    structure, base, residuals, fixed, blocks = sample_case
    reconciler = make_reconciler(method, nonnegative=nonnegative)
    reconciler.fit(structure, residuals, fixed if with_fixed else None)
    local = reconciler.transform(base)
    assert float(np.abs(local - base).max()) > 1.0  # the projection moved the forecasts
    out, stream = _on_cluster(client, reconciler, base, blocks)
    _assert_same(out, local)
    assert structure.coherence_error(out) < 1e-8
    if with_fixed:
        kept = base[structure.n_aggregate :][fixed]
        held = out[structure.n_aggregate :][fixed]
        np.testing.assert_array_equal(held, np.maximum(kept, 0) if nonnegative else kept)
    sums = _tasks(stream, "_block_sums")
    if method == "bottom_up":
        assert not stream  # bottom-up adds up on the client: nothing to solve
    else:
        assert len(blocks) > 1 and sums and len(sums) % len(blocks) == 0  # one per block
        assert len(_tasks(stream, "_block_bottoms")) == len(sums)


def test_mint_shrink_has_a_low_rank_part(sample_case):
    structure, _, residuals, _, _ = sample_case
    reconciler = make_reconciler("mint_shrink").fit(structure, residuals)
    assert reconciler.covariance_.low_rank is not None
    assert reconciler.shrinkage_ < 1.0


@pytest.mark.parametrize("aggregations", ["default", "regional"])
@pytest.mark.parametrize("method", ["wls_struct", "mint_shrink"])
def test_national_panel_cut_by_region_gives_transform(client, national_panel, method, aggregations):
    structure = build_structure(national_panel, cross=NATIONAL[aggregations])
    sparse = aggregations == "regional"
    assert (structure.n_aggregate > DENSE_LIMIT) == sparse  # both factorisations are tested
    base, residuals = _problem(structure, seed=3, horizon=2)
    fixed = np.random.default_rng(4).random(structure.n_bottom) < 0.1
    blocks = bottom_blocks(structure, "region")
    assert len(blocks) == 34
    reconciler = make_reconciler(method).fit(structure, residuals, fixed)
    local = reconciler.transform(base)
    out, stream = _on_cluster(client, reconciler, base, blocks)
    _assert_same(out, local)
    workers = {t["worker"] for t in _tasks(stream, "_block_sums")}
    assert len(workers) == 2  # the blocks were spread over both workers


def test_fix_zeros_rounds_hold_the_same_series_at_zero(client, sample_case):
    structure, base, residuals, _, blocks = sample_case
    n_a = structure.n_aggregate
    # a small, noisy bottom base pulls reconciled bottoms below zero
    low = base.copy()
    low[n_a:] = np.abs(low[n_a:]) * 0.05
    low[:n_a] *= 0.5
    free = make_reconciler("mint_shrink", nonnegative=False).fit(structure, residuals)
    unconstrained = free.transform(np.maximum(low, 0))[n_a:]
    negative = unconstrained < -1e-6
    assert negative.sum() > 5
    reconciler = make_reconciler("mint_shrink").fit(structure, residuals)
    local = reconciler.transform(low)
    clipped = make_reconciler("mint_shrink", nonnegative_method="clip").fit(structure, residuals)
    # the rounds re-solved the others: not merely the clipped projection
    assert (local[n_a:][negative] == 0).all()
    assert float(np.abs(local - clipped.transform(low)).max()) > 1e-3
    out, stream = _on_cluster(client, reconciler, low, blocks)
    _assert_same(out, local)
    np.testing.assert_array_equal(out[n_a:] == 0, local[n_a:] == 0)
    # the first solve and at least one re-solve each ran one task per block
    assert len(_tasks(stream, "_block_sums")) >= 2 * len(blocks)


@pytest.mark.parametrize("method", ["ols", "mint_shrink"])
def test_without_a_client_the_blocks_run_here(sample_case, method):
    structure, base, residuals, fixed, blocks = sample_case
    reconciler = make_reconciler(method).fit(structure, residuals, fixed)
    # positions of any integer dtype (uint64 and int64 alone would concatenate to float)
    mixed = [b.astype(np.uint64) if i % 2 else b for i, b in enumerate(blocks)]
    _assert_same(reconcile_blocks(reconciler, base, mixed), reconciler.transform(base))
    # trailing shapes (steps x bounds) come back as transform gives them
    paths = np.stack([base, base * 1.1], axis=-1)
    _assert_same(reconcile_blocks(reconciler, paths, blocks), reconciler.transform(paths))


def test_the_reconciler_is_left_as_it_was(sample_case):
    structure, base, residuals, _, blocks = sample_case
    reconciler = make_reconciler("ols").fit(structure, residuals)
    system = reconciler.system_
    reconcile_blocks(reconciler, base, blocks)
    assert reconciler.system_ is system and "_system" not in vars(reconciler)


def test_one_block_and_one_block_per_series_agree(sample_case):
    structure, base, residuals, _, _ = sample_case
    reconciler = make_reconciler("wls_struct").fit(structure, residuals)
    local = reconciler.transform(base)
    whole = [np.arange(structure.n_bottom)]
    singles = [np.array([j]) for j in range(structure.n_bottom)][::-1]  # any order
    _assert_same(reconcile_blocks(reconciler, base, whole), local)
    _assert_same(reconcile_blocks(reconciler, base, singles), local)


def test_bottom_blocks_cut_along_a_key(sample_case):
    structure, *_ = sample_case
    blocks = bottom_blocks(structure, "sector")
    sectors = structure.bottom["sector"]
    assert len(blocks) == sectors.nunique()
    assert sorted(np.concatenate(blocks).tolist()) == list(range(structure.n_bottom))
    assert all(sectors.iloc[b].nunique() == 1 for b in blocks)
    with pytest.raises(SkillcastConfigError, match="'region' is not a key"):
        bottom_blocks(structure, "region")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b[1:], r"(\d+) are in no block"),
        (lambda b: [*b, b[0][:2]], r"2 in more than one \(e\.g\."),
        (lambda b: [*b[:-1], np.append(b[-1], 10_000)], r"1 positions are outside 0\.\."),
        (lambda b: [*b[:-1], b[-1].astype(float)], r"integer bottom positions; block\(s\)"),
    ],
    ids=["missing", "repeated", "outside", "not-integer"],
)
def test_bad_blocks_are_a_config_error(sample_case, change, message):
    structure, base, residuals, _, blocks = sample_case
    reconciler = make_reconciler("ols").fit(structure, residuals)
    with pytest.raises(SkillcastConfigError, match=message) as caught:
        reconcile_blocks(reconciler, base, change(blocks))
    if "in no block" in message:
        assert f" {len(blocks[0])} are in no block (e.g. {blocks[0][:5].tolist()})" in str(
            caught.value
        )


def test_a_base_of_the_wrong_shape_is_transforms_data_error(sample_case):
    structure, base, residuals, _, blocks = sample_case
    reconciler = make_reconciler("mint_shrink").fit(structure, residuals)
    with pytest.raises(SkillcastDataError) as local:
        reconciler.transform(base[1:])
    with pytest.raises(SkillcastDataError) as blocked:
        reconcile_blocks(reconciler, base[1:], blocks)
    assert str(blocked.value) == str(local.value)


def test_an_unfitted_reconciler_is_a_config_error(sample_case):
    _, base, _, _, blocks = sample_case
    with pytest.raises(SkillcastConfigError, match="not fitted"):
        reconcile_blocks(make_reconciler("ols"), base, blocks)


def test_a_killed_worker_is_a_distributed_fit_error(client, sample_case, monkeypatch):
    structure, base, residuals, _, blocks = sample_case
    reconciler = make_reconciler("ols").fit(structure, residuals)

    def lost(futures, *args, **kwargs):
        raise KilledWorker(futures[0].key, SimpleNamespace(address="tcp://gone:1"), 3)

    monkeypatch.setattr(client, "gather", lost)
    with pytest.raises(DistributedFitError, match="lost with its worker"):
        reconcile_blocks(reconciler, base, blocks, client=client)


def test_the_module_works_here_without_dask():
    code = """
import sys
sys.modules["distributed"] = sys.modules["dask"] = None  # as if Dask were not installed
import numpy as np
import pandas as pd
from skillcast.distributed.reconciliation import bottom_blocks, reconcile_blocks
from skillcast.reconcile import build_structure, make_reconciler
series = pd.DataFrame({"region": list("aabb"), "sector": list("xyxy")})
s = build_structure(series, ["region", "sector"], occupation=None)
base = np.arange(s.n_total, dtype=float)[:, None] + 1.0
rec = make_reconciler("ols").fit(s)
out = reconcile_blocks(rec, base, bottom_blocks(s, "region"))
assert np.allclose(out, rec.transform(base)) and not np.allclose(out, base)
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
