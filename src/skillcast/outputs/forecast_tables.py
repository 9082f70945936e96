"""The forecast tables: ``forecast.csv`` (bottom series) and ``forecast_all_levels.csv``.

Columns of ``forecast.csv``, in this order (:data:`PLANNER_COLUMNS`):

``period`` (label such as ``2026-H1``), ``region``, ``sector``, ``sector_name_vi``,
``sector_name_en``, ``occupation``, ``occupation_name_vi``, ``occupation_name_en``,
``level``, ``level_name_vi``, ``level_name_en``, ``forecast``, ``lower_80``, ``upper_80``,
``lower_95``, ``upper_95`` (whole workers), ``emerging``, ``emerging_reason`` (see
:mod:`skillcast.outputs.emerging_flags`), ``model_version``, ``run_id``,
``data_through``, ``refit``, ``created_at`` (UTC, ISO 8601), ``forecast_run_id`` (see
:data:`STAMP_COLUMNS`). ``forecast_all_levels.csv`` (:data:`ALL_LEVELS_COLUMNS`) adds
``aggregation`` after ``period``.

A key the panel does not have (the sample has no region) and a name the classification
does not know are empty cells. Names come from the table the panel's spec names for the
key (``PanelSpec.taxonomies``: a user's own classification), else the shipped one. Key
columns of the panel beyond these four (``geo``, ``industry_code``) are kept: they come
after ``level_name_en``, in the panel's order (:func:`planner_columns`). Numbers are
rounded to whole workers with ``lower_95 <= lower_80 <= forecast <= upper_80 <= upper_95``
kept after rounding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from skillcast.forecast import Forecast
from skillcast.outputs.emerging_flags import FLAG_COLUMNS, flag_table
from skillcast.periods import Frequency

if TYPE_CHECKING:
    from skillcast.reconcile.structure import SummingStructure

__all__ = [
    "ALL_LEVELS_COLUMNS",
    "PLANNER_COLUMNS",
    "all_levels_frame",
    "labelled_keys",
    "planner_frame",
    "planner_columns",
    "rounded_bounds",
]

KEY_COLUMNS = ("region", "sector", "occupation", "level")
NAMED_KEYS = ("sector", "occupation", "level")  # keys with a shipped classification
NUMBER_COLUMNS = ("forecast", "lower_80", "upper_80", "lower_95", "upper_95")
PLANNER_COLUMNS: tuple[str, ...] = (
    "period",
    "region",
    "sector",
    "sector_name_vi",
    "sector_name_en",
    "occupation",
    "occupation_name_vi",
    "occupation_name_en",
    "level",
    "level_name_vi",
    "level_name_en",
    *NUMBER_COLUMNS,
    *FLAG_COLUMNS,
    "model_version",
    "run_id",
    "data_through",
    "refit",
    "created_at",
    "forecast_run_id",
)
#: Who wrote a row: the model version, the run holding the fitted model that made the
#: numbers (the training run, or the refit run when ``refit`` is true), the last period
#: of the data that model was fitted on, whether it was refit at forecast time, when the
#: file was written and the run that wrote it (the same in every file of one forecast run).
STAMP_COLUMNS = ("model_version", "run_id", "data_through", "refit", "created_at",
                 "forecast_run_id")  # fmt: skip
#: ``forecast_all_levels.csv``: the planner columns with ``aggregation`` after ``period``.
ALL_LEVELS_COLUMNS: tuple[str, ...] = ("period", "aggregation", *PLANNER_COLUMNS[1:])
ALL_CODE = "*"  # an aggregated-out key in forecast_all_levels.csv
ALL_NAMES = {"vi": "Tất cả", "en": "All"}


def planner_frame(
    forecast: Forecast,
    *,
    model_version: str | int = "",
    run_id: str = "",
    created_at: datetime | None = None,
    forecast_run_id: str = "",
    data_through: str = "",
    refit: bool = False,
    emerging: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The planner table of ``forecast``: one row per series and period, columns as above.

    Key columns are read from the forecast frame by name (``region``, ``sector``,
    ``occupation``, ``level``); names come from the shipped classifications
    (:mod:`skillcast.taxonomy`). Numbers are nullable integers (``Int64``); interval
    columns are empty when the forecast has no such level. ``emerging``: the frame of
    :func:`skillcast.emerging.detect_emerging` on the data (None: flag cells empty).
    """
    src = forecast.frame
    extra = extra_keys(forecast.spec.keys)
    out = labelled_keys(
        src, forecast.spec.frequency, (*KEY_COLUMNS, *extra), forecast.spec.taxonomies
    )
    for column, values in rounded_bounds(src).items():
        out[column] = values
    out = flag_table(out, emerging)
    stamp(out, model_version, run_id, created_at, forecast_run_id, data_through, refit)
    return out.loc[:, list(planner_columns(extra))]


