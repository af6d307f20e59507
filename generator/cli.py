"""Command line: options in, one call into the pipeline, a report, an exit code out."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from generator import __version__
from generator.errors import GeneratorError

# Exit codes follow diff(1) and kubeconform.
EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_BUG = 0, 1, 2, 3

EPILOG = """\b
Exit codes: 0 ok; 1 findings (invalid resources, stale rendered/, changes);
2 bad input or usage; 3 internal error (a bug: please report it with the traceback)."""


class Reporter:
    """The one place that prints: results to stdout, problems and progress to stderr."""

    def __init__(self, verbosity: int) -> None:
        self.verbosity = verbosity

    def result(self, text: str) -> None:
        click.echo(text)

    def outcome(self, text: str) -> None:
        """A one-line result a script may read ("rendered 12 files…"); -q silences it."""
        if self.verbosity >= 0:
            click.echo(text)

    def info(self, text: str) -> None:
        if self.verbosity >= 0:
            click.echo(text, err=True)

    def debug(self, text: str) -> None:
        if self.verbosity > 0:
            click.echo(text, err=True)

    def problem(self, text: str) -> None:
        click.echo(text, err=True)


Command = TypeVar("Command", bound=Callable[..., Any])


def format_option(markdown_use: str) -> Callable[[Command], Command]:
    """--format text|markdown|json, shared by the commands that report changes."""
    option: Callable[[Command], Command] = click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "markdown", "json"]),
        default="text",
        show_default=True,
        help=f"text for terminals, {markdown_use}, json for tools.",
    )
    return option


def json_option(function: Any) -> Any:
    """--format text|json for commands whose result a script may read; with json, bad input
    is a JSON document on stdout too (still exit 2)."""
    function = _errors_as_json(function)
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="text for terminals, json for tools (results and errors on stdout).",
    )(function)


def _errors_as_json(function: Any) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("output_format") != "json":
            return function(*args, **kwargs)
        from generator import results

        try:
            return function(*args, **kwargs)
        except GeneratorError as e:
            click.echo(results.dumps(results.errors_document(e)), nl=False)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper


def repo_option(function: Any) -> Any:
    return click.option(
        "--repo",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="Repository root holding catalog/, charts/, overlays/, schemas/ and rendered/.",
    )(function)


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="generator")
@click.option("-v", "--verbose", count=True, help="Say more (timings, engines used).")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems and results.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Render the platform catalog into validated, GitOps-ready YAML under rendered/.

    \b
    Examples:
      generator render                  # render every cluster into rendered/
      generator render --check          # exit 1 if rendered/ is stale (pre-commit, CI)
      generator render --cluster eks-prod
      generator lint                    # check the catalog only
    """
    ctx.obj = Reporter(-1 if quiet else verbose)


