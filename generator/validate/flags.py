"""argv in kubeconform's spelling (`-strict`, `-output=json`, `-summary=false`) → argv in
click's, and the click command class that applies it; kept free of heavy imports because
the CLI loads it at start-up."""

from __future__ import annotations

from collections.abc import Sequence

import click

# kubeconform's long flags, which Go lets users spell with one dash (-strict, -output=json).
LONG_FLAGS = frozenset(
    {
        "cache",
        "debug",
        "exit-on-error",
        "ignore-filename-pattern",
        "ignore-missing-schemas",
        "insecure-skip-tls-verify",
        "kubernetes-version",
        "output",
        "reject",
        "schema-location",
        "skip",
        "strict",
        "summary",
        "verbose",
    }
)
BOOL_FLAGS = frozenset(
    {
        "debug",
        "exit-on-error",
        "ignore-missing-schemas",
        "insecure-skip-tls-verify",
        "strict",
        "summary",
        "verbose",
    }
)
_GO_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})


def kubeconform_args(args: Sequence[str]) -> list[str]:
    """Go flag spellings → click's: `-strict` → `--strict`, `-output=json` → `--output=json`,
    `-n=2` → `-n 2`; a boolean's last spelling wins (`-summary -summary=false` is off);
    `--` ends the flags."""
    out: list[str] = []
    switches: dict[str, bool] = {}
    rest: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            rest = list(args[i:])
            break
        if not arg.startswith("-") or arg == "-":
            out.append(arg)
            continue
        name, equals, value = arg.lstrip("-").partition("=")
        if name in BOOL_FLAGS:
            switches[name] = not equals or value in _GO_TRUE
        elif name in LONG_FLAGS:
            out.append("--" + arg.lstrip("-"))
        elif name == "n" and equals:
            out.extend(["-n", value])
        else:
            out.append(arg)
    return ["--" + name for name, on in switches.items() if on] + out + rest


class KubeconformCommand(click.Command):
    """A click command that also parses kubeconform's single-dash long flags."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, kubeconform_args(args))
