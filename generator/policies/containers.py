"""Containers of every pod spec → violations of image-pinned and container-resources."""

from __future__ import annotations

from collections.abc import Iterator

from generator.policies.pods import all_containers, pod_specs
from generator.policies.rule import Check, Rule, Scope, Subject, Violation, is_mapping


def _images(subject: Subject) -> Iterator[Violation]:
    for pod in pod_specs(subject):
        for _, container in all_containers(pod):
            image = str(container.get("image", ""))
            problem = _image_problem(image)
            if problem:
                yield (
                    f"container '{container.get('name', '?')}' image '{image}' {problem}",
                    "pin the image to a version tag or a digest (name:1.2.3 or name@sha256:...)",
                )


def _image_problem(image: str) -> str:
    if not image:
        return "is empty"
    if "@" in image:
        return ""
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the 'latest' tag"
    return ""


def _resources(subject: Subject) -> Iterator[Violation]:
    for pod in pod_specs(subject):
        for field, container in all_containers(pod):
            if field == "ephemeralContainers":
                continue  # ephemeral containers may not set resources
            resources = container.get("resources")
            resources = resources if is_mapping(resources) else {}
            missing = [k for k in ("requests", "limits") if not resources.get(k)]
            if missing:
                yield (
                    f"container '{container.get('name', '?')}' declares no resource "
                    f"{' or '.join(missing)}",
                    "set resources.requests and resources.limits (cpu and memory) for it",
                )


RULES = (
    Rule(
        "image-pinned",
        "container images carry a tag other than latest, or a digest",
        (Check(Scope.OBJECT, _images),),
    ),
    Rule(
        "container-resources",
        "containers declare resource requests and limits",
        (Check(Scope.OBJECT, _resources),),
    ),
)
