{{/* Names, labels and the image reference shared by every template. */}}

{{- define "external-secrets.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "external-secrets.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "external-secrets.labels" -}}
{{ include "external-secrets.selectorLabels" . }}
app.kubernetes.io/version: {{ include "external-secrets.version" . | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "external-secrets.version" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "external-secrets.image" -}}
{{- printf "%s/%s:%s" .Values.registry .Values.image.repository (include "external-secrets.version" .) -}}
{{- end -}}

{{/* The secret backend: "auto" picks AWS Secrets Manager on clusters with aws.region. */}}
{{- define "external-secrets.backend" -}}
{{- $backend := .Values.store.backend -}}
{{- if eq $backend "auto" -}}
{{- $backend = ternary "aws" "vault" (and (hasKey .Values "aws") (hasKey (.Values.aws | default dict) "region")) -}}
{{- end -}}
{{- $backend -}}
{{- end -}}
