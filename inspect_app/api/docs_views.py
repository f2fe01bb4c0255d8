"""The human-readable API page, /api/v1/docs: rendered on the server from the same
OpenAPI document the app serves (no script, no CDN)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__, template_folder="templates")

METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(spec: dict, schema: dict | None) -> dict:
    """A schema with its $ref followed (one level: the page lists fields)."""
    if not schema:
        return {}
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return {"name": name, **spec["components"]["schemas"].get(name, {})}
    if schema.get("type") == "array" and "items" in schema:
        return {**_resolve(spec, schema["items"]), "array": True}
    return schema


def _fields(spec: dict, schema: dict) -> list[dict]:
    resolved = _resolve(spec, schema)
    required = set(resolved.get("required", []))
    rows = []
    for name, prop in (resolved.get("properties") or {}).items():
        inner = _resolve(spec, prop) if "$ref" in prop or prop.get("type") == "array" else prop
        kind = prop.get("type") or inner.get("name") or "object"
        if isinstance(kind, list):
            kind = " | ".join(kind)
        if prop.get("type") == "array":
            item = prop.get("items", {})
            kind = f"array of {item.get('type') or _resolve(spec, item).get('name', 'object')}"
        rows.append(
            {
                "name": name,
                "type": kind,
                "format": prop.get("format", ""),
                "required": name in required,
                "description": prop.get("description", ""),
                "enum": prop.get("enum", []),
                "max": prop.get("maxLength") or prop.get("maximum"),
            }
        )
    return rows


def operations(spec: dict) -> list[dict]:
    ops = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {})
            media, content = next(iter(body.items()), (None, {}))
            responses = []
            for status, response in op.get("responses", {}).items():
                if "$ref" in response:
                    name = response["$ref"].rsplit("/", 1)[-1]
                    response = spec["components"]["responses"].get(name, {})
                schema = next(iter(response.get("content", {}).values()), {}).get("schema")
                responses.append(
                    {
                        "status": status,
                        "description": response.get("description", ""),
                        "schema": _resolve(spec, schema).get("name", ""),
                    }
                )
            ops.append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "tag": (op.get("tags") or [""])[0],
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "secured": any(s for s in op.get("security", [])),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "media": media,
                    "body": _fields(spec, content.get("schema", {})) if media else [],
                    "responses": responses,
                }
            )
    return ops


@bp.route("/api/v1/docs")
def docs():
    from inspect_app.api.wiring import api

    spec = api.spec.to_dict()
    return render_template(
        "api/docs.html",
        spec=spec,
        operations=operations(spec),
    )
