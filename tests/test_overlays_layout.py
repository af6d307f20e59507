"""overlays/ folders that no cluster would apply are refused by render and lint."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli, snapshot, write_tree

KUSTOMIZATION = "commonAnnotations:\n  team: web\n"
TENANT = "owners: [team-a]\n"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "overlays/environments/dvv/kustomization.yaml",
            "overlays/environments/dvv: unexpected folder 'overlays/environments/dvv/': no"
            " environment of that name\n"
            "  hint: environment overlays live in overlays/environments/<environment>/, named"
            " after a file of catalog/environments/; did you mean 'dev'?",
        ),
        (
            "overlays/clusters/dev-2/kustomization.yaml",
            "overlays/clusters/dev-2: unexpected folder 'overlays/clusters/dev-2/': no cluster"
            " of that name\n"
            "  hint: cluster overlays live in overlays/clusters/<cluster>/, named after a"
            " file of catalog/clusters/; did you mean 'dev-1'?",
        ),
        (
            "overlays/environments/dev/wbe/kustomization.yaml",
            "overlays/environments/dev/wbe: unexpected folder 'overlays/environments/dev/wbe/':"
            " no operator of that name\n"
            "  hint: unit overlays live in overlays/environments/dev/<operator>/ (the operator's"
            " name without its number) or overlays/environments/dev/tenants/<tenant>/; did you"
            " mean 'web'?",
        ),
        (
            "overlays/clusters/dev-1/010-web/kustomization.yaml",
            "overlays/clusters/dev-1/010-web: unexpected folder 'overlays/clusters/dev-1/010-web/':"
            " no operator of that name\n"
            "  hint: unit overlays live in overlays/clusters/dev-1/<operator>/ (the operator's"
            " name without its number) or overlays/clusters/dev-1/tenants/<tenant>/; did you"
            " mean 'web'?",
        ),
        (
            "overlays/clusters/dev-1/tenants/alhpa/kustomization.yaml",
            "overlays/clusters/dev-1/tenants/alhpa: unexpected folder"
            " 'overlays/clusters/dev-1/tenants/alhpa/': no tenant of that name\n"
            "  hint: tenant overlays live in overlays/clusters/dev-1/tenants/<tenant>/, named"
            " after a file of catalog/tenants/; did you mean 'alpha'?",
        ),
        (
            "overlays/kustomization.yaml",
            "overlays/kustomization.yaml: unexpected file 'overlays/kustomization.yaml'\n"
            "  hint: overlays live in overlays/environments/<environment>/ and"
            " overlays/clusters/<cluster>/; move or delete this file",
        ),
        (
            "overlays/environment/dev/kustomization.yaml",
            "overlays/environment: unexpected folder 'overlays/environment/': overlays/ holds"
            " only environments/ and clusters/\n"
            "  hint: overlays live in overlays/environments/<environment>/ and"
            " overlays/clusters/<cluster>/; did you mean 'environments'?",
        ),
        (
            "overlays/environments/kustomization.yaml",
            "overlays/environments/kustomization.yaml: unexpected file"
            " 'overlays/environments/kustomization.yaml'\n"
            "  hint: environment overlays live in overlays/environments/<environment>/, named"
            " after a file of catalog/environments/; move or delete this file",
        ),
    ],
)
def test_render_and_lint_refuse_overlay_folders_no_cluster_applies(
    minimal_repo: Path, path: str, expected: str
) -> None:
    write_tree(minimal_repo, {"catalog/tenants/alpha.yaml": TENANT})
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, {path: KUSTOMIZATION})
    for command in ("render", "lint"):
        result = run_cli([command, "--repo", str(minimal_repo)])
        assert (result.code, result.err.strip()) == (2, f"error: {expected}"), command
    assert snapshot(minimal_repo / "rendered") == before


def test_every_misplaced_folder_is_reported_in_one_run(minimal_repo: Path) -> None:
    write_tree(minimal_repo, {
        "overlays/environments/prd/kustomization.yaml": KUSTOMIZATION,
        "overlays/clusters/dev-1/wbe/kustomization.yaml": KUSTOMIZATION,
    })  # fmt: skip
    result = run_cli(["lint", "--repo", str(minimal_repo)])
    # sorted by path; 'prd' is close to no environment of this catalog: the hint lists them
    assert (result.code, result.err) == (
        2,
        (
            "error: overlays/clusters/dev-1/wbe: unexpected folder 'overlays/clusters/dev-1/wbe/': no"
            " operator of that name\n"
            "  hint: unit overlays live in overlays/clusters/dev-1/<operator>/ (the operator's name"
            " without its number) or overlays/clusters/dev-1/tenants/<tenant>/; did you mean 'web'?\n"
            "overlays/environments/prd: unexpected folder 'overlays/environments/prd/': no"
            " environment of that name\n"
            "  hint: environment overlays live in overlays/environments/<environment>/, named after"
            " a file of catalog/environments/; known: dev\n"
        ),
    )


def test_patch_folders_and_listed_kustomizations_inside_a_scope_are_accepted(
    minimal_repo: Path,
) -> None:
    write_tree(minimal_repo, {
        "overlays/environments/dev/kustomization.yaml": (
            "components:\n- shared\npatches:\n- path: patches/replicas.yaml\n"
        ),
        "overlays/environments/dev/patches/replicas.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: web\n"
            "spec:\n  replicas: 4\n"
        ),
        "overlays/environments/dev/shared/kustomization.yaml": (
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
            "commonAnnotations:\n  shared: \"yes\"\n"
        ),
        "overlays/environments/dev/web/kustomization.yaml": KUSTOMIZATION,
        "overlays/environments/.gitkeep": "",
    })  # fmt: skip
    assert run_cli(["lint", "--repo", str(minimal_repo)]).code == 0
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert result.code == 0, result.err
    text = (minimal_repo / "rendered/dev-1/010-web/deployment-web.yaml").read_text()
    assert "replicas: 4" in text
    assert 'shared: "yes"' in text
    assert "team: web" in text


PDB = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "overlays/environments/dev/web/kustomisation.yaml": "resources: [pdb.yaml]\n",
                "overlays/environments/dev/web/pdb.yaml": PDB,
            },
            "overlays/environments/dev/web/kustomisation.yaml:1: 'kustomisation.yaml' is not a"
            " kustomization file name, so 'overlays/environments/dev/web' has no kustomization\n"
            "  hint: Kustomize reads only kustomization.yaml, kustomization.yml, Kustomization;"
            " did you mean 'kustomization.yaml'?",
        ),
        (
            {"overlays/clusters/dev-1/Kustomization.yml": KUSTOMIZATION},
            "overlays/clusters/dev-1/Kustomization.yml:1: 'Kustomization.yml' is not a"
            " kustomization file name, so 'overlays/clusters/dev-1' has no kustomization\n"
            "  hint: Kustomize reads only kustomization.yaml, kustomization.yml, Kustomization;"
            " did you mean 'kustomization.yaml'?",
        ),
        (
            {"overlays/clusters/dev-1/tenants/alpha/pdb.yaml": PDB},
            "overlays/clusters/dev-1/tenants/alpha/pdb.yaml:1:"
            " 'overlays/clusters/dev-1/tenants/alpha/' holds 'pdb.yaml' but no kustomization"
            " file, so nothing applies it\n"
            "  hint: add 'overlays/clusters/dev-1/tenants/alpha/kustomization.yaml' that lists the"
            " file under resources or patches, or move the file out of overlays/",
        ),
    ],
    ids=["misspelt-in-unit", "wrong-case-in-scope", "yaml-without-kustomization"],
)
def test_overlay_folders_kustomize_would_skip_are_refused(
    minimal_repo: Path, files: dict[str, str], expected: str
) -> None:
    write_tree(minimal_repo, {"catalog/tenants/alpha.yaml": TENANT})
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, files)
    for command in ("render", "lint"):
        result = run_cli([command, "--repo", str(minimal_repo)])
        assert (result.code, result.err.strip()) == (2, f"error: {expected}"), command
    assert snapshot(minimal_repo / "rendered") == before


NODE_SELECTOR_PATCH = """\
patches:
- target: {{kind: {kind}}}{options}
  patch: |
    - op: add
      path: /spec/template/spec/nodeSelector
      value: {{pool: system}}
