"""CustomResourceDefinitions a cluster serves → JSON schema files in kubeconform's CRD layout.

One schema per served version: `{group}/{kind}_{version}.json` (kind lower-cased), as
kubeconform's openapi2jsonschema.py writes them, plus a strict variant
`{group}/{kind}_{version}-strict.json` whose root object also rejects unknown fields.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from generator.errors import GeneratorError
from generator.live.client import LiveClient
from generator.model import Origin
from generator.paths import is_api_version, is_kind

STRICT_SUFFIX = "-strict"  # kubeconform's {{ .StrictSuffix }}


@dataclass(frozen=True, slots=True)
class SchemaFile:
    relpath: PurePosixPath  # relative to the output folder
    text: str


def schema_name(group: str, kind: str, version: str, *, strict: bool = False) -> PurePosixPath:
    suffix = STRICT_SUFFIX if strict else ""
    return PurePosixPath(group, f"{kind.lower()}_{version}{suffix}.json")


async def pull_schemas(client: LiveClient) -> list[SchemaFile]:
    resource = await client.resource_for("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    crds = await client.list(resource)
    files = [f for crd in crds for f in crd_schemas(crd)]
    return sorted(files, key=lambda f: f.relpath)


def crd_schemas(crd: Mapping[str, Any]) -> list[SchemaFile]:
    """Both variants for every served version of one CRD that declares a schema."""
    spec = crd.get("spec") or {}
    group, kind = str(spec.get("group", "")), str((spec.get("names") or {}).get("kind", ""))
    files = []
    for version in spec.get("versions") or ():
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        if not version.get("served") or not isinstance(schema, Mapping):
            continue
        if not (is_kind(kind) and is_api_version(f"{group}/{version.get('name')}")):
            # They become a file name: `kind: ../../x` must not write outside the folder.
            name = (crd.get("metadata") or {}).get("name", "")
            raise GeneratorError(
                f"CustomResourceDefinition '{name}' declares kind '{kind[:80]}' in group "
                f"'{group[:80]}', version '{str(version.get('name'))[:80]}': not a valid "
                "Kubernetes type name",
                hint="the API server never serves such a CRD: check which cluster the context "
                "points at",
            )
        for strict in (False, True):
            converted = _close_objects(copy.deepcopy(dict(schema)), root=True, strict=strict)
            text = json.dumps(converted, indent=2, sort_keys=True) + "\n"
            files.append(SchemaFile(schema_name(group, kind, version["name"], strict=strict), text))
    return files


def _close_objects(node: Any, *, root: bool, strict: bool) -> Any:
    """openapi2jsonschema's conversion: objects with properties reject unknown fields.

    The root stays open unless strict (openapi2jsonschema's DENY_ROOT_ADDITIONAL_PROPERTIES);
    x-kubernetes-preserve-unknown-fields keeps an object open, as the API server does.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = _close_objects(value, root=False, strict=strict)
        if node.get("x-kubernetes-int-or-string") and "anyOf" not in node:
            node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        if (
            "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
            and (strict or not root)
        ):
            node["additionalProperties"] = False
    elif isinstance(node, list):
        return [_close_objects(item, root=False, strict=strict) for item in node]
    return node


@dataclass(frozen=True, slots=True)
class SchemaWrite:
    """What `schemas pull` did to the folder: files added and replaced, and how many matched."""

    added: tuple[PurePosixPath, ...]
    replaced: tuple[PurePosixPath, ...]
    unchanged: int


def write_schemas(files: Sequence[SchemaFile], out: Path, *, force: bool = False) -> SchemaWrite:
    """Write new and changed files. A file that exists with other content is someone's work
    (a hand-written schema, one pulled from another cluster): without `force`, nothing is
    written and the error lists every such file."""
    added: list[PurePosixPath] = []
    replaced: list[PurePosixPath] = []
    unchanged = 0
    for schema in files:
        target = out / schema.relpath
        try:
            existing = target.read_text(encoding="utf-8") if target.is_file() else None
        except (OSError, UnicodeDecodeError):
            existing = ""  # unreadable: it differs
        if existing is None:
            added.append(schema.relpath)
        elif existing == schema.text:
            unchanged += 1
        else:
            replaced.append(schema.relpath)
    if replaced and not force:
        listed = ", ".join(str(p) for p in replaced[:5])
        more = f" and {len(replaced) - 5} more" if len(replaced) > 5 else ""
        raise GeneratorError(
            f"{len(replaced)} schema file(s) in {out}/ differ from what the cluster serves: "
            f"{listed}{more}; nothing was written",
            hint="pass --force to replace them, or --out to write somewhere else",
        )
    by_path = {s.relpath: s for s in files}
    for relpath in (*added, *replaced):
        target = out / relpath
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(by_path[relpath].text, encoding="utf-8")
        except OSError as e:
            raise GeneratorError(
                f"cannot write schema: {e.strerror}",
                Origin(PurePosixPath(target)),
                hint="check that --out names a writable folder",
            ) from e
    return SchemaWrite(tuple(added), tuple(replaced), unchanged)
