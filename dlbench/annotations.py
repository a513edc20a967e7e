"""Findings as GitHub Actions workflow commands, so that a pull request shows them on its lines.

One finding is one line on stdout, which the runner turns into an annotation:

    ::error file=data/box.toml,line=24,col=7,title=box.models[0].frameworks[0].forward::wrong type: ...

Escaping is the one of actions/toolkit (packages/core/src/command.ts): in the message
`%`, CR and LF become %25, %0D and %0A; in a property value `:` and `,` become %3A and
%2C as well, since they separate the properties. A finding without a position (a file
that cannot be read) has no line or col.
"""
from __future__ import annotations

from .errors import Finding

COMMANDS = {"error": "error", "warning": "warning"}  # severity -> workflow command


def escape_data(text: str) -> str:
    """A message as a workflow command carries it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file, title) as a workflow command carries it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(finding: Finding) -> str:
    """The workflow command for one finding: ::error or ::warning, with file, line, col and title."""
    properties = [("file", finding.file)]
    if finding.line > 0:
        properties.append(("line", str(finding.line)))
        if finding.column > 0:
            properties.append(("col", str(finding.column)))
    properties.append(("title", finding.path or "dlbench validate"))
    message = finding.message + (f"; expected {finding.expected}" if finding.expected else "")
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{COMMANDS[finding.severity]} {props}::{escape_data(message)}"