@cli.command(epilog=EPILOG)
@repo_option
@click.option(
    "--cluster",
    "clusters",
    multiple=True,
    metavar="NAME",
    help="Render only these clusters (repeatable).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Render to a temporary tree; exit 1 listing every file of rendered/ that is stale.",
)
@click.option(
    "--no-validate",
    is_flag=True,
    help="Emergencies only: write without schema and policy validation.",
)
@click.option(
    "--no-cache", is_flag=True, help="Render even when the inputs match a cached earlier render."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes rendering clusters side by side [default: the usable CPUs when "
    "there are at least 8 clusters to render, else 1].",
)
@click.option("--shard", metavar="I/N", help="Render only shard I of N (clusters by name).")
@click.option(
    "--merge-shards",
    "merge",
    is_flag=True,
    help="Assemble rendered/ from the shards' rendered/ folders SHARDS, in shard order.",
)
@click.argument("shards", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
@json_option
@click.pass_obj
def render(
    report: Reporter,
    repo: Path,
    clusters: tuple[str, ...],
    check: bool,
    no_validate: bool,
    no_cache: bool,
    output_format: str,
    jobs: int | None,
    shard: str | None,
    merge: bool,
    shards: tuple[Path, ...],
) -> None:
    """Render the catalog into rendered/, or check that rendered/ is up to date.

    \b
    Examples:
      generator render
      generator render --cluster kind-local --cluster eks-prod
      generator render --check --format json
      generator render --shard 2/4
      generator render --merge-shards shard-1/rendered shard-2/rendered
    """
    from generator import pipeline, results
    from generator import shards as sharding
    from generator.terminal import stderr_progress

    as_json = output_format == "json"
    if bool(shards) != merge or (merge and (shard or clusters or check)) or (shard and clusters):
        raise click.UsageError(
            "SHARDS go with --merge-shards alone; --shard and --cluster exclude each other"
        )
    if merge:
        names = pipeline.cluster_names(repo)
        merged = sharding.merge_shards(repo, names, shards)
        report.outcome(f"merged {len(shards)} shard(s) into rendered/: {merged}")
        return
    if shard:
        index, count = sharding.parse_shard(shard)
        clusters = tuple(sharding.shard_clusters(pipeline.cluster_names(repo), index, count))
    if no_validate:
        report.problem(
            "warning: --no-validate: no schema or policy checks except no-plaintext-secrets"
        )
    progress = stderr_progress(quiet=report.verbosity < 0 or as_json)
    try:
        result = pipeline.render_all(
            repo,
            clusters=clusters,
            validate=not no_validate,
            use_cache=not no_cache,
            jobs=jobs,
            progress=progress,
            trust_tree=True,
        )
    finally:
        progress.close()
    if result.findings and as_json:
        report.result(results.dumps(results.findings_document(result.findings)).rstrip("\n"))
        sys.exit(EXIT_FINDINGS)
    for finding in result.findings:
        report.problem(str(finding))
    if result.findings:
        report.problem(f"{len(result.findings)} finding(s): rendered/ was not changed")
        sys.exit(EXIT_FINDINGS)
    summary = {"files": result.count, "clusters": list(result.clusters)}
    if check:
        stale = pipeline.stale_files(repo, result)
        if as_json:
            report.result(results.dumps({"ok": not stale, **summary, "stale": stale}).rstrip())
        for line in [] if as_json else stale:
            report.result(line)
        if stale:
            report.problem(
                f"rendered/ is stale ({len(stale)} file(s)); "
                "run 'generator render' and commit the result"
            )
            sys.exit(EXIT_FINDINGS)
        if not as_json:
            report.outcome(f"rendered/ is up to date ({result.count} files)")
        return
    changes = pipeline.write(repo, result)
    if shard:
        sharding.mark(repo / "rendered", index, count)
    if as_json:
        listed = {k: [str(p) for p in v] for k, v in changes.by_kind().items()}
        report.result(results.dumps({"ok": True, **summary, **listed}).rstrip())
    else:
        report.outcome(
            f"rendered {result.count} files for {len(result.clusters)} cluster(s): {changes}"
        )
    report.debug(result.timings_text())
    if "engine:helm" in result.timings:
        from generator.engines.helm import helm_backend

        report.debug(f"helm backend: {helm_backend()}")


@cli.command(epilog=EPILOG)
@repo_option
@json_option
@click.pass_obj
def lint(report: Reporter, repo: Path, output_format: str) -> None:
    """Check the catalog against its schemas and references, without rendering.

    \b
    Examples:
      generator lint
      generator lint --repo path/to/platform --format json
    """
    from generator import pipeline, results

    counts, warnings = pipeline.lint(repo)
    if output_format == "json":
        report.result(results.dumps({"ok": True, **counts, "warnings": warnings}).rstrip())
        return
    for warning in warnings:  # values nothing reads: worth a look, not a failure
        report.problem(warning)
    report.outcome("catalog is valid: " + ", ".join(f"{n} {what}" for what, n in counts.items()))


@cli.group(epilog=EPILOG)
def new() -> None:
    """Start an operator or a tenant: writes its catalog file (and component), then renders.

    \b
    Examples:
      generator new operator 045-metrics-server --engine helm
      generator new tenant billing
    """


@new.command("operator", epilog=EPILOG)
@repo_option
@click.argument("name", metavar="NNN-NAME")
@click.option(
    "--engine",
    type=click.Choice(["plain", "jinja", "jsonnet", "helm"]),
    default="jinja",
    show_default=True,
    help="How charts/<name>/ is rendered.",
)
@click.option("--no-render", is_flag=True, help="Only write the files.")
@click.pass_obj
def new_operator(report: Reporter, repo: Path, name: str, engine: str, no_render: bool) -> None:
    """Write catalog/operators/NNN-NAME.yaml and a working charts/NAME/ for the engine.

    \b
    Examples:
      generator new operator 045-metrics-server --engine helm
      generator new operator 090-backup --engine jsonnet --no-render
    """
    from generator import new as scaffold

    written = scaffold.new_operator(repo, name, engine)  # type: ignore[arg-type]
    _after_new(report, repo, written, no_render)


@new.command("tenant", epilog=EPILOG)
@repo_option
@click.argument("name")
@click.option("--no-render", is_flag=True, help="Only write the file.")
@click.pass_obj
def new_tenant(report: Reporter, repo: Path, name: str, no_render: bool) -> None:
    """Write catalog/tenants/NAME.yaml: a tenant confined to ns-NAME on every cluster.

    \b
    Examples:
      generator new tenant billing
      generator new tenant billing --repo path/to/platform
    """
    from generator import new as scaffold

    _after_new(report, repo, scaffold.new_tenant(repo, name), no_render)


def _after_new(report: Reporter, repo: Path, written: list[Any], no_render: bool) -> None:
    from generator import pipeline

    for relpath in written:
        report.result(f"wrote {relpath}")
    if no_render:
        return
    result = pipeline.render_all(repo)
    for finding in result.findings:
        report.problem(str(finding))
    if result.findings:
        report.problem(f"{len(result.findings)} finding(s): rendered/ was not changed")
        sys.exit(EXIT_FINDINGS)
    changes = pipeline.write(repo, result)
    report.outcome(
        f"rendered {len(result.files)} files for {len(result.clusters)} cluster(s): {changes}"
    )


@cli.command("list", epilog=EPILOG)
@repo_option
@click.argument("what", type=click.Choice(["clusters", "operators", "tenants", "units"]))
@click.option("--cluster", metavar="NAME", help="Only what runs on this cluster.")
@json_option
@click.pass_obj
def list_(report: Reporter, repo: Path, what: str, cluster: str | None, output_format: str) -> None:
    """What runs where: clusters, operators, tenants, or units (one per cluster and operator
    or tenant), with engine, namespace and catalog file.

    \b
    Examples:
      generator list units --cluster eks-prod
      generator list operators --format json
    """
    from generator import listing

    rows = listing.listed(repo, what, cluster)  # type: ignore[arg-type]
    report.result(
        (listing.as_json(rows) if output_format == "json" else listing.as_table(rows)).rstrip("\n")
    )


@cli.command(epilog=EPILOG)
@repo_option
@format_option("markdown for a pull request")
@click.pass_obj
def versions(report: Reporter, repo: Path, output_format: str) -> None:
    """Every operator's pinned versions and image tags per environment, in promotion order.

    A cell differing from the environment before it is marked (*, or bold in Markdown);
    clusters that differ from their environment follow in parentheses.

    \b
    Examples:
      generator versions
      generator versions --format markdown
    """
    from generator.promotion.report import versions as versions_report

    report.result(versions_report(repo, output_format))


@cli.command(epilog=EPILOG)
@click.argument("operator", required=False)
@repo_option
@click.option(
    "--from", "source", help="Environment to promote from (default: the one before --to)."
)
@click.option("--to", "target", required=True, help="Environment whose file gets the versions.")
@click.option("--all-pending", is_flag=True, help="Promote every operator whose versions differ.")
@click.option("--skip", is_flag=True, help="Allow promoting past an environment in between.")
@click.option("--dry-run", is_flag=True, help="Print the catalog diff; write and render nothing.")
@click.pass_obj
def promote(
    report: Reporter,
    operator: str | None,
    repo: Path,
    source: str | None,
    target: str,
    all_pending: bool,
    skip: bool,
    dry_run: bool,
) -> None:
    """Write OPERATOR's pinned versions of one environment into the next one's file, and render.

    \b
    Examples:
      generator promote grafana --to prod
      generator promote --all-pending --from dev --to staging --dry-run
    """
    from generator.catalog import load_catalog
    from generator.promotion.promote import apply_promotion, plan_promotion

    if bool(operator) == all_pending:
        raise click.UsageError("name one OPERATOR or pass --all-pending")
    plan = plan_promotion(
        repo, load_catalog(repo), [operator] if operator else [], target, source, skip
    )
    for c in plan.changes:
        report.info(f"{c.operator}: {'.'.join(c.path)}: {c.old or '(unset)'} → {c.new}")
    if not plan.changes:
        report.info(f"nothing to promote: {plan.target} already runs {plan.source}'s versions")
    elif dry_run:
        report.result(plan.diff().rstrip("\n"))
    else:
        for cluster, lines in sorted(apply_promotion(repo, plan).items()):
            report.result(f"{cluster}:\n" + "\n".join(f"  {line}" for line in lines))
        report.info(f"promoted {plan.source} → {plan.target} in {plan.path}")


@cli.command(epilog=EPILOG)
@click.argument("unit", metavar="CLUSTER/UNIT")
@click.argument("obj", metavar="KIND/NAME")
@click.argument("field", metavar="[FIELD-PATH]", required=False)
@repo_option
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def explain(
    report: Reporter, unit: str, obj: str, field: str | None, repo: Path, output_format: str
) -> None:
    """Where each field of a rendered object came from: template, catalog layer and line
    (through ${...} references), and every overlay step that changed it.

    \b
    Examples:
      generator explain eks-prod/payments ResourceQuota/tenant-quota spec.hard.requests.cpu
      generator explain eks-prod/cert-manager Deployment/cert-manager-webhook spec.replicas
      generator explain kind-local/gateway Deployment/envoy-gateway --format json
    """
    from generator.provenance.explain import explain as explain_object
    from generator.provenance.explain import render_explanation

    report.result(render_explanation(explain_object(repo, unit, obj, field), output_format))


@cli.command(epilog=EPILOG)
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--here",
    is_flag=True,
    help="In a copy of the generator's repository: delete the example platform (catalog/, "
    "charts/, overlays/, rendered/) and write the starter platform in its place.",
)
@click.option("--force", is_flag=True, help="Overwrite existing files; replace any platform.")
@click.pass_obj
def init(report: Reporter, directory: Path, here: bool, force: bool) -> None:
    """Start a platform: a catalog with a cluster, an operator and a tenant, ready to render.

    Without --here, DIRECTORY (created if needed) also gets a Makefile, requirements.txt,
    README.md, .gitignore, .pre-commit-config.yaml and .github/workflows/render-diff.yml.

    \b
    Examples:
      generator init my-platform && cd my-platform && make render
      generator init --here             # in a fork of the generator's repository
    """
    from generator import scaffold

    if here:
        removed, written = scaffold.init_here(directory, force=force)
        if removed:
            report.result(f"removed the example platform: {', '.join(f + '/' for f in removed)}")
    else:
        written = scaffold.init_repository(directory, force=force)
    report.result(f"wrote {len(written)} files in {directory}/:")
    for path in written:
        report.result(f"  {path}")
    report.info("next: make render, then commit catalog/, charts/ and rendered/")


@cli.command(epilog=EPILOG)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
def kustomize(report: Reporter, directory: Path) -> None:
    """Build a kustomization directory and print the YAML stream, like `kustomize build`.

    DIRECTORY holds a standalone kustomization: everything it builds comes from its own
    resources, components and generators. The folders under overlays/ are not standalone:
    their base is the rendered components, so `generator render` applies them.

    \b
    Examples:
      generator kustomize tests/kustomize/cases/images-name-tag-digest
      generator kustomize tests/kustomize/cases/labels-include-templates > out.yaml
    """
    from generator.overlays import kustomize_stream

    warnings: list[str] = []
    text = kustomize_stream(directory, Path.cwd(), warnings)
    for warning in warnings:
        report.problem(f"warning: {warning}")
    click.echo(text, nl=False)


@cli.command(epilog=EPILOG)
@repo_option
@click.argument("cluster")
@click.argument("unit", required=False)
@click.pass_obj
def build(report: Reporter, repo: Path, cluster: str, unit: str | None) -> None:
    """Print a unit's final objects after every overlay layer, like `kustomize build`.

    UNIT is an operator (without its number) or a tenant of CLUSTER; without it, every unit
    of the cluster is printed in turn. Nothing is validated or written to rendered/.

    \b
    Examples:
      generator build eks-prod cert-manager
      generator build eks-prod tenants/payments > payments.yaml
    """
    from generator.overlays.unitbuild import unit_stream

    click.echo(unit_stream(repo, cluster, unit), nl=False)


@cli.command(epilog=EPILOG)
@repo_option
@click.option(
    "--base",
    required=True,
    metavar="REF",
    help="Git revision to compare against, e.g. origin/main.",
)
@click.option("--head", metavar="REF", help="Git revision to compare [default: the working tree].")
@click.option(
    "--render",
    "fresh",
    is_flag=True,
    help="Render both revisions from their catalogs in temporary worktrees instead of reading "
    "their committed rendered/ (catches a stale rendered/).",
)
@format_option("markdown for a pull-request comment")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are changes.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of stdout.",
)
@click.pass_obj
def diff(
    report: Reporter,
    repo: Path,
    base: str,
    head: str | None,
    fresh: bool,
    output_format: str,
    exit_zero: bool,
    output: Path | None,
) -> None:
    """Show what changes in rendered/ between two git revisions, resource by resource.

    \b
    Examples:
      generator diff --base origin/main                 # committed base vs working tree
      generator diff --base main --head feature --render
      generator diff --base origin/main --format markdown --output comment.md
    """
    from generator.diff import as_json, diff_revisions, markdown, text

    comparison = diff_revisions(repo, base, head, render=fresh)
    color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    if output_format == "markdown":
        rendered = markdown(comparison)
    else:
        rendered = as_json(comparison) if output_format == "json" else text(comparison, color=color)
    if output is not None:
        try:
            output.write_text(rendered, encoding="utf-8")
        except OSError as e:
            raise GeneratorError(
                f"cannot write '{output}': {e.strerror}",
                hint="pass --output a file in an existing, writable folder",
            ) from e
    else:
        click.echo(rendered, nl=False, color=color)
    if comparison.report and not exit_zero:
        sys.exit(EXIT_FINDINGS)


