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
	"regexp"
	"strings"
	"testing"
	"text/template"

	. "github.com/onsi/gomega"
	"github.com/prometheus/common/model"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/scimops/databricks-scim-operator/internal/localenv"
)

// The alerts docs/monitoring.md describes; the rule file has exactly these.
var alerts = []string{
	"DatabricksSCIMTokenInvalid",
	"DatabricksSCIMTokenRejected",
	"DatabricksSCIMAccountNotReady",
	"DatabricksSCIMThrottled",
	"DatabricksSCIMIdentitiesNotReady",
	"DatabricksSCIMReconcileErrors",
	"DatabricksSCIMSyncStale",
}

func TestRulesAreAPrometheusRule(t *testing.T) {
	g := NewWithT(t)
	rule := loadRules(t)
	g.Expect(rule.APIVersion).To(Equal("monitoring.coreos.com/v1"))
	g.Expect(rule.Kind).To(Equal("PrometheusRule"))
	g.Expect(rule.Spec.Groups).To(HaveLen(1))
	doc := string(repoFile(t, monitoringDoc))
	var names []string
	for _, grp := range rule.Spec.Groups {
		for _, r := range grp.Rules {
			names = append(names, r.Alert)
			g.Expect(r.Record).To(BeEmpty(), "%s: only alerts", r.Alert)
			g.Expect(r.For).NotTo(BeNil(), "%s: a for duration, so one bad scrape alerts nobody", r.Alert)
			if r.For != nil {
				_, err := model.ParseDuration(string(*r.For))
				g.Expect(err).NotTo(HaveOccurred(), "%s: for", r.Alert)
			}
			g.Expect(r.Labels).To(HaveKeyWithValue("severity", BeElementOf("critical", "warning")), r.Alert)
			g.Expect(r.Annotations).To(HaveKey("summary"), r.Alert)
			g.Expect(r.Annotations).To(HaveKey("description"), r.Alert)
			g.Expect(r.Annotations).To(HaveKeyWithValue("runbook_url", runbookBase+"#"+strings.ToLower(r.Alert)), r.Alert)
			g.Expect(doc).To(ContainSubstring("\n### "+r.Alert+"\n"), "%s explains %s (the runbook_url anchor)", monitoringDoc, r.Alert)
			for key, text := range r.Annotations {
				// Prometheus expands annotations as Go templates, with these
				// variables defined first and its own functions (stand-ins
				// here: only the syntax is checked).
				const defs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
				stub := func(any) string { return "" }
				_, err := template.New(key).Funcs(template.FuncMap{
					"humanize": stub, "humanizeDuration": stub, "humanizePercentage": stub,
				}).Parse(defs + text)
				g.Expect(err).NotTo(HaveOccurred(), "%s: annotation %s", r.Alert, key)
			}
		}
	}
	g.Expect(names).To(Equal(alerts))
}

// TestRulesAreInTheKustomization: config/prometheus renders the rules with
// the ServiceMonitor, through the overlay docs/monitoring.md shows.
func TestRulesAreInTheKustomization(t *testing.T) {
	g := NewWithT(t)
	fs := filesys.MakeFsOnDisk()
	objs, err := localenv.RenderKustomization(fs, repoPath("config/prometheus"))
	g.Expect(err).NotTo(HaveOccurred())
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetKind()+"/"+o.GetName())
	}
	g.Expect(kinds).To(ConsistOf("ServiceMonitor/controller-manager-metrics-monitor", "PrometheusRule/alerts"))
}

// TestExpressionsParse runs every rule and dashboard expression through
// Prometheus' PromQL parser.
func TestExpressionsParse(t *testing.T) {
	g := NewWithT(t)
	qs, res := parseQueries(t)
	for i, r := range res {
		g.Expect(r.Name).To(Equal(qs[i].Name))
		g.Expect(r.Error).To(BeEmpty(), "%s: %s", r.Name, qs[i].Expr)
		g.Expect(r.Selectors).NotTo(BeEmpty(), "%s selects no series", r.Name)
	}
}

// TestDashboardIsWellFormed checks what Grafana needs to import and render
// the dashboard: unique panel ids and refIds, every panel and target on the
// datasource variable, panels inside the 24-column grid, and only declared
// variables in expressions.
func TestDashboardIsWellFormed(t *testing.T) {
	g := NewWithT(t)
	d := loadDashboard(t)
	g.Expect(d.UID).To(Equal("databricks-scim-operator"))
	g.Expect(d.Title).NotTo(BeEmpty())
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	g.Expect(vars).To(Equal(map[string]bool{"datasource": true, "job": true, "account": true}))
	ds := &datasourceRef{Type: "prometheus", UID: "${datasource}"}
	ids := map[int]bool{}
	varUse := regexp.MustCompile(`\$\{?(\w+)`)
	for _, p := range d.Panels {
		g.Expect(ids).NotTo(HaveKey(p.ID), "panel id %d used twice", p.ID)
		ids[p.ID] = true
		g.Expect(p.GridPos.W).To(BeNumerically(">", 0), p.Title)
		g.Expect(p.GridPos.X+p.GridPos.W).To(BeNumerically("<=", 24), p.Title)
		if p.Type == "row" {
			g.Expect(p.Targets).To(BeEmpty())
			continue
		}
		g.Expect(p.Type).To(BeElementOf("timeseries", "table", "stat"), p.Title)
		g.Expect(p.Datasource).To(Equal(ds), p.Title)
		g.Expect(p.Targets).NotTo(BeEmpty(), p.Title)
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			g.Expect(refs).NotTo(HaveKey(tg.RefID), "%s: refId %s used twice", p.Title, tg.RefID)
			refs[tg.RefID] = true
			g.Expect(tg.Datasource).To(Equal(ds), p.Title)
			for _, m := range varUse.FindAllStringSubmatch(tg.Expr, -1) {
				if !strings.HasPrefix(m[1], "__") {
					g.Expect(vars).To(HaveKey(m[1]), "%s uses an undeclared variable", p.Title)
				}
			}
		}
	}
	g.Expect(len(ids)).To(BeNumerically(">=", 10))
}
