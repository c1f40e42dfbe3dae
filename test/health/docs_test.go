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

package health

import (
	"regexp"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

const gitopsDoc = "docs/gitops.md"

// Lines of docs/gitops.md that introduce its two tables.
const (
	argoTableIntro = "The script maps the conditions like this:"
	fluxTableIntro = "For these kinds, kstatus reads the conditions as follows:"
)

// docRow is one row of a two-column table: what the resource looks like,
// and the verdict (the first `code` of the second column).
type docRow struct {
	state, verdict string
}

var codeSpan = regexp.MustCompile("`([^`]+)`")

// docTable returns the rows of the Markdown table that follows the line intro.
func docTable(t *testing.T, intro string) []docRow {
	t.Helper()
	lines := strings.Split(string(repoFile(t, gitopsDoc)), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == intro {
			start = i + 1
			break
		}
	}
	if start < 0 {
		t.Fatalf("%s has no line %q", gitopsDoc, intro)
	}
	var rows []docRow
	header := true
	for _, l := range lines[start:] {
		l = strings.TrimSpace(l)
		if l == "" && len(rows) == 0 {
			continue
		}
		if !strings.HasPrefix(l, "|") {
			break
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		if len(cells) != 2 {
			t.Fatalf("%s: table row %q has %d columns, want 2", gitopsDoc, l, len(cells))
		}
		state, verdict := strings.TrimSpace(cells[0]), strings.TrimSpace(cells[1])
		if header || strings.Trim(state, "-") == "" {
			header = false
			continue // the header and the separator
		}
		m := codeSpan.FindStringSubmatch(verdict)
		if m == nil {
			t.Fatalf("%s: row %q names no verdict in `code`", gitopsDoc, l)
		}
		rows = append(rows, docRow{state: state, verdict: m[1]})
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no table after %q", gitopsDoc, intro)
	}
	return rows
}

// rowFor returns the only row whose state contains key.
func rowFor(g Gomega, rows []docRow, key string) docRow {
	var found []docRow
	for _, r := range rows {
		if strings.Contains(r.state, key) {
			found = append(found, r)
		}
	}
	g.Expect(found).To(HaveLen(1), "rows of %s whose first column contains %q", gitopsDoc, key)
	if len(found) != 1 {
		return docRow{}
	}
	return found[0]
}

// reasons returns the condition reasons api/v1alpha1/conditions.go declares.
func reasons(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*Reason\w+\s*=\s*"(\w+)"`).FindAllStringSubmatch(string(repoFile(t, "api/v1alpha1/conditions.go")), -1) {
		out[m[1]] = true
	}
	if len(out) < 10 {
		t.Fatalf("found only %d reasons in api/v1alpha1/conditions.go", len(out))
	}
	return out
}

// checkTable checks that each fixture's row promises the verdict the tests
// prove, and that every reason a row names has a fixture in that row.
func checkTable(t *testing.T, intro string, rowOf func(want) string, verdictOf func(want) string) {
	g := NewWithT(t)
	rows := docTable(t, intro)
	known := reasons(t)
	keys := map[string]bool{}
	for name, w := range expected {
		keys[rowOf(w)] = true
		r := rowFor(g, rows, rowOf(w))
		g.Expect(r.verdict).To(Equal(verdictOf(w)), "%s: the docs' row %q", name, r.state)
	}
	for _, r := range rows {
		for _, m := range codeSpan.FindAllStringSubmatch(r.state, -1) {
			if known[m[1]] {
				g.Expect(keys).To(HaveKey(row(m[1])), "the docs' row %q names %s, but no captured object proves it", r.state, m[1])
			}
		}
	}
}

func TestDocsArgoCDTablePromisesWhatTheScriptDoes(t *testing.T) {
	checkTable(t, argoTableIntro, func(w want) string { return w.argoRow }, func(w want) string { return w.argo })
}

func TestDocsFluxTablePromisesWhatKstatusDoes(t *testing.T) {
	checkTable(t, fluxTableIntro, func(w want) string { return w.fluxRow }, func(w want) string { return string(w.kstatus) })
}

// TestDocsShowTheShippedScript: the Lua in docs/gitops.md is
// config/argocd/health.lua, byte for byte, so the two cannot drift.
func TestDocsShowTheShippedScript(t *testing.T) {
	g := NewWithT(t)
	doc := string(repoFile(t, gitopsDoc))
	blocks := regexp.MustCompile("(?s)```lua\n(.*?)```\n").FindAllStringSubmatch(doc, -1)
	g.Expect(blocks).To(HaveLen(1), "%s shows the script in one ```lua block", gitopsDoc)
	if len(blocks) == 1 {
		g.Expect(blocks[0][1]).To(Equal(string(repoFile(t, scriptPath))))
	}
}
