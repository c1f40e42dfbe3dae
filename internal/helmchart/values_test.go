/*
Copyright 2026 The databricks-scim-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package helmchart

import (
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Every value of testdata/custom-values.yaml lands where it should.
func TestCustomValues(t *testing.T) {
	g := NewWithT(t)
	objs := render(t, Options{SkipCRDs: true, ValuesFiles: []string{filepath.Join("testdata", "custom-values.yaml")}})
	const secretNS = "databricks-secrets"

	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetKind()]++
		g.Expect(o.GetName()).To(HavePrefix("dbx-"), "namePrefix on %s", key(o))
		g.Expect(o.GetLabels()).To(HaveKeyWithValue("team", "platform"), "commonLabels on %s", key(o))
		g.Expect(o.GetAnnotations()).To(HaveKeyWithValue("owner", "platform@example.com"), "commonAnnotations on %s", key(o))
	}
	// rbac.userRoles=false leaves out the 12 admin/editor/viewer roles;
	// serviceMonitor, prometheusRule and networkPolicy are on.
	g.Expect(kinds).To(Equal(map[string]int{
		"ServiceAccount": 1, "ClusterRole": 3, "ClusterRoleBinding": 2, "Role": 2, "RoleBinding": 2,
		"Service": 1, "Deployment": 1, "ServiceMonitor": 1, "PrometheusRule": 1, "NetworkPolicy": 1,
	}))

	d := deployment(t, objs, "dbx-controller-manager")
	c := container(t, d)
	g.Expect(d.Object).To(HaveKeyWithValue("spec", HaveKeyWithValue("replicas", BeEquivalentTo(2))))
	g.Expect(c["image"]).To(Equal("registry.example.com/platform/databricks-scim-operator:0.1.0-custom"))
	g.Expect(c["imagePullPolicy"]).To(Equal("Always"))
	g.Expect(c["args"]).To(Equal([]any{
		"--metrics-bind-address=:9443",
		"--leader-elect",
		"--health-probe-bind-address=:8081",
		"--secret-namespace=" + secretNS,
		"--allowed-hosts=accounts.cloud.databricks.com,scim-proxy.example.com:8443",
		"--zap-log-level=debug",
		"--max-concurrent-reconciles=8",
		"--kube-api-qps=100",
	}))
	g.Expect(c["env"]).To(ContainElement(map[string]any{"name": "GOMEMLIMIT", "value": "900MiB"}))
	g.Expect(c["resources"]).To(HaveKeyWithValue("limits", map[string]any{"cpu": "2", "memory": "1Gi"}))
	g.Expect(c["securityContext"]).To(HaveKeyWithValue("privileged", false))

	pod, _, _ := unstructured.NestedMap(d.Object, "spec", "template")
	podSpec := pod["spec"].(map[string]any)
	g.Expect(pod["metadata"]).To(HaveKeyWithValue("labels", map[string]any{
		"control-plane": "controller-manager", "app.kubernetes.io/name": "databricks-scim-operator",
		"team": "platform", "sidecar.istio.io/inject": "false",
	}))
	g.Expect(pod["metadata"]).To(HaveKeyWithValue("annotations", map[string]any{
		"kubectl.kubernetes.io/default-container": "manager", "prometheus.io/scrape": "false",
	}))
	g.Expect(podSpec["securityContext"]).To(HaveKeyWithValue("runAsUser", BeEquivalentTo(65532)))
	g.Expect(podSpec["imagePullSecrets"]).To(Equal([]any{map[string]any{"name": "regcred"}}))
	g.Expect(podSpec["nodeSelector"]).To(Equal(map[string]any{"kubernetes.io/os": "linux"}))
	g.Expect(podSpec["tolerations"]).To(HaveLen(1))
	g.Expect(podSpec["affinity"]).To(HaveKey("podAntiAffinity"))
	g.Expect(podSpec["topologySpreadConstraints"]).To(HaveLen(1))
	g.Expect(podSpec["priorityClassName"]).To(Equal("system-cluster-critical"))
	g.Expect(podSpec["serviceAccountName"]).To(Equal("dbx-controller-manager"))

	// Secrets and the leader-election Lease live in the Secret namespace.
	for _, o := range objs {
		switch o.GetKind() {
		case "Role", "RoleBinding":
			g.Expect(o.GetNamespace()).To(Equal(secretNS), "%s", key(o))
		case "ClusterRole", "ClusterRoleBinding":
			g.Expect(o.GetNamespace()).To(BeEmpty())
		default:
			g.Expect(o.GetNamespace()).To(Equal(Namespace), "%s", key(o))
		}
		if subjects, ok := o.Object["subjects"]; ok {
			g.Expect(subjects).To(Equal([]any{map[string]any{
				"kind": "ServiceAccount", "name": "dbx-controller-manager", "namespace": Namespace,
			}}), "%s binds the manager", key(o))
		}
	}

	svc := find(t, objs, "Service", "dbx-controller-manager-metrics-service")
	g.Expect(svc.Object["spec"]).To(HaveKeyWithValue("ports", []any{map[string]any{
		"name": "https", "port": int64(9443), "protocol": "TCP", "targetPort": int64(9443),
	}}))

	sm := find(t, objs, "ServiceMonitor", "dbx-controller-manager-metrics-monitor")
	g.Expect(sm.GetLabels()).To(HaveKeyWithValue("release", "prometheus"))
	endpoint, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	g.Expect(endpoint).To(HaveLen(1))
	g.Expect(endpoint[0]).To(And(
		HaveKeyWithValue("port", "https"),
		HaveKeyWithValue("interval", "30s"),
		HaveKeyWithValue("scrapeTimeout", "10s"),
		HaveKeyWithValue("tlsConfig", HaveKeyWithValue("serverName", "dbx-controller-manager-metrics-service.databricks-scim-system.svc")),
	))
	selector, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	for k, v := range selector {
		g.Expect(svc.GetLabels()).To(HaveKeyWithValue(k, v), "the ServiceMonitor selects the metrics Service")
	}

	rule := find(t, objs, "PrometheusRule", "dbx-alerts")
	g.Expect(rule.GetLabels()).To(HaveKeyWithValue("release", "prometheus"))
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	g.Expect(groups).To(HaveLen(2), "the shipped group and the additional rules' group")
	var alerts []string
	for _, group := range groups {
		for _, r := range group.(map[string]any)["rules"].([]any) {
			m := r.(map[string]any)
			alerts = append(alerts, m["alert"].(string))
			if m["alert"] == "DatabricksSCIMThrottled" {
				// Prometheus' own templating is not Helm's: it reaches the rule as written.
				g.Expect(m["annotations"]).To(HaveKeyWithValue("summary", ContainSubstring("{{ $labels.account }}")))
			}
		}
	}
	g.Expect(alerts).To(Equal([]string{
		"DatabricksSCIMTokenInvalid", "DatabricksSCIMTokenRejected", "DatabricksSCIMAccountNotReady",
		"DatabricksSCIMThrottled", "DatabricksSCIMIdentitiesNotReady", "DatabricksSCIMReconcileErrors",
		"DatabricksSCIMSyncStale", "DatabricksSCIMCustom",
	}))

	np := find(t, objs, "NetworkPolicy", "dbx-allow-metrics-traffic")
	ingress, _, _ := unstructured.NestedSlice(np.Object, "spec", "ingress")
	g.Expect(ingress).To(Equal([]any{map[string]any{
		"from": []any{map[string]any{"namespaceSelector": map[string]any{
			"matchLabels": map[string]any{"kubernetes.io/metadata.name": "monitoring"}}}},
		"ports": []any{map[string]any{"port": int64(9443), "protocol": "TCP"}},
	}}))
}

// An image digest replaces the tag; metrics.enabled=false drops the flag,
// the Service and the metrics RBAC.
func TestDigestAndNoMetrics(t *testing.T) {
	g := NewWithT(t)
	objs := render(t, Options{SkipCRDs: true, Values: map[string]any{
		"image":   map[string]any{"digest": "sha256:" + strings.Repeat("ab", 32)},
		"metrics": map[string]any{"enabled": false},
	}})
	c := container(t, deployment(t, objs, "databricks-scim-controller-manager"))
	g.Expect(c["image"]).To(Equal("ghcr.io/scimops/databricks-scim-operator@sha256:" + strings.Repeat("ab", 32)))
	g.Expect(c["args"]).To(Equal([]any{"--leader-elect", "--health-probe-bind-address=:8081"}))
	for _, o := range objs {
		g.Expect(o.GetKind()).NotTo(Equal("Service"))
		g.Expect(o.GetName()).NotTo(ContainSubstring("metrics"))
	}
}

// values.schema.json and the templates refuse bad values with an error
// that names the value.
func TestBadValuesAreRejected(t *testing.T) {
	cases := []struct {
		name   string
		values map[string]any
		want   []string
	}{
		{"replicas not a number", map[string]any{"replicas": "two"}, []string{"/replicas", "want integer"}},
		{"negative replicas", map[string]any{"replicas": -1}, []string{"/replicas", "minimum"}},
		{"unknown log level", map[string]any{"logLevel": "verbose"}, []string{"/logLevel", "debug"}},
		{"allowed host not a string", map[string]any{"allowedHosts": []any{443}}, []string{"/allowedHosts/0", "want string"}},
		{"allowed host is a URL", map[string]any{"allowedHosts": []any{"https://accounts.cloud.databricks.com"}}, []string{"/allowedHosts/0"}},
		{"two hosts in one entry", map[string]any{"allowedHosts": []any{"a.example.com,b.example.com"}}, []string{"/allowedHosts/0"}},
		{"allowed hosts not a list", map[string]any{"allowedHosts": "a.example.com,b.example.com"}, []string{"/allowedHosts", "want array"}},
		{"negative concurrency", map[string]any{"maxConcurrentReconciles": -2}, []string{"/maxConcurrentReconciles", "minimum"}},
		{"misspelt key", map[string]any{"replica": 2}, []string{"replica", "additional properties"}},
		{"misspelt nested key", map[string]any{"image": map[string]any{"tags": "1.0"}}, []string{"/image", "tags"}},
		{"metrics port out of range", map[string]any{"metrics": map[string]any{"port": 70000}}, []string{"/metrics/port", "maximum"}},
		{"flag without dashes", map[string]any{"extraArgs": []any{"kube-api-qps=5"}}, []string{"/extraArgs/0"}},
		{"bad Secret namespace", map[string]any{"secretNamespace": "Not_A_Namespace"}, []string{"/secretNamespace"}},
		{"label value not a string", map[string]any{"commonLabels": map[string]any{"tier": 1}}, []string{"/commonLabels/tier", "want string"}},
		{"several replicas without leader election",
			map[string]any{"replicas": 3, "leaderElection": map[string]any{"enabled": false}},
			[]string{"replicas is 3 but leaderElection.enabled is false"}},
		{"ServiceMonitor without metrics",
			map[string]any{"serviceMonitor": map[string]any{"enabled": true}, "metrics": map[string]any{"enabled": false}},
			[]string{"serviceMonitor.enabled needs metrics.enabled"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(t.Context(), repoRoot(t), Options{SkipCRDs: true, Values: tc.values})
			if err == nil {
				t.Fatalf("values %v were accepted", tc.values)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not contain %q:\n%v", want, err)
				}
			}
		})
	}
}

// What the schema refuses as an --allowed-hosts entry, the manager refuses
// too, and the schema lets through what the manager accepts.
func TestAllowedHostsSchemaAgreesWithManager(t *testing.T) {
	for _, host := range []string{
		"accounts.cloud.databricks.com", "scim-proxy.example.com:8443", "127.0.0.1:9000", "[::1]:8443",
		"https://accounts.cloud.databricks.com", "*.example.com", "example.com/scim",
		"user@example.com", "exa mple.com", "",
	} {
		_, schemaErr := Render(t.Context(), repoRoot(t), Options{SkipCRDs: true, Values: map[string]any{"allowedHosts": []any{host}}})
		_, managerErr := scim.ParseAllowedHosts(host)
		if schemaErr == nil && managerErr != nil {
			t.Errorf("the schema accepts %q, which the manager refuses: %v", host, managerErr)
		}
		if schemaErr != nil && managerErr == nil {
			t.Errorf("the schema refuses %q, which the manager accepts: %v", host, schemaErr)
		}
	}
}

func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return nil
}
