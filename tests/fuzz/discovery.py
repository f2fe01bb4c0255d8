"""What a fuzzer needs to know about the application: its routes (from the URL map)
and the fields of its forms (read from the HTML of the pages a person can open)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

# Methods a browser or a script would send; HEAD and OPTIONS are Werkzeug's own.
METHODS = ("GET", "POST")
# Static files are served by Werkzeug from the package and need no fuzzing.
SKIPPED_ENDPOINTS = {"static", "stats.static"}
# Query parameters that any page might read, beyond those of its GET forms.
COMMON_QUERY = ("next", "after", "q", "page", "sort", "status", "lang", "id")
PAGES_PER_RULE = 4  # the crawl opens at most this many URLs of one GET route


@dataclass(frozen=True)
class Route:
    rule: Rule
    method: str

    @property
    def endpoint(self) -> str:
        return self.rule.endpoint

    @property
    def params(self) -> dict[str, str]:
        """Path parameter → converter name ("id", "any", "default", "path")."""
        return {name: _converter_name(conv) for name, conv in self.rule._converters.items()}

    def __str__(self) -> str:
        return f"{self.method} {self.rule.rule}"


def _converter_name(converter) -> str:
    for name, cls in converter.map.converters.items():
        if type(converter) is cls:
            return name
    return "default"


def routes(app: Flask) -> list[Route]:
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        found += [Route(rule, method) for method in METHODS if method in rule.methods]
    return found


@dataclass
class Field:
    name: str
    kind: str  # input type, "select" or "textarea"
    values: list[str] = field(default_factory=list)  # options and defaults seen


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, Field] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self, page_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urlsplit(a.get("action") or self.page_path).path
            self._form = Form(action=action, method=(a.get("method") or "GET").upper())
            self.forms.append(self._form)
        elif self._form is None or "name" not in a:
            if tag == "option" and self._select is not None and "value" in a:
                self._select.values.append(a["value"])
            return
        elif tag == "input":
            self._add(a["name"], a.get("type", "text"), a.get("value"))
        elif tag == "select":
            self._select = self._add(a["name"], "select", None)
        elif tag == "textarea":
            self._textarea = self._add(a["name"], "textarea", None)
        elif tag == "button" and a.get("value"):
            self._add(a["name"], "button", a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and data.strip():
            self._textarea.values.append(data)

    def _add(self, name: str, kind: str, value: str | None) -> Field:
        found = self._form.fields.setdefault(name, Field(name, kind))
        if value is not None:
            found.values.append(value)
        return found


def forms_in(html: str, page_path: str) -> list[Form]:
    parser = _FormParser(page_path)
    parser.feed(html)
    return parser.forms


def example_paths(rule: Rule, pools: dict[str, list[str]]) -> list[str]:
    """URLs of a rule built from real values of its parameters (a few combinations)."""
    names = list(rule.arguments)
    choices = [pools.get(name, []) or _literal_values(rule, name) for name in names]
    paths = []
    for combination in itertools.islice(itertools.product(*choices), PAGES_PER_RULE):
        values = dict(zip(names, combination, strict=True))
        try:
            paths.append(rule.build(values, append_unknown=False)[1])
        except (HTTPException, ValueError, TypeError):
            continue
    return paths


def _literal_values(rule: Rule, name: str) -> list[str]:
    """The choices of an `any(...)` parameter."""
    converter = rule._converters[name]
    items = getattr(converter, "items", None)
    return sorted(items) if items else []


def discover_fields(app: Flask, client, pools: dict[str, list[str]]) -> dict[tuple, Form]:
    """(endpoint, method) → the union of the fields of every form that posts there,
    from every GET page this client can open."""
    adapter = app.url_map.bind("localhost")
    merged: dict[tuple, Form] = defaultdict(lambda: Form(action="", method=""))
    for route in routes(app):
        if route.method != "GET" or route.rule.arguments - set(pools) - _literal_names(route):
            continue
        for path in example_paths(route.rule, pools):
            response = client.get(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            for form in forms_in(response.get_data(as_text=True), path):
                try:
                    endpoint, _args = adapter.match(form.action, method=form.method)
                except HTTPException:
                    continue
                target = merged[(endpoint, form.method)]
                for name, found in form.fields.items():
                    mine = target.fields.setdefault(name, Field(name, found.kind))
                    mine.values += [v for v in found.values if v not in mine.values]
    return dict(merged)


def _literal_names(route: Route) -> set[str]:
    return {name for name, kind in route.params.items() if kind == "any"}