def live_options(function: Any) -> Any:
    """--context, --kubeconfig and --request-timeout, as kubectl spells them."""
    function = click.option(
        "--request-timeout",
        "timeout",
        type=click.FloatRange(min=0.1),
        default=30.0,
        show_default=True,
        metavar="SECONDS",
        help="Give up on an API request after this long.",
    )(function)
    function = click.option(
        "--kubeconfig",
        type=click.Path(dir_okay=False),
        help="Kubeconfig file [default: KUBECONFIG (several files allowed), "
        "else ~/.kube/config, else in-cluster].",
    )(function)
    return click.option(
        "--context", metavar="NAME", help="Kube context [default: the current context]."
    )(function)


@cli.command(epilog=EPILOG)
@repo_option
@click.argument("cluster")
@live_options
@click.option(
    "--dry-run",
    is_flag=True,
    help="Ask the API server for a dry run and show the result; change nothing.",
)
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option(
    "--allow-server-mismatch",
    is_flag=True,
    help="Proceed although the context's server differs from the catalog's apiServer.",
)
@click.pass_obj
def bootstrap(
    report: Reporter,
    repo: Path,
    cluster: str,
    context: str | None,
    kubeconfig: str | None,
    timeout: float,
    dry_run: bool,
    yes: bool,
    allow_server_mismatch: bool,
) -> None:
    """Hand a cluster to GitOps: server-side apply rendered/<CLUSTER>/bootstrap/.

    \b
    Examples:
      generator bootstrap kind-local --dry-run
      generator bootstrap kind-local --context kind-kind-local --yes
    """
    from generator.live import commands

    where = commands.target(
        repo,
        cluster,
        context=context,
        kubeconfig=kubeconfig,
        allow_server_mismatch=allow_server_mismatch,
        bootstrap=True,
    )
    folder, manifests, plan = commands.bootstrap_plan(repo, where, timeout=timeout)
    report.result(
        f"{folder}/ → context '{where.context.name}' ({where.context.server}):\n"
        + commands.format_plan(plan)
    )
    if not plan.pending:
        report.result(f"nothing to do: all {len(plan.changes)} object(s) already match {folder}/")
        return
    if dry_run:
        report.result(
            f"dry run: the API server accepted all {len(plan.changes)} object(s); "
            "nothing was changed"
        )
        return
    if not yes:
        if not sys.stdin.isatty():  # a script or CI job: nobody can answer
            raise GeneratorError(
                f"bootstrap would apply {len(plan.pending)} object(s) and needs confirmation, "
                "but standard input is not a terminal",
                hint="pass --yes to apply without asking, or --dry-run to only show the plan",
            )
        if not click.confirm(f"apply {len(plan.pending)} object(s)?", err=True):
            report.result("cancelled: nothing was applied")
            sys.exit(1)
    try:
        commands.bootstrap_apply(
            where,
            manifests,
            plan,
            timeout=timeout,
            on_applied=lambda c: report.info(f"applied {c.key}"),
        )
    except KeyboardInterrupt:
        report.problem(
            "interrupted: the objects listed as applied were applied; run bootstrap again to finish"
        )
        sys.exit(130)
    report.result(f"applied {len(plan.pending)} object(s) with field manager 'platform-generator'")


