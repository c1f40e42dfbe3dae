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
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"
)

const (
	rulesPath     = "config/prometheus/rules.yaml"
	dashboardPath = "config/grafana/databricks-scim-operator.json"
	monitoringDoc = "docs/monitoring.md"
	// runbookBase is where each alert's runbook_url points, plus #<alert in lower case>.
	runbookBase = "https://github.com/scimops/databricks-scim-operator/blob/main/" + monitoringDoc
)

// repoPath is a path of the repository (tests run in test/monitoring).
func repoPath(rel string) string { return filepath.Join("..", "..", rel) }

func repoFile(t *testing.T, rel string) []byte {
	t.Helper()
	raw, err := os.ReadFile(repoPath(rel))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// loadRules decodes the rule file strictly: an unknown or misspelt field
// (say, "annotation") fails instead of being dropped.
func loadRules(t *testing.T) *monitoringv1.PrometheusRule {
	t.Helper()
	var rule monitoringv1.PrometheusRule
	if err := yaml.UnmarshalStrict(repoFile(t, rulesPath), &rule); err != nil {
		t.Fatalf("%s is not a PrometheusRule: %v", rulesPath, err)
	}
	return &rule
}

// dashboard is the part of a Grafana dashboard model the tests read.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource *datasourceRef           `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []target                 `json:"targets"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type target struct {
	RefID      string         `json:"refId"`
	Expr       string         `json:"expr"`
	Datasource *datasourceRef `json:"datasource"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Definition string          `json:"definition"`
	Datasource *datasourceRef  `json:"datasource"`
	Query      json.RawMessage `json:"query"`
}

func loadDashboard(t *testing.T) *dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(repoFile(t, dashboardPath), &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	return &d
}

// query is one PromQL expression the rules or the dashboard evaluate.
type query struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

// grafanaInterval is what Grafana substitutes for its interval variables.
var grafanaInterval = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "6h")

// labelValues matches a Grafana variable query label_values(selector, label).
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)

// queries lists every expression of the rules and the dashboard, with the
// dashboard's interval variables replaced as Grafana does (its other
// variables only appear inside label values, which PromQL leaves alone). A
// variable's label_values(selector, label) contributes its selector, with
// the label it reads as a matcher (label=~".+"), so the label is checked too.
func queries(t *testing.T) []query {
	t.Helper()
	var out []query
	for _, g := range loadRules(t).Spec.Groups {
		for _, r := range g.Rules {
			out = append(out, query{Name: "alert " + r.Alert, Expr: r.Expr.String()})
		}
	}
	d := loadDashboard(t)
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, query{Name: fmt.Sprintf("panel %q target %s", p.Title, tg.RefID), Expr: grafanaInterval.Replace(tg.Expr)})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValues.FindStringSubmatch(v.Definition)
		if m == nil {
			t.Fatalf("dashboard variable %s: %q is not label_values(selector, label)", v.Name, v.Definition)
		}
		sel := m[1]
		matcher := m[2] + `=~".+"`
		if strings.HasSuffix(sel, "}") {
			sel = strings.TrimSuffix(sel, "}") + ", " + matcher + "}"
		} else {
			sel += "{" + matcher + "}"
		}
		out = append(out, query{Name: "variable " + v.Name, Expr: sel})
	}
	return out
}

// selector is one series selector of a query, as hack/promql reports it.
type selector struct {
	Metric string   `json:"metric"`
	Labels []string `json:"labels"`
}

type parsed struct {
	Name      string     `json:"name"`
	Selectors []selector `json:"selectors"`
	Error     string     `json:"error"`
}

var (
	parseOnce   sync.Once
	parseResult []parsed
	parseErr    error
)

// parseQueries runs every query through Prometheus' PromQL parser
// (hack/promql, its own Go module, so `go run` builds it there) once per
// test binary.
func parseQueries(t *testing.T) ([]query, []parsed) {
	t.Helper()
	qs := queries(t)
	parseOnce.Do(func() {
		in, err := json.Marshal(qs)
		if err != nil {
			parseErr = err
			return
		}
		cmd := exec.Command("go", "run", ".")
		cmd.Dir = repoPath("hack/promql")
		cmd.Env = append(os.Environ(), "GOWORK=off")
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			parseErr = fmt.Errorf("go run ./hack/promql: %w\n%s", err, stderr.String())
			return
		}
		parseErr = json.Unmarshal(out, &parseResult)
	})
	if parseErr != nil {
		t.Fatal(parseErr)
	}
	if len(parseResult) != len(qs) {
		t.Fatalf("hack/promql answered %d of %d queries", len(parseResult), len(qs))
	}
	return qs, parseResult
}