"""


def test_a_patch_target_that_selects_nothing_fails_the_render(minimal_repo: Path) -> None:
    before = snapshot(minimal_repo / "rendered")
    overlay = NODE_SELECTOR_PATCH.format(kind="Deploymnet", options="")
    write_tree(minimal_repo, {"overlays/clusters/dev-1/kustomization.yaml": overlay})
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (
        2,
        "error: overlays/clusters/dev-1/kustomization.yaml:2:3: the patch target"
        " {kind: Deploymnet} selects no object of the units this overlay applies to\n"
        "  hint: did you mean kind 'Deployment'? If matching nothing is intended, add options:"
        " {allowNoMatch: true} to the patch\n",
    )
    assert snapshot(minimal_repo / "rendered") == before


def test_allow_no_match_keeps_an_intentionally_empty_target(minimal_repo: Path) -> None:
    before = snapshot(minimal_repo / "rendered")
    overlay = NODE_SELECTOR_PATCH.format(
        kind="StatefulSet", options="\n  options: {allowNoMatch: true}"
    )
    write_tree(minimal_repo, {"overlays/environments/dev/kustomization.yaml": overlay})
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0
    assert snapshot(minimal_repo / "rendered") == before
    overlay = NODE_SELECTOR_PATCH.format(kind="Deployment", options="")
    write_tree(minimal_repo, {"overlays/environments/dev/web/kustomization.yaml": overlay})
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0
    assert (
        "pool: system" in (minimal_repo / "rendered/dev-1/010-web/deployment-web.yaml").read_text()
    )
