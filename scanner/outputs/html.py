"""The HTML report: one self-contained page (no CDN, no network), charts drawn as inline SVG, and a filterable,
sortable table of the non-compliant resources with annotation and remediation.

Everything from the scan is escaped (`html.escape`); the page's only script is inline and reads the table it sits
beside. Rows are written as they are read, so the page is streamed from the spooled rows, not built in memory.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

SEVERITY_ORDER = ("critical", "high", "medium", "low", "informational")
SEVERITY_COLOURS = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#f59e0b",
    "low": "#2563eb",
    "informational": "#6b7280",
}
COMPLIANCE_COLOURS = {
    "COMPLIANT": "#16a34a",
    "NON_COMPLIANT": "#dc2626",
    "SUPPRESSED": "#a78bfa",
    "NOT_APPLICABLE": "#9ca3af",
}
TOTAL_COLUMNS = (
    ("COMPLIANT", "compliant"),
    ("NON_COMPLIANT", "non-compliant"),
    ("SUPPRESSED", "suppressed"),
    ("NOT_APPLICABLE", "not applicable"),
)
CHART_ROWS = 15  # the longest bars of a chart; the table has them all
# A digit's advance in a sans-serif font at the counts' 12 px, with room to spare (DejaVu Sans: 7.6 px).
_DIGIT_WIDTH = 8

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#111827;background:#f9fafb}
h1{margin:0 0 4px} .meta{color:#4b5563;margin-bottom:16px}
.tiles{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:16px}
.tile{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;min-width:120px}
.tile b{display:block;font-size:24px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px;margin-bottom:16px}
.chart{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px}
.chart h2{font-size:15px;margin:0 0 8px}
.chart svg{display:block;max-width:100%;height:auto}
.controls{display:flex;gap:8px;align-items:center;margin:8px 0;flex-wrap:wrap}
.controls input[type=search]{width:320px;padding:6px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #e5e7eb;padding:6px;text-align:left;vertical-align:top}
table.totals{width:auto;margin:8px 16px 8px 0;display:inline-table}
th{background:#f3f4f6;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" \\25B2"} th[aria-sort=descending]::after{content:" \\25BC"}
.sev{color:#fff;border-radius:4px;padding:1px 6px;font-weight:600}
.suppressed{opacity:.6} code{white-space:pre-wrap;font-size:12px}
"""

