import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillcast import Panel, PanelSpec, SkillcastConfigError, SkillcastDataError, load_panel
from skillcast.errors import SkillcastDataWarning

NO_TAX = {"taxonomies": {}}


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sector": ["H52"] * 3 + ["C26"] * 2,
            "occupation": ["8343"] * 3 + ["8212"] * 2,
            "level": ["L1"] * 5,
            "period": ["2020-H1", "2020-H2", "2021-H1", "2020S2", "2021-01"],
            "employment": [10, 12, 0, 5, 7],
        }
    )


def load(df: pd.DataFrame, **spec: object) -> Panel:
    return load_panel(df, PanelSpec(**{**NO_TAX, **spec}))


def test_valid_panel_exposes_frame_series_and_dense_view():
    panel = load(frame())
    assert panel.n_series == 2 and panel.n_periods == 3 and len(panel) == 5
    assert panel.series.to_dict("list") == {
        "sector": ["C26", "H52"], "occupation": ["8212", "8343"], "level": ["L1", "L1"],
    }  # fmt: skip
    dense = panel.dense()
    np.testing.assert_array_equal(dense[0], [np.nan, 5, 7])
    np.testing.assert_array_equal(dense[1], [10, 12, 0])
    assert panel.frame["employment"].dtype == np.float64
    assert isinstance(panel.frame["period"].dtype, pd.PeriodDtype)
    first, last = panel.first_last()
    assert first.tolist() == [1, 0] and last.tolist() == [2, 2]
    assert [panel.label(p) for p in panel.periods] == ["2020-H1", "2020-H2", "2021-H1"]


def test_caller_frame_is_never_mutated():
    df = frame()
    before = df.copy()
    load(df.assign(employment=[10, 12, None, 5, 7]), gaps="zero")
    load(df)
    pd.testing.assert_frame_equal(df, before)


def test_until_cuts_at_the_origin():
    panel = load(frame())
    cut = panel.until("2020-H2")
    assert cut.frame["period"].max() == pd.Period("2020-07", "6M")
    assert cut.n_periods == 2 and len(cut) == 3


def test_with_next_period_is_the_panel_a_full_rebuild_gives():
    panel = load(frame().assign(period=["2020-H1", "2020-H2", "2021-H1", "2020-H2", "2020-H1"]))
    # C26 stopped a period early; H52 reported at every one
    rows = panel.series.assign(period=panel.periods[-1] + 1, employment=[6.0, 3.0])
    longer = panel.with_next_period(rows)
    rebuilt = Panel(panel.spec, pd.concat([panel.frame, rows], ignore_index=True))
    pd.testing.assert_frame_equal(longer.frame, rebuilt.frame)
    np.testing.assert_array_equal(longer.series_id, rebuilt.series_id)
    np.testing.assert_array_equal(longer.period_pos, rebuilt.period_pos)
    assert list(longer.periods) == list(rebuilt.periods) and longer.n_periods == 4
    np.testing.assert_array_equal(longer.dense()[:, -1], [6.0, 3.0])
    with pytest.raises(SkillcastConfigError, match="one per series"):
        panel.with_next_period(rows.head(1))


def test_reads_csv_and_parquet_keeping_leading_zeros(tmp_path):
    df = frame().assign(occupation=["0110"] * 3 + ["8212"] * 2)
    df.to_csv(tmp_path / "p.csv", index=False)
    df.to_parquet(tmp_path / "p.parquet", index=False)
    for name in ("p.csv", "p.parquet"):
        panel = load_panel(tmp_path / name, PanelSpec(taxonomies={}))
        assert "0110" in set(panel.series["occupation"])


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(SkillcastDataError, match="No such file"):
        load_panel(tmp_path / "nope.csv", PanelSpec(taxonomies={}))


def test_empty_input():
    with pytest.raises(SkillcastDataError, match="no rows"):
        load(frame().iloc[:0])


