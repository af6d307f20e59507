"""Benchmark: milliseconds per Helm chart render (median), for the example platform's charts on
every cluster and for a synthetic chart of 200 objects; plus the one-off backend start-up."""

from __future__ import annotations

import dataclasses
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from generator.catalog import load_catalog  # noqa: E402
from generator.engines import helm  # noqa: E402
from generator.merge import resolve_units  # noqa: E402
from generator.model import Component, Origin  # noqa: E402

RUNS = 30

SYNTHETIC_TEMPLATE = """\
{{- range $i := until (int .Values.count) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ printf "settings-%03d" $i }}
  labels:
    {{- include "synthetic.labels" $ | nindent 4 }}
data:
  index: {{ $i | quote }}
  zone: {{ $.Values.dns.zone }}
{{- end }}
"""


def median_ms(action, runs: int = RUNS) -> float:
    action()  # warm: library loaded, files cached by the OS
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def startup_ms() -> float:
    """First render in a fresh process minus the same process's second render: loading the
    backend (the SDK's shared library) and parsing the CRDs the first time."""
    code = (
        "import time, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "from generator.catalog import load_catalog; from generator.merge import resolve_units;"
        "from generator.engines import helm; r = Path(sys.argv[1]);"
        "u = next(u for u in resolve_units(load_catalog(r)) if u.name == 'keda');"
        "t = time.perf_counter(); helm.render(u, r); a = time.perf_counter() - t;"
        "t = time.perf_counter(); helm.render(u, r); b = time.perf_counter() - t;"
        "print((a - b) * 1000)"
    )
    values = [
        float(subprocess.check_output([sys.executable, "-c", code, str(REPO)])) for _ in range(5)
    ]
    return statistics.median(values)


def main() -> None:
    print(f"backend: {helm.helm_backend()}")
    units = [u for u in resolve_units(load_catalog(REPO)) if u.component.engine == "helm"]
    per_chart: dict[str, list[float]] = {}
    for unit in units:
        ms = median_ms(lambda unit=unit: helm.render(unit, REPO))
        objects = len(helm.render(unit, REPO))
        per_chart.setdefault(unit.name, []).append(ms)
        print(
            f"{unit.cluster.name:>16} {unit.name:<18} {objects:4d} objects  {ms:7.2f} ms/render "
            f"(median of {RUNS})"
        )
    for chart, times in sorted(per_chart.items()):
        print(f"chart {chart}: {statistics.median(times):.2f} ms per render (median over clusters)")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "charts/synthetic"
        (folder / "templates").mkdir(parents=True)
        (folder / "Chart.yaml").write_text("apiVersion: v2\nname: synthetic\nversion: 1.0.0\n")
        (folder / "values.yaml").write_text("count: 200\n")
        (folder / "templates/_helpers.tpl").write_text(
            '{{- define "synthetic.labels" -}}\napp.kubernetes.io/name: synthetic\n'
            "app.kubernetes.io/instance: {{ .Release.Name }}\n{{- end -}}\n"
        )
        (folder / "templates/configmaps.yaml").write_text(SYNTHETIC_TEMPLATE)
        path = PurePosixPath("charts/synthetic")
        # A chart sees only its operator's block: hand it the zone as `dns: ${values.dns}` would.
        unit = dataclasses.replace(
            units[0],
            component=Component("synthetic", "helm", path, Origin(path)),
            values={"dns": units[0].context["values"]["dns"]},
        )
        ms = median_ms(lambda: helm.render(unit, Path(tmp)), runs=10)
        print(
            f"synthetic chart, 200 objects: {ms:.2f} ms per render ({ms / 200 * 1000:.0f} µs per "
            "object)"
        )
    print(f"backend start-up (first render in a process, extra): {startup_ms():.0f} ms")


if __name__ == "__main__":
    main()
