"""What counts as a difference between a rendered object and its live twin."""

from __future__ import annotations

from generator.live.compare import ABSENT, FieldDiff, differences


def container(**extra: object) -> dict[str, object]:
    return {"name": "web", "image": "nginx:1.27.3", **extra}


def deployment(containers: list[dict[str, object]], **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": containers}}, **spec},
    }


def test_fields_the_server_defaults_inside_list_items_are_not_drift() -> None:
    live = deployment(
        [container(imagePullPolicy="IfNotPresent", terminationMessagePath="/dev/x")],
        revisionHistoryLimit=10,
    )
    assert differences(deployment([container()]), live) == []


def test_a_changed_list_item_names_its_index() -> None:
    live = deployment([container(image="nginx:1.25")])
    assert differences(deployment([container()]), live) == [
        FieldDiff("spec.template.spec.containers[0].image", "nginx:1.27.3", "nginx:1.25")
    ]


def test_a_list_of_another_length_is_one_difference() -> None:
    rendered = deployment([container(), container(name="sidecar")])
    live = deployment([container()])
    [found] = differences(rendered, live)
    assert found.path == "spec.template.spec.containers"


def test_quantities_compare_by_value_as_the_api_server_rewrites_them() -> None:
    rendered = deployment(
        [container(resources={"limits": {"cpu": 0.5, "memory": "1Gi"}, "requests": {"cpu": 1}})]
    )
    live = deployment(
        [
            container(
                resources={
                    "limits": {"cpu": "500m", "memory": "1073741824"},
                    "requests": {"cpu": "1"},
                }
            )
        ]
    )
    assert differences(rendered, live) == []
    live_bigger = deployment(
        [container(resources={"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "1"}})]
    )
    assert [d.path for d in differences(rendered, live_bigger)] == [
        "spec.template.spec.containers[0].resources.limits.cpu"
    ]


def test_a_string_is_not_a_boolean() -> None:
    rendered = {"data": {"enabled": "true"}, "spec": {"paused": True}}
    live = {"data": {"enabled": "true"}, "spec": {"paused": "true"}}
    assert differences(rendered, live) == [FieldDiff("spec.paused", True, "true")]


def test_an_empty_rendered_map_matches_an_absent_field_and_odd_keys_are_quoted() -> None:
    rendered = {"metadata": {"annotations": {}, "labels": {"app.kubernetes.io/name": "web"}}}
    live = {"metadata": {"labels": {"app.kubernetes.io/name": "api"}}}
    assert differences(rendered, live) == [
        FieldDiff('metadata.labels["app.kubernetes.io/name"]', "web", "api")
    ]


def test_status_and_server_metadata_are_ignored() -> None:
    rendered = {"metadata": {"name": "a", "resourceVersion": "1"}, "status": {"phase": "x"}}
    live = {"metadata": {"name": "a", "resourceVersion": "99"}, "status": {"phase": "y"}}
    assert differences(rendered, live) == []


def test_exact_comparison_also_reports_fields_only_the_live_object_has() -> None:
    assert differences({"spec": {"a": 1}}, {"spec": {"a": 1, "b": 2}}, exact=True) == [
        FieldDiff("spec.b", ABSENT, 2)
    ]


def test_secret_string_data_compares_as_base64_data_and_is_marked_secret() -> None:
    rendered = {"stringData": {"password": "hunter2"}}
    assert differences(rendered, {"data": {"password": "aHVudGVyMg=="}}, kind="Secret") == []
    [found] = differences(rendered, {"data": {"password": "b3RoZXI="}}, kind="Secret")
    assert (found.path, found.secret) == ("data.password", True)
