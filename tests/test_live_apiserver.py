"""A small Kubernetes API server on localhost for the live-cluster tests, and its own checks.

It speaks enough of the API for kr8s to run its real network path: discovery (/api, /apis,
group versions, CRD-defined groups), get, list with label selectors and `continue` pages,
server-side apply (create or merge, dry run, managedFields, defaulting, no-op detection),
create and delete. Faults (status codes, delays) can be injected per method and path.
Other live test modules load this file by path: see `load_apiserver_module` there.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import copy
import functools
import json
import re
import shutil
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

BUILTIN_TYPES: dict[tuple[str, str, str], tuple[str, bool]] = {
    # (group, version, plural): (kind, namespaced)
    ("", "v1", "namespaces"): ("Namespace", False),
    ("", "v1", "configmaps"): ("ConfigMap", True),
    ("", "v1", "secrets"): ("Secret", True),
    ("", "v1", "services"): ("Service", True),
    ("", "v1", "serviceaccounts"): ("ServiceAccount", True),
    ("apps", "v1", "deployments"): ("Deployment", True),
    ("rbac.authorization.k8s.io", "v1", "clusterroles"): ("ClusterRole", False),
    ("rbac.authorization.k8s.io", "v1", "rolebindings"): ("RoleBinding", True),
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions"): (
        "CustomResourceDefinition",
        False,
    ),
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields")


@dataclass
class Fault:
    method: str  # "*" for any
    path: str  # regular expression matched against the whole path
    status: int = 0
    delay: float = 0.0
    message: str = ""


@dataclass
class FakeApiServer:
    """Start with `with FakeApiServer() as server:`; `server.url` is the base URL."""

    tls: bool = True  # HTTPS with a self-signed certificate (CA_PEM), as API servers use
    git_version: str = "v1.31.0"
    objects: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    authorizations: set[str] = field(default_factory=set)  # Authorization headers seen
    port: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0  # the most requests served at the same time
    _counter: int = 0
    _types: dict[tuple[str, str, str], tuple[str, bool]] | None = None

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> FakeApiServer:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._release.set)
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        # Connections still in their TLS handshake, and transports that cleanup closed, finish
        # on later turns of the loop; without them the sockets leak as ResourceWarnings that
        # surface in whichever test runs next.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        if pending:
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.run_until_complete(asyncio.sleep(0))
        self._loop.close()

    async def _start(self) -> None:
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        ssl_context = None
        if self.tls:
            ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ssl_context.load_cert_chain(*_certificate_files())
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        self.port = self._runner.addresses[0][1]

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    # ------------------------------------------------------------ test helpers

    def fail(self, method: str, path: str, status: int, message: str = "") -> None:
        self.faults.append(Fault(method, path, status=status, message=message))

    def delay(self, method: str, path: str, seconds: float) -> None:
        self.faults.append(Fault(method, path, delay=seconds))

    def add(self, body: dict[str, Any]) -> dict[str, Any]:
        """Store an object as if it had been created (server fields filled in)."""
        group, _version, plural, namespaced = self._type_of(body)
        meta = body["metadata"]
        namespace = meta.get("namespace", "default") if namespaced else ""
        stored = self._created(copy.deepcopy(body), group, plural, namespace, "kubectl")
        self._stored((group, plural, namespace, meta["name"]), stored)
        return stored

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        group, _, plural, _ = self._type_of({"apiVersion": api_version, "kind": kind})
        return self.objects.get((group, plural, namespace, name))

    def writes(self) -> list[tuple[str, str, dict[str, str]]]:
        """Requests that change state for real (not dry-run)."""
        return [
            r
            for r in self.requests
            if r[0] in ("PATCH", "POST", "PUT", "DELETE") and r[2].get("dryRun") != "All"
        ]

    # ------------------------------------------------------------ types

    def types(self) -> dict[tuple[str, str, str], tuple[str, bool]]:
        """Built-in types plus those of stored CRDs; cached until a CRD is written."""
        if self._types is None:
            self._types = self._served_types()
        return self._types

    def _stored(self, key: tuple[str, str, str, str], obj: dict[str, Any] | None) -> None:
        if key[1] == "customresourcedefinitions":
            self._types = None
        if obj is None:
            self.objects.pop(key, None)
        else:
            self.objects[key] = obj

    def _served_types(self) -> dict[tuple[str, str, str], tuple[str, bool]]:
        served = dict(BUILTIN_TYPES)
        for (group, plural, _, _), crd in self.objects.items():
            if (group, plural) != ("apiextensions.k8s.io", "customresourcedefinitions"):
                continue
            spec = crd["spec"]
            for version in spec.get("versions", ()):
                if version.get("served"):
                    key = (spec["group"], version["name"], spec["names"]["plural"])
                    served[key] = (spec["names"]["kind"], spec.get("scope") == "Namespaced")
        return served

    def _type_of(self, body: dict[str, Any]) -> tuple[str, str, str, bool]:
        group, _, version = body["apiVersion"].rpartition("/")
        for (g, v, plural), (kind, namespaced) in self.types().items():
            if (g, v, kind) == (group, version, body["kind"]):
                return group, version, plural, namespaced
        raise KeyError(f"{body['apiVersion']} {body['kind']} is not served")

    def _group_versions(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for group, version, _ in sorted(self.types()):
            if group and version not in groups.setdefault(group, []):
                groups[group].append(version)
        return groups

    # ------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return await self._respond(request)
        finally:
            self.in_flight -= 1

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        params = dict(request.query)
        self.authorizations.add(request.headers.get("Authorization", ""))
        self.requests.append((request.method, path, params))
        for fault in self.faults:
            if fault.method in ("*", request.method) and re.fullmatch(fault.path, path):
                if fault.delay:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._release.wait(), fault.delay)
                if fault.status:
                    return _status(fault.status, fault.message or f"injected {fault.status}")
        if path == "/version":
            return web.json_response({"major": "1", "minor": "31", "gitVersion": self.git_version})
        if path == "/api":
            return web.json_response({"kind": "APIVersions", "versions": ["v1"]})
        if path == "/apis":
            return web.json_response(self._group_list())
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return _status(404, "the server could not find the requested resource", "NotFound")
        types = self.types()
        if not rest:
            if not any((g, v) == (group, version) for g, v, _ in types):
                return _status(404, "the server could not find the requested resource", "NotFound")
            return web.json_response(self._resource_list(group, version))
        namespace = ""
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural, name = rest[0], (rest[1] if len(rest) > 1 else "")
        if (group, version, plural) not in types:
            return _status(404, "the server could not find the requested resource", "NotFound")
        kind, namespaced = types[(group, version, plural)]
        body = await request.read()
        return self._serve(request, group, version, plural, kind, namespaced, namespace, name, body)

    def _group_list(self) -> dict[str, Any]:
        groups = []
        for group, versions in self._group_versions().items():
            entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
            groups.append({"name": group, "versions": entries, "preferredVersion": entries[-1]})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def _resource_list(self, group: str, version: str) -> dict[str, Any]:
        resources = [
            {
                "name": plural,
                "singularName": kind.lower(),
                "kind": kind,
                "namespaced": namespaced,
                "verbs": VERBS,
            }
            for (g, v, plural), (kind, namespaced) in sorted(self.types().items())
            if (g, v) == (group, version)
        ]
        resources += [
            dict(r, name=f"{r['name']}/status", verbs=["get", "patch"]) for r in resources
        ]
        group_version = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "groupVersion": group_version, "resources": resources}

    def _serve(
        self,
        request: web.Request,
        group: str,
        version: str,
        plural: str,
        kind: str,
        namespaced: bool,
        namespace: str,
        name: str,
        raw: bytes,
    ) -> web.StreamResponse:
        api_version = f"{group}/{version}" if group else version
        resource = f"{plural}.{group}" if group else plural
        key = (group, plural, namespace if namespaced else "", name)
        method = request.method
        if method == "GET" and name:
            if key not in self.objects:
                return _status(404, f'{resource} "{name}" not found', "NotFound")
            return web.json_response(self._as_version(self.objects[key], api_version))
        if method == "GET":
            return web.json_response(self._list(group, plural, namespace, api_version, request))
        if method == "PATCH" and name:
            if request.content_type != "application/apply-patch+yaml":
                return _status(
                    415, f"unsupported patch type {request.content_type}", "UnsupportedMediaType"
                )
            manager = request.query.get("fieldManager")
            if not manager:
                return _status(422, "fieldManager is required for apply requests", "Invalid")
            applied = yaml.safe_load(raw)
            if applied.get("apiVersion") != api_version or applied.get("kind") != kind:
                return _status(
                    400, f"apply body is {applied.get('kind')}, not {kind}", "BadRequest"
                )
            if applied["metadata"].get("name") != name:
                return _status(400, "the name of the object does not match the URL", "BadRequest")
            dry_run = request.query.get("dryRun") == "All"
            if key in self.objects:
                result = self._merged(self.objects[key], applied, manager)
            else:
                result = self._created(applied, group, plural, key[2], manager)
            if not dry_run:
                self._stored(key, result)
            return web.json_response(result)
        if method == "POST" and not name:
            body = json.loads(raw)
            key = (group, plural, namespace if namespaced else "", body["metadata"]["name"])
            if key in self.objects:
                return _status(409, f'{resource} "{key[3]}" already exists', "AlreadyExists")
            self._stored(key, self._created(body, group, plural, key[2], "before-first-apply"))
            return web.json_response(self.objects[key], status=201)
        if method == "DELETE" and name:
            if key not in self.objects:
                return _status(404, f'{resource} "{name}" not found', "NotFound")
            removed = self.objects[key]
            self._stored(key, None)
            return web.json_response(removed)
        return _status(405, f"{method} is not supported here", "MethodNotAllowed")

    def _list(
        self, group: str, plural: str, namespace: str, api_version: str, request: web.Request
    ) -> dict[str, Any]:
        selector = _parse_selector(request.query.get("labelSelector", ""))
        items = [
            self._as_version(obj, api_version)
            for (g, p, ns, _), obj in sorted(self.objects.items())
            if (g, p) == (group, plural)
            and (not namespace or ns == namespace)
            and _matches(selector, obj["metadata"].get("labels") or {})
        ]
        start = int(request.query.get("continue") or 0)
        limit = int(request.query.get("limit") or 0) or len(items) or 1
        page = items[start : start + limit]
        meta: dict[str, Any] = {"resourceVersion": str(self._counter)}
        if start + limit < len(items):
            meta["continue"] = str(start + limit)
        for item in page:  # list items carry no apiVersion and kind, as on a real server
            item.pop("apiVersion", None)
            item.pop("kind", None)
        return {"apiVersion": api_version, "kind": "List", "metadata": meta, "items": page}

    @staticmethod
    def _as_version(obj: dict[str, Any], api_version: str) -> dict[str, Any]:
        return dict(copy.deepcopy(obj), apiVersion=api_version)

    def _next_version(self) -> str:
        self._counter += 1
        return str(self._counter)

    def _created(
        self, body: dict[str, Any], group: str, plural: str, namespace: str, manager: str
    ) -> dict[str, Any]:
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        if namespace:
            meta["namespace"] = namespace
        meta.update(
            uid=f"00000000-0000-0000-0000-{self._counter + 1:012d}",
            resourceVersion=self._next_version(),
            creationTimestamp="2026-01-01T00:00:00Z",
            generation=1,
            managedFields=[_managed_field(manager, obj["apiVersion"])],
        )
        _apply_defaults(obj)
        return obj

    def _merged(
        self, live: dict[str, Any], applied: dict[str, Any], manager: str
    ) -> dict[str, Any]:
        merged = _deep_merge(copy.deepcopy(live), applied)
        _apply_defaults(merged)
        managers = [m for m in merged["metadata"]["managedFields"] if m["manager"] != manager]
        merged["metadata"]["managedFields"] = [
            *managers,
            _managed_field(manager, applied["apiVersion"]),
        ]
        if _without_server_fields(merged) != _without_server_fields(live):
            merged["metadata"]["resourceVersion"] = self._next_version()
            merged["metadata"]["generation"] = live["metadata"]["generation"] + 1
        else:  # a no-op apply changes nothing, as on a real API server
            return copy.deepcopy(live)
        return merged


def _managed_field(manager: str, api_version: str) -> dict[str, Any]:
    return {
        "manager": manager,
        "operation": "Apply",
        "apiVersion": api_version,
        "time": "2026-01-01T00:00:00Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {},
    }


def _apply_defaults(obj: dict[str, Any]) -> None:
    """Defaulting a real API server does, so drift must ignore fields rendered/ leaves out."""
    if obj["kind"] == "Deployment":
        spec = obj.setdefault("spec", {})
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault(
            "strategy",
            {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
        )
        for container in spec.get("template", {}).get("spec", {}).get("containers", []):
            container.setdefault("terminationMessagePath", "/dev/termination-log")
            container.setdefault("imagePullPolicy", "IfNotPresent")
        obj["status"] = {"observedGeneration": obj["metadata"].get("generation", 1)}
    if obj["kind"] == "Namespace":
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = {"phase": "Active"}


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _without_server_fields(obj: dict[str, Any]) -> dict[str, Any]:
    copied = copy.deepcopy(obj)
    for name in SERVER_METADATA:
        copied["metadata"].pop(name, None)
    copied.pop("status", None)
    return copied


def _parse_selector(text: str) -> list[tuple[str, str, str]]:
    terms = []
    for term in filter(None, (t.strip() for t in text.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            terms.append((key, "!=", value))
        elif "=" in term:
            key, value = term.split("=", 1)
            terms.append((key, "=", value.lstrip("=")))
        else:
            terms.append((term, "exists", ""))
    return terms


def _matches(selector: list[tuple[str, str, str]], labels: dict[str, str]) -> bool:
    for key, op, value in selector:
        if op == "=" and labels.get(key) != value:
            return False
        if op == "!=" and labels.get(key) == value:
            return False
        if op == "exists" and key not in labels:
            return False
    return True


def _status(code: int, message: str, reason: str = "") -> web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason or "Failure",
        "code": code,
    }
    return web.json_response(body, status=code)


def kubeconfig_text(
    server: str,
    *,
    context: str = "kind-kind-local",
    token: str = "s3cr3t-t0ken",
    trusted: bool = True,
    extra_cluster: dict[str, Any] | None = None,
) -> str:
    """A kubeconfig for the fake server: bearer token, and its CA inline unless not trusted."""
    cluster: dict[str, Any] = {"server": server, **(extra_cluster or {})}
    if trusted and server.startswith("https:"):
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem()).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": context,
        "clusters": [{"name": context, "cluster": cluster}],
        "users": [{"name": context, "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
    }
    return yaml.safe_dump(config)


@functools.cache
def _certificate_files() -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key, made once per test run."""
    import datetime
    import ipaddress
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="fake-apiserver-"))
    atexit.register(shutil.rmtree, folder, True)
    (folder / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(folder / "server.crt"), str(folder / "server.key")


def ca_pem() -> bytes:
    """The certificate the fake server presents, for a kubeconfig's certificate-authority-data."""
    return Path(_certificate_files()[0]).read_bytes()


# ---------------------------------------------------------------- checks of the server itself


def test_apply_creates_then_a_repeated_apply_changes_nothing():
    import urllib.request

    with FakeApiServer(tls=False) as server:
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "a", "namespace": "default"},
            "data": {"k": "v"},
        }
        url = f"{server.url}/api/v1/namespaces/default/configmaps/a?fieldManager=t"

        def apply() -> dict[str, Any]:
            req = urllib.request.Request(
                url,
                json.dumps(body).encode(),
                method="PATCH",
                headers={"Content-Type": "application/apply-patch+yaml"},
            )
            with urllib.request.urlopen(req) as response:
                return json.load(response)

        first, second = apply(), apply()
        assert first["metadata"]["resourceVersion"] == second["metadata"]["resourceVersion"] == "1"
        body["data"] = {"k": "changed"}
        assert apply()["metadata"]["resourceVersion"] == "2"


def test_crds_make_their_group_served():
    with FakeApiServer() as server:
        server.add(
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {
                    "group": "example.com",
                    "scope": "Namespaced",
                    "names": {"kind": "Widget", "plural": "widgets"},
                    "versions": [{"name": "v1", "served": True}],
                },
            }
        )
        assert server._group_versions()["example.com"] == ["v1"]
        assert server.types()[("example.com", "v1", "widgets")] == ("Widget", True)
