import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from skillcast import PanelSpec, SkillcastConfigError, SkillcastDataError, load_panel
from skillcast.forecast import Forecast
from skillcast.models.baselines import Naive
from skillcast.reconcile import (
    OLS,
    WLS,
    BottomUp,
    MinTShrink,
    aggregate_forecast,
    aggregate_panel,
    build_structure,
    make_reconciler,
    reconcile_forecast,
    residual_matrix,
    shrunk_covariance,
)
from skillcast.reconcile.covariance import residual_variance

KEYS = ["sector", "occupation", "level"]
FREE = dict(nonnegative=False)


def tiny_series() -> pd.DataFrame:
    """2 sectors x 2 occupations (in different major groups) x 2 levels."""
    return pd.DataFrame(
        {
            "sector": ["A"] * 4 + ["B"] * 4,
            "occupation": ["7111", "7111", "8343", "8343"] * 2,
            "level": ["L1", "L2"] * 4,
        }
    )


def dense_reference(S: np.ndarray, W: np.ndarray, base: np.ndarray) -> np.ndarray:
    """S (S' W^-1 S)^-1 S' W^-1 base, straight from the definition."""
    winv = np.linalg.inv(W)
    P = np.linalg.solve(S.T @ winv @ S, S.T @ winv)
    return S @ P @ base


def fable_shrinkage(res: np.ndarray) -> tuple[np.ndarray, float]:
    """R fable's shrink.estim on residuals (T x n), written with n x n matrices."""
    n = res.shape[0]
    covm = res.T @ res / n
    tar = np.diag(np.diag(covm))
    sd = np.sqrt(np.diag(covm))
    corm = covm / np.outer(sd, sd)
    xs = res / sd
    v = (1 / (n * (n - 1))) * ((xs**2).T @ (xs**2) - (1 / n) * (xs.T @ xs) ** 2)
    np.fill_diagonal(v, 0)
    d = (corm - np.eye(len(sd))) ** 2
    lam = float(np.clip(v.sum() / d.sum(), 0, 1))
    return lam * tar + (1 - lam) * covm, lam


# ------------------------------------------------------------------- structure
def test_summing_matrix_of_tiny_grouped_panel_equals_hand_written():
    s = build_structure(tiny_series(), KEYS)
    expected = np.array(
        [
            [1, 1, 1, 1, 1, 1, 1, 1],  # total
            [1, 1, 1, 1, 0, 0, 0, 0],  # sector A
            [0, 0, 0, 0, 1, 1, 1, 1],  # sector B
            [1, 1, 0, 0, 1, 1, 0, 0],  # occupation 7111
            [0, 0, 1, 1, 0, 0, 1, 1],  # occupation 8343
            [1, 0, 1, 0, 1, 0, 1, 0],  # level L1
            [0, 1, 0, 1, 0, 1, 0, 1],  # level L2
            [1, 1, 0, 0, 1, 1, 0, 0],  # occupation major 7
            [0, 0, 1, 1, 0, 0, 1, 1],  # occupation major 8
            *np.eye(8, dtype=int).tolist(),
        ]
    )
    assert s.S.format == "csr" and s.S.shape == (17, 8)
    np.testing.assert_array_equal(s.S.toarray(), expected)
    assert s.n_aggregate == 9 and s.n_bottom == 8
    assert s.aggregations == (
        "total", "sector", "occupation", "level", "occupation_major", "bottom",
    )  # fmt: skip
    assert s.nodes["node"].tolist()[:9] == [
        "total", "sector=A", "sector=B", "occupation=7111", "occupation=8343",
        "level=L1", "level=L2", "occupation_major=7", "occupation_major=8",
    ]  # fmt: skip
    assert s.nodes.iloc[7][KEYS].tolist() == ["*", "7", "*"]
    assert s.nodes.iloc[9][["node", "aggregation", *KEYS]].tolist() == [
        "sector=A|occupation=7111|level=L1", "bottom", "A", "7111", "L1",
    ]  # fmt: skip
    pd.testing.assert_frame_equal(s.bottom, tiny_series(), check_dtype=False)


