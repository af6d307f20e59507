"""KUBECONFIG files (or the in-cluster service account) and a context name → KubeContext.

Follows kubectl's loading rules: `--kubeconfig`, else every file of KUBECONFIG (first
definition of a name wins, missing files are skipped), else ~/.kube/config, else the
in-cluster service account. Credentials stay in memory: the KubeContext keeps them in a
field that never appears in its repr.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from generator.errors import GeneratorError
from generator.model import Origin

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
IN_CLUSTER = "in-cluster"

# Fields holding a path that kubectl resolves relative to the kubeconfig file defining it.
_CLUSTER_PATHS = ("certificate-authority",)
_USER_PATHS = ("client-certificate", "client-key", "tokenFile")


@dataclass(frozen=True, slots=True)
class KubeContext:
    """One resolved context: where the API server is and how to authenticate to it."""

    name: str  # the context name, or "in-cluster"
    server: str
    namespace: str
    sources: tuple[str, ...]  # the kubeconfig files that were merged, for messages
    # A single-context kubeconfig for kr8s with absolute paths; holds credentials, so no repr.
    config: Mapping[str, Any] = field(repr=False, compare=False)


def kubeconfig_paths(explicit: str | None, environ: Mapping[str, str]) -> list[Path]:
    """The files kubectl would read, in precedence order."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise GeneratorError(
                f"kubeconfig '{explicit}' does not exist",
                hint="pass an existing file to --kubeconfig, or leave it out to use KUBECONFIG",
            )
        return [path]
    if environ.get("KUBECONFIG"):
        seen: list[Path] = []
        for entry in environ["KUBECONFIG"].split(os.pathsep):
            path = Path(entry).expanduser()
            if entry and path not in seen and path.is_file():
                seen.append(path)
        return seen
    home = Path(environ.get("HOME", "~")).expanduser() / ".kube" / "config"
    return [home] if home.is_file() else []


def resolve_context(
    context: str | None = None,
    *,
    kubeconfig: str | None = None,
    environ: Mapping[str, str] | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
) -> KubeContext:
    """Pick the context kubectl would use and gather its server and credentials."""
    environ = os.environ if environ is None else environ
    paths = kubeconfig_paths(kubeconfig, environ)
    if not paths:
        if context is None and _in_cluster_available(environ, service_account_dir):
            return _in_cluster(environ, service_account_dir)
        raise GeneratorError(
            "no kubeconfig found: KUBECONFIG is unset or names no existing file, "
            "there is no ~/.kube/config, and this is not a pod inside a cluster",
            hint="set KUBECONFIG to your kubeconfig file (kind writes one with 'kind export "
            "kubeconfig'), or pass --kubeconfig PATH",
        )
    merged = _merge([(path, _load(path)) for path in paths])
    name = context or merged["current-context"]
    sources = tuple(str(p) for p in paths)
    names = ", ".join(sorted(merged["contexts"])) or "none"
    if not name:
        raise GeneratorError(
            f"no current context is set in {_files(sources)}",
            hint=f"pass --context NAME (contexts: {names})",
        )
    if name not in merged["contexts"]:
        raise GeneratorError(
            f"context '{name}' is not defined in {_files(sources)}",
            hint=f"pass --context with one of: {names}",
        )
    entry, entry_file = merged["contexts"][name]
    cluster_name, user_name = entry.get("cluster"), entry.get("user")
    if cluster_name not in merged["clusters"]:
        raise GeneratorError(
            f"context '{name}' refers to cluster '{cluster_name}', which is not defined",
            Origin(PurePosixPath(entry_file)),
            hint="add that cluster to a kubeconfig file, or fix the context's 'cluster' field",
        )
    cluster, cluster_file = merged["clusters"][cluster_name]
    user, user_file = merged["users"].get(user_name, ({}, cluster_file))
    cluster = _absolute(cluster, _CLUSTER_PATHS, cluster_file)
    user = _absolute(user, _USER_PATHS, user_file)
    command = str((user.get("exec") or {}).get("command", ""))
    if "/" in command and not Path(command).is_absolute():
        # kubectl runs an exec plugin given as a relative path from the kubeconfig's folder.
        user["exec"] = {
            **user["exec"],
            "command": str((Path(user_file).parent / command).resolve()),
        }
    if "tokenFile" in user:
        user = {k: v for k, v in user.items() if k != "tokenFile"} | {
            "token": _read_secret_file(Path(user["tokenFile"]), name)
        }
    server = str(cluster.get("server") or "")
    if not server:
        raise GeneratorError(
            f"cluster '{cluster_name}' of context '{name}' has no server URL",
            Origin(PurePosixPath(cluster_file)),
            hint="set clusters[].cluster.server to the API server URL",
        )
    namespace = str(entry.get("namespace") or "default")
    return KubeContext(name, server, namespace, sources, _single_context(name, cluster, user))


