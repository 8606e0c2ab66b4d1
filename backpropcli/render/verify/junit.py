"""`backprop verify --format junit`: JUnit XML, one test suite per graph and one test case per node."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator

from ..cells import Glyphs, number
from ..check.junit import xml_text


def render(reports: Iterable, glyphs: Glyphs) -> Iterator[str]:
    root = ET.Element("testsuites", name="backprop verify")
    tests = failures = 0
    for report in reports:
        path = xml_text(report.source)
        suite = ET.SubElement(root, "testsuite", name=path)
        for row in report.rows:
            case = ET.SubElement(suite, "testcase", classname=path, name=xml_text(f"{row.name} ({row.op})"))
            if row.line:
                case.set("line", str(row.line))
            if not row.ok:
                failure = ET.SubElement(
                    case, "failure", message=xml_text(f"{row.verdict}: {row.why}"), type=row.verdict
                )
                failure.text = xml_text(
                    f"{row.name}: grad {number(row.grad, 17)}, true {number(row.true, 17)}\n{row.why}"
                )
        suite.attrib.update(tests=str(len(report.rows)), failures=str(report.failed), errors="0")
        tests += len(report.rows)
        failures += report.failed
    root.attrib.update(tests=str(tests), failures=str(failures), errors="0")
    ET.indent(root)
    yield ET.tostring(root, encoding="us-ascii", xml_declaration=True).decode("ascii") + "\n"