def test_missing_columns_are_named():
    with pytest.raises(SkillcastDataError, match=r"Missing column\(s\) \['employment'\]"):
        load(frame().drop(columns="employment"))


def test_unparseable_periods_counted_with_examples():
    df = frame().assign(period=["2020-H1", "soon", "later", "2020S2", "2021-01"])
    with pytest.raises(SkillcastDataError) as err:
        load(df)
    text = str(err.value)
    assert "Column 'period': 2 row(s) cannot be read as a period" in text
    assert "soon" in text and "later" in text and "2024-H1" in text


def test_period_off_the_declared_frequency():
    df = frame().assign(period=["2020-H1", "2020Q2", "2021-H1", "2020S2", "2021-01"])
    with pytest.raises(SkillcastDataError, match="1 row\\(s\\) do not fit the declared frequency"):
        load(df)


def test_duplicate_keys_and_period_counted():
    df = pd.concat([frame(), frame().iloc[[0]]])
    with pytest.raises(SkillcastDataError, match=r"2 row\(s\) repeat a \(keys, period\) pair"):
        load(df)


@pytest.mark.parametrize(
    ("value", "problem"),
    [(-3, "are negative"), (np.inf, "are infinite"), ("12 workers", "are not numbers")],
)
def test_bad_targets(value, problem):
    df = frame().astype({"employment": object})
    df.loc[1, "employment"] = value
    with pytest.raises(SkillcastDataError, match=rf"'employment': 1 row\(s\) {problem}"):
        load(df)


def test_missing_key_value():
    df = frame()
    df.loc[0, "sector"] = None
    with pytest.raises(SkillcastDataError, match=r"'sector': 1 row\(s\) have no key value"):
        load(df)


def test_gap_policies():
    df = frame().drop(index=1)  # H52 loses 2020-H2: a hole inside the series
    with pytest.raises(SkillcastDataError) as err:
        load(df)
    assert "1 period(s) missing" in str(err.value) and "PanelSpec.gaps" in str(err.value)
    zero = load(df, gaps="zero").dense()
    missing = load(df, gaps="missing").dense()
    np.testing.assert_array_equal(zero[1], [10, 0, 0])
    np.testing.assert_array_equal(missing[1], [10, np.nan, 0])
    assert len(load(df, gaps="missing")) == 5  # the hole became a row


def test_empty_target_follows_the_gap_policy():
    df = frame().assign(employment=[10, None, 0, 5, 7])
    with pytest.raises(SkillcastDataError, match="1 empty target"):
        load(df)
    assert load(df, gaps="zero").dense()[1, 1] == 0


def test_exogenous_columns_must_be_numeric():
    df = frame().assign(port=[1, 2, "n/a", 4, 5])
    with pytest.raises(SkillcastDataError, match=r"'port': 1 row\(s\) are not numbers"):
        load(df, known_exog=("port",))


def test_bad_spec_fails_before_reading():
    with pytest.raises(SkillcastConfigError, match="gaps"):
        PanelSpec(gaps="fill")
    with pytest.raises(SkillcastConfigError, match="more than one role"):
        PanelSpec(target="sector")
    with pytest.raises(SkillcastConfigError, match="Unknown frequency"):
        PanelSpec(freq="fortnightly")


def test_quarterly_and_annual_panels():
    q = pd.DataFrame({"occupation": ["a"] * 3, "period": ["2024Q1", "2024-04", "2024-07-01"],
                      "y": [1, 2, 3]})  # fmt: skip
    panel = load(q, freq="Q", keys=("occupation",), target="y")
    assert [panel.label(p) for p in panel.periods] == ["2024Q1", "2024Q2", "2024Q3"]
    a = pd.DataFrame({"occupation": ["a", "a"], "period": [2023, 2024], "y": [1, 2]})
    assert load(a, freq="annual", keys=("occupation",), target="y").n_periods == 2


def coded_frame() -> pd.DataFrame:
    return frame().assign(occupation=["8343"] * 3 + ["9999"] * 2)


