"""The SVG charts: well-formed, accessible (title, desc, role, axis labels, legend), escaped, CSP-clean."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from atende.console.charts import Axes, bar, line, stacked_bar

NS = "{http://www.w3.org/2000/svg}"
AXES = Axes("Tickets <per> day", "Tickets & more", "Day", "Tickets")


def parse(svg: str) -> ET.Element:
    assert " style=" not in svg and "<script" not in svg  # nothing the console CSP would block
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def test_a_bar_chart_is_accessible_and_escaped() -> None:
    root = parse(bar(AXES, ["P1", "P2", "P3"], [1, 0, 3]))
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None and title.text == "Tickets <per> day"
    assert desc is not None and desc.text == "Tickets & more"
    assert root.get("role") == "img" and root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "Day" in texts(root) and "Tickets" in texts(root)  # axis labels
    bars = root.findall(f"{NS}rect")
    assert len(bars) == 2  # a zero draws nothing
    assert [b.find(f"{NS}title").text for b in bars] == ["P1: 1", "P3: 3"]  # type: ignore[union-attr]
    assert {"0", "1", "2", "3", "4"} <= set(texts(root))  # y ticks up to a round top


def test_a_stacked_bar_stacks_and_has_a_legend() -> None:
    root = parse(stacked_bar(AXES, ["2026-03-02", "2026-03-03"], {"web": [2, 1], "email": [1, 0]}))
    bars = [r for r in root.findall(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert len(bars) == 3
    first_day = [b for b in bars if "03-02" in (b.find(f"{NS}title").text or "")]  # type: ignore[union-attr]
    web, email = first_day
    assert float(email.get("y", 0)) + float(email.get("height", 0)) == float(web.get("y", 0))  # on top
    assert "web" in texts(root) and "email" in texts(root)  # legend
    assert "03-02" in texts(root)  # dates print short under the axis


def test_a_line_breaks_where_there_is_no_value() -> None:
    root = parse(line(AXES, ["W1", "W2", "W3", "W4"], {"corrected": [0.5, None, 0.25, 0.0]}, percent=True))
    lines = root.findall(f"{NS}polyline")
    assert len(lines) == 1 and len(lines[0].get("points", "").split()) == 2  # W3-W4; W1 stands alone
    assert len(root.findall(f"{NS}circle")) == 3
    assert "100%" in texts(root) and "50%" in texts(root)


def test_empty_data_still_draws_a_frame() -> None:
    root = parse(stacked_bar(AXES, [], {}))
    assert root.find(f"{NS}title") is not None and not root.findall(f"{NS}polyline")


def test_a_bar_without_data_says_so_instead_of_reading_as_zero() -> None:
    root = parse(bar(AXES, ["P1", "P2"], [0.5, None], percent=True, missing="n/d"))
    assert len(root.findall(f"{NS}rect")) == 1
    assert "n/d" in texts(root)
