"""Attention rules for container images: new images, changed tags or digests, and images that
now come from another registry."""

from __future__ import annotations

from collections.abc import Iterator

from generator.diff.compare import Change
from generator.diff.rules.context import Hit, Rule, RuleContext, images


def registry(image: str) -> str:
    """The registry host of an image reference; Docker Hub when the first part is no host."""
    first, slash, _ = image.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def repository(image: str) -> str:
    name = image.split("@", 1)[0]
    head, colon, tag = name.rpartition(":")
    return head if colon and "/" not in tag else name


def image_change(old: str, new: str) -> str:
    """`repo:old → new` when only the tag or digest moved, else both images in full."""
    for separator in ("@", ":"):
        old_repo, _, old_tag = old.rpartition(separator)
        new_repo, _, new_tag = new.rpartition(separator)
        if old_repo and old_repo == new_repo and "/" not in old_tag:
            return f"`{old_repo}{separator}{old_tag}` → `{new_tag}`"
    return f"`{old}` → `{new}`"


def _pairs(context: RuleContext) -> Iterator[tuple[Change, str, str | None, str]]:
    """(change, container, old image or None, new image) for every new or changed image."""
    for change in context.report.changes:
        if change.new is None or context.in_added_cluster(change):
            continue
        before = images(change.old.body) if change.old is not None else {}
        for container, image in images(change.new.body).items():
            old_image = before.get(container)
            if old_image != image:
                yield change, container.rpartition("/")[2], old_image, image


def changed_registry(context: RuleContext) -> Iterator[Hit]:
    for change, container, old, new in _pairs(context):
        if old is not None and registry(old) != registry(new):
            yield context.hit(
                change,
                f"`{change.key}` container `{container}`: registry `{registry(old)}` → "
                f"`{registry(new)}` (`{old}` → `{new}`)",
            )


def new_or_changed(context: RuleContext) -> Iterator[Hit]:
    for change, container, old, new in _pairs(context):
        if old is None:
            message = f"new image `{new}`"
        elif registry(old) == registry(new):
            message = image_change(old, new)
        else:
            continue  # image-registry says it
        yield context.hit(change, f"`{change.key}` container `{container}`: {message}")


RULES = (
    Rule(
        "image-registry",
        "high",
        "Images from another registry",
        "An image pulled from a different registry is a different supply chain: check that "
        "the registry is trusted, mirrored and reachable from the cluster.",
        changed_registry,
    ),
    Rule(
        "image",
        "medium",
        "New and changed images",
        "Every new container image and every changed tag or digest is new code running on the "
        "cluster.",
        new_or_changed,
    ),
)
