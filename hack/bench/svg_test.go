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

package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

func testRecords() []result {
	mk := func(scale string, ids int, ratio, steady, floor float64, rss int64, cpu, p95, maxS float64) result {
		return result{Scale: scale, Order: "users-first", Identities: ids, ManagedIdentities: ids + seedIdentities,
			Ratio: ratio, SteadyCallsPerInterval: steady, SteadyFloor: floor, PeakRSSBytes: rss, CPUSeconds: cpu,
			BytesPerIdentity: float64(rss) / float64(ids+seedIdentities),
			UrgentAll:        latencyStats{N: 120, P50: p95 / 2, P95: p95, Max: maxS},
			Binds:            bindsSCIM, Commit: "abc1234", Date: "2026-01-02T03:04:05Z"}
	}
	return []result{
		// Out of order on purpose: the chart sorts by size.
		mk("full", 11200, 1.048, 987, 1113, 229<<20, 67.6, 3.25, 4.5),
		mk("small", 1120, 1.078, 112, 114, 74<<20, 6.5, 1.5, 2.25),
		mk("xl", 56000, 1.123, 5400, 5561, 480<<20, 401.2, 4.75, 6.5),
		// Another order: not drawn.
		{Scale: "full", Order: "groups-first", Identities: 11200, Ratio: 9.876},
	}
}

// node is a parsed XML element.
type node struct {
	name     string
	attrs    map[string]string
	text     string
	children []*node
}

func parseXML(t *testing.T, raw []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(raw))
	root := &node{}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].text += string(tok)
		}
	}
	if len(root.children) != 1 || root.children[0].name != "svg" {
		t.Fatalf("want one <svg> root element, got %d elements", len(root.children))
	}
	return root.children[0]
}

func (n *node) find(match func(*node) bool) []*node {
	var out []*node
	for _, c := range n.children {
		if match(c) {
			out = append(out, c)
		}
		out = append(out, c.find(match)...)
	}
	return out
}

func hasClass(class string) func(*node) bool {
	return func(n *node) bool { return n.attrs["class"] == class }
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return v
}