def test_cross_classifications_and_tiers():
    series = pd.DataFrame(
        {"sector": ["A", "A", "B"], "occupation": ["7111", "7212", "8343"], "level": ["L1"] * 3}
    )
    s = build_structure(
        series,
        KEYS,
        occupation_tiers=(1, 2),
        cross=[("sector", "occupation_major"), ("occupation_submajor", "occupation_major")],
    )
    tags = s.tags()
    assert s.nodes["node"].iloc[tags["occupation_submajor"]].tolist() == [
        "occupation_submajor=71", "occupation_submajor=72", "occupation_submajor=83",
    ]  # fmt: skip
    # both tiers in one aggregation: the finer one defines it (equal to occupation_submajor)
    assert "occupation_submajor x occupation_major" not in tags
    cross = tags["sector x occupation_major"]
    assert s.nodes.iloc[cross][KEYS].values.tolist() == [["A", "7", "*"], ["B", "8", "*"]]
    np.testing.assert_array_equal(s.S[cross].toarray(), [[1, 1, 0], [0, 0, 1]])
    # the level key has a single value: "level" adds the same series as the total
    np.testing.assert_array_equal(s.S[tags["level"]].toarray(), [[1, 1, 1]])


def test_explicit_aggregations_and_bottom_detection():
    s = build_structure(tiny_series(), KEYS, aggregations=[(), ("level", "sector"), KEYS])
    assert s.aggregations == ("total", "sector x level", "bottom")  # in key order
    assert build_structure(tiny_series(), KEYS, aggregations=["sector"]).n_total == 2 + 8
    assert s.n_total == 1 + 4 + 8
    assert s.nodes.iloc[1][["node", *KEYS]].tolist() == ["sector=A|level=L1", "A", "*", "L1"]


def test_structure_from_panel_and_locate():
    frame = tiny_series().assign(period="2020", employment=1.0)
    panel = load_panel(frame, PanelSpec(freq="annual", taxonomies={}))
    s = build_structure(panel)
    assert s.keys == ("sector", "occupation", "level")
    assert s.locate(panel.series).tolist() == list(range(9, 17))
    rows = s.nodes.iloc[[0, 8, 12]]
    assert s.locate(rows[["aggregation", *KEYS]]).tolist() == [0, 8, 12]
    assert s.locate(rows[["node"]]).tolist() == [0, 8, 12]


@pytest.mark.parametrize(
    ("series", "kwargs", "error", "match"),
    [
        (pd.concat([tiny_series()] * 2), {}, SkillcastDataError, "more than once"),
        (tiny_series().assign(level="*"), {}, SkillcastDataError, "marks added-up"),
        (tiny_series().assign(level=None), {}, SkillcastDataError, "missing key"),
        (tiny_series(), {"cross": [("region",)]}, SkillcastConfigError, "region"),
        (tiny_series().assign(occupation=["7", "7", "8343", "8343"] * 2),
         {"occupation_tiers": (2,)}, SkillcastDataError, "roll up"),
        (tiny_series().rename(columns={"level": "node"}), {"keys": ["sector", "node"]},
         SkillcastConfigError, "clash"),
    ],
)  # fmt: skip
def test_structure_rejects_bad_input(series, kwargs, error, match):
    kwargs = {"keys": KEYS, **kwargs}
    with pytest.raises(error, match=match):
        build_structure(series, **kwargs)


# -------------------------------------------------------------------- methods
@pytest.fixture(scope="module")
def tiny():
    s = build_structure(tiny_series(), KEYS, cross=[("sector", "level")])
    rng = np.random.default_rng(0)
    base = rng.uniform(5, 50, size=(s.n_total, 3))
    residuals = rng.normal(size=(s.n_total, 12)) * rng.uniform(0.5, 3, size=(s.n_total, 1))
    return s, base, residuals


def test_bottom_up_adds_bottom_forecasts_exactly(tiny):
    s, base, _ = tiny
    out = BottomUp().fit(s).transform(base)
    np.testing.assert_array_equal(out[s.n_aggregate :], base[s.n_aggregate :])
    np.testing.assert_allclose(out[0], base[s.n_aggregate :].sum(axis=0), rtol=1e-14)


