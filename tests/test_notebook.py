"""A Report in a Jupyter notebook: a real kernel runs a small notebook, and the cell's output holds
the HTML view (and the Markdown worked solution for Markdown-only front ends).

Skips, with the reason, where nbclient, nbformat or ipykernel is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
nbformat = pytest.importorskip("nbformat", reason="notebook test skipped: nbformat is not installed")
nbclient = pytest.importorskip("nbclient", reason="notebook test skipped: nbclient is not installed")
pytest.importorskip("ipykernel", reason="notebook test skipped: ipykernel is not installed")


def _run(*sources: str) -> list:
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbclient.NotebookClient(
        book, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    return book.cells


def test_a_report_shows_the_stepping_view_inline():
    cells = _run(
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\nfrom backpropcli import analyze",
        "analyze(open('samples/lecture27.bp').read())",
        "analyze(open('samples/fanout.bp').read())",
    )
    views = []
    for cell in cells[1:]:
        (result,) = [out for out in cell.outputs if out.output_type == "execute_result"]
        html, markdown = result.data["text/html"], result.data["text/markdown"]
        assert html.startswith('<div class="bp" data-mode="steps">')  # no data-page: it leaves the URL alone
        assert "<script>" in html and "<!DOCTYPE" not in html
        assert markdown.startswith("## Backward pass of `f`")
        views.append(html)
    assert "dfdu = z" in views[0] and "\u2713 correct" in views[0]  # the lecture's claims, graded
    assert "x is complete:</strong> it feeds 3 edges" in views[1]


def test_a_report_without_gates_falls_back_to_its_plain_repr():
    cells = _run(
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\nfrom backpropcli import analyze",
        "analyze('x = 3\\ny = x * 2', output='x')",
    )
    (result,) = [out for out in cells[1].outputs if out.output_type == "execute_result"]
    assert set(result.data) == {"text/plain"}
