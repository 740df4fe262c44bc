"""The fleet dashboard: one self-contained HTML file (inline CSS, JS and SVG; nothing fetched).

Services x sections heat map (sortable, filterable by team, tag and name), each practice's
adoption weakest first, levels, trends over the runs, regressions since the previous run with
their commits, and a link from each service to its own HTML report (``services/NAME.html``).
"""

from __future__ import annotations

import json
from collections import Counter
from html import escape
from pathlib import Path

from auditor.fleet.charts import line_chart, sparkline
from auditor.fleet.history import FleetView, ServiceView
from auditor.fleet.task import FAILURES

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#263238;color:#fff;padding:12px 20px}h1{font-size:20px;margin:0}
header p{margin:4px 0 0;color:#cfd8dc}main{padding:12px 20px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;margin:0 0 16px;padding:10px 14px}
h2{font-size:16px;margin:4px 0 10px}.kpis{display:flex;gap:16px;flex-wrap:wrap}
.kpi{border:1px solid #e0e0e0;border-radius:6px;padding:6px 12px;min-width:110px}
.kpi b{display:block;font-size:20px}.filters{display:flex;gap:10px;flex-wrap:wrap;margin:0 0 8px}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 6px;border-bottom:1px solid #eee;text-align:left}
th{position:sticky;top:0;background:#f5f5f5;cursor:pointer;white-space:nowrap}
#heat td.c{text-align:center;min-width:38px;color:#000}.scroll{overflow:auto;max-height:70vh}
.fail{color:#b71c1c}.lvl{font-weight:600}.spark polyline{fill:none;stroke:#1565c0;stroke-width:1.3}
.spark circle{fill:#1565c0}.charts{display:flex;flex-wrap:wrap;gap:16px}
.chart .grid{stroke:#e0e0e0}.chart .ax,.chart .lg{font-size:11px;fill:#555}.chart .ct{font-size:13px;font-weight:600}
.bar{display:inline-block;height:10px;background:#43a047;vertical-align:middle}
.bar.p{background:#fbc02d}.bar.m{background:#e53935}code{font-size:12px}
"""

JS = """
(function(){
  var rows=[].slice.call(document.querySelectorAll('#heat tbody tr'));
  var team=document.getElementById('f-team'),tag=document.getElementById('f-tag'),q=document.getElementById('f-q');
  function apply(){
    var t=team.value,g=tag.value,s=q.value.toLowerCase(),shown=0;
    rows.forEach(function(r){
      var ok=(!t||r.dataset.team===t)&&(!g||(' '+r.dataset.tags+' ').indexOf(' '+g+' ')>=0)&&
             (!s||r.dataset.name.indexOf(s)>=0);
      r.hidden=!ok;if(ok)shown++;
    });
    document.getElementById('shown').textContent=shown;
  }
  [team,tag].forEach(function(e){e.addEventListener('change',apply)});q.addEventListener('input',apply);
  location.hash.replace(/^#/,'').split('&').forEach(function(kv){  // #team=X&tag=Y&q=Z presets the filters
    var p=kv.split('='),v=decodeURIComponent(p[1]||'');
    if(p[0]==='team')team.value=v;if(p[0]==='tag')tag.value=v;if(p[0]==='q')q.value=v;
  });
  document.querySelectorAll('#heat th').forEach(function(th,i){
    th.addEventListener('click',function(){
      var asc=th.dataset.dir!=='asc';th.dataset.dir=asc?'asc':'desc';
      var body=th.closest('table').tBodies[0];
      var key=function(r){var c=r.cells[i];var v=c.dataset.v;return v===undefined?c.textContent.toLowerCase():
        (v===''?-1:parseFloat(v));};
      rows.sort(function(a,b){var x=key(a),y=key(b);return (x<y?-1:x>y?1:0)*(asc?1:-1);});
      rows.forEach(function(r){body.appendChild(r)});
    });
  });
  apply();
})();
"""


def _colour(score: float | None) -> str:
    if score is None:
        return "#eeeeee"
    hue = int(120 * score)  # red to green
    return f"hsl({hue},70%,{72 - 10 * score:.0f}%)"


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:.0%}"


def _service_row(v: ServiceView, sections: list[str], levels: list[str], pages: bool) -> str:
    name = escape(v.name)
    link = f'<a href="services/{name}.html">{name}</a>' if pages and v.scan_id is not None else name
    failed = v.status in FAILURES
    status = (f'<span class="fail" title="{escape(v.reason)}">{escape(v.status)}</span>' if failed
              else escape(v.status))
    rank = levels.index(v.level) + 1 if v.level in levels else 0
    cells = [
        f"<td>{link}</td><td>{escape(v.team)}</td><td>{escape(' '.join(v.tags))}</td><td>{status}</td>",
        f'<td data-v="{"" if v.score is None else v.score}">{_pct(v.score)}</td>',
        f'<td data-v="{rank}" class="lvl">{escape(v.level or "")}</td>',
    ]
    for s in sections:
        sc = v.section_score(s)
        cells.append(f'<td class="c" data-v="{"" if sc is None else round(sc, 4)}" style="background:{_colour(sc)}" '
                     f'title="{escape(s)}">{_pct(sc)}</td>')
    cells.append(f"<td>{sparkline(v.trend)}</td><td><code>{escape((v.commit or '')[:10])}</code></td>")
    return (f'<tr data-team="{escape(v.team)}" data-tags="{escape(" ".join(v.tags))}" '
            f'data-name="{escape(v.name.lower())}">{"".join(cells)}</tr>')


def _abbrev(section: str) -> str:
    words = [w for w in section.replace("&", " ").split() if w[:1].isupper()]
    return "".join(w[0] for w in words)[:4] or section[:4]


def render_dashboard(view: FleetView, title: str = "Fleet", pages: bool = True) -> str:
    """The dashboard's HTML."""
    runs = view.runs
    labels = [str(r["started_at"])[:10] for r in runs]
    scored = [v for v in view.services if v.score is not None]
    failed = [v for v in view.services if v.status in FAILURES]
    level_counts = Counter(v.level or "none" for v in scored)
    teams = sorted({v.team for v in view.services if v.team})
    tags = sorted({t for v in view.services for t in v.tags})
    mean = sum(v.score for v in scored if v.score is not None) / len(scored) if scored else None
    out = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
           f"<meta name=viewport content='width=device-width,initial-scale=1'><style>{CSS}</style></head><body>",
           f"<header><h1>{escape(title)}</h1><p>{len(view.services)} services, {len(runs)} runs; newest run "
           f"{escape(labels[-1] if labels else '-')}</p></header><main>"]
    kpis = [("services", str(len(view.services))), ("mean score", _pct(mean)), ("failed to scan", str(len(failed))),
            ("regressions", str(len(view.regressions)))]
    kpis += [(f"level {lv}", str(level_counts.get(lv, 0))) for lv in view.levels]
    if view.levels:
        kpis.append(("no level", str(level_counts.get("none", 0))))
    out.append('<section id="summary"><h2>Summary</h2><div class="kpis">' + "".join(
        f'<div class="kpi"><b>{escape(v)}</b>{escape(k)}</div>' for k, v in kpis) + "</div></section>")
    # heat map
    opts = lambda values: "".join(f"<option>{escape(x)}</option>" for x in values)  # noqa: E731
    head = ["service", "team", "tags", "status", "score", "level"]
    out.append('<section id="heatmap"><h2>Services × sections</h2><div class="filters">'
               f'<label>team <select id="f-team"><option value="">all</option>{opts(teams)}</select></label>'
               f'<label>tag <select id="f-tag"><option value="">all</option>{opts(tags)}</select></label>'
               '<label>name <input id="f-q" type="search"></label><span><b id="shown"></b> shown</span></div>'
               '<div class="scroll"><table id="heat"><thead><tr>'
               + "".join(f"<th>{h}</th>" for h in head)
               + "".join(f'<th title="{escape(s)}">{escape(_abbrev(s))}</th>' for s in view.sections)
               + "<th>trend</th><th>commit</th></tr></thead><tbody>")
    out.extend(_service_row(v, view.sections, view.levels, pages) for v in view.services)
    out.append("</tbody></table></div></section>")
    # trends
    charts = [line_chart("Fleet mean score", {"fleet": view.fleet_trend}, labels)]
    if view.team_trends:
        charts.append(line_chart("Mean score per team", dict(list(view.team_trends.items())[:12]), labels))
    charts.append(line_chart("Implemented share per section", view.section_trends, labels, height=260))
    out.append('<section id="trends"><h2>Trends</h2><div class="charts">' + "".join(charts) + "</div></section>")
    # adoption
    rows = []
    for a in view.adoption:
        n = a.applicable or 1
        bars = "".join(f'<span class="bar{c}" style="width:{120 * a.counts[s] / n:.0f}px"></span>'
                       for s, c in (("implemented", ""), ("partial", " p"), ("missing", " m")))
        rows.append(f"<tr><td>{escape(a.item)}</td><td>{escape(a.title)}</td><td>{escape(a.section)}</td>"
                    f"<td>{escape(a.severity)}</td><td>{_pct(a.rate)}</td><td>{bars}</td>"
                    f"<td>{a.counts['implemented']}/{a.applicable}</td></tr>")
    out.append('<section id="adoption"><h2>Practice adoption, weakest first</h2><div class="scroll"><table>'
               "<thead><tr><th>item</th><th>title</th><th>section</th><th>severity</th><th>adopted</th>"
               "<th></th><th>services</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div></section>")
    # regressions
    reg = "".join(f"<tr><td>{escape(r.service)}</td><td>{escape(r.item)}</td><td>{escape(r.before)} → "
                  f"{escape(r.after)}</td><td><code>{escape((r.old_commit or '?')[:10])}.."
                  f"{escape((r.new_commit or '?')[:10])}</code></td></tr>" for r in view.regressions)
    out.append('<section id="regressions"><h2>Regressions since the previous run</h2>'
               + (f"<table><thead><tr><th>service</th><th>item</th><th>status</th><th>commits</th></tr></thead>"
                  f"<tbody>{reg}</tbody></table>" if reg else "<p>None.</p>") + "</section>")
    if failed:
        out.append('<section id="failures"><h2>Failed to scan</h2><table><tbody>' + "".join(
            f"<tr><td>{escape(v.name)}</td><td class=fail>{escape(v.status)}</td><td>{escape(v.reason)}</td></tr>"
            for v in failed) + "</tbody></table></section>")
    out.append(f"</main><script>{JS}</script></body></html>\n")
    return "".join(out)


def write_dashboard(view: FleetView, out_dir: Path, reports: dict[str, str], title: str) -> Path:
    """``out_dir/index.html`` and one HTML report per service (from its stored JSON) under ``services/``."""
    from auditor.model import Report
    from auditor.render.html import render_html

    out_dir.mkdir(parents=True, exist_ok=True)
    pages = out_dir / "services"
    pages.mkdir(exist_ok=True)
    for name, text in reports.items():
        (pages / f"{name}.html").write_text(render_html(Report.model_validate(json.loads(text))), encoding="utf-8")
    index = out_dir / "index.html"
    index.write_text(render_dashboard(view, title, pages=bool(reports)), encoding="utf-8")
    return index
