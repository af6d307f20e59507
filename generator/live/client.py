"""KubeContext → LiveClient: kr8s requests with API discovery, bounded concurrency and clear errors.

Every failure a user can fix becomes a GeneratorError that says which server, which context
and, for refusals, which verb on which resource; credentials never appear in a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import ssl
import tempfile
import weakref
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from generator.errors import GeneratorError
from generator.live import FIELD_MANAGER
from generator.live.kubeconfig import KubeContext, decode_data
from generator.model import ResourceKey

T = TypeVar("T")
DEFAULT_TIMEOUT = 30.0
DEFAULT_CONCURRENCY = 16
LIST_PAGE = 500

# kubeconfig fields whose inline data kr8s would write to a temporary file on disk.
_INLINE = (
    ("clusters", "cluster", "certificate-authority-data", "certificate-authority"),
    ("users", "user", "client-certificate-data", "client-certificate"),
    ("users", "user", "client-key-data", "client-key"),
)


class NotServed(GeneratorError):
    """The cluster does not serve an apiVersion, or a kind in it."""


@dataclass(frozen=True, slots=True)
class ApiResource:
    """One resource type the cluster serves, from API discovery."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def name(self) -> str:
        """The name kubectl and RBAC use: 'deployments.apps', 'configmaps'."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


@dataclass(frozen=True, slots=True)
class Subject:
    """What a request is about, for error messages."""

    verb: str  # RBAC verb: get, list, patch, create
    resource: str  # 'applications.argoproj.io'
    namespace: str = ""
    name: str = ""

    def __str__(self) -> str:
        where = f" in namespace '{self.namespace}'" if self.namespace else ""
        named = f" '{self.name}'" if self.name else ""
        return f"'{self.verb}' {self.resource}{named}{where}"


class LiveClient:
    """A kr8s Api plus discovery cache; at most `concurrency` requests are in flight."""

    def __init__(self, api: Any, context: KubeContext, timeout: float, concurrency: int) -> None:
        self.api = api
        self.context = context
        self.timeout = timeout
        self._slots = asyncio.Semaphore(concurrency)
        self._group_versions: dict[str, asyncio.Task[list[ApiResource]]] = {}

    # ------------------------------------------------------------ raw requests

    async def call(
        self,
        method: str,
        path: str,
        subject: Subject,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
        missing_ok: bool = False,
    ) -> Any:
        """One request to an absolute API path; returns the decoded JSON (None for 404 if ok)."""
        from kr8s._exceptions import APITimeoutError

        kwargs: dict[str, Any] = {"params": dict(params or {})}
        if body is not None:
            kwargs["content"] = body
            kwargs["headers"] = {"Content-Type": content_type}
        task = asyncio.current_task()
        async with self._slots:
            if task in _STOPPING:
                raise asyncio.CancelledError  # a sibling failed: see gather()
            if task is not None:
                _IN_REQUEST.add(task)
            try:
                # kr8s joins base and url with "/": split so no trailing slash is added,
                # except for /api, /apis and /version, which kr8s itself requests that way.
                base, _, last = path.rpartition("/")
                base, last = (base, last) if base else (path, "")
                # Statuses are ours to judge: on 401 and 403 kr8s re-authenticates and
                # replaces its HTTP session, closing the connections of the requests still
                # in flight, which then fail with a confusing transport error.
                async with self.api.call_api(
                    method, version="", base=base, url=last, raise_for_status=False, **kwargs
                ) as response:
                    status, payload = response.status_code, _payload(response)
            except APITimeoutError as e:
                raise GeneratorError(
                    f"the API server '{self.context.server}' did not answer within "
                    f"{self.timeout:g}s ({subject})",
                    hint="check the network path to the cluster, or allow more time "
                    "with --request-timeout SECONDS",
                ) from e
            except Exception as e:
                translated = self._connection_problem(e)
                if translated is None:
                    raise
                raise translated from e
            finally:
                _IN_REQUEST.discard(task)  # type: ignore[arg-type]
        if status < 400:
            return payload
        if status == 404 and missing_ok:
            return None
        raise self._refusal(status, payload, subject)

    def _refusal(self, status: int, payload: Any, subject: Subject) -> GeneratorError:
        server, context = self.context.server, self.context.name
        message = payload.get("message", "") if isinstance(payload, Mapping) else str(payload)
        if status == 401:
            return GeneratorError(
                f"the API server '{server}' rejected the credentials of context '{context}' "
                f"(401 Unauthorized) for {subject}",
                hint="log in again or refresh the token of this context, then retry",
            )
        if status == 403:
            where = f" -n {subject.namespace}" if subject.namespace else ""
            return GeneratorError(
                f"forbidden: context '{context}' may not {subject}",
                hint=f"ask a cluster admin for RBAC that allows '{subject.verb}' on "
                f"'{subject.resource}', or use a context with more rights (check with "
                f"'kubectl auth can-i {subject.verb} {subject.resource}{where} --context "
                f"{context}')",
            )
        if status == 409:
            return GeneratorError(
                f"server-side apply conflict for {subject}: {message}",
                hint="another field manager owns these fields; change them with that tool, "
                "or let the GitOps controller take them over",
            )
        if status in (400, 422):
            return GeneratorError(
                f"the API server refused {subject}: {message}",
                hint="fix the object in the catalog or chart, render again and retry",
            )
        return GeneratorError(
            f"the API server '{server}' answered {status} for {subject}: {message}",
            hint="retry; if it persists, check the API server's health and logs",
        )

    def _connection_problem(self, e: BaseException) -> GeneratorError | None:
        import httpx

        if not isinstance(e, httpx.TransportError | ssl.SSLError):
            return None
        server, context = self.context.server, self.context.name
        chain = _causes(e)
        tls = next((c for c in chain if isinstance(c, ssl.SSLError)), None)
        if tls is not None or "CERTIFICATE_VERIFY_FAILED" in str(e):
            reason = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or e
            return GeneratorError(
                f"TLS handshake with the API server '{server}' failed: {reason}",
                hint=f"the server's certificate is not trusted by context '{context}': check "
                "certificate-authority(-data) in the kubeconfig and that the URL points to "
                "this cluster",
            )
        refused = any(
            isinstance(c, ConnectionRefusedError)
            or (isinstance(c, OSError) and c.errno == errno.ECONNREFUSED)
            for c in chain
        )
        if refused or "connection refused" in str(e).lower():
            return GeneratorError(
                f"cannot connect to the API server '{server}' of context '{context}': "
                "connection refused",
                hint="start the cluster (for kind: 'kind get clusters'), or pick the right "
                "one with --context",
            )
        return GeneratorError(
            f"cannot reach the API server '{server}' of context '{context}': "
            f"{str(e) or type(e).__name__}",
            hint="check the server URL in the kubeconfig, DNS, VPN or proxy settings",
        )

    # ------------------------------------------------------------ discovery

    async def group_version(self, api_version: str) -> list[ApiResource]:
        """The resources of one group/version, fetched once even under concurrency."""
        if api_version not in self._group_versions:
            self._group_versions[api_version] = asyncio.ensure_future(
                self._fetch_group_version(api_version)
            )
        return await self._group_versions[api_version]

    async def _fetch_group_version(self, api_version: str) -> list[ApiResource]:
        group, _, version = api_version.rpartition("/")
        path = f"/apis/{api_version}" if group else f"/api/{version}"
        data = await self.call("GET", path, Subject("get", path), missing_ok=True)
        if data is None:
            raise NotServed(
                f"the cluster behind context '{self.context.name}' does not serve API "
                f"'{api_version}'",
                hint="install what defines it first (its CRDs, e.g. Argo CD or Flux), or "
                "fix the apiVersion; 'kubectl api-versions' lists what the cluster serves",
            )
        return [
            ApiResource(
                group,
                version,
                str(item["name"]),
                str(item.get("kind", "")),
                bool(item.get("namespaced")),
                tuple(item.get("verbs") or ()),
            )
            for item in data.get("resources") or ()
            if "/" not in str(item.get("name", ""))
        ]

    async def resource_for(self, api_version: str, kind: str) -> ApiResource:
        for resource in await self.group_version(api_version):
            if resource.kind == kind:
                return resource
        raise NotServed(
            f"the cluster serves API '{api_version}' but no kind '{kind}' in it",
            hint="check the kind's spelling and apiVersion ('kubectl api-resources' lists "
            "them), or upgrade the component that defines it",
        )

    async def listable_resources(self) -> list[ApiResource]:
        """Every resource type of each group's preferred version that supports list."""
        core = await self.call("GET", "/api", Subject("get", "/api"))
        groups = await self.call("GET", "/apis", Subject("get", "/apis"))
        versions = [str(v) for v in core.get("versions") or ()]
        versions += [
            str(g["preferredVersion"]["groupVersion"])
            for g in groups.get("groups") or ()
            if g.get("preferredVersion")
        ]
        lists = await gather(*(self.group_version(v) for v in versions))
        return [r for resources in lists for r in resources if "list" in r.verbs]

    # ------------------------------------------------------------ objects

    @staticmethod
    def object_path(resource: ApiResource, namespace: str = "", name: str = "") -> str:
        root = f"/apis/{resource.api_version}" if resource.group else f"/api/{resource.version}"
        if resource.namespaced and namespace:
            root += f"/namespaces/{namespace}"
        root += f"/{resource.plural}"
        return f"{root}/{name}" if name else root

    async def get(self, resource: ApiResource, namespace: str, name: str) -> Any:
        """The live object, or None when it does not exist."""
        subject = Subject("get", resource.name, namespace if resource.namespaced else "", name)
        path = self.object_path(resource, namespace, name)
        return await self.call("GET", path, subject, missing_ok=True)

    async def list(self, resource: ApiResource, label_selector: str = "") -> list[Any]:
        """Every object of a type in all namespaces, following `continue` tokens."""
        params = {"limit": str(LIST_PAGE)}
        if label_selector:
            params["labelSelector"] = label_selector
        items: list[Any] = []
        while True:
            data = await self.call(
                "GET", self.object_path(resource), Subject("list", resource.name), params=params
            )
            for item in data.get("items") or ():
                # List items omit apiVersion and kind; put them back so items look like GETs.
                items.append({"apiVersion": resource.api_version, "kind": resource.kind, **item})
            token = (data.get("metadata") or {}).get("continue")
            if not token:
                return items
            params["continue"] = str(token)

    async def apply(
        self, resource: ApiResource, body: Mapping[str, Any], *, dry_run: bool = False
    ) -> Any:
        """Server-side apply of one object with our field manager."""
        meta = body.get("metadata") or {}
        namespace = str(meta.get("namespace") or "") if resource.namespaced else ""
        if resource.namespaced and not namespace:
            namespace = self.context.namespace
        name = str(meta.get("name") or "")
        params = {"fieldManager": FIELD_MANAGER}
        if dry_run:
            params["dryRun"] = "All"
        return await self.call(
            "PATCH",
            self.object_path(resource, namespace, name),
            Subject("patch", resource.name, namespace, name),
            params=params,
            body=json.dumps(body, sort_keys=True).encode(),
            content_type="application/apply-patch+yaml",
        )

    async def version(self) -> Mapping[str, Any]:
        data = await self.call("GET", "/version", Subject("get", "/version"))
        return data if isinstance(data, Mapping) else {}