@pytest.mark.parametrize("solver", ["dense", "sparse"])
def test_methods_equal_the_dense_mint_projection(tiny, solver):
    s, base, residuals = tiny
    S = s.S.toarray()
    n = s.n_total
    shrunk, lam = fable_shrinkage(residuals.T)
    cases = [
        (OLS(solver=solver, **FREE), np.eye(n)),
        (WLS("struct", solver=solver, **FREE), np.diag(S.sum(axis=1))),
        (WLS("var", solver=solver, **FREE), np.diag((residuals**2).mean(axis=1))),
        (MinTShrink(solver=solver, ridge=0.0, **FREE), shrunk),
        (MinTShrink(shrinkage=0.3, ridge=0.0, solver=solver, **FREE),
         0.3 * np.diag(np.diag(shrunk)) + 0.7 * residuals @ residuals.T / 12),
    ]  # fmt: skip
    for reconciler, W in cases:
        out = reconciler.fit(s, residuals).transform(base)
        np.testing.assert_allclose(out, dense_reference(S, W, base), rtol=1e-8, atol=1e-8)
    assert MinTShrink(ridge=0.0).fit(s, residuals).shrinkage_ == pytest.approx(lam, rel=1e-12)


def test_shrunk_covariance_matches_reference_and_is_low_rank():
    rng = np.random.default_rng(1)
    common = rng.normal(size=(1, 30))
    res = common * rng.uniform(1, 2, size=(40, 1)) + rng.normal(size=(40, 30))
    cov = shrunk_covariance(res, ridge=0.0)
    W, lam = fable_shrinkage(res.T)
    assert 0 < cov.shrinkage < 1 and cov.shrinkage == pytest.approx(lam, rel=1e-12)
    assert cov.low_rank.shape == (40, 30)
    np.testing.assert_allclose(cov.dense(), W, rtol=1e-10)
    # missing residuals: each node's variance from its own residuals
    res[0, :10] = np.nan
    var = residual_variance(res, ridge=0.0).diag
    assert var[0] == pytest.approx(np.mean(res[0, 10:] ** 2), rel=1e-12)


def test_coherent_forecasts_come_back_unchanged(tiny):
    s, _, residuals = tiny
    coherent = s.aggregate(np.random.default_rng(2).uniform(0, 9, size=(s.n_bottom, 4)))
    for reconciler in [OLS(), WLS(), WLS("var"), MinTShrink(), MinTShrink(nonnegative=False)]:
        out = reconciler.fit(s, residuals).transform(coherent)
        np.testing.assert_allclose(out, coherent, rtol=1e-9, atol=1e-9)


def simple():
    """total = a + b."""
    return build_structure(
        pd.DataFrame({"sector": ["a", "b"]}), ["sector"], aggregations=[()], occupation=None
    )


def test_nonnegative_fix_zeros_and_clip_by_hand():
    s = simple()
    base = np.array([[0.0], [10.0], [1.0]])
    # OLS: b = (S'S)^-1 S'y = (19/3, -8/3)
    free = OLS(nonnegative=False).fit(s).transform(base)
    np.testing.assert_allclose(free.ravel(), [11 / 3, 19 / 3, -8 / 3])
    # b held at zero, a reconciled alone between total 0 and base 10 -> 5
    fixed_zero = OLS().fit(s).transform(base)
    np.testing.assert_allclose(fixed_zero.ravel(), [5.0, 5.0, 0.0])
    clipped = OLS(nonnegative_method="clip").fit(s).transform(base)
    np.testing.assert_allclose(clipped.ravel(), [19 / 3, 19 / 3, 0.0])


def test_fixed_series_keep_their_base_forecasts_by_hand():
    s = simple()
    base = np.array([[12.0], [10.0], [1.0]])
    out = OLS().fit(s, fixed=np.array([False, True])).transform(base)
    # the total less the fixed 1 is 11; a between 11 and 10 -> 10.5
    np.testing.assert_allclose(out.ravel(), [11.5, 10.5, 1.0])