func TestRenderScaling(t *testing.T) {
	var buf bytes.Buffer
	if err := renderScaling(&buf, testRecords(), "users-first"); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	svg := parseXML(t, raw)
	for _, bad := range []string{"<script", "href", "@import", "url("} {
		if bytes.Contains(raw, []byte(bad)) {
			t.Errorf("the chart is not self-contained: it contains %q", bad)
		}
	}

	panels := svg.find(hasClass("panel"))
	if len(panels) != len(scalingPanels) {
		t.Fatalf("%d panels, want %d", len(panels), len(scalingPanels))
	}
	recs := testRecords()[:3]
	for i, p := range panels {
		want := scalingPanels[i]
		if p.attrs["id"] != "panel-"+want.id {
			t.Errorf("panel %d is %q, want panel-%s", i, p.attrs["id"], want.id)
		}
		pts := p.find(hasClass("pt"))
		if len(pts) != len(recs)*len(want.series) {
			t.Errorf("panel %s: %d points, want one per record and series (%d)", want.id, len(pts), len(recs)*len(want.series))
		}
		var labels []string
		for _, l := range p.find(hasClass("label")) {
			labels = append(labels, l.text)
		}
		for _, s := range want.series {
			for _, r := range recs {
				label := fmt.Sprintf(s.format, s.value(r))
				if !contains(labels, label) {
					t.Errorf("panel %s: no label %q for %s (labels %v)", want.id, label, r.Scale, labels)
				}
			}
		}
		// Points go left to right with size, and higher up with their value.
		byScale := map[string]*node{}
		for _, pt := range pts {
			if pt.attrs["data-series"] == want.series[0].name {
				byScale[pt.attrs["data-scale"]] = pt
			}
		}
		if num(t, byScale["small"].attrs["cx"]) >= num(t, byScale["full"].attrs["cx"]) ||
			num(t, byScale["full"].attrs["cx"]) >= num(t, byScale["xl"].attrs["cx"]) {
			t.Errorf("panel %s: points are not ordered by identities", want.id)
		}
		for _, a := range recs {
			for _, b := range recs {
				va, vb := want.series[0].value(a), want.series[0].value(b)
				ya, yb := num(t, byScale[a.Scale].attrs["cy"]), num(t, byScale[b.Scale].attrs["cy"])
				if va > vb && ya >= yb {
					t.Errorf("panel %s: %s (%g) is not above %s (%g)", want.id, a.Scale, va, b.Scale, vb)
				}
			}
		}
	}

	// The x ticks name the scales with their identity counts.
	var ticks []string
	for _, n := range svg.find(hasClass("xtick")) {
		ticks = append(ticks, n.text)
	}
	if strings.Count(strings.Join(ticks, " "), "small") != len(scalingPanels) || !contains(ticks, "xl") {
		t.Errorf("x ticks %v", ticks)
	}
	if !bytes.Contains(raw, []byte(">56,000<")) || !bytes.Contains(raw, []byte(">1,120<")) {
		t.Error("x ticks lack the identity counts")
	}
	// The groups-first record is not drawn.
	if bytes.Contains(raw, []byte("9.876")) {
		t.Error("a record of another order is drawn")
	}
	// Targets: the 1.15 ratio line, and the RSS marks at full and xl.
	if len(svg.find(func(n *node) bool { return n.attrs["class"] == "ref" })) != 2+3 {
		t.Error("want two target lines and three RSS marks")
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestRenderScalingEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := renderScaling(&buf, nil, "users-first"); err != nil {
		t.Fatal(err)
	}
	svg := parseXML(t, buf.Bytes())
	if n := len(svg.find(hasClass("pt"))); n != 0 {
		t.Errorf("%d points without records", n)
	}
	if !strings.Contains(buf.String(), "no users-first records") {
		t.Error("an empty chart does not say so")
	}
}

func TestScales(t *testing.T) {
	xs := logScale{lo: 100, hi: 100000, px0: 50, px1: 350}
	if got := xs.at(100); math.Abs(got-50) > 1e-9 {
		t.Errorf("x(lo) = %g, want 50", got)
	}
	if got := xs.at(100000); math.Abs(got-350) > 1e-9 {
		t.Errorf("x(hi) = %g, want 350", got)
	}
	// Each factor of ten takes the same width.
	if d1, d2 := xs.at(1000)-xs.at(100), xs.at(10000)-xs.at(1000); math.Abs(d1-d2) > 1e-9 || math.Abs(d1-100) > 1e-9 {
		t.Errorf("decades are %g and %g px wide, want 100", d1, d2)
	}
	ys := linScale{top: 2, px0: 200, px1: 40}
	if ys.at(0) != 200 || ys.at(2) != 40 || ys.at(1) != 120 {
		t.Errorf("y(0, 1, 2) = %g, %g, %g; want 200, 120, 40", ys.at(0), ys.at(1), ys.at(2))
	}
	lo, hi := xDomain(testRecords())
	if lo != 560 || hi != 112000 {
		t.Errorf("x domain %g..%g, want 560..112000", lo, hi)
	}
	for _, c := range []struct{ max, top float64 }{
		{1.123, 1.5},
		{5561, 8000},
		{480, 600},
		{0, 1.5}, // no data: 0..1.5
	} {
		top, ticks := yTicks(c.max)
		if top < c.max*1.15-1e-9 {
			t.Errorf("yTicks(%g): top %g leaves no headroom", c.max, top)
		}
		if ticks[0] != 0 || math.Abs(ticks[len(ticks)-1]-top) > 1e-9 || len(ticks) < 3 || len(ticks) > 7 {
			t.Errorf("yTicks(%g) = %g, %v", c.max, top, ticks)
		}
		if math.Abs(top-c.top) > 1e-9 {
			t.Errorf("yTicks(%g): top %g, want %g", c.max, top, c.top)
		}
	}
	for in, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 56000: "56,000", 1234567: "1,234,567"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%d) = %q, want %q", in, got, want)
		}
	}
}
