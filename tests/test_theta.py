"""The Theta method: decomposition, the forecast formula, seasonal test, ragged series."""

import numpy as np
import pandas as pd
import pytest

from skillcast import PanelSpec, SkillcastConfigError, load_panel
from skillcast.models import Theta
from skillcast.models.ets_kernels import align_left
from skillcast.models.theta import centred_average, seasonal_indices

SPEC = PanelSpec(freq="quarterly", keys=("occupation",), taxonomies={}, gaps="missing")


def make_panel(y: np.ndarray, start: str = "2010Q1"):
    n_series, n_periods = y.shape
    periods = pd.period_range(start, periods=n_periods, freq="Q").astype(str)
    frame = pd.DataFrame(
        {
            "occupation": np.repeat([f"{i:04d}" for i in range(n_series)], n_periods),
            "period": np.tile(np.asarray(periods), n_series),
            "employment": y.ravel(),
        }
    )
    return load_panel(frame[frame["employment"].notna()], SPEC)


@pytest.mark.parametrize("m", [3, 4])
def test_centred_average_matches_pandas_and_needs_a_full_window(m):
    rng = np.random.default_rng(m)
    y = rng.uniform(10, 20, (30, 2))
    mask = np.ones_like(y)
    mask[12, 1] = 0.0  # one missing cell in the second series
    got = centred_average(y, mask, m)
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    expected = pd.Series(y[:, 0]).rolling(len(weights), center=True).apply(lambda w: w @ weights)
    np.testing.assert_allclose(got[:, 0], expected.to_numpy(), equal_nan=True)
    half = len(weights) // 2
    assert np.isnan(got[12 - half : 12 + half + 1, 1]).all()
    assert np.isfinite(got[half : 12 - half, 1]).all()


def test_seasonal_series_are_adjusted_and_noise_is_not():
    rng = np.random.default_rng(0)
    t = np.arange(40)
    pattern = np.array([0.8, 1.1, 1.3, 0.8])
    seasonal = (100 + t) * pattern[t % 4] * rng.normal(1, 0.01, 40)
    noise = 100 + rng.normal(0, 3, 40)
    with_zero = seasonal.copy()
    with_zero[5] = 0.0  # multiplicative decomposition needs positive data
    values, mask, _ = align_left(np.vstack([seasonal, noise, with_zero]))
    index = seasonal_indices(values, mask, 4)
    np.testing.assert_allclose(index[:, 0], pattern / pattern.mean(), rtol=0.02)
    np.testing.assert_array_equal(index[:, 1:], 1.0)
    # two seasons or fewer: never adjusted
    short, short_mask, _ = align_left(seasonal[None, :8])
    np.testing.assert_array_equal(seasonal_indices(short, short_mask, 4), 1.0)


def test_forecast_is_ses_plus_half_the_trend_slope_by_hand():
    rng = np.random.default_rng(1)
    t = np.arange(32)
    y = np.vstack([50 + 2.0 * t + rng.normal(0, 1, 32), 80 + rng.normal(0, 2, 32)])
    model = Theta(levels=()).fit(make_panel(y))
    assert not model.params_["seasonal"].any()
    slopes = [np.polyfit(t, row, 1)[0] for row in y]
    np.testing.assert_allclose(model.params_["drift"], np.array(slopes) / 2)
    # replay simple exponential smoothing from the fitted level's recursion: the level
    # after the last period, then the drift term of Hyndman and Billah
    alpha, n = model.alpha_, 32
    steps = np.arange(1, 5)
    reach = steps[None, :] - 1 + (1 - (1 - alpha[:, None]) ** n) / alpha[:, None]
    expected = model.level_[:, None] + model.drift_[:, None] * reach
    np.testing.assert_allclose(model.predict(4).dense(), expected)
    # the trending series keeps rising, by about half its slope per quarter
    ahead = np.diff(model.predict(4).dense()[0])
    np.testing.assert_allclose(ahead, slopes[0] / 2)


def test_seasonal_forecasts_follow_each_series_own_phase():
    t = np.arange(40)
    pattern = np.array([0.8, 1.1, 1.3, 0.8])
    y = np.full((2, 40), np.nan)
    y[0] = 100 * pattern[t % 4]
    y[1, 2:] = 100 * pattern[(t[2:] - 2) % 4]  # starts two quarters later: its own phase
    model = Theta(levels=()).fit(make_panel(y))
    assert model.params_["seasonal"].all()
    forecast = model.predict(4).dense()
    np.testing.assert_allclose(forecast[0], 100 * pattern[np.arange(40, 44) % 4], rtol=1e-3)
    np.testing.assert_allclose(forecast[1], 100 * pattern[np.arange(38, 42) % 4], rtol=1e-3)


def test_short_and_empty_series_and_bad_arguments():
    y = np.full((3, 12), np.nan)
    y[0] = 10.0
    y[1, -1] = 7.0  # one observation: its value, no drift
    model = Theta(levels=()).fit(make_panel(y))
    forecast = model.predict(3).dense()
    np.testing.assert_allclose(forecast[0], 10.0)
    np.testing.assert_allclose(forecast[1], 7.0)
    assert model.params_["n_obs"].tolist() == [12, 1]
    with pytest.raises(SkillcastConfigError, match="season_length"):
        Theta(season_length=0, levels=()).fit(make_panel(y))


def test_intervals_are_calibrated_and_ordered():
    rng = np.random.default_rng(2)
    y = 100 + np.cumsum(rng.normal(0, 2, (6, 36)), axis=1)
    forecast = Theta().fit(make_panel(y)).predict(4).frame
    assert (forecast["lower_95"] <= forecast["lower_80"]).all()
    assert (forecast["lower_80"] <= forecast["mean"]).all()
    assert (forecast["mean"] <= forecast["upper_80"]).all()
    assert (forecast["upper_80"] <= forecast["upper_95"]).all()