def test_fixed_series_equal_the_dense_reduced_system(tiny):
    s, base, residuals = tiny
    fixed = np.zeros(s.n_bottom, dtype=bool)
    fixed[[1, 6]] = True
    S, n_a = s.S.toarray(), s.n_aggregate
    W = shrunk_covariance(residuals, shrinkage=0.4, ridge=0.0).dense()
    keep = np.r_[np.arange(n_a), n_a + np.flatnonzero(~fixed)]
    S_red = S[keep][:, ~fixed]
    base_red = base[keep].copy()
    base_red[:n_a] -= S[:n_a][:, fixed] @ base[n_a + np.flatnonzero(fixed)]
    expected = S_red[n_a:] @ np.linalg.solve(
        S_red.T @ np.linalg.solve(W[np.ix_(keep, keep)], S_red),
        S_red.T @ np.linalg.solve(W[np.ix_(keep, keep)], base_red),
    )
    rec = MinTShrink(shrinkage=0.4, ridge=0.0, nonnegative=False).fit(s, residuals, fixed)
    out = rec.transform(base)
    np.testing.assert_allclose(out[n_a:][~fixed], expected, rtol=1e-9)
    np.testing.assert_array_equal(out[n_a:][fixed], base[n_a:][fixed])


def test_sample_paths_are_reconciled_column_by_column(tiny):
    s, _, residuals = tiny
    paths = np.random.default_rng(5).normal(10, 4, size=(s.n_total, 2, 50))
    rec = WLS("var", nonnegative=True, nonnegative_method="clip").fit(s, residuals)
    out = rec.transform(paths)
    assert out.shape == paths.shape and (out >= 0).all()
    np.testing.assert_allclose(out[:, 1, 7], rec.transform(paths[:, 1, 7]))
    assert s.coherence_error(out) < 1e-9


@st.composite
def problems(draw):
    n_sec, n_occ, n_lev = (draw(st.integers(1, 3)) for _ in range(3))
    occs = ["7111", "7112", "8343"][:n_occ]
    grid = pd.MultiIndex.from_product(
        [list("ABC")[:n_sec], occs, ["L1", "L2", "L3"][:n_lev]], names=KEYS
    ).to_frame(index=False)
    keep = draw(st.lists(st.booleans(), min_size=len(grid), max_size=len(grid)))
    series = grid[np.array(keep)] if any(keep) else grid.iloc[:1]
    cross = draw(st.sampled_from([[], [("sector", "occupation_major")], [("sector", "level")]]))
    structure = build_structure(series.reset_index(drop=True), KEYS, cross=cross)
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    base = rng.normal(20, 15, size=(structure.n_total, 2))
    residuals = rng.normal(size=(structure.n_total, 8))
    fixed = rng.random(structure.n_bottom) < draw(st.sampled_from([0.0, 0.3]))
    return structure, base, residuals, fixed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(["ols", "wls_struct", "wls_var", "mint_shrink"]))
def test_reconciled_forecasts_add_up_at_every_level(problem, method):
    s, base, residuals, fixed = problem
    for nonnegative in (False, True):
        rec = make_reconciler(method, nonnegative=nonnegative).fit(s, residuals, fixed)
        out = rec.transform(base)
        assert s.coherence_error(out) < 1e-6 * max(1.0, np.abs(out).max())
        bottom = out[s.n_aggregate :]
        expected_fixed = (
            np.maximum(base[s.n_aggregate :], 0) if nonnegative else base[s.n_aggregate :]
        )
        np.testing.assert_allclose(bottom[fixed], expected_fixed[fixed], rtol=1e-12)
        if nonnegative:
            assert (out >= 0).all()


def test_reconciler_follows_the_estimator_contract(tiny):
    s, base, residuals = tiny
    rec = MinTShrink(shrinkage=0.5, nonnegative=False)
    assert rec.get_params()["shrinkage"] == 0.5
    copy = clone(rec).set_params(shrinkage=1.0)
    wls = WLS("var", nonnegative=False).fit(s, residuals).transform(base)
    np.testing.assert_allclose(copy.fit(s, residuals).transform(base), wls, rtol=1e-6)
    with pytest.raises(SkillcastConfigError, match="not fitted"):
        OLS().transform(base)
    with pytest.raises(SkillcastDataError, match="residuals"):
        MinTShrink().fit(s)
    with pytest.raises(SkillcastDataError, match="residuals have shape"):
        WLS("var").fit(s, residuals[:3])
    with pytest.raises(SkillcastDataError, match="boolean mask"):
        OLS().fit(s, fixed=np.zeros(s.n_bottom))
    with pytest.raises(SkillcastDataError, match="missing or infinite"):
        OLS().fit(s).transform(np.where(np.arange(s.n_total)[:, None] == 0, np.nan, base))
    with pytest.raises(SkillcastDataError, match="singular"):  # 12 residuals, 21 nodes
        MinTShrink(shrinkage=0.0, ridge=0.0).fit(s, residuals)
    with pytest.raises(SkillcastConfigError, match="unknown reconciliation"):
        make_reconciler("top_down")


