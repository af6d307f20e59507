"""Legacy `vars` (objref + fieldref) of the kustomizations in a build and the built resources →
resources with `$(NAME)` replaced in the fields of the var-reference table (Kustomize v5)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from generator.errors import GeneratorError
from generator.model import Origin
from generator.overlays.fieldspecs import FieldSpec, spec, visit
from generator.overlays.replacements import Step, parse_field_path, reach
from generator.overlays.resources import Resource, effective_namespace

_POD_FIELDS = (
    "containers/args",
    "containers/command",
    "containers/env/value",
    "containers/volumeMounts/mountPath",
    "initContainers/args",
    "initContainers/command",
    "initContainers/env/value",
    "initContainers/volumeMounts/mountPath",
    "volumes/nfs/server",
)
_POD_SPECS = {
    "CronJob": "spec/jobTemplate/spec/template/spec",
    "DaemonSet": "spec/template/spec",
    "Deployment": "spec/template/spec",
    "Job": "spec/template/spec",
    "Pod": "spec",
    "ReplicaSet": "spec/template/spec",
    "StatefulSet": "spec/template/spec",
}

# Kustomize's default varReference table: where $(NAME) is replaced. Nothing else is, not even
# ConfigMap data (behaviour 13); `configurations` may add fields.
VAR_REFERENCES: tuple[FieldSpec, ...] = (
    *(
        spec(f"{prefix}/{field}", kind)
        for kind, prefix in _POD_SPECS.items()
        for field in _POD_FIELDS
        if not (kind == "StatefulSet" and field == "volumes/nfs/server")
    ),
    spec("spec/template/metadata/annotations", "Deployment"),
    spec("spec/volumeClaimTemplates/spec/nfs/server", "StatefulSet"),
    spec("spec/rules/host", "Ingress"),
    spec("spec/tls/hosts", "Ingress"),
    spec("spec/tls/secretName", "Ingress"),
    spec("spec/ports/port", "Service"),
    spec("spec/ports/targetPort", "Service"),
    spec("spec/nfs/server", "PersistentVolume"),
    spec("metadata/labels"),
    spec("metadata/annotations"),
)

DEPRECATION = "vars are deprecated in Kustomize v5, and 'replacements' does the same"


@dataclass(slots=True)
class Var:
    """One `vars` entry and the object its objref selected when its kustomization was built."""

    name: str
    objref: dict[str, Any]
    field_path: str
    origin: Callable[[], Origin]
    target: Resource | None = None

    def error(self, message: str, hint: str) -> GeneratorError:
        return GeneratorError(message, self.origin(), f"{hint}; {DEPRECATION}")


def bind(
    entries: Iterable[tuple[dict[str, Any], Callable[[], Origin]]],
    resources: Sequence[Resource],
    known: list[Var],
) -> None:
    """Add a kustomization's vars to `known`, each bound to the object its objref names by its
    ids among the kustomization's resources (Kustomize's MergeVars)."""
    for entry, origin in entries:
        objref = entry.get("objref") or {}
        fieldref = entry.get("fieldref") or {}
        var = Var(
            str(entry["name"]),
            objref,
            str(fieldref.get("fieldpath") or "metadata.name"),
            origin,
        )
        first = next((v for v in known if v.name == var.name), None)
        if first is not None:
            raise var.error(
                f"var '{var.name}' is declared twice (first at {first.origin()})",
                "give each var a unique name across the kustomization and its bases",
            )
        matches = [r for r in resources if _selects(objref, r)]
        if len(matches) > 1:
            found = ", ".join(m.describe() for m in matches)
            raise var.error(
                f"var '{var.name}' matches {len(matches)} objects: {found}",
                "add objref.namespace (and apiVersion) so that one object matches",
            )
        var.target = matches[0] if matches else None
        known.append(var)


def _selects(objref: dict[str, Any], resource: Resource) -> bool:
    """Kustomize compares apiVersion, kind and name exactly with any id the object has had
    (original, intermediate or current), and the namespace too when the objref gives one."""
    group, _, version = str(objref.get("apiVersion") or "").rpartition("/")
    if (group, version, str(objref.get("kind") or "")) != (
        resource.group,
        resource.version,
        resource.kind,
    ):
        return False
    wanted = objref.get("namespace")
    for namespace, name in resource.identities():
        if objref.get("name") != name:
            continue
        if not wanted or resource.cluster_scoped:
            return True
        if effective_namespace(str(wanted)) == effective_namespace(namespace):
            return True
    return False


def resolve(
    resources: Sequence[Resource],
    variables: Sequence[Var],
    references: Sequence[FieldSpec],
    warnings: list[str],
) -> None:
    """Replace $(NAME) everywhere the var-reference table points, with each var's value read
    from its object after every transformation (names are final by now)."""
    if not variables:
        return
    values: dict[str, Any] = {}
    for var in variables:
        if var.target is None:
            ref = var.objref
            api = f"apiVersion '{ref['apiVersion']}'" if ref.get("apiVersion") else "no apiVersion"
            raise var.error(
                f"var '{var.name}' names {ref.get('kind')} '{ref.get('name')}' ({api}),"
                " which is not in the build",
                "objref must give the apiVersion, kind and original name of an object of this"
                " kustomization or its bases",
            )
        found = list(reach(var.target.body, _steps(var.field_path), create=False))
        if not found:
            raise var.error(
                f"var '{var.name}': {var.target.describe()} has no field '{var.field_path}'",
                "fix fieldref.fieldpath (e.g. metadata.name or spec.ports[0].port)",
            )
        parent, key = found[0]
        values[var.name] = parent[key]
    used: set[str] = set()

    def expand(text: str) -> Any:
        return _expand(text, values, used)

    def leaf(parent: dict[str, Any], key: str) -> None:
        value = parent.get(key)
        if isinstance(value, str):
            parent[key] = expand(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, str):
                    value[k] = expand(v)
        elif isinstance(value, list):
            value[:] = [expand(v) if isinstance(v, str) else v for v in value]

    for resource in resources:
        for fs in references:
            if fs.selects(resource):
                visit(resource.body, fs.path, False, leaf)
    unused = [v.name for v in variables if v.name not in used]
    if unused:
        warnings.append(f"vars that were never replaced: {', '.join(unused)}")


_INDEXED = re.compile(r"^(.+)\[(\d+)\]$")


def _steps(field_path: str) -> list[Step]:
    """kyaml's field paths also take `ports[0]` for the first item of `ports`."""
    out: list[Step] = []
    for step in parse_field_path(field_path):
        indexed = None if step.bracketed else _INDEXED.match(step.text)
        out.extend([Step(indexed[1]), Step(indexed[2])] if indexed else [step])
    return out


def _expand(text: str, values: dict[str, Any], used: set[str]) -> Any:
    """Kubernetes' $(VAR) expansion: `$$` is a literal `$`, an unknown $(VAR) stays, and a
    field that is exactly $(VAR) takes the value with its type (a port stays a number)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        following = text[i + 1]
        if following == "$":
            out.append("$")
            i += 2
            continue
        if following == "(":
            end = text.find(")", i + 2)
            if end != -1:
                name = text[i + 2 : end]
                if name in values:
                    used.add(name)
                    if text == f"$({name})":
                        return values[name]
                    out.append(_go_text(values[name]))
                else:
                    out.append(f"$({name})")
                i = end + 1
                continue
        out.append(char + following)
        i += 2
    return "".join(out)


def _go_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
