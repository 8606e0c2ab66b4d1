"""`--format html` without a browser: one self-contained, deterministic page whose steps follow the
ledger, with every piece of user text escaped, drawn with or without Graphviz."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from backpropcli import analyze
from backpropcli.autodiff import ledger
from backpropcli.explain import explain
from backpropcli.render.html import layout, page

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples"
HOSTILE = """# names and comments are user text: <script>alert(1)</script> & "quotes"
x = 3; y = 2
v = x * y
f = v + x
dfdv = 1   # <img src=x onerror=alert(2)>
dfdx = y * dfdv + 1   # </script><b>bold</b>
"""


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of every script element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _parsed(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


def _page(text: str) -> str:
    return "".join(page.render(explain(analyze(text, check=False))))


@pytest.mark.parametrize("sample", ["lecture27", "fanout", "max_router", "lecture27_slip", "sigmoid_neuron"])
def test_the_page_needs_nothing_from_elsewhere(sample):
    html = _page((SAMPLES / f"{sample}.bp").read_text())
    tags = _parsed(html)
    assert [t for t, _ in tags.tags if t in ("link", "img", "iframe", "object", "embed", "base")] == []
    assert all("src" not in attrs and "href" not in attrs for _, attrs in tags.tags)
    assert not re.search(r"url\(|@import|https?://(?!www\.w3\.org/2000/svg)", html)
    assert [t for t, _ in tags.tags].count("script") == 1


def test_the_same_program_gives_the_same_bytes(cli, tmp_path):
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    for target in (first, second):
        result = cli("explain", "-f", str(SAMPLES / "lecture27.bp"), "--format", "html", "-o", str(target))
        assert result.code == 0, result
        assert result.out == ""
    assert first.read_bytes() == second.read_bytes()
    assert cli("explain", "-f", str(SAMPLES / "lecture27.bp"), "--format", "html", "-o", "-").out == first.read_text()
    assert cli("graph", "-f", str(SAMPLES / "lecture27.bp"), "--format", "html").out == first.read_text()


def test_user_text_is_escaped_everywhere():
    html = _page(HOSTILE)
    assert "<script>alert" not in html and "<img" not in html and "<b>bold" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html  # the claim's comment, shown as text
    tags = _parsed(html)
    assert {t for t, _ in tags.tags} <= {
        "html", "head", "meta", "title", "body", "div", "style", "header", "h1", "p", "code", "nav", "button",
        "span", "figure", "svg", "g", "path", "polygon", "text", "tspan", "rect", "figcaption", "ol",
        "li", "h2", "ul", "strong", "em", "table", "thead", "tr", "th", "tbody", "td", "b", "script",
    }  # fmt: skip


def test_each_backward_step_is_one_gate_of_the_ledger_in_order():
    report = analyze((SAMPLES / "sigmoid_neuron.bp").read_text(), check=False)
    html = "".join(page.render(explain(report)))
    steps = re.findall(r'<li class="step" data-phase="backward" data-gate="(\d+)" data-edges="([^"]*)"', html)
    gates, edges = [], {}
    for gate, pos in ledger(report.graph, report.back):
        if not gates or gates[-1] != gate:
            gates.append(gate)
        edges.setdefault(gate, []).append(f"{gate}-{pos}")
    out = report.graph.output
    assert steps[0] == (str(out), "")  # the pass starts at the output with gradient 1
    assert [(int(g), e.split()) for g, e in steps[1:]] == [(g, edges[g]) for g in gates]


def test_a_gradient_appears_when_its_last_share_arrives():
    report = analyze((SAMPLES / "fanout.bp").read_text(), check=False)
    html = "".join(page.render(explain(report)))
    graph = report.graph
    x = graph.ids["x"]
    shown = int(re.search(rf'data-node="{x}" data-v="\d+" data-g="(\d+)"', html).group(1))
    last = [gate for gate, pos in ledger(graph, report.back) if graph.nodes[gate].args[pos] == x][-1]
    titles = re.findall(r'<li class="step"[^>]*><h2><span class="no">Step \d+ of \d+</span> ([^<]*)</h2>', html)
    assert titles[shown].startswith("Backward") and titles[shown].endswith(f": {graph.nodes[last].name}")
    assert "x is complete:</strong> it feeds 3 edges, so <code>\u2202f/\u2202x = 1 + 3 + 3 = 7</code>" in html


def test_the_page_is_drawn_without_graphviz(monkeypatch):
    monkeypatch.setattr(layout.shutil, "which", lambda name: None)
    html = _page((SAMPLES / "sigmoid_neuron.bp").read_text())
    boxes = [
        (float(x), float(y), float(w), float(h))
        for x, y, w, h in re.findall(r'transform="translate\(([\d.]+),([\d.]+)\)"><title>[^<]*</title><rect '
                                     r'width="(\d+)" height="(\d+)"', html)
    ]  # fmt: skip
    assert len(boxes) > 5
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
            assert apart, (a, b)


def test_the_layered_layout_puts_every_gate_right_of_its_inputs():
    boxes = [layout.Box("a", 60, 40, ()), layout.Box("b", 60, 40, ())]
    boxes += [layout.Box(f"g{k}", 80, 40, (k, k + 1)) for k in range(30)]  # a ladder, 30 gates deep
    placed = layout.layered(boxes)
    for b, box in enumerate(boxes):
        for s in box.sources:
            assert placed.x[s] + boxes[s].width / 2 < placed.x[b] - box.width / 2


def test_a_large_graph_is_a_searchable_ledger_not_a_picture():
    lines = ["x = 0.5", "w = 0.9"] + [f"x{k} = tanh(w * {'x' if k == 0 else f'x{k - 1}'})" for k in range(page.LARGE)]
    html = _page("\n".join(lines) + "\n")
    assert 'data-mode="large"' in html and "<svg" not in html
    data = _parsed(html).scripts[0]
    assert "<" not in data  # nothing in the numbers can end the script element
    assert '"order":[' in data


def test_explain_html_refuses_pseudocode(cli):
    result = cli("explain", "-f", str(SAMPLES / "lecture27.bp"), "--format", "html", "--pseudocode")
    assert result.code == 2
    assert "--pseudocode prints a program; it has no --format" in result.err


def test_a_notebook_fragment_leaves_the_url_alone():
    report = analyze((SAMPLES / "lecture27.bp").read_text(), check=False)
    fragment = report._repr_html_()
    assert fragment.startswith('<div class="bp" data-mode="steps">')
    assert "<!DOCTYPE" not in fragment and "data-page" not in fragment.split(">", 1)[0]
    assert report._repr_markdown_() == "".join(
        __import__("backpropcli.render.explain.markdown", fromlist=["render"]).render(explain(report))
    )


@pytest.mark.parametrize(
    ("program", "says"),
    [
        # by hand: log(-2) does not exist, so df/dn does not; df/dx = 3*(-2)**2 = 12 does
        ("x = -2.0; n = 3\nf = x**n\n", "df/dn does not exist here: pow(-2.0, 3) has no finite derivative here"),
        # in floats exp(300)/(1 + exp(300)) rounds to 1 and its slope to 0; the true slope is 5.148e-131
        ("x = 300.0\nf = exp(x)/(1 + exp(x))\n", "float cancellation at x: the float gradient is 0.0"),
    ],
    ids=["undefined", "floats"],
)
def test_the_page_says_what_the_other_formats_warn(program, says):
    html = "".join(page.render(explain(analyze(program))))  # checked: floats are taken again there
    warnings = re.findall(r'<p class="warning">warning: (.*?)</p>', html)
    assert len(warnings) == 1 and warnings[0].startswith(says), warnings
    assert '<p class="warning">' not in _page("x = 2.0\nf = x**3\n")
