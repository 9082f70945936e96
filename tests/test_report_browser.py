"""The sample report in headless Chromium: every section in the DOM, the port cluster's
shortage table ranked, the language toggle, a phone-width layout without sideways
scrolling, A4 printing, and not one network request.

Needs Debian's ``chromium`` and ``chromium-driver`` (``tests/install-browser.sh`` installs
them) and the ``selenium`` package (the dev extra); without them the tests fail, naming
what is missing. Screenshots and the printed PDF go to ``$SKILLCAST_TEST_ARTIFACTS``
(default: a pytest temporary folder); their paths are printed.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skillcast.outputs import write_report
from skillcast.outputs.report import SECTION_IDS
from test_report import sample_report_inputs

PORT = "seaport_maritime"


def _program(name: str) -> str | None:
    """Where ``name`` is: on PATH, else where Debian puts it (as tests/install-browser.sh
    looks)."""
    fallback = Path("/usr/bin") / name
    return shutil.which(name) or (str(fallback) if os.access(fallback, os.X_OK) else None)


def _missing() -> str | None:
    absent = [name for name in ("chromium", "chromedriver") if _program(name) is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        absent.append("selenium")
    if not absent:
        return None
    return (
        f"the browser test needs {', '.join(absent)}: run tests/install-browser.sh "
        "(chromium, chromedriver) and pip install -e '.[dev]' (selenium)"
    )


# the check runs once, at collection: the module must import without selenium, so that
# its absence fails the tests below instead of breaking the whole run
MISSING = _missing()
if MISSING is None:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select


def test_chromium_chromedriver_and_selenium_are_installed():
    if MISSING is not None:
        pytest.fail(MISSING, pytrace=False)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("SKILLCAST_TEST_ARTIFACTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("report-browser")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def report(artifacts: Path) -> Path:
    return write_report(sample_report_inputs(), artifacts / "report.html")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if MISSING is not None:
        pytest.fail(MISSING, pytrace=False)
    options = Options()
    options.binary_location = str(_program("chromium"))
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1200,900"):  # fmt: skip
        options.add_argument(argument)
    # the performance log carries the DevTools Network events of every request
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    # both paths given: selenium has nothing to look up or download
    service = Service(executable_path=str(_program("chromedriver")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")
        driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def page(browser: Any, report: Path) -> Any:
    browser.get_log("performance")  # start from an empty log
    browser.get(report.resolve().as_uri())
    return browser


def _requests(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            params = message["params"]
            urls.append(params.get("request", {}).get("url") or params.get("url", ""))
    return urls


def _visible_rows(driver: Any) -> list[Any]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#shortage-table tbody tr")
    return [r for r in rows if r.is_displayed()]


def test_every_section_is_in_the_dom(page):
    for section in SECTION_IDS:
        element = page.find_element(By.ID, section)
        assert element.tag_name == "section" and element.is_displayed()
        assert element.find_element(By.TAG_NAME, "h2").text.strip()
    assert len(page.find_elements(By.CSS_SELECTOR, "svg.chart")) >= 9


def test_the_port_clusters_shortage_table_is_ranked(page):
    Select(page.find_element(By.ID, "shortage-cluster")).select_by_value(PORT)
    Select(page.find_element(By.ID, "shortage-year")).select_by_value("2025")
    rows = _visible_rows(page)
    assert rows
    assert {r.get_attribute("data-cluster") for r in rows} == {PORT}
    assert {r.get_attribute("data-year") for r in rows} == {"2025"}
    gaps = [int(r.get_attribute("data-gap")) for r in rows]
    assert gaps == sorted(gaps, reverse=True)
    ranks = [r.find_element(By.TAG_NAME, "td").text for r in rows]
    assert ranks == [str(i) for i in range(1, len(rows) + 1)]
    assert not page.find_element(By.ID, "shortage-empty").is_displayed()
    Select(page.find_element(By.ID, "shortage-cluster")).select_by_value("all")
    assert len(_visible_rows(page)) > len(rows)


def test_the_language_toggle_switches_every_text(page):
    heading = page.find_element(By.CSS_SELECTOR, "#headline h2")
    option = page.find_element(By.CSS_SELECTOR, f"#shortage-cluster option[value='{PORT}']")
    assert "Toàn thành phố" in heading.text and "City total" not in heading.text
    assert option.text == "Cảng biển và vận tải biển"
    page.find_element(By.ID, "lang-toggle").click()
    try:
        assert page.execute_script("return document.documentElement.lang") == "en"
        assert "City total" in heading.text and "Toàn thành phố" not in heading.text
        assert option.text == "Seaport and maritime transport"
        trust = page.find_element(By.ID, "trust").text
        assert "off by" in trust and "lệch" not in trust
    finally:
        page.find_element(By.ID, "lang-toggle").click()
    assert "Toàn thành phố" in heading.text


def test_no_network_request(page):
    urls = _requests(page)
    assert urls, "the performance log recorded no request at all"
    assert all(u.startswith(("file:", "data:", "about:")) for u in urls), urls
    resources = page.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
    )
    assert resources == []


def test_screenshots_phone_layout_and_a4_print(page, artifacts, capsys):
    height = page.execute_script("return document.documentElement.scrollHeight")
    page.set_window_size(1200, min(int(height) + 200, 16000))
    desktop = artifacts / "report_desktop.png"
    assert page.save_screenshot(str(desktop))
    page.set_window_size(390, 900)
    overflow = page.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1  # wide tables scroll inside their box, not the page
    phone = artifacts / "report_phone.png"
    assert page.save_screenshot(str(phone))
    printed = page.execute_cdp_cmd(
        "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
    )
    pdf = base64.b64decode(printed["data"])
    assert pdf.startswith(b"%PDF")
    sizes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf))
    assert {(round(float(w)), round(float(h))) for w, h in sizes} == {(595, 842)}  # A4 in points
    a4 = artifacts / "report_a4.pdf"
    a4.write_bytes(pdf)
    page.set_window_size(1200, 900)
    with capsys.disabled():
        print(f"\nreport screenshots: {desktop} {phone}; printed: {a4}")
    assert desktop.stat().st_size > 10_000 and phone.stat().st_size > 10_000