# ----------------------------------------------------------------- panels, frames
def tiny_panel():
    rows = []
    for i, (sec, occ, lev) in enumerate(tiny_series().itertuples(index=False)):
        start = 1 if i == 0 else 0  # the first series starts a period late
        for t in range(start, 4):
            rows.append((sec, occ, lev, str(2018 + t), float(10 * (i + 1) + t), 3.0 + t, i))
    cols = [*KEYS, "period", "employment", "port", "local"]
    spec = PanelSpec(freq="annual", taxonomies={}, known_exog=("port", "local"))
    return load_panel(pd.DataFrame(rows, columns=cols), spec)


def test_aggregate_panel_sums_every_node_and_keeps_citywide_drivers():
    panel = tiny_panel()
    s = build_structure(panel)
    agg = aggregate_panel(panel, s)
    assert agg.spec.keys == ("aggregation", *KEYS)
    assert agg.spec.known_exog == ("port",)  # "local" differs across series: dropped
    assert agg.n_series == s.n_total
    y_sorted = np.empty((agg.n_series, agg.n_periods))
    y_sorted[s.locate(agg.series)] = agg.dense()
    bottom = panel.dense()
    np.testing.assert_allclose(y_sorted[s.n_aggregate :], bottom)
    total = np.nansum(bottom, axis=0)
    np.testing.assert_allclose(y_sorted[0], total)
    assert total[0] == sum(10 * (i + 1) for i in range(1, 8))
    port = agg.dense("port")
    expected = np.where(agg.observed(), np.array([3.0, 4, 5, 6]), np.nan)
    np.testing.assert_array_equal(port, expected)  # NaN only before the first series' start


def forecast_of(s, nodes_frame, mean, spec, levels=(80, 95), seed=0):
    rng = np.random.default_rng(seed)
    n, h = mean.shape
    frame = nodes_frame.loc[np.repeat(np.arange(n), h)].reset_index(drop=True)
    frame["period"] = pd.Series(
        pd.period_range("2022", periods=h, freq="Y").take(np.tile(np.arange(h), n))
    )
    frame["step"] = np.tile(np.arange(1, h + 1), n)
    frame["mean"] = mean.ravel()
    width = 1.0
    for level in levels:
        width += rng.uniform(0.5, 3)
        frame[f"lower_{level}"] = np.maximum(mean.ravel() - width * rng.uniform(0, 2, n * h), 0)
        frame[f"upper_{level}"] = mean.ravel() + width * rng.uniform(0, 2, n * h)
    return Forecast(frame=frame, spec=spec, levels=levels, model="Base")


def test_reconcile_forecast_frame_is_coherent_with_ordered_bounds(tiny):
    s, _, residuals = tiny
    spec = PanelSpec(freq="annual", taxonomies={})
    mean = np.random.default_rng(3).uniform(0, 30, size=(s.n_total, 3))
    base = forecast_of(
        s, s.nodes[["aggregation", *KEYS]].sample(frac=1, random_state=1), mean, spec
    )
    for method in ["bottom_up", "ols", "wls_struct", "mint_shrink"]:
        out = reconcile_forecast(base, s, method, residuals=residuals)
        assert out.model == f"Base+{method}" and out.levels == (80, 95)
        assert out.frame["node"].iloc[::3].tolist() == s.nodes["node"].tolist()
        assert out.frame["period"].iloc[:3].astype(str).tolist() == ["2022", "2023", "2024"]
        assert s.coherence_error(out.dense("mean")) < 1e-8
        f = out.frame
        chain = ["lower_95", "lower_80", "mean", "upper_80", "upper_95"]
        for lo, hi in zip(chain, chain[1:], strict=False):
            assert (f[lo] <= f[hi] + 1e-12).all(), (method, lo, hi)
        assert (f[chain] >= 0).all().all()


