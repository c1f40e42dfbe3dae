{{/*
Helpers of the databricks-scim-operator chart. Object names, namespaces and
the selector labels equal config/default's; the chart adds the labels in
"dso.labels" (and commonLabels/commonAnnotations) to every object.
*/}}

{{/* The object name: namePrefix + the config/ base name. */}}
{{- define "dso.name" -}}
{{- printf "%s%s" .root.Values.namePrefix .name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* The namespace of the token Secrets and the leader-election Lease. */}}
{{- define "dso.secretNamespace" -}}
{{- .Values.secretNamespace | default .Release.Namespace -}}
{{- end }}

{{/* helm.sh/chart label value. */}}
{{- define "dso.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* Labels of every object. */}}
{{- define "dso.labels" -}}
helm.sh/chart: {{ include "dso.chart" . }}
app.kubernetes.io/name: databricks-scim-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of the manager pods (as config/manager; immutable). */}}
{{- define "dso.selectorLabels" -}}
control-plane: controller-manager
app.kubernetes.io/name: databricks-scim-operator
{{- end }}

{{/*
metadata of an object: name, namespace (when given), labels and annotations.
Call with (dict "root" $ "name" "controller-manager" "namespace" "..." "labels" (dict ...)).
*/}}
{{- define "dso.metadata" -}}
metadata:
  name: {{ include "dso.name" . }}
  {{- with .namespace }}
  namespace: {{ . }}
  {{- end }}
  labels:
    {{- include "dso.labels" .root | nindent 4 }}
    {{- with .labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .root.Values.commonAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* The manager image reference. */}}
{{- define "dso.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}

{{/* The ServiceAccount subject of the manager's bindings. */}}
{{- define "dso.subject" -}}
- kind: ServiceAccount
  name: {{ include "dso.name" (dict "root" . "name" "controller-manager") }}
  namespace: {{ .Release.Namespace }}
{{- end }}
