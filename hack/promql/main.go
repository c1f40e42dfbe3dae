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

// Command promql parses PromQL expressions with Prometheus' own parser and
// lists the series selectors in each: the metric name and the label names
// it matches on. It reads a JSON array of {"name", "expr"} on stdin and
// writes a JSON array of {"name", "selectors", "error"} on stdout, in the
// same order; a parse error is reported in "error", not as a failure.
//
// It lives in its own module (like hack/vulncheck) so that the Prometheus
// module's requirements stay out of the operator's module graph; the
// monitoring test (test/e2e) runs it with `go run`.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type query struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

// Selector is one series selector of an expression.
type Selector struct {
	Metric string   `json:"metric"`
	Labels []string `json:"labels,omitempty"`
}

type result struct {
	Name      string     `json:"name"`
	Selectors []Selector `json:"selectors,omitempty"`
	Error     string     `json:"error,omitempty"`
}

func main() {
	var queries []query
	if err := json.NewDecoder(os.Stdin).Decode(&queries); err != nil {
		fmt.Fprintln(os.Stderr, "promql: reading the queries:", err)
		os.Exit(2)
	}
	p := parser.NewParser(parser.Options{})
	out := make([]result, 0, len(queries))
	for _, q := range queries {
		r := result{Name: q.Name}
		expr, err := p.ParseExpr(q.Expr)
		if err != nil {
			r.Error = err.Error()
		} else {
			r.Selectors = selectors(expr)
		}
		out = append(out, r)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "promql:", err)
		os.Exit(2)
	}
}

// selectors lists every vector selector of expr (also those inside range
// selectors and subqueries), with the metric name from either form:
// name{...} or {__name__="name", ...}.
func selectors(expr parser.Expr) []Selector {
	var out []Selector
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		s := Selector{Metric: vs.Name}
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName {
				if m.Type == labels.MatchEqual {
					s.Metric = m.Value
				}
				continue
			}
			if !slices.Contains(s.Labels, m.Name) {
				s.Labels = append(s.Labels, m.Name)
			}
		}
		slices.Sort(s.Labels)
		out = append(out, s)
		return nil
	})
	return out
}
