"""Every bad catalog input: exact message (file:line and hint), exit code 2, rendered/ untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.validate.schemas import builtin_versions
from tests.conftest import MINIMAL, run_cli, snapshot, write_tree

# The Kubernetes versions kubernetes-validate bundles change with its releases: read them.
(_LOW, *_, _HIGH) = builtin_versions()
BUNDLED = f"{_LOW[0]}.{_LOW[1]}.0 to {_HIGH[0]}.{_HIGH[1]}.x"

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(7)
)

CASES: dict[str, tuple[dict[str, str | bytes], str]] = {
    "tojson_of_a_missing_value": (
        {"catalog/operators/010-web.yaml": "namespace: web\n"},
        "error: charts/web/deployment.yaml.j2:20: dev-1/web: undefined value 'values.greeting'\n"
        "  hint: values has: dns, image, ingressClass, replicas, secretPathPrefix, storageClasses; "
        "define it in the catalog or guard it with `is defined` / `| default(...)`\n",
    ),
    "malformed_yaml": (
        {"catalog/clusters/dev-1.yaml": "name: dev-1\nenvironment: [dev\n"},
        "error: catalog/clusters/dev-1.yaml:3:1: malformed YAML: did not find expected ',' or ']'\n"
        "  hint: fix the YAML syntax at that position (indentation, quoting, a missing ':')\n",
    ),
    "duplicate_key": (
        {"catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n  a: 1\n  a: 2\n"},
        "error: catalog/environments/dev.yaml:5:3: malformed YAML: key 'a' appears twice in this mapping\n"
        "  hint: remove one of them\n",
    ),
    "not_a_mapping": (
        {"catalog/environments/dev.yaml": "- name: dev\n"},
        "error: catalog/environments/dev.yaml:1:1: expected one YAML mapping, found a list\n"
        "  hint: write the file as a single mapping of keys (see docs/catalog.md)\n",
    ),
    "unknown_key_suggests_closest": (
        {"catalog/operators/010-web.yaml": "namespace: web\nvalus:\n  a: 1\n"},
        "error: catalog/operators/010-web.yaml:2:1: valus: unknown key\n  hint: did you mean 'values'?\n",
    ),
    "wrong_type": (
        {"catalog/environments/dev.yaml": "name: dev\norder: first\n"},
        "error: catalog/environments/dev.yaml:2:8: order: must be an integer, got a string 'first'\n"
        "  hint: write order as an integer\n",
    ),
    "missing_required_key": (
        {
            "catalog/clusters/dev-1.yaml": "name: dev-1\nenvironment: dev\nprovider: kind\nkubernetesVersion: 1.31.0\ngitops: argocd\n"
        },
        "error: catalog/clusters/dev-1.yaml:1:1: apiServer: required key is missing\n"
        "  hint: add 'apiServer' (see docs/catalog.md)\n",
    ),
    "missing_chart": (
        {"catalog/operators/020-api.yaml": "namespace: api\nsource: apii\n"},
        "error: catalog/operators/020-api.yaml:2:9: source: component 'charts/apii' does not exist\n"
        "  hint: create charts/apii/ or fix source\n",
    ),
    "source_escapes_repository": (
        {"catalog/operators/020-api.yaml": "namespace: api\nsource: ../../etc\n"},
        "error: catalog/operators/020-api.yaml:2:9: source: '../../etc' points outside charts/\n"
        "  hint: name a folder directly under charts/\n",
    ),
    "absolute_source": (
        {"catalog/operators/020-api.yaml": "namespace: api\nsource: /etc\n"},
        "error: catalog/operators/020-api.yaml:2:9: source: '/etc' points outside charts/\n"
        "  hint: name a folder directly under charts/\n",
    ),
    "source_through_a_symlink": (
        {"catalog/operators/020-api.yaml": "namespace: api\nsource: linked\n"},
        "error: catalog/operators/020-api.yaml:2:9: source: 'linked' points outside charts/\n"
        "  hint: name a folder directly under charts/\n",
    ),
    "wrong_type_mapping_for_string": (
        {
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"].replace(
                "provider: kind", "provider: {name: kind}"
            )
        },
        "error: catalog/clusters/dev-1.yaml:3:11: provider: must be a string, got a mapping\n"
        "  hint: write provider as a string\n",
    ),
    "value_not_allowed": (
        {
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"].replace(
                "gitops: argocd", "gitops: argo"
            )
        },
        "error: catalog/clusters/dev-1.yaml:6:9: gitops: 'argo' is not allowed\n  hint: use one of: argocd, flux\n",
    ),
    "unknown_key_in_a_list_item": (
        {
            "catalog/tenants/team.yaml": "owners: [team]\nallow:\n  - {service: db, namespace: data, prot: [5432]}\n"
        },
        "error: catalog/tenants/team.yaml:3:36: allow.0.prot: unknown key\n  hint: did you mean 'ports'?\n",
    ),
    "too_short_a_list": (
        {"catalog/tenants/team.yaml": "owners: []\n"},
        "error: catalog/tenants/team.yaml:1:1: owners: min length is 1\n  hint: see docs/catalog.md for this key\n",
    ),
    "duplicate_environment_order": (
        {"catalog/environments/prod.yaml": "name: prod\norder: 10\n"},
        "error: catalog/environments/prod.yaml:2:1: order: 10 is also the order of environment 'dev'\n"
        "  hint: give each environment its own promotion order (dev lowest, prod highest)\n",
    ),
    "unknown_management_cluster": (
        {
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"]
            + "managedBy: mgnt\n"
        },
        "error: catalog/clusters/dev-1.yaml:7:1: managedBy: unknown cluster 'mgnt'\n  hint: known clusters: dev-1\n",
    ),
    "unknown_operator_in_cluster_selection": (
        {
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"]
            + "operators:\n  exclude: [wbe]\n"
        },
        "error: catalog/clusters/dev-1.yaml:8:13: operators.exclude: unknown operator 'wbe'\n  hint: did you mean 'web'?\n",
    ),
    "unknown_environment_in_enabled_on": (
        {
            "catalog/operators/010-web.yaml": "namespace: web\nenabledOn: {environments: [dve]}\nvalues: {greeting: x}\n"
        },
        "error: catalog/operators/010-web.yaml:2:28: enabledOn.environments: unknown environment 'dve'\n  hint: did you mean 'dev'?\n",
    ),
    "tenant_namespace_clash": (
        {
            "catalog/tenants/a.yaml": "owners: [a]\nnamespace: shared\n",
            "catalog/tenants/b.yaml": "owners: [b]\nnamespace: shared\n",
        },
        "error: catalog/tenants/b.yaml:2:1: namespace: 'shared' is also the namespace of tenant 'a'\n"
        "  hint: give every tenant its own namespace\n",
    ),
    "tenant_in_an_operator_namespace": (
        {"catalog/tenants/a.yaml": "owners: [a]\nnamespace: web\n"},
        "error: catalog/tenants/a.yaml:2:1: namespace: 'web' belongs to an operator\n"
        "  hint: tenants get their own namespace (default ns-<tenant>)\n",
    ),
    "plain_file_not_utf8": (
        {
            "charts/web/extra.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: caf\xe9\n"
        },
        "error: charts/web/extra.yaml:6:9: file is not valid UTF-8 (byte 0xe9)\n  hint: save the file as UTF-8\n",
    ),
    "document_not_a_mapping": (
        {"charts/web/extra.yaml": "- a\n- b\n"},
        "error: charts/web/extra.yaml:1: document is a list, not a Kubernetes object\n"
        "  hint: each YAML document must be a mapping with apiVersion, kind and metadata.name\n",
    ),
    "template_output_not_yaml": (
        {
            "charts/web/bad.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ values.image }}: x\n"
        },
        "error: charts/web/bad.yaml.j2: dev-1/web: template output is not valid YAML: malformed YAML: mapping values are not allowed in this context (at output line 4)\n"
        "  hint: check indentation of the template's output; render values with `| tojson` to quote them\n",
    ),
    "template_fail_call": (
        {
            "charts/web/bad.yaml.j2": "{% if values.replicas > 1 %}{{ fail('web needs replicas: 1 on dev') }}{% endif %}\n"
        },
        "error: charts/web/bad.yaml.j2:1: dev-1/web: template failed: web needs replicas: 1 on dev\n"
        "  hint: provide the value the template asks for\n",
    ),
    "template_required_filter": (
        {
            "charts/web/bad.yaml.j2": "x: {{ values.missing | default('') | required('set values.missing') }}\n"
        },
        "error: charts/web/bad.yaml.j2:1: dev-1/web: template failed: set values.missing\n"
        "  hint: provide the value the template asks for\n",
    ),
    "template_include_not_found": (
        {"charts/web/bad.yaml.j2": "{% include '_nope.j2' %}\n"},
        "error: charts/web/bad.yaml.j2: dev-1/web: template '_nope.j2' not found\n"
        "  hint: include templates from this component folder or charts/lib/\n",
    ),
    "template_sandbox_escape": (
        {"charts/web/bad.yaml.j2": "x: {{ ''.__class__.__mro__ }}\n"},
        "error: charts/web/bad.yaml.j2:1: dev-1/web: unsafe template operation: access to attribute '__class__' of 'str' object is unsafe\n"
        "  hint: templates run sandboxed; compute the value in the catalog instead\n",
    ),
    "tenant_in_a_system_namespace": (
        {"catalog/tenants/a.yaml": "owners: [a]\nnamespace: argocd\n"},
        "error: catalog/tenants/a.yaml:2:12: namespace: 'argocd' is a system namespace\n"
        "  hint: tenants get their own namespace (default ns-<tenant>); default, kube-*, argocd and flux-system belong to the platform\n",
    ),
    "tenant_in_a_kube_namespace": (
        {"catalog/tenants/a.yaml": "owners: [a]\nnamespace: kube-public\n"},
        "error: catalog/tenants/a.yaml:2:12: namespace: 'kube-public' is a system namespace\n"
        "  hint: tenants get their own namespace (default ns-<tenant>); default, kube-*, argocd and flux-system belong to the platform\n",
    ),
    "tenant_allowance_to_an_unknown_namespace": (
        {
            "catalog/tenants/a.yaml": "owners: [a]\nallow:\n  - {service: web, namespace: wbe, ports: [80]}\n"
        },
        "error: catalog/tenants/a.yaml:3:31: allow.0.namespace: unknown namespace 'wbe'\n  hint: did you mean 'web'?\n",
    ),
    "exposed_tenant_without_gateway_namespace": (
        {"catalog/tenants/a.yaml": "owners: [a]\nexposure: {exposed: true}\n"},
        "error: catalog/tenants/a.yaml:2:21: exposure.exposed: tenant 'a' is exposed on dev-1, "
        "where values.gateway.namespace is not set\n"
        "  hint: set values.gateway.namespace (in catalog/platform.yaml, or per environment or "
        "cluster) to the namespace of the operator that runs the shared gateway\n",
    ),
    "gateway_namespace_typo": (
        {
            "catalog/tenants/a.yaml": "owners: [a]\nexposure: {exposed: true}\n",
            "catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n  replicas: 2\n"
            "  gateway: {namespace: wbe}\n",
        },
        "error: catalog/environments/dev.yaml:5:13: values.gateway.namespace: 'wbe' is not the "
        "namespace of an operator on cluster 'dev-1', where tenant 'a' is exposed\n"
        "  hint: did you mean 'web'?\n",
    ),
    "gateway_namespace_of_no_operator": (
        {
            "catalog/tenants/a.yaml": "owners: [a]\nexposure: {exposed: true}\n",
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"]
            + "values:\n  gateway:\n    namespace: ingress\n",
        },
        "error: catalog/clusters/dev-1.yaml:9:5: values.gateway.namespace: 'ingress' is not the "
        "namespace of an operator on cluster 'dev-1', where tenant 'a' is exposed\n"
        "  hint: use the namespace of the operator that runs the shared gateway; operator "
        "namespaces there: web\n",
    ),
    "unknown_provider_in_enabled_on": (
        {
            "catalog/operators/010-web.yaml": "namespace: web\nenabledOn: {providers: [knd]}\nvalues: {greeting: x}\n"
        },
        "error: catalog/operators/010-web.yaml:2:25: enabledOn.providers: unknown provider 'knd'\n  hint: did you mean 'kind'?\n",
    ),
    "provider_without_storage_classes": (
        {
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"].replace(
                "provider: kind", "provider: aws"
            )
        },
        "error: catalog/clusters/dev-1.yaml:3:11: provider: 'aws' has no storage classes in catalog/platform.yaml\n"
        "  hint: add storageClasses.aws with fast, standard and bulk to catalog/platform.yaml, or use one of: kind\n",
    ),
    "kubernetes_version_without_schemas": (
        {
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"].replace(
                "1.31.0", "1.12.3"
            )
        },
        "error: catalog/clusters/dev-1.yaml:4:20: kubernetesVersion: no bundled Kubernetes schemas for '1.12.3'\n"
        f"  hint: use a version from {BUNDLED}, or upgrade the kubernetes-validate package\n",
    ),
    "manifest_key_written_twice": (
        {
            "charts/web/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: '1'\n  a: '2'\n"
        },
        "error: charts/web/extra.yaml:7:3: malformed YAML: key 'a' appears twice in this mapping\n"
        "  hint: remove one of the two\n",
    ),
    "kubernetes_version_as_a_number": (
        {
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"].replace(
                "1.31.0", "1.31"
            )
        },
        "error: catalog/clusters/dev-1.yaml:4:20: kubernetesVersion: must be a string, got a number '1.31'\n"
        '  hint: put the value in quotes: kubernetesVersion: "1.31" (the full version, e.g. "1.31.0")\n',
    ),
    "api_server_without_scheme": (
        {
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"].replace(
                "https://127.0.0.1:6443", "127.0.0.1:6443"
            )
        },
        "error: catalog/clusters/dev-1.yaml:5:12: apiServer: '127.0.0.1:6443' does not match the pattern 'https://[^\\s]+'\n"
        "  hint: write the API server's URL, e.g. https://10.0.0.1:6443\n",
    ),
    "tenant_host_reference_dangles": (
        {
            "catalog/tenants/a.yaml": "owners: [a]\nexposure:\n  exposed: true\n  hosts:\n    - a.${values.dns.zon}\n",
            "catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n  gateway: {namespace: web}\n",
        },
        "error: catalog/tenants/a.yaml:5:7: tenant.exposure.hosts.0: reference '${values.dns.zon}' does not resolve\n"
        "  hint: reference platform.*, environment.*, cluster.*, component.*, tenant.* or values.* keys that exist "
        "(write $${...} for a literal '${')\n",
    ),
    "component_without_manifests": (
        {
            "catalog/operators/020-api.yaml": "namespace: api\n",
            "charts/api/cm.json": '{"apiVersion": "v1"}\n',
        },
        "error: catalog/operators/020-api.yaml:1:1: dev-1/api: component 'charts/api' has no manifests\n"
        "  hint: put *.yaml or *.yml files in it (or *.yaml.j2 templates, main.jsonnet, a Helm Chart.yaml); "
        "see docs/catalog.md, Components\n",
    ),
    "same_operator_twice": (
        {"catalog/operators/030-web.yaml": "namespace: web2\n"},
        "error: catalog/operators/030-web.yaml:1:1: operator 'web' is defined twice (also in catalog/operators/010-web.yaml)\n"
        "  hint: give each operator a unique name; operators sharing an install number form one wave\n",
    ),
    "same_number_and_name_twice": (
        {"catalog/operators/010-web.yml": "namespace: web\n"},
        "error: catalog/operators/010-web.yml:1:1: operator 'web' is defined twice (also in catalog/operators/010-web.yaml)\n"
        "  hint: give each operator a unique name; operators sharing an install number form one wave\n",
    ),
    "interpolation_cycle": (
        {
            "catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n  a: ${values.b}\n  b: x-${values.a}\n"
        },
        "error: catalog/environments/dev.yaml:4:3: values.a: interpolation cycle: values.a → values.b → values.a\n"
        "  hint: break the cycle: one of these values must not reference the others\n",
    ),
    "dangling_reference": (
        {
            "catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n  zone: ${values.dns.zoen}\n"
        },
        "error: catalog/environments/dev.yaml:4:3: values.zone: reference '${values.dns.zoen}' does not resolve\n"
        "  hint: reference platform.*, environment.*, cluster.*, component.*, tenant.* or values.* keys that exist "
        "(write $${...} for a literal '${')\n",
    ),
    "unknown_environment": (
        {
            "catalog/clusters/dev-1.yaml": "name: dev-1\nenvironment: deev\nprovider: kind\nkubernetesVersion: 1.31.0\napiServer: https://127.0.0.1:6443\ngitops: argocd\n"
        },
        "error: catalog/clusters/dev-1.yaml:2:1: environment: unknown environment 'deev'\n  hint: did you mean 'dev'?\n",
    ),
    "non_utf8_file": (
        {"catalog/environments/dev.yaml": b"name: dev\norder: 10\nvalues:\n  motto: caf\xe9\n"},
        "error: catalog/environments/dev.yaml:4:13: file is not valid UTF-8 (byte 0xe9)\n  hint: save the file as UTF-8\n",
    ),
    "yaml_alias_bomb": (
        {
            "catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n"
            + "".join("  " + line + "\n" for line in BOMB.splitlines())
        },
        "error: catalog/environments/dev.yaml: YAML aliases expand to more than 1,000,000 nodes\n"
        "  hint: this looks like a YAML bomb; write the data out instead of nesting aliases\n",
    ),
    "file_name_mismatch": (
        {
            "catalog/clusters/dev-1.yaml": "name: dev-2\nenvironment: dev\nprovider: kind\nkubernetesVersion: 1.31.0\napiServer: https://127.0.0.1:6443\ngitops: argocd\n"
        },
        "error: catalog/clusters/dev-1.yaml:1:1: name: 'dev-2' does not match the file name 'dev-1.yaml'\n"
        "  hint: rename the file to 'dev-2.yaml' or set name: dev-1\n",
    ),
    "operator_file_name": (
        {"catalog/operators/web-extra.yaml": "namespace: web\n"},
        "error: catalog/operators/web-extra.yaml: operator file name 'web-extra.yaml' is not NNN-<name>.yaml\n"
        "  hint: name it with a three-digit install order and a lower-case name, e.g. 010-cert-manager.yaml\n",
    ),
    "stray_catalog_file": (
        {"catalog/cluster/dev-2.yaml": "name: dev-2\n"},
        "error: catalog/cluster/dev-2.yaml: unexpected file 'catalog/cluster/dev-2.yaml' in the catalog\n"
        "  hint: catalog files live in catalog/platform.yaml or catalog/{environments,clusters,operators,tenants}/<name>.yaml; "
        "move or delete this file\n",
    ),
    "template_undefined_value": (
        {
            "charts/web/service.yaml.j2": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: {{ values.port }}\n"
        },
        "error: charts/web/service.yaml.j2:7: dev-1/web: undefined value 'values.port'\n"
        "  hint: values has: dns, greeting, image, ingressClass, replicas, secretPathPrefix, storageClasses; "
        "define it in the catalog or guard it with `is defined` / `| default(...)`\n",
    ),
    "template_key_typo_suggests_the_key": (
        {
            "charts/web/extra.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  p: {{ cluster.providr }}\n"
        },
        "error: charts/web/extra.yaml.j2:6: dev-1/web: undefined value 'cluster.providr'\n"
        "  hint: did you mean 'cluster.provider'? define it in the catalog or guard it with `is defined` / `| default(...)`\n",
    ),
    "template_name_typo_lists_the_names": (
        {"charts/web/extra.yaml.j2": "{% if valuse.x %}{% endif %}\n"},
        "error: charts/web/extra.yaml.j2:1: dev-1/web: undefined name 'valuse'\n"
        "  hint: did you mean 'values'? templates see: cluster, component, environment, platform, values (docs/catalog.md)\n",
    ),
    "template_syntax_error": (
        {"charts/web/service.yaml.j2": "apiVersion: v1\nkind: Service\n{% if %}\n"},
        "error: charts/web/service.yaml.j2:3: dev-1/web: template syntax error: Expected an expression, got 'end of statement block'\n"
        "  hint: fix the Jinja2 syntax on that line\n",
    ),
    "object_without_kind": (
        {
            "charts/web/broken.yaml": "apiVersion: v1\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: ConfigMap\n"
        },
        "error: charts/web/broken.yaml:1: object is missing kind\n"
        "  hint: every Kubernetes object needs apiVersion, kind and metadata.name\n",
    ),
    "same_object_twice": (
        {
            "charts/web/dupe.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-settings\n"
        },
        "error: charts/web/dupe.yaml:1: dev-1: ConfigMap web/web-settings is rendered twice: by 'web' "
        "(charts/web/configmap.yaml:1) and by 'web'\n"
        "  hint: each object may come from one component only; remove or rename one of them\n",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_names_file_line_and_hint_and_writes_nothing(
    minimal_repo: Path, case: str
) -> None:
    files, expected = CASES[case]
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, files)
    if case == "source_through_a_symlink":
        (minimal_repo / "charts/linked").symlink_to(minimal_repo.parent)
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (2, expected)
    assert snapshot(minimal_repo / "rendered") == before


def test_all_schema_problems_of_a_run_are_reported_together(minimal_repo: Path) -> None:
    write_tree(
        minimal_repo,
        {
            "catalog/environments/dev.yaml": "name: dev\norder: x\nsnyc: {}\n",
            "catalog/operators/010-web.yaml": "namespace: Web\n",
        },
    )
    result = run_cli(["lint", "--repo", str(minimal_repo)])
    assert result.code == 2
    assert result.err.splitlines()[0::2] == [
        "error: catalog/environments/dev.yaml:2:8: order: must be an integer, got a string 'x'",
        "catalog/environments/dev.yaml:3:1: snyc: unknown key",
        "catalog/operators/010-web.yaml:1:12: namespace: 'Web' does not match the pattern '[a-z0-9]([-a-z0-9]*[a-z0-9])?'",
    ]


def test_missing_catalog_folder_is_bad_input(tmp_path: Path) -> None:
    result = run_cli(["render", "--repo", str(tmp_path)])
    assert result.code == 2
    assert result.err == (
        f"error: no catalog/ folder in '{tmp_path}'\n"
        "  hint: run from the repository root or pass --repo; see docs/catalog.md for the layout\n"
    )


def test_unknown_cluster_on_the_command_line(minimal_repo: Path) -> None:
    result = run_cli(["render", "--repo", str(minimal_repo), "--cluster", "nope"])
    assert (result.code, result.err) == (
        2,
        "error: unknown cluster 'nope'\n  hint: use one of: dev-1\n",
    )


# Inputs that resolve outside the repository: each case gets a folder `outside/` beside the
# repository and builds its links into it. The message names the file, the offending path and
# where it leads; nothing is read from there and rendered/ stays as it was.
OUTSIDE_CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\ndata:\n  x: OUTSIDE\n"
HELM_CHART = {
    "catalog/operators/020-leak.yaml": "namespace: leak\n",
    "charts/leak/Chart.yaml": "apiVersion: v2\nname: leak\nversion: 0.1.0\n",
    "charts/leak/templates/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: h\ndata:\n"
        '  x: {{ .Files.Get "evil.txt" | quote }}\n'
    ),
}
OVERLAY_HINT = (
    "overlays may only build on directories inside the repository: copy the base in instead"
    " of pointing (or linking) to it"
)
FILE_HINT = "keep component files inside the repository: copy the file in instead of linking to it"
CHART_HINT = (
    "charts may only hold files inside the repository: copy the file or subchart into the"
    " chart folder instead of linking to it"
)


def _outside(tmp: Path) -> Path:
    return write_tree(
        tmp / "outside",
        {
            "cm.yaml": OUTSIDE_CM,
            "marker.txt": "OUTSIDE_MARKER",
            "kdir/kustomization.yaml": "resources:\n- cm.yaml\n",
            "kdir/cm.yaml": OUTSIDE_CM,
            "sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
            "sub/templates/cm.yaml": OUTSIDE_CM,
            "crds/widget_v1.json": '{"type": "object"}',
        },
    )


def _link(repo: Path, rel: str, target: Path) -> None:
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).symlink_to(target)


OUTSIDE_CASES = {
    "plain_file_of_a_jinja_component": (
        {},
        [("charts/web/leak.yaml", "cm.yaml")],
        "error: charts/web/leak.yaml: file 'charts/web/leak.yaml' leaves the repository (it "
        "resolves to '{outside}/cm.yaml')\n  hint: " + FILE_HINT + "\n",
    ),
    "plain_component_file": (
        {"catalog/operators/020-files.yaml": "namespace: files\n", "charts/files/a.yaml": ""},
        [("charts/files/leak.yaml", "cm.yaml")],
        "error: charts/files/leak.yaml: file 'charts/files/leak.yaml' leaves the repository (it "
        "resolves to '{outside}/cm.yaml')\n  hint: " + FILE_HINT + "\n",
    ),
    "jinja_include": (
        {
            "charts/web/inc.yaml.j2": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inc\ndata:\n"
                "  x: \"{% include 'evil.txt' %}\"\n"
            )
        },
        [("charts/web/evil.txt", "marker.txt")],
        "error: charts/web/inc.yaml.j2:6: dev-1/web: template 'evil.txt' leaves the repository "
        "(it resolves to '{outside}/marker.txt')\n  hint: keep templates and the files they "
        "include inside the repository (the component folder or charts/lib/): copy the file in "
        "instead of linking to it\n",
    ),
    "jinja_template": (
        {},
        [("charts/web/leak.yaml.j2", "cm.yaml")],
        "error: charts/web/leak.yaml.j2: dev-1/web: template 'leak.yaml.j2' leaves the "
        "repository (it resolves to '{outside}/cm.yaml')\n  hint: keep templates and the files "
        "they include inside the repository (the component folder or charts/lib/): copy the "
        "file in instead of linking to it\n",
    ),
    "helm_files_get": (
        HELM_CHART,
        [("charts/leak/evil.txt", "marker.txt")],
        "error: charts/leak/evil.txt: dev-1/leak: chart 'leak' file 'charts/leak/evil.txt' "
        "leaves the repository (it resolves to '{outside}/marker.txt')\n  hint: "
        + CHART_HINT
        + "\n",
    ),
    "helm_subchart": (
        HELM_CHART,
        [("charts/leak/charts/sub", "sub")],
        "error: charts/leak/charts/sub: dev-1/leak: chart 'leak' file 'charts/leak/charts/sub' "
        "leaves the repository (it resolves to '{outside}/sub')\n  hint: " + CHART_HINT + "\n",
    ),
    "overlay_directory_absolute": (
        {"overlays/clusters/dev-1/web/kustomization.yaml": "resources:\n- {outside}/kdir\n"},
        [],
        "error: overlays/clusters/dev-1/web/kustomization.yaml:2:3: directory '{outside}/kdir' "
        "leaves the repository (it resolves to '{outside}/kdir')\n  hint: " + OVERLAY_HINT + "\n",
    ),
    "overlay_directory_dot_dot": (
        {
            "overlays/clusters/dev-1/web/kustomization.yaml": "resources:\n- ../../../../../outside/kdir\n"
        },
        [],
        "error: overlays/clusters/dev-1/web/kustomization.yaml:2:3: directory "
        "'../../../../../outside/kdir' leaves the repository (it resolves to '{outside}/kdir')\n"
        "  hint: " + OVERLAY_HINT + "\n",
    ),
    "overlay_directory_symlink": (
        {"overlays/clusters/dev-1/web/kustomization.yaml": "resources:\n- kd\n"},
        [("overlays/clusters/dev-1/web/kd", "kdir")],
        "error: overlays/clusters/dev-1/web/kustomization.yaml:2:3: directory 'kd' leaves the "
        "repository (it resolves to '{outside}/kdir')\n  hint: " + OVERLAY_HINT + "\n",
    ),
    "schemas_crds_group_folder": (
        {
            "charts/web/widget.yaml": (
                "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
            )
        },
        [("schemas/crds/example.com", "crds")],
        "error: schemas/crds/example.com/widget_v1.json: schema file "
        "'schemas/crds/example.com/widget_v1.json' leaves the repository (it resolves to "
        "'{outside}/crds/widget_v1.json')\n  hint: keep schemas/crds/ inside the repository: "
        "copy the schema files in instead of linking to them (or pass -schema-location to "
        "`generator validate`)\n",
    ),
}


@pytest.mark.parametrize("case", sorted(OUTSIDE_CASES))
def test_nothing_outside_the_repository_is_read(
    minimal_repo: Path, tmp_path: Path, case: str
) -> None:
    files, links, expected = OUTSIDE_CASES[case]
    outside = _outside(tmp_path)
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, {k: v.replace("{outside}", str(outside)) for k, v in files.items()})
    for rel, target in links:
        _link(minimal_repo, rel, outside / target)
    result = run_cli(["render", "--no-cache", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (2, expected.replace("{outside}", str(outside)))
    assert snapshot(minimal_repo / "rendered") == before


NOT_UTF8_CASES: dict[str, tuple[dict[str, str | bytes], str]] = {
    "jinja_template": (
        {
            "charts/web/bad.yaml.j2": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
            b'data:\n  x: "caf\xe9"\n'
        },
        "error: charts/web/bad.yaml.j2:6: dev-1/web: template is not valid UTF-8: byte 0xe9 at "
        "offset 66\n  hint: save the file as UTF-8\n",
    ),
    "helm_template": (
        {
            **HELM_CHART,
            "charts/leak/templates/cm.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
            b'  name: h\ndata:\n  x: "caf\xe9"\n',
        },
        "error: charts/leak/templates/cm.yaml:6: dev-1/leak: template is not valid UTF-8: byte "
        "0xe9 at offset 66\n  hint: save the file as UTF-8\n",
    ),
}


@pytest.mark.parametrize("case", sorted(NOT_UTF8_CASES))
def test_template_that_is_not_utf8_is_bad_input(minimal_repo: Path, case: str) -> None:
    files, expected = NOT_UTF8_CASES[case]
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, files)
    result = run_cli(["render", "--no-cache", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (2, expected)
    assert snapshot(minimal_repo / "rendered") == before
