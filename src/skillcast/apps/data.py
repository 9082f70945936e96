"""The ``data`` config group: the validated panel and its future driver values."""

from __future__ import annotations

import pandas as pd
from omegaconf import DictConfig

from skillcast.apps.config import build
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.panel import Panel, load_panel
from skillcast.reading import read_table


def load_data(data: DictConfig) -> Panel:
    """The validated panel the ``data`` group describes (cut by ``until``/``max_series``)."""
    spec = build(data.spec)
    if data.loader is not None:
        source = build(data.loader)
    elif data.path:
        source = data.path
    else:
        raise SkillcastConfigError(f"data ({data.name}): set data.path or data.loader.")
    if isinstance(source, Panel):
        panel = source
    else:
        panel = load_panel(source, spec)
    if data.until is not None:
        panel = panel.until(str(data.until))
    if data.max_series is not None:
        keep = panel.series_id < int(data.max_series)
        panel = Panel(panel.spec, panel.frame.loc[keep].reset_index(drop=True))
    return panel


def load_future_exog(data: DictConfig, panel: Panel) -> pd.DataFrame | None:
    """The future driver values ``data.future_exog`` names (None when it names none).

    A path is read as CSV (key and period columns as text) or Parquet; a ``_target_``
    node is built. Forecasters check the periods and columns they need.
    """
    source = data.get("future_exog")
    if source is None:
        return None
    if isinstance(source, DictConfig):
        frame = build(source)
    else:
        try:
            frame = read_table(str(source), panel.spec)
        except SkillcastDataError as exc:
            raise SkillcastDataError(f"data.future_exog: {exc}") from exc
    if not isinstance(frame, pd.DataFrame):
        raise SkillcastConfigError(
            f"data.future_exog built a {type(frame).__name__}, not a DataFrame."
        )
    return frame
