"""No feature for a forecast origin reads target or observed-only data after that origin."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillcast import Panel, PanelSpec, frequency, load_panel
from skillcast.features import FeatureBuilder, FeaturePipeline, make_default_features

NAN = float("nan")
FREQS = ("annual", "semiannual", "quarterly")
CODES = st.tuples(
    st.sampled_from(["H52", "H50", "C10", "X9"]),  # X9 and Z1 are made up: unknown codes
    st.sampled_from(["8343", "8350", "3152", "Z1"]),
    st.sampled_from(["L1", "L2", "L4"]),
)
VALUE = st.one_of(st.just(0.0), st.just(NAN), st.floats(0, 1e6), st.integers(0, 50).map(float))
SETTINGS = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def scenarios(draw):
    """A random panel frame, an origin, a step, and replacement values for every row."""
    freq = draw(st.sampled_from(FREQS))
    n_periods = draw(st.integers(2, 9))
    keys = draw(st.lists(CODES, min_size=1, max_size=5, unique=True))
    records = []
    for sector, occupation, level in keys:
        start = draw(st.integers(0, n_periods - 1))
        end = draw(st.integers(start, n_periods - 1))
        records += [(sector, occupation, level, pos) for pos in range(start, end + 1)]
    frame = pd.DataFrame(records, columns=["sector", "occupation", "level", "pos"])
    n = len(frame)
    for column in ("employment", "plan", "orders"):
        frame[column] = draw(st.lists(VALUE, min_size=n, max_size=n))
    first = pd.Period("2020-01", freq=frequency(freq).pandas_freq)
    frame["period"] = [first + int(p) for p in frame["pos"]]
    replacements = {
        column: draw(st.lists(VALUE, min_size=n, max_size=n))
        for column in ("employment", "plan", "orders")
    }
    return {
        "frame": frame,
        "freq": freq,
        "origin_draw": draw(st.integers(0, 100)),
        "step": draw(st.integers(1, 3)),
        "replacements": replacements,
        "future_plan": draw(st.lists(VALUE, min_size=3, max_size=3)),
    }


def load(frame: pd.DataFrame, freq: str) -> Panel:
    spec = PanelSpec(
        freq=freq, gaps="missing", taxonomies={}, known_exog=("plan",), observed_exog=("orders",)
    )
    return load_panel(frame.drop(columns="pos"), spec)


def positions(frame: pd.DataFrame) -> np.ndarray:
    """Each row's position in the periods of the panel loaded from ``frame``."""
    return (frame["pos"] - frame["pos"].min()).to_numpy()


def future_exog(panel: Panel, origin: int, step: int, values: list[float]) -> pd.DataFrame:
    """City-wide known values for the periods after the panel that the target can reach."""
    after = [panel.periods[-1] + k for k in range(1, 4)]
    return pd.DataFrame({"period": after, "plan": values})


def features(pipeline, frame, freq, origin, step, exog) -> np.ndarray:
    panel = load(frame, freq)
    return pipeline(panel).fit(panel).transform(panel, [origin], step, exog)


def changed_after_origin(scenario, origin: int, step: int, columns) -> pd.DataFrame:
    """The frame with ``columns`` replaced at every position after the origin, except
    known drivers at the target period (which features may read)."""
    frame = scenario["frame"].copy()
    pos = positions(frame)
    for column in columns:
        later = pos > origin
        if column == "plan":
            later &= pos != origin + step
        new = np.asarray(scenario["replacements"][column])
        frame[column] = np.where(later, new, frame[column].to_numpy())
    return frame


def check_no_leak(scenario, pipeline=make_default_features) -> None:
    panel = load(scenario["frame"], scenario["freq"])
    origin = scenario["origin_draw"] % panel.n_periods
    step = scenario["step"]
    exog = future_exog(panel, origin, step, scenario["future_plan"])
    before = features(pipeline, scenario["frame"], scenario["freq"], origin, step, exog)
    after_frame = changed_after_origin(scenario, origin, step, ("employment", "orders", "plan"))
    after = features(pipeline, after_frame, scenario["freq"], origin, step, exog)
    np.testing.assert_array_equal(before, after)  # NaN compares equal here


@SETTINGS
@given(scenarios())
def test_no_feature_reads_the_target_or_observed_drivers_after_the_origin(scenario):
    check_no_leak(scenario)


@settings(SETTINGS, max_examples=20)
@given(scenarios())
def test_known_driver_at_the_target_period_is_read(scenario):
    panel = load(scenario["frame"], scenario["freq"])
    origin = scenario["origin_draw"] % panel.n_periods
    step = scenario["step"]
    pipe = make_default_features(panel).fit(panel)
    column = pipe.get_feature_names_out().index("exog_known_plan")
    exog = future_exog(panel, origin, step, [1.0, 2.0, 3.0])
    base = pipe.transform(panel, [origin], step, exog)[:, column]
    frame = scenario["frame"].copy()
    at_target = positions(frame) == origin + step
    frame["plan"] = np.where(at_target, frame["plan"].fillna(0) + 1.0, frame["plan"])
    exog["plan"] += 1.0  # beyond the panel the value comes from here
    moved = load(frame, scenario["freq"])
    changed = pipe.transform(moved, [origin], step, exog)[:, column]
    has_value = ~np.isnan(changed)  # series with no row at an in-panel target stay NaN
    assert has_value.any() == (origin + step >= panel.n_periods or at_target.any())
    np.testing.assert_array_equal(changed[has_value], np.nan_to_num(base[has_value]) + 1.0)


class PeekingLag(FeatureBuilder):
    """A deliberately wrong builder: reads the target one period after the origin."""

    def _fit(self, panel: Panel) -> None:
        self.feature_names_out_ = ["peek"]

    def _columns(self, arrays, origins, step, exog):
        ahead = np.minimum(origins + 1, arrays.n_periods - 1)
        return [arrays.gather(None, ahead)]


def test_the_leakage_check_catches_a_builder_that_peeks():
    frame = pd.DataFrame(
        {
            "sector": "H52", "occupation": "8343", "level": "L1", "pos": [0, 1, 2],
            "period": pd.period_range("2020-01", periods=3, freq="6M"),
            "employment": [1.0, 2.0, 3.0], "plan": 0.0, "orders": 0.0,
        }
    )  # fmt: skip
    scenario = {
        "frame": frame, "freq": "semiannual", "origin_draw": 0, "step": 1,
        "replacements": {c: [9.0, 9.0, 9.0] for c in ("employment", "plan", "orders")},
        "future_plan": [0.0, 0.0, 0.0],
    }  # fmt: skip
    check_no_leak(scenario)  # the default features pass
    with pytest.raises(AssertionError):
        check_no_leak(scenario, pipeline=lambda panel: FeaturePipeline([PeekingLag()]))
