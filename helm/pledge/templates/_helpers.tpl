{{/* Names and labels shared by every template. */}}
{{- define "pledge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "pledge.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "pledge.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "pledge.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "pledge.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "pledge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "pledge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pledge.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "pledge.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "pledge.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create -}}
{{- default (printf "%s-operator" (include "pledge.fullname" .)) .Values.operator.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.operator.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "pledge.api.serviceAccountName" -}}
{{- if .Values.api.serviceAccount.create -}}
{{- default (printf "%s-api" (include "pledge.fullname" .)) .Values.api.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.api.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Least privilege for the operator: what kopf watches and patches, the rule objects, Events. */}}
{{- define "pledge.operator.rules" -}}
- apiGroups: [pledge.dev]
  resources: [servicelevelagreements]
  verbs: [get, list, watch, patch]
- apiGroups: [pledge.dev]
  resources: [servicelevelagreements/status]
  verbs: [patch]
{{- if eq .Values.operator.output "prometheusrule" }}
- apiGroups: [monitoring.coreos.com]
  resources: [prometheusrules]
  verbs: [get, list, watch, create, patch]
{{- else }}
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, patch]
{{- end }}
- apiGroups: [pledge.dev]
  resources: [slarevisions]
  verbs: [get, list, create]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
{{- end -}}

{{- define "pledge.api.rules" -}}
- apiGroups: [pledge.dev]
  resources: [servicelevelagreements]
  verbs: [get, list, watch]
- apiGroups: [pledge.dev]
  resources: [slarevisions]
  verbs: [list]
{{- end -}}

{{/* ruleLabels as the operator's PLEDGE_RULE_LABELS: k=v,k2=v2 in key order. */}}
{{- define "pledge.ruleLabels" -}}
{{- $pairs := list -}}
{{- range $key := keys .Values.operator.ruleLabels | sortAlpha -}}
{{- $pairs = append $pairs (printf "%s=%s" $key (index $.Values.operator.ruleLabels $key)) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}