def test_unknown_codes_error_names_the_codes():
    with pytest.raises(SkillcastDataError) as err:
        load_panel(coded_frame(), PanelSpec())
    text = str(err.value)
    assert "Column 'occupation': 2 row(s) carry 1 code(s) ['9999'] unknown" in text
    assert "VSCO2020" in text and "load_taxonomy" in text


def test_unknown_codes_warn_and_keep():
    with pytest.warns(UserWarning, match="'occupation': 2 row"):
        panel = load_panel(coded_frame(), PanelSpec(unknown_codes="warn"))
    assert "9999" in set(panel.series["occupation"])
    assert load_panel(coded_frame(), PanelSpec(unknown_codes="keep")).n_series == 2


def test_a_users_own_taxonomy_file_is_validated_against(tmp_path):
    own = tmp_path / "occ.csv"
    own.write_text(
        "code,parent,tier,name_vi,name_en,version\n"
        "9,,1,Lao động giản đơn,Elementary,MY1\n99,9,2,Khác,Other,MY1\n"
        "9999,99,4,Nghề mới,New job,MY1\n8343,,4,Cẩu,Crane,MY1\n",
        encoding="utf-8",
    )
    panel = load_panel(coded_frame(), PanelSpec(taxonomies={"occupation": str(own)}))
    assert panel.n_series == 2
    with pytest.raises(SkillcastDataError, match="unknown to the occupation taxonomy"):
        load_panel(frame(), PanelSpec(taxonomies={"occupation": str(own)}))