DRIFT_EPILOG = """\b
Exit codes: 0 in sync; 1 drift (missing, changed or orphaned objects);
2 bad input, usage or an API error;
3 internal error (a bug: please report it with the traceback)."""


@cli.command(epilog=DRIFT_EPILOG)
@repo_option
@click.argument("cluster")
@live_options
@format_option("markdown for an issue or PR")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=256),
    default=16,
    show_default=True,
    help="API requests in flight at most.",
)
@click.option(
    "--allow-server-mismatch",
    is_flag=True,
    help="Proceed although the context's server differs from the catalog's apiServer.",
)
@click.pass_obj
def drift(
    report: Reporter,
    repo: Path,
    cluster: str,
    context: str | None,
    kubeconfig: str | None,
    timeout: float,
    output_format: str,
    concurrency: int,
    allow_server_mismatch: bool,
) -> None:
    """Compare the live cluster with rendered/<CLUSTER>/: missing, changed and orphaned objects.

    \b
    Examples:
      generator drift kind-local
      generator drift eks-prod --context prod-admin --format markdown
    """
    from generator.live import commands
    from generator.live.drift import format_report

    where = commands.target(
        repo,
        cluster,
        context=context,
        kubeconfig=kubeconfig,
        allow_server_mismatch=allow_server_mismatch,
    )
    result = commands.drift(repo, where, timeout=timeout, concurrency=concurrency)
    report.result(format_report(result, output_format))  # type: ignore[arg-type]
    if not result.in_sync:
        sys.exit(EXIT_FINDINGS)


