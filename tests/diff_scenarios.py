"""Everyday changes to the example platform, one commit each, for the diff bot's scenario
tests: every edit is what a platform engineer would commit (catalog, overlay or chart), and
`generator render` runs after it as `make render` would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

Edit = Callable[[Path], None]


def write(repo: Path, relpath: str, text: str) -> None:
    path = repo / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def replace(repo: Path, relpath: str, old: str, new: str) -> None:
    path = repo / relpath
    text = path.read_text()
    assert old in text, f"{old!r} not in {relpath}"
    path.write_text(text.replace(old, new))


def add_tenant(repo: Path) -> None:
    write(
        repo,
        "catalog/tenants/billing.yaml",
        "name: billing\nowners: [team-billing]\nreaders: [finance-auditors]\n"
        'quotas: {cpu: "4", memory: 8Gi, pods: 40, storage: 50Gi}\nstorage: standard\n'
        "enabledOn: {clusters: [eks-prod]}\n",
    )


SANDBOX = "catalog/clusters/linode-sandbox.yaml"


def add_tenant_on_flux(repo: Path) -> None:
    """A tenant on the Flux cluster, which lists the tenants it runs."""
    write(
        repo,
        "catalog/tenants/ledger.yaml",
        "name: ledger\nowners: [team-ledger]\n"
        'quotas: {cpu: "2", memory: 4Gi, pods: 20, storage: 20Gi}\nstorage: standard\n'
        "enabledOn: {clusters: [linode-sandbox]}\n",
    )
    replace(repo, SANDBOX, "include: [payments, search]", "include: [payments, search, ledger]")


def remove_tenant_from_flux(repo: Path) -> None:
    replace(repo, SANDBOX, "include: [payments, search]", "include: [payments]")


def remove_tenant(repo: Path) -> None:
    (repo / "catalog/tenants/analytics.yaml").unlink()


CERT_MANAGER_IMAGES = "".join(
    f"- name: registry.acme.example/jetstack/cert-manager-{app}\n  newTag: v1.17.0\n"
    for app in ("cainjector", "controller", "webhook")
)


def bump_in_staging(repo: Path) -> None:
    write(
        repo,
        "overlays/environments/staging/cert-manager/kustomization.yaml",
        "# Staging tries cert-manager 1.17 before production.\nimages:\n" + CERT_MANAGER_IMAGES,
    )


def promote_to_prod(repo: Path) -> None:
    bump_in_staging(repo)  # already committed in the parent scenario: no change
    path = "overlays/environments/prod/cert-manager/kustomization.yaml"
    write(repo, path, (repo / path).read_text() + "images:\n" + CERT_MANAGER_IMAGES)


def raise_prod_quota(repo: Path) -> None:
    replace(
        repo,
        "catalog/environments/prod.yaml",
        'quotas: {cpu: "16", memory: 32Gi, pods: 200, storage: 500Gi}',
        'quotas: {cpu: "64", memory: 128Gi, pods: 200, storage: 500Gi}',
    )


def controller(name: str, image: str, extra: str = "") -> str:
    """A platform controller Deployment as the example platform's policies want it."""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 1
  selector:
    matchLabels: {{app.kubernetes.io/name: {name}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: {name}}}
    spec:{extra}
      priorityClassName: platform-critical
      securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}
      containers:
        - name: {name}
          image: {image}
          resources:
            requests: {{cpu: 50m, memory: 64Mi}}
            limits: {{cpu: 200m, memory: 128Mi}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
"""


DESCHEDULER = controller("descheduler", "registry.acme.example/descheduler/descheduler:v0.31.0")


def insert_operator(repo: Path) -> None:
    write(
        repo,
        "catalog/operators/065-descheduler.yaml",
        "# Evicts pods from crowded nodes so the scheduler can spread them again.\n"
        "namespace: descheduler\nlabels: {tier: scaling}\n",
    )
    write(repo, "charts/descheduler/deployment.yaml", DESCHEDULER)


def renumber_operator(repo: Path) -> None:
    (repo / "catalog/operators/070-keda.yaml").rename(repo / "catalog/operators/075-keda.yaml")


APPROVER = controller(
    "approver-policy",
    "registry.acme.example/jetstack/cert-manager-approver-policy:v0.15.0",
    "\n      serviceAccountName: cert-manager-controller",
)


def add_controller_image(repo: Path) -> None:
    write(repo, "charts/cert-manager/templates/approver-policy.yaml", APPROVER)


def change_registry(repo: Path) -> None:
    write(
        repo,
        "overlays/environments/dev/kustomization.yaml",
        "# KEDA from upstream's registry while the mirror lags behind.\nimages:\n"
        "- name: registry.acme.example/kedacore/keda\n  newName: ghcr.io/kedacore/keda\n",
    )


def bump_crd_version(repo: Path) -> None:
    replace(
        repo,
        "charts/keda/crds/scaledobjects.yaml",
        "  - name: v1alpha1\n    served: true\n    storage: true\n",
        "  - name: v1alpha1\n    served: true\n    storage: false\n",
    )


AUDITORS_EDIT = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: auditors-edit
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: finance-auditors}
"""


def widen_tenant_rbac(repo: Path) -> None:
    """The auditors get `edit` beside the `view` the tenant library gives them: a tenant
    overlay may only add objects, so the widening is a binding of its own."""
    folder = "overlays/clusters/eks-prod/tenants/payments"
    write(
        repo,
        f"{folder}/kustomization.yaml",
        "# The auditors also restart payments workloads during incidents.\n"
        "resources:\n- auditors-edit.yaml\n",
    )
    write(repo, f"{folder}/auditors-edit.yaml", AUDITORS_EDIT)


DATABASE = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-database
spec:
  podSelector:
    matchLabels: {app.kubernetes.io/name: ledger}
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: {cidr: 10.20.0.0/16}
      ports:
        - {protocol: TCP, port: 5432}
"""


def open_network(repo: Path) -> None:
    folder = "overlays/environments/staging/tenants/payments"
    write(repo, f"{folder}/kustomization.yaml", "resources:\n- allow-database.yaml\n")
    write(repo, f"{folder}/allow-database.yaml", DATABASE)


def add_cluster(repo: Path) -> None:
    write(
        repo,
        "catalog/clusters/eks-staging.yaml",
        "# Staging on EKS, deployed by the management cluster like production.\n"
        "name: eks-staging\nenvironment: staging\nprovider: aws\nkubernetesVersion: 1.31.0\n"
        "apiServer: https://5D2E8A1C3B4F6E7A9C0B1D2E3F4A5B6C.gr7.eu-west-1.eks.amazonaws.com\n"
        "gitops: argocd\nmanagedBy: mgmt\nlabels: {tier: staging}\n"
        'values:\n  aws:\n    region: eu-west-1\n    accountId: "123456789012"\n',
    )


def comment_only(repo: Path) -> None:
    path = repo / "catalog/tenants/search.yaml"
    path.write_text(
        "# Search indexes the product catalog; owned by team-search.\n" + path.read_text()
    )


def switch_engine(repo: Path) -> None:
    """The priority classes become a Jinja template that names the cluster they belong to."""
    folder = repo / "charts/priority-classes"
    text = (folder / "priorityclasses.yaml").read_text()
    (folder / "priorityclasses.yaml").unlink()
    (folder / "priorityclasses.yaml.j2").write_text(
        text.replace(
            "description: Default priority for tenant workloads.",
            "description: Default priority for tenant workloads on {{ cluster.name }}.",
        )
    )


def automate_prod(repo: Path) -> None:
    replace(
        repo,
        "catalog/environments/prod.yaml",
        "sync: {automated: false, prune: false, selfHeal: false}",
        "sync: {automated: true, prune: false, selfHeal: true}",
    )