def test_reconcile_forecast_bottom_up_accepts_bottom_only_and_fixed_frames(tiny):
    s, _, _ = tiny
    spec = PanelSpec(freq="annual", taxonomies={})
    mean = np.arange(s.n_bottom * 2, dtype=float).reshape(-1, 2)
    bottom = forecast_of(s, s.bottom, mean, spec, levels=())
    out = reconcile_forecast(bottom, s, "bottom_up")
    np.testing.assert_allclose(out.dense()[0], mean.sum(axis=0))
    everything = aggregate_forecast(bottom, s)
    fixed = s.bottom.iloc[[0, 5]]
    shifted = everything.frame.assign(mean=everything.frame["mean"] + 1.0)
    rec = reconcile_forecast(
        Forecast(shifted, everything.spec, (), "Base"), s, "wls_struct", fixed=fixed
    )
    np.testing.assert_allclose(rec.dense()[s.n_aggregate + np.array([0, 5])], mean[[0, 5]] + 1)
    with pytest.raises(SkillcastDataError, match="lack a forecast"):
        reconcile_forecast(bottom, s, "ols")


def test_aggregate_forecast_adds_means_and_bounds(tiny):
    s, _, _ = tiny
    spec = PanelSpec(freq="annual", taxonomies={})
    mean = np.random.default_rng(4).uniform(1, 9, size=(s.n_bottom, 2))
    bottom = forecast_of(s, s.bottom, mean, spec)
    out = aggregate_forecast(bottom, s)
    assert out.frame.columns[:5].tolist() == ["node", "aggregation", *KEYS]
    np.testing.assert_allclose(out.dense("mean"), s.aggregate(mean))
    np.testing.assert_allclose(out.dense("upper_95")[0], bottom.dense("upper_95").sum(axis=0))


def test_end_to_end_with_a_forecaster_and_backtest_residuals():
    from skillcast.backtest import backtest

    panel = tiny_panel()
    s = build_structure(panel, cross=[("sector", "occupation_major")])
    agg = aggregate_panel(panel, s)
    residuals = residual_matrix(backtest(Naive(levels=()), agg, horizon=1, n_windows=2), s)
    assert residuals.shape == (s.n_total, 2)
    assert residuals[0].tolist() == [8.0, 8.0]  # naive errors: the total grows by 8 a year
    base = Naive(levels=()).fit(agg).predict(2)
    out = reconcile_forecast(base, s, "wls_var", residuals=residuals)
    assert s.coherence_error(out.dense()) < 1e-8


def test_ets_insample_errors_replay_the_one_step_forecasts():
    from skillcast.models import AutoETS

    panel = tiny_panel()
    model = AutoETS(forms=("ANN",), levels=()).fit(panel)
    errors = model.insample_errors()
    y = panel.dense()
    assert errors.shape == y.shape
    assert np.array_equal(np.isnan(errors), np.isnan(y))
    # simple smoothing: the next forecast is the last fitted value plus alpha x its error
    alpha = model.smoothing_["alpha"]
    want = y[:, -1] - (1 - alpha) * errors[:, -1]
    np.testing.assert_allclose(model.predict_dense(1)[:, 0], want, rtol=1e-9)


def test_calibrated_errors_scale_each_level_by_one_factor():
    from skillcast.reconcile.forecaster import calibrated_errors

    panel = tiny_panel()
    s = build_structure(panel, cross=[("sector", "occupation_major")])
    rng = np.random.default_rng(0)
    insample = rng.normal(size=(s.n_total, 30))
    level = s.nodes["aggregation"].to_numpy()
    factor = {name: 1.0 + i for i, name in enumerate(pd.unique(level))}
    backtested = insample[:, -4:] * np.array([factor[n] for n in level])[:, None]
    out = calibrated_errors(insample, backtested, s)
    for name in factor:
        rows = level == name
        ratio = np.sqrt(np.mean(out[rows] ** 2, axis=1) / np.mean(insample[rows] ** 2, axis=1))
        # one factor per level: the geometric mean of the rows' own ratios
        own = np.sqrt(np.mean(backtested[rows] ** 2, axis=1) / np.mean(insample[rows] ** 2, axis=1))
        np.testing.assert_allclose(ratio, np.exp(np.log(own).mean()))
