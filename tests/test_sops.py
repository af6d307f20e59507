"""SOPS-encrypted objects reach rendered/ byte for byte: their MAC covers the values in order."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli, snapshot, write_tree

ENCRYPTED = """\
apiVersion: v1
kind: Secret
metadata:
  namespace: web
  name: web-token
data:
  token: ENC[AES256_GCM,data:Zm9vYmFy,iv:aXY=,tag:dGFn,type:str]
sops:
  age:
    - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        YWdl
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2026-10-02T09:14:11Z"
  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]
  version: 3.9.1
"""


def test_encrypted_secret_is_written_unchanged_without_labels(minimal_repo: Path) -> None:
    cluster = (minimal_repo / "catalog/clusters/dev-1.yaml").read_text().replace("argocd", "flux")
    write_tree(
        minimal_repo,
        {
            "charts/web/token.sops.yaml": "# encrypted\n" + ENCRYPTED,
            "catalog/clusters/dev-1.yaml": cluster,
        },
    )
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0
    text = (minimal_repo / "rendered/dev-1/010-web/secret-web-token.yaml").read_text()
    assert text.endswith("# Source: charts/web/token.sops.yaml\n" + ENCRYPTED)


def test_encrypted_object_without_namespace_is_refused(minimal_repo: Path) -> None:
    before = snapshot(minimal_repo / "rendered")
    write_tree(
        minimal_repo, {"charts/web/token.sops.yaml": ENCRYPTED.replace("  namespace: web\n", "")}
    )
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (
        2,
        "error: charts/web/token.sops.yaml:1: dev-1/web: SOPS-encrypted Secret web-token has no metadata.namespace\n"
        "  hint: set metadata.namespace: web before encrypting; the generator cannot add it without breaking "
        "the file's MAC\n",
    )
    assert snapshot(minimal_repo / "rendered") == before


def test_an_overlay_that_would_change_an_encrypted_object_is_refused(minimal_repo: Path) -> None:
    write_tree(
        minimal_repo,
        {
            "charts/web/token.sops.yaml": ENCRYPTED,
            "overlays/environments/dev/kustomization.yaml": "commonAnnotations:\n  team: web\n",
        },
    )
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert result.code == 2
    assert result.err.startswith(
        "error: charts/web/token.sops.yaml:1: dev-1/web: an overlay changes SOPS-encrypted Secret web/web-token\n"
    )
