"""The HTML report's bar charts, by their SVG numbers: the longest bar and its count fit the drawing, and the drawing
fits the narrowest chart card (the browser's view is tests/outputs/test_html_browser.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from scanner.outputs.html import _STYLE, bar_chart

# A digit's advance in the sans-serif fonts a browser picks, at most (DejaVu Sans: 0.636 em), at the labels' 12 px.
DIGIT_WIDTH = 0.65 * 12


@dataclass
class Element:
    tag: str
    attributes: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def number(self, name: str) -> float:
        return float(self.attributes[name])


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Element("root", {})
        self._open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self._open[-1].children.append(element)
        self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        self._open.pop()

    def handle_data(self, data: str) -> None:
        self._open[-1].text += data


def chart_svg(markup: str) -> Element:
    tree = _Tree()
    tree.feed(markup)
    return next(child for child in tree.root.children[0].children if child.tag == "svg")


def narrowest_card_content() -> float:
    """The content width of the narrowest chart card the page's grid makes: its minimum less padding and border."""
    minimum = re.search(r"minmax\((\d+)px", _STYLE)
    card = re.search(r"\.chart\{[^}]*border:(\d+)px[^}]*padding:(\d+)px", _STYLE)
    assert minimum is not None
    assert card is not None
    return float(minimum.group(1)) - 2 * float(card.group(1)) - 2 * float(card.group(2))


def check_chart(peak: int) -> None:
    svg = chart_svg(bar_chart("by account", [("111122223333", peak, "#dc2626"), ("x", 1, "#dc2626")], "c"))
    _, _, view_width, view_height = (float(number) for number in svg.attributes["viewbox"].split())
    bars = [child for child in svg.children if child.tag == "g"]
    assert [bar.attributes["data-value"] for bar in bars] == [str(peak), "1"]
    for bar in bars:
        rect = next(child for child in bar.children if child.tag == "rect")
        count = [child for child in bar.children if child.tag == "text"][-1]
        assert count.text == bar.attributes["data-value"]
        assert count.number("x") >= rect.number("x") + rect.number("width")
        assert count.number("x") + len(count.text) * DIGIT_WIDTH <= view_width
        assert rect.number("y") + rect.number("height") <= view_height
    # The longest bar is long: the room kept for its count is not most of the chart.
    longest = max(bar.children[2].number("width") for bar in bars)
    assert longest >= view_width / 3


def test_the_longest_bar_and_its_count_fit_the_drawing() -> None:
    for peak in (3, 4_096, 123_456_789):
        check_chart(peak)


def test_the_drawing_shrinks_to_the_narrowest_card() -> None:
    svg = chart_svg(bar_chart("by check", [("iam-root-access-key-check", 7, "#dc2626")], "c"))
    capped = re.search(r"\.chart svg\{[^}]*max-width:100%[^}]*height:auto", _STYLE) is not None
    # Either CSS caps it at its card's width, keeping its proportions, or it is narrow enough as it is.
    assert capped or svg.number("width") <= narrowest_card_content()