def _validate_class() -> type[click.Command]:
    from generator.validate.flags import KubeconformCommand

    return KubeconformCommand


@cli.command(cls=_validate_class(), epilog=EPILOG)
@click.argument("paths", nargs=-1, metavar="[FILE|DIR|-]...")
@click.option("--strict", is_flag=True, help="Strict schemas; duplicate keys are errors.")
@click.option("--summary", is_flag=True, help="Print a summary line.")
@click.option("--verbose", is_flag=True, help="Also list valid and skipped resources.")
@click.option(
    "--output", "-o", default="text", show_default=True, metavar="json|junit|pretty|tap|text",
    help="Output format.",
)  # fmt: skip
@click.option(
    "--kubernetes-version", default="master", show_default=True, metavar="X.Y.Z",
    help="Kubernetes version to validate against (master = newest bundled).",
)  # fmt: skip
@click.option(
    "--schema-location", multiple=True, metavar="LOC",
    help="Schema folder, URL or template, tried in order (repeatable; 'default' = bundled).",
)  # fmt: skip
@click.option("--skip", default="", metavar="KINDS", help="Kinds or apiVersion/kinds to skip.")
@click.option("--reject", default="", metavar="KINDS", help="Kinds or apiVersion/kinds to reject.")
@click.option("--ignore-missing-schemas", is_flag=True, help="Skip resources without a schema.")
@click.option(
    "--ignore-filename-pattern", multiple=True, metavar="RE",
    help="Regular expression of file paths to ignore (repeatable).",
)  # fmt: skip
@click.option("-n", "n", type=int, default=4, show_default=True, help="Worker processes (<= CPUs).")
@click.option("--cache", metavar="DIR", help="Existing folder for schemas fetched over HTTP.")
@click.option("--exit-on-error", is_flag=True, help="Stop after the first failing resource.")
@click.option("--insecure-skip-tls-verify", is_flag=True, help="Skip TLS checks for HTTP schemas.")
@click.option("--debug", is_flag=True, hidden=True, help="Accepted for kubeconform; no effect.")
@click.option("-v", "show_version", is_flag=True, help="Print the version and exit.")
@click.option(
    "--no-extensions", is_flag=True,
    help="kubeconform parity: no schemas from CRDs among the inputs or from schemas/crds/.",
)  # fmt: skip
@click.option(
    "--policies", is_flag=True,
    help="Also check the platform policies that need no catalog (reported as invalid).",
)  # fmt: skip
@click.option(
    "--no-verdict-cache", is_flag=True,
    help="Do not reuse verdicts of unchanged documents from .generator-cache/validate/.",
)  # fmt: skip
@click.option(
    "--engine", type=click.Choice(["generator", "kubeconform"]), default="generator",
    show_default=True, help="kubeconform: hand the same files and flags to a kubeconform binary.",
)  # fmt: skip
def validate(**params: Any) -> None:
    """Validate Kubernetes manifests like kubeconform (same flags, output and exit codes).

    \b
    Examples:
      generator validate -summary rendered/
      generator validate -strict -kubernetes-version 1.31.0 -output json manifests/
      cat app.yaml | generator validate -
    """
    from generator.validate import command

    if params["show_version"]:
        click.echo(command.version_text())
        return
    if params["engine"] == "kubeconform":
        sys.exit(command.handoff(command.kubeconform_argv(params)))
    text, code = command.execute(command.build_request(params, Path(".")))
    click.echo(text, nl=False, color=params["output"] == "pretty")
    sys.exit(code)


