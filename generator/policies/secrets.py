"""Secret objects → violations of no-plaintext-secrets: a Secret's values are SOPS-encrypted,
and an ExternalSecret template copies no literal into the Secret it makes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.policies.rule import Check, Rule, Scope, Subject, Violation


def _plaintext(subject: Subject) -> Iterator[Violation]:
    # Lower-cased: under --no-validate no schema refuses `kind: secret`, and the API server
    # may still accept it through a tool that normalises kinds.
    kind = subject.manifest.kind.lower()
    if kind == "secret":
        yield from _secret(subject.body)
    elif kind in ("externalsecret", "clusterexternalsecret"):
        yield from _external_secret(subject.body)


def _is_encrypted(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("ENC[") and value.endswith("]")


def _secret(body: Mapping[str, Any]) -> Iterator[Violation]:
    sops = isinstance(body.get("sops"), Mapping)
    for field in ("data", "stringData"):
        values = body.get(field)
        if not isinstance(values, Mapping):
            continue
        # A sops block proves nothing about the values: one added after encryption, or kept
        # plain by an encrypted_regex, is plaintext all the same.
        plain = sorted(str(k) for k, v in values.items() if not (sops and _is_encrypted(v)))
        if plain:
            keys = ", ".join(f"'{k}'" for k in plain)
            what = "SOPS-encrypted Secret" if sops else "Secret"
            yield (
                f"{what} carries plaintext {field} ({keys})",
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
