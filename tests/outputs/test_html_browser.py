"""The HTML report of an end-to-end emulator scan, in a real headless Chromium: the filter, the severity menu and
sorting change what is shown; nothing is fetched from the network; a screenshot is saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cloudsweep_emulator.server import Emulator

from tests.outputs.browser import headless_chromium
from tests.outputs.test_reports import estate, scan

__all__ = ["estate"]  # the fixture, used by name below

ROWS = "[...document.querySelectorAll('#findings tbody tr')].filter(r => !r.hidden)"
VISIBLE_ROWS = f"return {ROWS}.map(r => r.cells[5].textContent)"
SEVERITIES = f"return {ROWS}.map(r => r.dataset.severity)"
TILES = (
    "return Object.fromEntries([...document.querySelectorAll('.tile')]"
    ".map(t => [t.dataset.tile, t.querySelector('b').textContent]))"
)


@pytest.mark.slow
@pytest.mark.timeout(900)  # time to install chromium with apt when it is missing
def test_the_report_filters_sorts_and_loads_nothing(aws_env: Emulator, estate: dict[str, Any], tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    # A reason with markup in it: the page must show it as text, never run it.
    mutelist = tmp_path / "markup.yaml"
    mutelist.write_text(
        'entries:\n  - reason: "<img src=x onerror=\\"document.title=\'pwned\'\\"></script><b>big</b>"\n'
        "    checks: [desired-instance-type]\n    tags: {env: sandbox}\n",
        encoding="utf-8",
    )
    result = scan(aws_env, tmp_path, "--output", str(report), "--mutelist", str(mutelist))
    assert result.exit_code == 1, result.output
    with headless_chromium() as browser:
        browser.open(report.as_uri())
        every = browser.run(VISIBLE_ROWS)
        # restricted-ssh on open-ssh, the two m5.large (one suppressed), the unversioned bucket, the password policy.
        assert sorted(every) == sorted(
            [estate["group"], estate["large"], estate["sandbox"], "reports-bucket", "123456789012"]
        )
        assert browser.text("#shown") == "5"

        browser.type("#filter", "desired-instance-type")
        assert sorted(browser.run(VISIBLE_ROWS)) == sorted([estate["large"], estate["sandbox"]])
        assert browser.text("#shown") == "2"
        browser.click("#hide-suppressed")
        assert browser.run(VISIBLE_ROWS) == [estate["large"]]
        browser.click("#hide-suppressed")
        browser.clear("#filter")
        browser.run(
            "const s = document.getElementById('severity'); s.value = 'high'; s.dispatchEvent(new Event('input'));"
        )
        assert browser.run(VISIBLE_ROWS) == [estate["group"]]
        browser.run("const s = document.getElementById('severity'); s.value = ''; s.dispatchEvent(new Event('input'));")

        browser.click("#findings thead th:nth-child(1)")  # severity, most severe first
        assert browser.run(SEVERITIES) == ["high", "medium", "medium", "low", "low"]
        browser.click("#findings thead th:nth-child(1)")
        assert browser.run(SEVERITIES) == ["low", "low", "medium", "medium", "high"]

        tiles = browser.run(TILES)
        assert tiles["non-compliant"] == "4"  # the suppressed one counts apart
        assert tiles["suppressed"] == "1"
        totals = browser.run(
            "return [...document.querySelectorAll('#totals-check tbody tr')]"
            ".map(r => [...r.cells].map(c => c.textContent))"
        )
        assert ["desired-instance-type", "low", "2", "1", "1", "0"] in totals
        assert browser.run("return document.querySelectorAll('#findings img, #findings b').length") == 0
        assert "pwned" not in browser.run("return document.title")
        suppressed_text = browser.run("return document.querySelector('tr.suppressed').textContent")
        assert "<img src=x onerror=\"document.title='pwned'\"></script><b>big</b>" in suppressed_text
        bars = browser.run(
            "return [...document.querySelectorAll('#chart-severity .bar')].map(b => [b.dataset.label, b.dataset.value])"
        )
        assert bars == [["high", "1"], ["medium", "2"], ["low", "1"]]
        # A self-contained page: the only resource the browser loaded is the page itself.
        assert browser.run("return performance.getEntriesByType('resource').length") == 0
        shot = browser.screenshot(tmp_path / "report.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000


# Per chart card: the boxes of the card, of its SVG, and of each bar's rectangle and count label.
CHART_BOXES = """
const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
return [...document.querySelectorAll('.chart')].map(card => ({
  id: card.id,
  card: box(card),
  svg: box(card.querySelector('svg')),
  bars: [...card.querySelectorAll('.bar')].map(bar => ({
    value: bar.dataset.value, rect: box(bar.querySelector('rect')), count: box(bar.querySelector('text:last-of-type')),
    count_text: bar.querySelector('text:last-of-type').textContent,
  })),
}));
"""


def inside(inner: list[float], outer: list[float]) -> bool:
    left, top, right, bottom = inner
    return left >= outer[0] and top >= outer[1] and right <= outer[2] and bottom <= outer[3]


@pytest.mark.timeout(900)  # time to install chromium with apt when it is missing
# Three cards a row, then two: each narrower than the charts' natural width.
@pytest.mark.parametrize("window", [(1400, 1000), (1000, 900)])
def test_every_bar_and_its_count_lie_inside_the_chart_card(
    aws_env: Emulator, estate: dict[str, Any], tmp_path: Path, window: tuple[int, int]
) -> None:
    report = tmp_path / "report.html"
    scan(aws_env, tmp_path, "--output", str(report))
    with headless_chromium() as browser:
        browser.resize(*window)
        browser.open(report.as_uri())
        charts = browser.run(CHART_BOXES)
    assert [chart["id"] for chart in charts] == [
        "chart-compliance",
        "chart-severity",
        "chart-account",
        "chart-region",
        "chart-check",
    ]
    for chart in charts:
        assert chart["bars"], chart["id"]
        assert inside(chart["svg"], chart["card"]), chart
        for bar in chart["bars"]:
            assert bar["count_text"] == bar["value"]
            # Inside the SVG too: what lies outside it is clipped away.
            for part in (bar["rect"], bar["count"]):
                assert inside(part, chart["svg"]), (chart["id"], bar)
                assert inside(part, chart["card"]), (chart["id"], bar)
