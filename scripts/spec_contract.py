"""Derive the compact API contract in ``tests/spec_contract.json`` from the OpenAPI spec.

The spec is third-party data kept outside the repository
(``../shared/aura-api/openapi-v1.yaml``). This script resolves its ``$ref``s, drops the
prose (descriptions, summaries, examples) and writes, for each of the 26 operations
(a method on a path), its id, parameters, request body schema and one JSON schema per
response status. Tests validate the emulator's answers against that file, so a fresh
clone is self-contained. Rerun it when the spec changes::

    python scripts/spec_contract.py [path/to/openapi-v1.yaml]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SPEC_PATH = REPO_ROOT.parent / "shared" / "aura-api" / "openapi-v1.yaml"
CONTRACT_PATH = REPO_ROOT / "tests" / "spec_contract.json"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROSE_KEYS = frozenset({"description", "summary", "examples", "example", "title"})
JSON_MEDIA_TYPE = "application/json"


class Yaml12Loader(yaml.SafeLoader):
    """A safe YAML loader with YAML 1.2 booleans: only ``true``/``false``.

    PyYAML follows YAML 1.1, where ``OFF``, ``on``, ``yes`` and ``no`` are booleans;
    the spec's ``cdc_enrichment_mode`` enum lists the string ``OFF``.
    """


Yaml12Loader.yaml_implicit_resolvers = {
    first: [entry for entry in resolvers if entry[0] != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_spec(path: Path) -> dict[str, Any]:
    """Read an OpenAPI document.

    Args:
        path: The YAML file.

    Returns:
        The parsed document.

    Raises:
        OSError: The file cannot be read.
        ValueError: The file is not a YAML mapping.
    """
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=Yaml12Loader)
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not an OpenAPI document")
    return document


def resolve(node: Any, spec: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """Return ``node`` with every local ``$ref`` replaced by its target, recursively.

    Raises:
        ValueError: A reference is not local or refers to itself.
    """
    if isinstance(node, list):
        return [resolve(item, spec, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            raise ValueError(f"cyclic $ref {ref}")
        return resolve(_lookup(ref, spec), spec, (*seen, ref))
    return {key: resolve(value, spec, seen) for key, value in node.items()}


def _lookup(ref: str, spec: dict[str, Any]) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported: {ref}")
    target: Any = spec
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target


def strip_prose(schema: Any) -> Any:
    """Return a schema without its prose keywords.

    Keys inside ``properties`` are property names, not keywords, so they are kept even
    when a property is called ``description``.
    """
    if isinstance(schema, list):
        return [strip_prose(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            cleaned[key] = {name: strip_prose(sub) for name, sub in value.items()}
        elif key not in PROSE_KEYS:
            cleaned[key] = strip_prose(value)
    return cleaned


def _json_schema(content: dict[str, Any] | None) -> Any:
    media = (content or {}).get(JSON_MEDIA_TYPE)
    if not isinstance(media, dict) or "schema" not in media:
        return None
    return strip_prose(media["schema"])


def _parameters(path_item: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for parameter in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        merged[(parameter["in"], parameter["name"])] = {
            "name": parameter["name"],
            "in": parameter["in"],
            "required": bool(parameter.get("required", False)),
            "schema": strip_prose(parameter.get("schema")),
        }
    return sorted(merged.values(), key=lambda item: (item["in"], item["name"]))


def _operation(path: str, method: str, path_item: dict[str, Any]) -> dict[str, Any]:
    operation = path_item[method]
    body = operation.get("requestBody")
    return {
        "operationId": operation["operationId"],
        "method": method.upper(),
        "path": path,
        "parameters": _parameters(path_item, operation),
        "requestBody": _json_schema(body.get("content")) if body else None,
        "responses": {
            str(status): _json_schema(response.get("content"))
            for status, response in sorted(operation.get("responses", {}).items())
        },
    }


def build_contract(spec: dict[str, Any]) -> dict[str, Any]:
    """Derive the compact contract from a parsed OpenAPI document.

    Args:
        spec: The parsed OpenAPI document.

    Returns:
        ``{"base_path", "version", "operations": [...]}`` with one operation per
        (method, path) pair, sorted by path then method.
    """
    resolved = resolve(spec, spec)
    operations = [
        _operation(path, method, path_item)
        for path, path_item in sorted(resolved["paths"].items())
        for method in HTTP_METHODS
        if method in path_item
    ]
    server_url = resolved["servers"][0]["url"]
    return {
        "base_path": "/" + server_url.split("://", 1)[-1].split("/", 1)[-1],
        "version": resolved["info"]["version"],
        "operations": operations,
    }


def render(contract: dict[str, Any]) -> str:
    """Return the contract as the exact text stored in ``tests/spec_contract.json``."""
    return json.dumps(contract, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write ``tests/spec_contract.json`` from the spec given in ``argv`` (or the default)."""
    spec_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC_PATH
    contract = build_contract(load_spec(spec_path))
    CONTRACT_PATH.write_text(render(contract), encoding="utf-8")
    print(f"wrote {len(contract['operations'])} operations to {CONTRACT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
