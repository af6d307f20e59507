{{/* Names, labels and images shared by the operator, metrics server and webhooks. */}}

{{- define "keda.version" -}}
{{- .Values.imageTag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "keda.image" -}}
{{- printf "%s/kedacore/%s:%s" .root.Values.registry .name (include "keda.version" .root) -}}
{{- end -}}

{{/* Labels for one component: include "keda.labels" (dict "root" . "component" "operator") */}}
{{- define "keda.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "keda-%s" .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "keda.labels" -}}
{{ include "keda.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: keda
app.kubernetes.io/version: {{ include "keda.version" .root | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "keda.zapLevel" -}}
{{- get (dict "debug" "debug" "info" "info" "warn" "info" "error" "error") (.Values.logLevel | default "info") -}}
{{- end -}}

{{/* Pod-level settings every KEDA deployment shares. */}}
{{- define "keda.podSpec" -}}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{- define "keda.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}
