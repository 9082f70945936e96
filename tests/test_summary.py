import pandas as pd

from skillcast import PanelSpec, load_panel
from skillcast.summary import main, summarize


def test_summary_totals_roll_occupations_up_to_major_groups():
    df = pd.DataFrame(
        {
            "sector": ["H52", "H52", "H50", "H50"],
            "occupation": ["8343", "8343", "8350", "3151"],
            "level": ["L1", "L1", "L1", "L4"],
            "period": ["2024-H1", "2024-H2", "2024-H2", "2024-H2"],
            "employment": [10, 12, 5, 3],
        }
    )
    summary = summarize(load_panel(df, PanelSpec()))
    assert summary.overview["series"] == 3
    assert summary.overview["total 2024-H2"] == "20"
    occ = summary.tables["occupation major group (VSCO 2020)"]
    assert occ.loc["8", "2024-H1"] == 10 and occ.loc["8", "2024-H2"] == 17
    assert occ.loc["3", "name_en"] == "Technicians and associate professionals"
    assert occ.loc["8", "share_%"] == 85.0
    level = summary.tables["training level"]
    assert level.loc["L1", "name_vi"] == "Sơ cấp"


def test_main_prints_the_sample_summary(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "2015-H1 .. 2025-H2 (22, semiannual)" in out and "Trung cấp" in out


def test_main_reports_bad_data_with_its_exit_code(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("period,sector,occupation,level,employment\n2024-H1,H52,8343,L1,-5\n")
    assert main([str(bad)]) == 4
    assert "are negative" in capsys.readouterr().err
