"""Kube context resolution as kubectl does it, and credentials that stay in memory."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import GeneratorError
from generator.live.client import _in_memory_credentials, connect
from generator.live.kubeconfig import resolve_context
from tests.test_live_apiserver import FakeApiServer, kubeconfig_text


def kubeconfig(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


FIRST = {
    "current-context": "dev",
    "contexts": [
        {"name": "dev", "context": {"cluster": "dev", "user": "dev", "namespace": "team"}}
    ],
    "clusters": [
        {
            "name": "dev",
            "cluster": {
                "server": "https://dev.example:6443",
                "certificate-authority": "certs/ca.crt",
            },
        }
    ],
    "users": [{"name": "dev", "user": {"tokenFile": "token"}}],
}
SECOND = {
    "current-context": "prod",
    "contexts": [
        {"name": "prod", "context": {"cluster": "prod", "user": "prod"}},
        {"name": "dev", "context": {"cluster": "prod", "user": "prod"}},
    ],
    "clusters": [
        {"name": "prod", "cluster": {"server": "https://prod.example"}},
        {"name": "dev", "cluster": {"server": "https://shadowed.example"}},
    ],
    "users": [{"name": "prod", "user": {"token": "prod-token"}}],
}


@pytest.fixture
def two_files(tmp_path: Path) -> dict[str, str]:
    first = kubeconfig(tmp_path / "a" / "config", FIRST)
    (tmp_path / "a" / "token").write_text("dev-token\n")
    second = kubeconfig(tmp_path / "b" / "config", SECOND)
    missing = tmp_path / "missing"
    return {"KUBECONFIG": os.pathsep.join([str(first), str(missing), "", str(second)])}


def test_kubeconfig_files_merge_with_the_first_definition_winning(
    two_files: dict[str, str], tmp_path: Path
) -> None:
    context = resolve_context(environ=two_files)
    assert (context.name, context.server, context.namespace) == (
        "dev",
        "https://dev.example:6443",
        "team",
    )
    cluster = context.config["clusters"][0]["cluster"]
    assert cluster["certificate-authority"] == str(tmp_path / "a" / "certs" / "ca.crt")
    assert context.config["users"][0]["user"] == {"token": "dev-token"}


def test_context_option_picks_a_context_from_a_later_file(two_files: dict[str, str]) -> None:
    context = resolve_context("prod", environ=two_files)
    assert (context.name, context.server, context.namespace) == (
        "prod",
        "https://prod.example",
        "default",
    )


def test_unknown_context_lists_the_known_ones(two_files: dict[str, str]) -> None:
    with pytest.raises(GeneratorError) as error:
        resolve_context("staging", environ=two_files)
    files = two_files["KUBECONFIG"].split(os.pathsep)
    assert str(error.value) == (
        f"context 'staging' is not defined in '{files[0]}', '{files[3]}'\n"
        "  hint: pass --context with one of: dev, prod"
    )


def test_credentials_never_appear_in_the_context_repr(two_files: dict[str, str]) -> None:
    assert "token" not in repr(resolve_context("prod", environ=two_files))


def test_in_cluster_service_account_when_there_is_no_kubeconfig(tmp_path: Path) -> None:
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text("pod-token")
    (account / "ca.crt").write_text("ca")
    (account / "namespace").write_text("argocd\n")
    environ = {
        "HOME": str(tmp_path),
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
    }
    context = resolve_context(environ=environ, service_account_dir=account)
    assert (context.name, context.server, context.namespace) == (
        "in-cluster",
        "https://10.96.0.1:443",
        "argocd",
    )
    assert context.config["users"][0]["user"] == {"token": "pod-token"}


def test_no_kubeconfig_at_all(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError) as error:
        resolve_context(environ={"HOME": str(tmp_path)}, service_account_dir=tmp_path / "none")
    assert str(error.value) == (
        "no kubeconfig found: KUBECONFIG is unset or names no existing file, there is no "
        "~/.kube/config, and this is not a pod inside a cluster\n"
        "  hint: set KUBECONFIG to your kubeconfig file (kind writes one with 'kind export "
        "kubeconfig'), or pass --kubeconfig PATH"
    )


def test_home_kube_config_is_the_default(tmp_path: Path) -> None:
    kubeconfig(tmp_path / ".kube" / "config", SECOND)
    assert resolve_context(environ={"HOME": str(tmp_path)}).name == "prod"


def test_malformed_kubeconfig_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("clusters:\n  - name: a\n   server: x\n")
    with pytest.raises(GeneratorError) as error:
        resolve_context(kubeconfig=str(path))
    assert str(error.value).startswith(f"{path}:3:")
    assert str(error.value).endswith("  hint: fix the file, or remove it from KUBECONFIG")


def test_missing_explicit_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError) as error:
        resolve_context(kubeconfig=str(tmp_path / "nope"))
    assert str(error.value) == (
        f"kubeconfig '{tmp_path / 'nope'}' does not exist\n"
        "  hint: pass an existing file to --kubeconfig, or leave it out to use KUBECONFIG"
    )


def test_inline_keys_go_to_memory_files_that_close_afterwards() -> None:
    pem = b"-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"
    config = {"users": [{"name": "u", "user": {"client-key-data": base64.b64encode(pem).decode()}}]}
    with _in_memory_credentials(config) as replaced:
        path = replaced["users"][0]["user"]["client-key"]
        assert path.startswith(f"/proc/{os.getpid()}/fd/")
        assert Path(path).read_bytes() == pem
        assert "client-key-data" not in replaced["users"][0]["user"]
    assert not Path(path).exists()
    assert "client-key" not in config["users"][0]["user"]  # the caller's config is untouched


def test_a_real_session_trusts_the_inline_certificate_authority(tmp_path: Path) -> None:
    with FakeApiServer() as server:
        path = tmp_path / "config"
        path.write_text(kubeconfig_text(server.url))
        context = resolve_context(kubeconfig=str(path))

        async def version() -> Any:
            async with connect(context, timeout=5) as client:
                return await client.version()

        assert asyncio.run(version())["gitVersion"] == "v1.31.0"
        assert ("GET", "/version", {}) in server.requests


def test_a_context_naming_an_undefined_cluster(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "config", {**SECOND, "clusters": []})
    with pytest.raises(GeneratorError) as error:
        resolve_context(kubeconfig=str(path))
    assert str(error.value) == (
        f"{path}: context 'prod' refers to cluster 'prod', which is not defined\n"
        "  hint: add that cluster to a kubeconfig file, or fix the context's 'cluster' field"
    )


def test_no_current_context_lists_the_contexts(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "config", {**SECOND, "current-context": ""})
    with pytest.raises(GeneratorError) as error:
        resolve_context(kubeconfig=str(path))
    assert str(error.value) == (
        f"no current context is set in '{path}'\n  hint: pass --context NAME (contexts: dev, prod)"
    )


def test_an_exec_plugin_path_is_relative_to_its_kubeconfig(tmp_path: Path) -> None:
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "./bin/login"}}
    path = kubeconfig(
        tmp_path / "kube" / "config", {**SECOND, "users": [{"name": "prod", "user": user}]}
    )
    context = resolve_context(kubeconfig=str(path))
    assert context.config["users"][0]["user"]["exec"]["command"] == str(tmp_path / "kube/bin/login")


def test_an_exec_plugin_token_reaches_the_server(tmp_path: Path) -> None:
    plugin = tmp_path / "login"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": "exec-token"},
    }
    plugin.write_text(f"#!/bin/sh\necho '{json.dumps(credential)}'\n")
    plugin.chmod(0o755)
    with FakeApiServer() as server:
        config = yaml.safe_load(kubeconfig_text(server.url))
        config["users"][0]["user"] = {
            "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin)}
        }
        context = resolve_context(kubeconfig=str(kubeconfig(tmp_path / "config", config)))

        async def version() -> Any:
            async with connect(context, timeout=5) as client:
                return await client.version()

        asyncio.run(version())
        assert server.authorizations == {"Bearer exec-token"}
