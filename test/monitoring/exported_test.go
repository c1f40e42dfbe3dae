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

package monitoring

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/scimops/databricks-scim-operator/internal/localenv"
)

// targetLabels are added by Prometheus (and the Prometheus Operator) to
// every scraped series; the manager does not export them.
var targetLabels = []string{"job", "instance", "namespace", "pod", "service", "container", "endpoint"}

// TestRulesAndDashboardUseOnlyExportedMetrics runs the built manager as its
// own process against the local control plane and the fake SCIM server,
// gives it work that produces every series the rules and the dashboard
// read (a throttling fake, a group that cannot become Ready), scrapes its
// /metrics on loopback and checks that each selected metric, and each label
// a selector matches on, is exported.
func TestRulesAndDashboardUseOnlyExportedMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local control plane and the manager")
	}
	g := NewWithT(t)
	ctx := t.Context()
	qs, parsed := parseQueries(t)

	s, err := localenv.NewStack(localenv.StackOptions{Out: t.Output()})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() {
		if t.Failed() {
			for _, m := range s.Managers {
				t.Logf("last lines of %s:\n%s", m.LogPath, m.Tail(40))
			}
		}
		if err := s.Stop(); err != nil {
			t.Errorf("stopping the local environment: %v", err)
		}
	})
	// Built into the stack's own directory, not the shared bin/, so no
	// other checkout's build can replace the binary this test runs.
	managerBin, fakeBin := build(t, s, "./cmd/manager"), build(t, s, "./cmd/scimfake")
	g.Expect(s.StartControlPlane()).To(Succeed())
	// One create per 5 s, far fewer than the client sends: the fake throttles.
	s.Fake, err = localenv.StartFake(ctx, fakeBin, s.Dir, localenv.FakeOptions{Args: []string{"--rate-limits", "write=0.2"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(localenv.EnsureNamespace(ctx, s.CP, localenv.OperatorNamespace)).To(Succeed())
	g.Expect(localenv.CreateTokenSecret(ctx, s.CP.Client, s.Fake)).To(Succeed())

	metricsAddr, err := localenv.FreeAddr()
	g.Expect(err).NotTo(HaveOccurred())
	args := append(localenv.DefaultManagerArgs(), "--metrics-bind-address="+metricsAddr, "--metrics-secure=false")
	mgr, err := localenv.StartManager(ctx, managerBin, s.Dir, localenv.ManagerOptions{Kubeconfig: s.CP.Kubeconfig, Args: args})
	g.Expect(err).NotTo(HaveOccurred())
	s.Managers = append(s.Managers, mgr)

	g.Expect(localenv.CreateAccount(ctx, s.CP.Client, "main", s.Fake)).To(Succeed())
	var objs []*unstructured.Unstructured
	for i := range 4 {
		objs = append(objs, identity("User", fmt.Sprintf("user-%d", i), map[string]any{"userName": fmt.Sprintf("user-%d@example.com", i)}))
	}
	objs = append(objs, identity("Group", "waiting", map[string]any{
		"displayName": "waiting",
		"members":     []any{map[string]any{"userName": "nobody@example.com"}},
	}))
	g.Expect(localenv.Apply(ctx, s.CP.Client, "default", objs)).To(Succeed())

	// Every selector's metric and labels, by query.
	type need struct{ query, metric, label string }
	var needs []need
	for i, p := range parsed {
		g.Expect(p.Error).To(BeEmpty(), "%s: %s", p.Name, qs[i].Expr)
		for _, sel := range p.Selectors {
			needs = append(needs, need{p.Name, sel.Metric, ""})
			for _, l := range sel.Labels {
				if !slices.Contains(targetLabels, l) {
					needs = append(needs, need{p.Name, sel.Metric, l})
				}
			}
		}
	}
	g.Expect(needs).NotTo(BeEmpty())

	var missing []string
	g.Eventually(func(g Gomega) {
		exported := scrape(g, "http://"+metricsAddr+"/metrics")
		missing = nil
		for _, n := range needs {
			labels, ok := exported[n.metric]
			switch {
			case !ok:
				missing = append(missing, fmt.Sprintf("%s: metric %s", n.query, n.metric))
			case n.label != "" && !labels[n.label]:
				missing = append(missing, fmt.Sprintf("%s: label %s of %s", n.query, n.label, n.metric))
			}
		}
		slices.Sort(missing)
		missing = slices.Compact(missing)
		g.Expect(missing).To(BeEmpty(), "selected by the rules or the dashboard, not exported by the manager")
	}).WithContext(ctx).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
	t.Logf("all %d selectors of %d queries match exported series", len(needs), len(qs))
}

// build compiles a command of this repository into the stack's directory.
func build(t *testing.T, s *localenv.Stack, pkg string) string {
	t.Helper()
	out := filepath.Join(s.Dir, filepath.Base(pkg))
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", out, pkg)
	cmd.Dir = s.Root
	cmd.Env = os.Environ()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func identity(kind, name string, spec map[string]any) *unstructured.Unstructured {
	spec["accountRef"] = map[string]any{"name": "main"}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "databricks.scimops.dev/v1alpha1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": "default"},
		"spec":     spec,
	}}
}

// scrape reads a Prometheus text exposition and returns, for every series
// name a query can select, the label names its series carry. A histogram
// family F is selectable as F_bucket (with le), F_sum and F_count; a summary
// as F (with quantile), F_sum and F_count.
func scrape(g Gomega, url string) map[string]map[string]bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	g.Expect(err).NotTo(HaveOccurred())
	resp, err := http.DefaultClient.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	out := map[string]map[string]bool{}
	add := func(name string, m *dto.Metric, extra ...string) {
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		for _, l := range m.GetLabel() {
			out[name][l.GetName()] = true
		}
		for _, l := range extra {
			out[name][l] = true
		}
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				add(name+"_bucket", m, "le")
				add(name+"_sum", m)
				add(name+"_count", m)
			case dto.MetricType_SUMMARY:
				add(name, m, "quantile")
				add(name+"_sum", m)
				add(name+"_count", m)
			default:
				add(name, m)
			}
		}
	}
	return out
}