@cli.group(epilog=EPILOG)
def schemas() -> None:
    """JSON schemas for validation.

    \b
    Examples:
      generator schemas pull --context kind-kind-local     # CRD schemas into schemas/crds/
    """


@schemas.command("pull", epilog=EPILOG)
@repo_option
@live_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for {group}/{kind}_{version}.json files [default: REPO/schemas/crds].",
)
@click.option("--force", is_flag=True, help="Replace schema files whose content differs.")
@click.pass_obj
def schemas_pull(
    report: Reporter,
    repo: Path,
    context: str | None,
    kubeconfig: str | None,
    timeout: float,
    out: Path | None,
    force: bool,
) -> None:
    """Write a JSON schema for every version of every CRD the cluster serves, into the
    repository's own schemas/crds/ (they add to the schemas shipped with the generator).

    \b
    Examples:
      generator schemas pull --context kind-kind-local
      generator schemas pull --out schemas/crds --force
    """
    from generator.live import commands

    folder = out if out is not None else repo / "schemas" / "crds"
    name, written = commands.schemas_pull(
        folder, context=context, kubeconfig=kubeconfig, timeout=timeout, force=force
    )
    for relpath in written.added:
        report.result(f"added {relpath}")
    for relpath in written.replaced:
        report.result(f"replaced {relpath}")
    count = len(written.added) + len(written.replaced) + written.unchanged
    report.result(
        f"{count} schema file(s) from context '{name}' in {folder}/: {len(written.added)} added, "
        f"{len(written.replaced)} replaced, {written.unchanged} unchanged"
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: GeneratorError → exit 2 with its message, any other exception → exit 3."""
    try:
        cli.main(args=argv, prog_name="generator", standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(EXIT_BAD_INPUT)
    except click.Abort:  # Ctrl-C, or "no" at a confirmation
        click.echo("aborted", err=True)
        sys.exit(130)
    except GeneratorError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        click.echo("aborted", err=True)
        sys.exit(130)
    except Exception:
        import traceback

        click.echo("internal error (a bug in the generator; please report it):", err=True)
        click.echo(traceback.format_exc(), err=True)
        sys.exit(EXIT_BUG)
