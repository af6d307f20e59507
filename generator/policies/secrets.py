"""Secret objects → violations of no-plaintext-secrets: a Secret's values are SOPS-encrypted,
and an ExternalSecret template copies no literal into the Secret it makes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from generator.policies.rule import Check, Rule, Scope, Subject, Violation
from generator.secrets import plaintext, sops_problem


def _plaintext(subject: Subject) -> Iterator[Violation]:
    # generator.secrets decides what a Secret is: `kind` in any letter case, items of any
    # *List, objects kept in the last-applied-configuration annotation.
    yield from _secret(subject.body)
    if subject.manifest.kind.lower() in ("externalsecret", "clusterexternalsecret"):
        yield from _external_secret(subject.body)


def _secret(body: Mapping[str, Any]) -> Iterator[Violation]:
    found = plaintext(body)
    if not found:
        return
    # A sops block proves nothing about the values: one added after encryption, one kept
    # plain by an encrypted_regex, or a block written by hand is plaintext all the same.
    problem = sops_problem(body) if "sops" in body else ""
    what = "SOPS-encrypted Secret" if "sops" in body and not problem else "Secret"
    by_field: dict[str, list[str]] = defaultdict(list)
    for value in found:
        by_field[f"{value.prefix}{value.field}"].extend(() if value.key is None else [value.key])
    for field, keys in by_field.items():
        named = f" ({', '.join(f'{k!r}' for k in sorted(keys))})" if keys else ""
        yield (
            f"{what} carries plaintext {field}{named}" + (f": {problem}" if problem else ""),
            "encrypt every value with SOPS, or render an ExternalSecret or SealedSecret "
            "instead; this rule cannot be waived",
        )


def _external_secret(body: Mapping[str, Any]) -> Iterator[Violation]:
    spec = body.get("spec")
    if isinstance(spec, Mapping) and str(body.get("kind")).lower() == "clusterexternalsecret":
        spec = spec.get("externalSecretSpec")
    target = spec.get("target") if isinstance(spec, Mapping) else None
    template = target.get("template") if isinstance(target, Mapping) else None
    if not isinstance(template, Mapping):
        return
    hint = (
        "take the value from the secret store: reference it as '{{ .<secretKey> }}' and "
        "list it under spec.data; this rule cannot be waived"
    )
    values = template.get("data")
    if isinstance(values, Mapping):
        # A template value without a template reference is copied into the Secret as it is.
        plain = sorted(str(k) for k, v in values.items() if "{{" not in str(v))
        if plain:
            keys = ", ".join(f"'{k}'" for k in plain)
            yield (f"ExternalSecret template carries plaintext data ({keys})", hint)
    for index, source in enumerate(template.get("templateFrom") or (), 1):
        literal = source.get("literal") if isinstance(source, Mapping) else None
        if literal is not None and "{{" not in str(literal):
            yield (f"ExternalSecret templateFrom {index} carries a plaintext literal", hint)


RULES = (
    Rule(
        "no-plaintext-secrets",
        "Secrets are SOPS-encrypted or come from an operator",
        (Check(Scope.OBJECT, _plaintext),),
        "plaintext in rendered/ reaches Git and everyone who can read the repository",
        without_validation=True,
    ),
)