_SCRIPT = """
(function(){
  const table=document.getElementById('findings');
  const body=table.tBodies[0];
  const search=document.getElementById('filter');
  const severity=document.getElementById('severity');
  const hide=document.getElementById('hide-suppressed');
  const shown=document.getElementById('shown');
  function apply(){
    const words=search.value.toLowerCase().split(/\\s+/).filter(Boolean);
    let count=0;
    for(const row of body.rows){
      const text=row.textContent.toLowerCase();
      const ok=words.every(w=>text.includes(w))
        &&(!severity.value||row.dataset.severity===severity.value)
        &&!(hide.checked&&row.dataset.suppressed==='true');
      row.hidden=!ok; if(ok)count++;
    }
    shown.textContent=count;
  }
  [search,severity,hide].forEach(e=>e.addEventListener('input',apply));
  table.tHead.addEventListener('click',function(event){
    const th=event.target.closest('th'); if(!th)return;
    const index=[...th.parentNode.children].indexOf(th);
    const ascending=th.getAttribute('aria-sort')!=='ascending';
    for(const other of th.parentNode.children)other.removeAttribute('aria-sort');
    th.setAttribute('aria-sort',ascending?'ascending':'descending');
    const key=r=>r.cells[index].dataset.sort||r.cells[index].textContent;
    const rows=[...body.rows].sort((a,b)=>key(a).localeCompare(key(b),undefined,{numeric:true}));
    if(!ascending)rows.reverse();
    rows.forEach(r=>body.appendChild(r));
  });
  apply();
})();
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def bar_chart(title: str, bars: Iterable[tuple[str, int, str]], chart_id: str) -> str:
    """Horizontal bars, longest first as given; an SVG with a <title> per bar for its exact value.

    The longest bar ends where its count still fits inside the drawing, and the drawing (CSS: `.chart svg`) shrinks
    with its card: a card narrower than the drawing's 560 units scales it down rather than letting it overflow.
    """
    items = [bar for bar in bars if bar[1] > 0][:CHART_ROWS]
    width, label_width, row, gap = 560, 220, 22, 4
    height = max(row, row * len(items)) + 8
    peak = max((value for _, value, _ in items), default=1)
    count_width = gap + _DIGIT_WIDTH * len(str(peak)) + gap
    bar_space = width - label_width - count_width
    parts = [
        f'<div class="chart" id="{_e(chart_id)}"><h2>{_e(title)}</h2>',
        f'<svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
    ]
    if not items:
        parts.append('<text x="0" y="16" font-size="13">none</text>')
    for index, (label, value, colour) in enumerate(items):
        y = 4 + index * row
        length = max(2, int(bar_space * value / peak))
        short = label if len(label) <= 32 else label[:31] + "\u2026"
        parts.append(
            f'<g class="bar" data-label="{_e(label)}" data-value="{value}"><title>{_e(label)}: {value}</title>'
            f'<text x="{label_width - 6}" y="{y + 15}" font-size="12" text-anchor="end">{_e(short)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length}" height="{row - 6}" fill="{colour}"></rect>'
            f'<text x="{label_width + length + gap}" y="{y + 15}" font-size="12">{value}</text></g>'
        )
    parts.append("</svg></div>")
    return "".join(parts)


def _non_compliant(table: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, int]]:
    counted = [(name, int(counts.get("NON_COMPLIANT", 0))) for name, counts in table.items()]
    return sorted(counted, key=lambda item: (-item[1], item[0]))


def _charts(summary: Mapping[str, Any]) -> str:
    compliance = summary["by_compliance"]
    severities = summary["non_compliant_by_severity"]
    return "".join(
        [
            bar_chart(
                "Evaluations by compliance",
                [(name, int(compliance.get(name, 0)), colour) for name, colour in COMPLIANCE_COLOURS.items()],
                "chart-compliance",
            ),
            bar_chart(
                "Non-compliant by severity (not suppressed)",
                [(name, int(severities.get(name, 0)), SEVERITY_COLOURS[name]) for name in SEVERITY_ORDER],
                "chart-severity",
            ),
            bar_chart(
                "Non-compliant by account",
                [(name, count, "#dc2626") for name, count in _non_compliant(summary["by_account"])],
                "chart-account",
            ),
            bar_chart(
                "Non-compliant by region",
                [(name, count, "#dc2626") for name, count in _non_compliant(summary["by_region"])],
                "chart-region",
            ),
            bar_chart(
                "Non-compliant by check",
                [
                    (name, count, SEVERITY_COLOURS.get(summary["by_check"][name]["severity"], "#dc2626"))
                    for name, count in _non_compliant(summary["by_check"])
                ],
                "chart-check",
            ),
        ]
    )


def _tiles(summary: Mapping[str, Any]) -> str:
    compliance = summary["by_compliance"]
    tiles = [
        ("evaluations", summary["evaluations"]),
        ("non-compliant", compliance.get("NON_COMPLIANT", 0)),
        ("compliant", compliance.get("COMPLIANT", 0)),
        ("not applicable", compliance.get("NOT_APPLICABLE", 0)),
        ("suppressed", summary["suppressed"]),
        ("accounts", len(summary["by_account"])),
        ("could not read", len(summary["failures"])),
    ]
    return (
        '<div class="tiles">'
        + "".join(
            f'<div class="tile" data-tile="{_e(name)}"><b>{_e(value)}</b>{_e(name)}</div>' for name, value in tiles
        )
        + "</div>"
    )


def _totals(title: str, table_id: str, table: Mapping[str, Mapping[str, Any]], extra: str | None = None) -> str:
    """Every row of a breakdown (the charts show the longest bars only): each compliance, suppressed apart."""
    head = "".join(
        f"<th>{_e(label)}</th>" for label in (title, *([extra] if extra else []), *dict(TOTAL_COLUMNS).values())
    )
    rows = []
    for name, counts in table.items():
        cells = [f"<td>{_e(name)}</td>"]
        if extra:
            cells.append(f"<td>{_e(counts.get(extra))}</td>")
        cells += [f"<td>{int(counts.get(key, 0))}</td>" for key, _ in TOTAL_COLUMNS]
        rows.append(f'<tr data-name="{_e(name)}">' + "".join(cells) + "</tr>")
    body = "".join(rows)
    return f'<table class="totals" id="{_e(table_id)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _failures(failures: Iterable[Mapping[str, Any]]) -> str:
    listed = list(failures)
    if not listed:
        return ""
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{_e(cell)}</td>"
            for cell in (
                failure.get("account_id"),
                failure.get("region"),
                failure.get("what"),
                f"{failure.get('code')}: {failure.get('message')}",
                ", ".join(failure.get("affects") or ()),
            )
        )
        + "</tr>"
        for failure in listed
    )
    return (
        f"<h2>Could not read or evaluate ({len(listed)}): no result is reported for these</h2>"
        '<table id="failures"><thead><tr><th>account</th><th>region</th><th>what</th><th>error</th><th>affects</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>\n"
    )


_COLUMNS = ("severity", "account", "region", "check", "resource type", "resource id", "annotation", "remediation")


def _row(record: Mapping[str, Any]) -> str:
    severity = str(record.get("severity", ""))
    suppressed = bool(record.get("suppressed"))
    rank = SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)
    annotation = _e(record.get("annotation"))
    if suppressed:
        annotation += f"<br><i>suppressed: {_e(record.get('suppression_reason'))}</i>"
    cis = record.get("cis") or []
    check = f"{_e(record['check'])}<br><small>{_e(record.get('title'))}</small>"
    if cis:
        check += f"<br><small>CIS {_e(', '.join(cis))}</small>"
    cells = [
        f'<td data-sort="{rank}"><span class="sev" style="background:{SEVERITY_COLOURS.get(severity, "#6b7280")}">'
        f"{_e(severity)}</span></td>",
        f"<td>{_e(record['account_id'])}</td>",
        f"<td>{_e(record['region'])}</td>",
        f'<td data-sort="{_e(record["check"])}">{check}</td>',
        f"<td>{_e(record['resource_type'])}</td>",
        f"<td>{_e(record['resource_id'])}</td>",
        f"<td>{annotation}</td>",
        f"<td>{_e(record.get('remediation'))}</td>",
    ]
    attributes = f'data-severity="{_e(severity)}" data-suppressed="{"true" if suppressed else "false"}"'
    css = ' class="suppressed"' if suppressed else ""
    return f"<tr {attributes}{css}>" + "".join(cells) + "</tr>\n"


def write_html(
    stream: TextIO, scan: Mapping[str, Any], summary: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]
) -> None:
    """The page, written to `stream` top to bottom; `rows` are the non-compliant findings' records."""
    title = f"cloudsweep report {scan['started']}"
    stream.write(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head><body>\n'
        f"<h1>cloudsweep compliance report</h1>"
        f'<div class="meta">scan {_e(scan["scan_id"])}, started {_e(scan["started"])}, caller account '
        f"{_e(summary.get('caller_account'))}, cloudsweep {_e(scan['tool_version'])}</div>\n"
        + _tiles(summary)
        + '<div class="charts">'
        + _charts(summary)
        + "</div>\n"
        + _failures(summary["failures"])
        + "<details open><summary><b>Totals by account, region and check</b></summary>"
        + _totals("account", "totals-account", summary["by_account"])
        + _totals("region", "totals-region", summary["by_region"])
        + _totals("check", "totals-check", summary["by_check"], extra="severity")
        + "</details>\n<h2>Non-compliant resources</h2>"
        '<div class="controls"><input id="filter" type="search" placeholder="Filter: account, check, resource, '
        'words..." aria-label="filter"><select id="severity" aria-label="severity"><option value="">every '
        "severity</option>"
        + "".join(f'<option value="{name}">{name}</option>' for name in SEVERITY_ORDER)
        + '</select><label><input id="hide-suppressed" type="checkbox"> hide suppressed</label>'
        '<span><span id="shown">0</span> shown</span></div>\n<table id="findings"><thead><tr>'
        + "".join(f"<th>{_e(column)}</th>" for column in _COLUMNS)
        + "</tr></thead><tbody>\n"
    )
    for record in rows:
        stream.write(_row(record))
    stream.write(f"</tbody></table>\n<script>{_SCRIPT}</script>\n</body></html>\n")