def _load(path: Path) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise GeneratorError(
            f"cannot read kubeconfig: {e}",
            Origin(PurePosixPath(path)),
            hint="check the file's permissions",
        ) from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        origin = Origin(PurePosixPath(path), mark.line + 1, mark.column + 1) if mark else None
        raise GeneratorError(
            f"kubeconfig is not valid YAML: {getattr(e, 'problem', e)}",
            origin or Origin(PurePosixPath(path)),
            hint="fix the file, or remove it from KUBECONFIG",
        ) from e
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise GeneratorError(
            "kubeconfig is not a mapping",
            Origin(PurePosixPath(path)),
            hint="a kubeconfig has clusters, users, contexts and current-context keys",
        )
    return data


def _merge(files: list[tuple[Path, Mapping[str, Any]]]) -> dict[str, Any]:
    """kubectl's merge: the first file that defines a name or current-context wins."""
    merged: dict[str, Any] = {"current-context": "", "clusters": {}, "users": {}, "contexts": {}}
    for path, data in files:
        if not merged["current-context"] and data.get("current-context"):
            merged["current-context"] = str(data["current-context"])
        for section, inner in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
            for item in data.get(section) or ():
                if isinstance(item, Mapping) and item.get("name") not in merged[section]:
                    merged[section][item.get("name")] = (dict(item.get(inner) or {}), str(path))
    return merged


def _absolute(entry: Mapping[str, Any], keys: tuple[str, ...], defined_in: str) -> dict[str, Any]:
    base = Path(defined_in).parent
    result = dict(entry)
    for key in keys:
        if result.get(key):
            result[key] = str((base / Path(str(result[key])).expanduser()).resolve())
    return result


def _read_secret_file(path: Path, context: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise GeneratorError(
            f"cannot read the token file of context '{context}': {e.strerror}",
            Origin(PurePosixPath(path)),
            hint="check the user's tokenFile in the kubeconfig",
        ) from e


def _in_cluster_available(environ: Mapping[str, str], sa_dir: Path) -> bool:
    return bool(
        environ.get("KUBERNETES_SERVICE_HOST")
        and environ.get("KUBERNETES_SERVICE_PORT")
        and (sa_dir / "token").is_file()
    )


def _in_cluster(environ: Mapping[str, str], sa_dir: Path) -> KubeContext:
    host, port = environ["KUBERNETES_SERVICE_HOST"], environ["KUBERNETES_SERVICE_PORT"]
    server = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    cluster: dict[str, Any] = {"server": server}
    if (sa_dir / "ca.crt").is_file():
        cluster["certificate-authority"] = str(sa_dir / "ca.crt")
    namespace_file = sa_dir / "namespace"
    namespace = namespace_file.read_text().strip() if namespace_file.is_file() else "default"
    user = {"token": _read_secret_file(sa_dir / "token", IN_CLUSTER)}
    return KubeContext(
        IN_CLUSTER, server, namespace, (), _single_context(IN_CLUSTER, cluster, user)
    )


def _single_context(
    name: str, cluster: Mapping[str, Any], user: Mapping[str, Any]
) -> dict[str, Any]:
    """A kubeconfig with just this context, as kr8s takes it."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": name,
        "clusters": [{"name": "c", "cluster": dict(cluster)}],
        "users": [{"name": "u", "user": dict(user)}],
        "contexts": [{"name": name, "context": {"cluster": "c", "user": "u"}}],
    }


def decode_data(value: str) -> bytes:
    """A kubeconfig *-data field: base64, or (as kr8s also accepts) PEM text."""
    return value.encode() if "-----" in value else base64.b64decode(value)


def _files(sources: tuple[str, ...]) -> str:
    return ", ".join(f"'{s}'" for s in sources)