async def gather(*awaitables: Awaitable[T]) -> list[T]:
    """Like asyncio.gather, but the first failure is raised alone, once the rest have stopped.

    Work still waiting for a request slot is cancelled; a request already on the wire is let
    finish (its task then stops at its next request), since cancelling one inside its TLS
    exchange leaks its socket. Cancellation from outside (Ctrl-C) still stops everything.
    """
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    if not tasks:
        return []
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    finished = [t for t in tasks if t.done() and not t.cancelled()]
    # Asking each finished task for its exception marks it retrieved; asyncio would otherwise
    # print "Task exception was never retrieved" and a traceback for every failure but the first.
    failed = next((t for t in finished if t.exception()), None)
    for task in finished:
        task.exception()
    if failed is None:
        return [t.result() for t in tasks]
    pending = [t for t in tasks if not t.done()]
    for task in pending:
        if task in _IN_REQUEST:
            _STOPPING.add(task)
        else:
            task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    raise failed.exception() from None  # type: ignore[misc]


# Tasks with a request on the wire, and those of them to stop before their next request.
_IN_REQUEST: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
_STOPPING: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()


def identity(body: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(group, kind, namespace, name): what stays the same across served versions."""
    meta = body.get("metadata") or {}
    group = str(body.get("apiVersion", "")).rpartition("/")[0]
    return (group, str(body.get("kind", "")), str(meta.get("namespace") or ""), str(meta["name"]))


def key_of(body: Mapping[str, Any]) -> ResourceKey:
    meta = body.get("metadata") or {}
    return ResourceKey(
        str(body.get("apiVersion", "")),
        str(body.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta.get("name", "")),
    )


@contextlib.asynccontextmanager
async def connect(
    context: KubeContext,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> AsyncIterator[LiveClient]:
    """A LiveClient for the context; the kr8s session is closed on exit (also on Ctrl-C)."""
    import httpx
    from kr8s.asyncio import Api

    with _in_memory_credentials(context.config) as config:
        api = Api(bypass_factory=True, kubeconfig=config, context=context.name, serviceaccount="")
        api.timeout = httpx.Timeout(timeout)
        try:
            await api.auth
        except (ValueError, KeyError, RuntimeError, OSError) as e:
            # kr8s's messages name files and commands, never secret values.
            raise GeneratorError(
                f"cannot load the credentials of context '{context.name}': {e}",
                hint="check the context's user entry (exec plugin, token or client "
                "certificate) with 'kubectl config view --minify'",
            ) from e
        client = LiveClient(api, context, timeout, concurrency)
        try:
            # One request alone first: kr8s creates its HTTP session on first use, and
            # concurrent first requests would each create one and leak all but the last.
            await client.version()
            yield client
        finally:
            for task in client._group_versions.values():
                task.cancel()
            await asyncio.gather(*client._group_versions.values(), return_exceptions=True)
            if api._session is not None:
                with contextlib.suppress(Exception):
                    await api._session.aclose()


@contextlib.contextmanager
def _in_memory_credentials(config: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Replace inline certificate and key data with in-memory files for Python's ssl module.

    ssl can only load keys from a path; kr8s would write them to a temporary file and
    leave it behind, so on Linux they go to memfd files that vanish with the process.
    """
    copied: dict[str, Any] = json.loads(json.dumps(config))
    opened: list[int] = []
    scratch: tempfile.TemporaryDirectory[str] | None = None
    try:
        for section, inner, data_key, path_key in _INLINE:
            for entry in copied.get(section) or ():
                fields = entry.get(inner) or {}
                if data_key not in fields:
                    continue
                payload = decode_data(str(fields.pop(data_key)))
                if hasattr(os, "memfd_create"):
                    fd = os.memfd_create(path_key, 0)
                    opened.append(fd)
                    os.write(fd, payload)
                    fields[path_key] = f"/proc/{os.getpid()}/fd/{fd}"
                else:  # pragma: no cover - non-Linux: a private directory removed on exit
                    scratch = scratch or tempfile.TemporaryDirectory(prefix="generator-")
                    target = Path(scratch.name) / path_key
                    target.write_bytes(payload)
                    target.chmod(0o600)
                    fields[path_key] = str(target)
        yield copied
    finally:
        for fd in opened:
            os.close(fd)
        if scratch is not None:  # pragma: no cover
            scratch.cleanup()


def _payload(response: Any) -> Any:
    """The decoded JSON body; the text when an error response is not JSON."""
    try:
        return response.json()
    except ValueError:
        if response.status_code < 400:
            raise
        return response.text


def _causes(e: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = e
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