def ragged_frame(n_series: int, n_periods: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Series of random spans (no inner holes), rows shuffled; keys padded with spaces.

    Returns the frame and the expected (series x periods) dense target, series in the
    order of their stripped keys.
    """
    rng = np.random.default_rng(seed)
    labels = [f"{2010 + p // 2}-H{p % 2 + 1}" for p in range(n_periods)]
    first = rng.integers(0, n_periods, n_series)
    last = np.minimum(first + rng.integers(0, n_periods, n_series), n_periods - 1)
    sectors = rng.choice(["C10", "C26", "H52", "A"], n_series)
    occupations = [f"{i:04d}" for i in range(n_series)]  # unique: one series per row here
    rows, dense = [], np.full((n_series, n_periods), np.nan)
    for i in range(n_series):
        for p in range(first[i], last[i] + 1):
            value = float(rng.integers(0, 100))
            pad = " " * int(rng.integers(0, 2))
            rows.append((pad + sectors[i], occupations[i] + pad, "L1", labels[p], value))
            dense[i, p] = value
    df = pd.DataFrame(rows, columns=["sector", "occupation", "level", "period", "employment"])
    series_order = np.lexsort((occupations, sectors))
    used = np.flatnonzero(~np.all(np.isnan(dense[series_order]), axis=0))
    expected = dense[series_order][:, used[0] : used[-1] + 1]
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True), expected


@pytest.mark.filterwarnings("ignore::skillcast.errors.SkillcastDataWarning")  # padded keys
@settings(max_examples=30, deadline=None)
@given(n_series=st.integers(1, 40), n_periods=st.integers(1, 9), seed=st.integers(0, 2**31))
def test_shuffled_input_loads_like_sorted_input(n_series, n_periods, seed):
    df, expected = ragged_frame(n_series, n_periods, seed)
    before = df.copy()
    panel = load(df)
    pd.testing.assert_frame_equal(df, before)
    np.testing.assert_array_equal(panel.dense(), expected)
    keys = ["sector", "occupation", "level"]
    stripped = df.assign(sector=df["sector"].str.strip(), occupation=df["occupation"].str.strip())
    oracle = stripped.sort_values([*keys, "period"], ignore_index=True)
    pd.testing.assert_frame_equal(panel.frame[keys], oracle[keys])
    assert list(panel.freq.labels(panel.frame["period"])) == list(oracle["period"])
    assert panel.series_id.tolist() == oracle.groupby(keys, sort=True).ngroup().tolist()
    # a Panel built from the rows in any order, or cut at an origin, indexes them the same
    again = Panel(panel.spec, panel.frame.sample(frac=1.0, random_state=1))
    pd.testing.assert_frame_equal(again.frame, panel.frame)
    np.testing.assert_array_equal(again.series_id, panel.series_id)
    cut = panel.until(panel.periods[len(panel.periods) // 2])
    fresh = Panel(panel.spec, cut.frame)
    np.testing.assert_array_equal(cut.series_id, fresh.series_id)
    np.testing.assert_array_equal(cut.period_pos, fresh.period_pos)
    pd.testing.assert_frame_equal(cut.series, fresh.series)


@pytest.mark.filterwarnings("ignore::skillcast.errors.SkillcastDataWarning")  # padded keys
def test_duplicates_in_shuffled_input_are_shown_in_the_callers_order():
    df, _ = ragged_frame(30, 6, seed=7)
    df = pd.concat([df, df.iloc[[3, 11, 20]]], ignore_index=True).sample(frac=1.0, random_state=3)
    with pytest.raises(SkillcastDataError) as err:
        load(df)
    text = str(err.value)
    assert "Column 'period': 6 row(s) repeat a (keys, period) pair" in text
    shown = [int(line.split()[0]) for line in text.splitlines()[2:7]]
    keys = ["sector", "occupation", "level", "period"]
    assert shown == df.index[df.duplicated(keys, keep=False)].tolist()[:5]


def test_inner_holes_of_many_shuffled_series():
    n_series, n_periods = 40, 6
    labels = [f"{2020 + p // 2}-H{p % 2 + 1}" for p in range(n_periods)]
    grid = pd.DataFrame(
        {
            "sector": "C26",
            "occupation": np.repeat([f"{i:04d}" for i in range(n_series)], n_periods),
            "level": "L1",
            "period": np.tile(labels, n_series),
            "employment": np.arange(n_series * n_periods, dtype=float) + 1,
        }
    )
    series, pos = np.divmod(np.arange(len(grid)), n_periods)
    hole = (series % 3 == 0) & (pos == 2)  # 14 series lose an inner period
    lead = (series % 7 == 1) & (pos == 0)  # 6 series start late: not a hole
    df = grid.loc[~hole & ~lead].sample(frac=1.0, random_state=5)
    with pytest.raises(SkillcastDataError) as err:
        load(df)
    assert "14 row(s) border a hole inside their series (14 period(s) missing" in str(err.value)
    expected = grid["employment"].to_numpy().reshape(n_series, n_periods).copy()
    expected[lead.reshape(n_series, n_periods)] = np.nan
    missing = load(df, gaps="missing")
    expected[hole.reshape(n_series, n_periods)] = np.nan
    np.testing.assert_array_equal(missing.dense(), expected)
    assert len(missing) == len(df) + 14
    assert missing.frame["sector"].eq("C26").all()  # filled rows carry their series' keys
    zero = load(df, gaps="zero")
    expected[hole.reshape(n_series, n_periods)] = 0.0
    np.testing.assert_array_equal(zero.dense(), expected)
    assert zero.frame["occupation"].is_monotonic_increasing


def test_keys_become_stripped_text():
    df = frame().assign(sector=[" H52", "H52 ", "H52", "C26", " C26"], level=[1, 1, 1, 2, 2])
    with pytest.warns(SkillcastDataWarning, match="3 row\\(s\\) stripped of surrounding spaces"):
        panel = load(df, code_width={"level": 1})
    assert panel.series.to_dict("list") == {
        "sector": ["C26", "H52"], "occupation": ["8212", "8343"], "level": ["2", "1"],
    }  # fmt: skip
    # 1, 1.0 and True are equal in Python; as keys none of them is a code
    mixed = frame().assign(level=pd.Series([1, 1.0, True, "1", "1"], dtype=object))
    with pytest.raises(SkillcastDataError, match=r"'level': 2 row\(s\) are numbers or True/False"):
        load(mixed, gaps="missing")