def extra_keys(keys: Sequence[str]) -> tuple[str, ...]:
    """The panel's key columns beyond ``region``, ``sector``, ``occupation``, ``level``
    (and the reconciled nodes' ``aggregation``, a column of its own)."""
    return tuple(k for k in keys if k not in (*KEY_COLUMNS, "aggregation"))


def planner_columns(
    extra: Sequence[str] = (), base: Sequence[str] = PLANNER_COLUMNS
) -> tuple[str, ...]:
    """``base`` (:data:`PLANNER_COLUMNS`) with the ``extra`` key columns after
    ``level_name_en``: a user's own key is a column of the planner table, never dropped."""
    at = list(base).index("level_name_en") + 1
    return (*base[:at], *extra, *base[at:])


def labelled_keys(
    src: pd.DataFrame,
    freq: Frequency,
    keys: Sequence[str] = KEY_COLUMNS,
    taxonomies: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """``period`` labels, the key columns and VI/EN names of the classified keys.

    Names come from the table ``taxonomies`` (``PanelSpec.taxonomies``) names for a key,
    else the shipped one; a table without a ``name_vi`` or ``name_en`` column gives
    empty cells in that language. A key ``src`` lacks gives empty cells; the code ``*``
    (added up over) is named "All".
    """
    from skillcast import taxonomy  # the tables load on first use only

    n = len(src)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["period"] = freq.labels(pd.PeriodIndex(src["period"]))
    for key in keys:
        codes = src[key].astype("string") if key in src.columns else pd.Series([pd.NA] * n)
        out[key] = codes.to_numpy(dtype=object)
        if key in NAMED_KEYS:
            table = taxonomy.for_column(taxonomies, key, key)
            every = (codes == ALL_CODE).fillna(False).to_numpy(dtype=bool)
            for lang in ("vi", "en"):
                if f"name_{lang}" not in table.columns:
                    names = np.full(n, None, dtype=object)
                else:
                    names = table.name_of(codes.fillna("").to_numpy(dtype=str), lang=lang)
                    names = names.to_numpy(dtype=object, copy=True)
                names[every] = ALL_NAMES[lang]
                out[f"{key}_name_{lang}"] = names
    return out


def stamp(
    out: pd.DataFrame,
    model_version: str | int | None,
    run_id: str,
    created_at: datetime | None,
    forecast_run_id: str = "",
    data_through: str = "",
    refit: bool = False,
) -> None:
    """In place: the :data:`STAMP_COLUMNS`. Files of one run share one ``created_at``:
    pass it."""
    out["model_version"] = "" if model_version is None else str(model_version)
    out["run_id"] = run_id or ""
    out["data_through"] = data_through or ""
    out["refit"] = "true" if refit else "false"
    when = created_at or datetime.now(UTC)
    out["created_at"] = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out["forecast_run_id"] = forecast_run_id or ""


def rounded_bounds(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Whole-worker ``forecast`` and bounds from a forecast frame, nested after rounding.

    Rounding is half-up. Each bound is pulled back to the forecast (or to the narrower
    interval's bound) if rounding crossed it, so the order
    ``lower_95 <= lower_80 <= forecast <= upper_80 <= upper_95`` holds on every row.
    Missing bound columns give empty (``<NA>``) cells.
    """

    def whole(column: str) -> np.ndarray:
        if column not in frame.columns:
            return np.full(len(frame), np.nan)
        return half_up(np.clip(frame[column].to_numpy(dtype=float), 0.0, None))

    bounds = {lv: (whole(f"lower_{lv}"), whole(f"upper_{lv}")) for lv in (80, 95)}
    mean = whole("mean")
    lo80, hi80, lo95, hi95 = nested(mean, bounds)
    values = {"forecast": mean, "lower_80": lo80, "upper_80": hi80}
    values |= {"lower_95": lo95, "upper_95": hi95}
    return {k: whole_numbers(v) for k, v in values.items()}


def half_up(values: np.ndarray) -> np.ndarray:
    """Round half-up to whole numbers (NaN stays NaN)."""
    return np.floor(np.asarray(values, dtype=float) + 0.5)


def whole_numbers(values: np.ndarray) -> pd.Series:
    """Whole numbers as nullable integers (NaN -> empty cell)."""
    return pd.Series(np.asarray(values, dtype=float)).round().astype("Int64")


def nested(
    point: np.ndarray, bounds: dict[int, tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """80% and 95% bounds pulled back so ``lo95 <= lo80 <= point <= hi80 <= hi95``."""
    # np.minimum/np.maximum propagate NaN, so a missing bound stays missing
    lo80 = np.minimum(bounds[80][0], point)
    hi80 = np.maximum(bounds[80][1], point)
    lo95 = np.minimum(bounds[95][0], np.where(np.isnan(lo80), point, lo80))
    hi95 = np.maximum(bounds[95][1], np.where(np.isnan(hi80), point, hi80))
    return lo80, hi80, lo95, hi95


def all_levels_frame(
    forecast: Forecast,
    structure: SummingStructure,
    *,
    model_version: str | int = "",
    run_id: str = "",
    created_at: datetime | None = None,
    forecast_run_id: str = "",
    data_through: str = "",
    refit: bool = False,
    emerging: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The planner table of every node of a reconciled forecast (:data:`ALL_LEVELS_COLUMNS`).

    ``forecast`` holds every node of ``structure`` (``ReconciledForecaster.predict_all``).
    Bottom rows are rounded like :func:`planner_frame`; the forecast of an aggregate row is
    the sum of its rounded bottom rows, so the file adds up exactly in a spreadsheet (it
    differs from the unrounded reconciled aggregate by rounding only). Bounds are the
    reconciled bounds, rounded and kept around the forecast. Keys added up over hold
    ``*`` (named "Tất cả" / "All"); occupation major groups hold their one-digit code.
    An aggregate row is ``emerging`` only when every bottom series under it is
    (:mod:`skillcast.outputs.emerging_flags`).
    """
    src = forecast.frame
    pos = structure.locate(src)
    step = src["step"].to_numpy(dtype=np.int64)
    horizon = int(step.max())
    mean = np.full((structure.n_total, horizon), np.nan)
    mean[pos, step - 1] = np.clip(src["mean"].to_numpy(dtype=float), 0.0, None)
    bottom = half_up(mean[structure.n_aggregate :])
    whole = np.vstack([np.asarray(structure.A @ bottom), bottom])
    frame = src.assign(mean=whole[pos, step - 1])
    extra = extra_keys(forecast.spec.keys)
    out = labelled_keys(
        frame, forecast.spec.frequency, (*KEY_COLUMNS, *extra), forecast.spec.taxonomies
    )
    out.insert(1, "aggregation", frame["aggregation"].astype(str).to_numpy(dtype=object))
    for column, values in rounded_bounds(frame).items():
        out[column] = values
    out = flag_table(out, emerging)
    stamp(out, model_version, run_id, created_at, forecast_run_id, data_through, refit)
    return out.loc[:, list(planner_columns(extra, ALL_LEVELS_COLUMNS))]
