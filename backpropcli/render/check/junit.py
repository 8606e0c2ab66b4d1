"""`backprop check --format junit`: JUnit XML, one test suite per file and one test case per claim.

Built with xml.etree, so every attribute and text is escaped by the library; characters that XML 1.0
cannot carry at all (control characters, lone surrogates) are replaced first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator

from ...grading import FileResult, warning_kind
from ..cells import Glyphs
from .rows import error_location, rows

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("?", text)


def render(results: Iterable[FileResult], glyphs: Glyphs) -> Iterator[str]:
    root = ET.Element("testsuites", name="backprop check")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for result in results:
        suite = _suite(result)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.attrib[key])
    for key, count in totals.items():
        root.set(key, str(count))
    ET.indent(root)
    yield ET.tostring(root, encoding="us-ascii", xml_declaration=True).decode("ascii") + "\n"


def _suite(result: FileResult) -> ET.Element:
    path = xml_text(result.path)
    suite = ET.Element("testsuite", name=path)
    if result.error is not None:
        line, _ = error_location(result)
        case = ET.SubElement(suite, "testcase", classname=path, name="read and parse", file=path)
        if line is not None:
            case.set("line", str(line))
        error = ET.SubElement(case, "error", message=xml_text(result.error.message), type="bad input")
        error.text = xml_text(result.error.render())
        suite.attrib.update(tests="1", failures="0", errors="1", skipped="0")
        return suite
    found = rows(result, 17)
    for row in found:
        case = ET.SubElement(
            suite, "testcase", classname=path, name=f"line {row.line}: {row.claim}", file=path, line=str(row.line)
        )
        if not row.ok:
            failure = ET.SubElement(case, "failure", message=xml_text(f"{row.verdict}: {row.why}"), type=row.verdict)
            failure.text = xml_text(f"{row.claim}: written {row.written or 'nothing'}, true {row.true}\n{row.why}")
    for warning in result.warnings:  # a file with no claims (or another warning) is a skipped test, never a pass
        case = ET.SubElement(suite, "testcase", classname=path, name=warning_kind(warning), file=path)
        ET.SubElement(case, "skipped", message=xml_text(warning))
    tests = len(found) + len(result.warnings)
    suite.attrib.update(tests=str(tests), failures=str(sum(1 for r in found if not r.ok)), errors="0")
    suite.set("skipped", str(len(result.warnings)))
    return suite
