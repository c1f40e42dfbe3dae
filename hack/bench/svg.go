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

// The scaling chart: small multiples of the results file's records against
// the number of identities (log scale), one point per scale, the value
// written next to each point, drawn as a self-contained SVG (no fonts,
// scripts or links).

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// chartSeries is one measured quantity of a panel.
type chartSeries struct {
	name   string
	value  func(result) float64
	format string // fmt verb for the point labels
	hollow bool
}

// refLine is a horizontal reference across a panel (a target).
type refLine struct {
	y     float64
	label string
}

// refMark is a short reference at one scale's x (a target for that scale).
type refMark struct {
	scale string
	y     float64
	label string
}

type chartPanel struct {
	id, title string
	series    []chartSeries
	lines     []refLine
	marks     []refMark
	// marksNote explains the marks in the legend.
	marksNote string
}

var scalingPanels = []chartPanel{
	{id: "ratio", title: "initial convergence / binding lower bound",
		series: []chartSeries{{name: "ratio", value: func(r result) float64 { return r.Ratio }, format: "%.3f"}},
		lines:  []refLine{{1.15, "target 1.15"}}},
	{id: "steady", title: "steady-state SCIM calls per sync interval",
		series: []chartSeries{
			{name: "measured", value: func(r result) float64 { return r.SteadyCallsPerInterval }, format: "%.0f"},
			{name: "floor", value: func(r result) float64 { return r.SteadyFloor }, format: "%.0f", hollow: true},
		}},
	{id: "rss", title: "manager peak RSS (MiB)",
		series:    []chartSeries{{name: "peak RSS", value: func(r result) float64 { return float64(r.PeakRSSBytes) / (1 << 20) }, format: "%.0f"}},
		marks:     []refMark{{"full", 256, "256"}, {"full", 128, "128"}, {"xl", 512, "512"}},
		marksNote: "targets: 256 (design) and 128 (issue 13) at full, 512 at xl"},
	{id: "cpu", title: "manager CPU seconds (whole run)",
		series: []chartSeries{{name: "CPU", value: func(r result) float64 { return r.CPUSeconds }, format: "%.1f"}}},
	{id: "bytes", title: "peak RSS per managed identity (KiB)",
		series: []chartSeries{{name: "KiB per identity", value: func(r result) float64 { return r.BytesPerIdentity / 1024 }, format: "%.1f"}}},
	{id: "urgent", title: "urgent change -> PATCH during initial sync (s)",
		series: []chartSeries{
			{name: "p95", value: func(r result) float64 { return r.UrgentAll.P95 }, format: "%.2f"},
			{name: "max", value: func(r result) float64 { return r.UrgentAll.Max }, format: "%.2f", hollow: true},
		},
		lines: []refLine{{5, "target p95 5 s"}}},
}

// Chart geometry, in pixels.
const (
	chartCols    = 3
	panelW       = 360
	panelH       = 250
	plotLeft     = 56 // inside a panel
	plotRight    = 18
	plotTop      = 44
	plotBottom   = 46
	chartPad     = 12
	chartHeaderH = 48
	footerLineH  = 16
)

// logScale maps [lo, hi] logarithmically onto [px0, px1].
type logScale struct{ lo, hi, px0, px1 float64 }

func (s logScale) at(v float64) float64 {
	return s.px0 + (math.Log10(v)-math.Log10(s.lo))/(math.Log10(s.hi)-math.Log10(s.lo))*(s.px1-s.px0)
}

// linScale maps [0, top] onto [px0, px1] (px1 < px0: up the page).
type linScale struct{ top, px0, px1 float64 }

func (s linScale) at(v float64) float64 { return s.px0 + v/s.top*(s.px1-s.px0) }

// xDomain pads the identities' range by a factor of 2 either side in log space.
func xDomain(recs []result) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range recs {
		x := float64(max(1, r.Identities))
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if math.IsInf(lo, 0) {
		return 1, 10
	}
	return lo / 2, hi * 2
}

// niceStep is a 1, 2, 2.5 or 5 times a power of ten at least raw.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= raw*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// yTicks gives the axis top and its ticks for values up to maxV (and some
// headroom for the labels above the points).
func yTicks(maxV float64) (top float64, ticks []float64) {
	if maxV <= 0 || math.IsNaN(maxV) {
		maxV = 1
	}
	step := niceStep(maxV * 1.15 / 4)
	top = math.Ceil(maxV*1.15/step) * step
	for v := 0.0; v <= top*(1+1e-9); v += step {
		ticks = append(ticks, v)
	}
	return top, ticks
}

// renderScaling draws the records of one create order, one point per scale.
func renderScaling(w io.Writer, all []result, order string) error {
	var recs []result
	for _, r := range all {
		if r.Order == order {
			recs = append(recs, r)
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Identities < recs[j].Identities })
	rows := (len(scalingPanels) + chartCols - 1) / chartCols
	width := 2*chartPad + chartCols*panelW
	footerY := chartHeaderH + rows*panelH + chartPad
	height := footerY + (len(recs)+1)*footerLineH + chartPad

	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" font-weight="bold">databricks-scim-operator: growth with scale (create order %s)</text>`+"\n", chartPad, esc(order))
	fmt.Fprintf(&b, `<text x="%d" y="40" fill="#555555">x: identities (users + service principals + groups of the workload), log scale; generated by hack/bench from results.json</text>`+"\n", chartPad)

	lo, hi := xDomain(recs)
	for i, p := range scalingPanels {
		ox := chartPad + (i%chartCols)*panelW
		oy := chartHeaderH + (i/chartCols)*panelH
		drawPanel(&b, p, recs, float64(ox), float64(oy), lo, hi)
	}

	y := footerY
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">runs</text>`+"\n", chartPad, y)
	for _, r := range recs {
		y += footerLineH
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#333333">%s</text>`+"\n", chartPad, y, esc(fmt.Sprintf(
			"%s: %s users, %s SPs, %s groups; converged in %.1f s (bound %.1f s, %s); %s, commit %s, %s/%s %d CPUs %s, fake limits x%g",
			r.Scale, thousands(r.Users), thousands(r.ServicePrincipals), thousands(r.Groups), r.ConvergenceSeconds, r.BoundSeconds, r.Binds,
			r.Date, r.Commit, r.Machine.GOOS, r.Machine.GOARCH, r.Machine.NumCPU, r.Machine.GoVersion, r.RateScale)))
	}
	if len(recs) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#333333">no %s records</text>`+"\n", chartPad, y+footerLineH, esc(order))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func drawPanel(b *strings.Builder, p chartPanel, recs []result, ox, oy, lo, hi float64) {
	x0, x1 := ox+plotLeft, ox+panelW-plotRight
	y0, y1 := oy+panelH-plotBottom, oy+plotTop
	present := map[string]result{}
	for _, r := range recs {
		present[r.Scale] = r
	}
	maxV := 0.0
	for _, s := range p.series {
		for _, r := range recs {
			maxV = math.Max(maxV, s.value(r))
		}
	}
	for _, l := range p.lines {
		maxV = math.Max(maxV, l.y)
	}
	for _, m := range p.marks {
		if _, ok := present[m.scale]; ok {
			maxV = math.Max(maxV, m.y)
		}
	}
	top, ticks := yTicks(maxV)
	xs := logScale{lo: lo, hi: hi, px0: x0, px1: x1}
	ys := linScale{top: top, px0: y0, px1: y1}

	fmt.Fprintf(b, `<g class="panel" id="panel-%s">`+"\n", p.id)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="12" font-weight="bold">%s</text>`+"\n", ox+8, oy+18, esc(p.title))
	// The legend: the series (when more than one), then the references,
	// kept off the plot so they cover no point.
	lx, ly := ox+8, oy+31
	if len(p.series) > 1 {
		for _, s := range p.series {
			fill := seriesColor
			if s.hollow {
				fill = "#ffffff"
			}
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s" stroke="%s" stroke-width="1.5"/>`, lx+4, ly, fill, seriesColor)
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="#333333">%s</text>`+"\n", lx+12, ly+4, esc(s.name))
			lx += 22 + 6.5*float64(len(s.name))
		}
	}
	for _, l := range p.lines {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="5,3"/>`, lx, ly, lx+18, ly, refColor)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="%s">%s</text>`+"\n", lx+22, ly+4, refColor, esc(l.label))
		lx += 30 + 6.5*float64(len(l.label))
	}
	marked := false
	for _, m := range p.marks {
		_, ok := present[m.scale]
		marked = marked || ok
	}
	if p.marksNote != "" && marked {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`, lx, ly, lx+12, ly, refColor)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="%s">%s</text>`+"\n", lx+16, ly+4, refColor, esc(p.marksNote))
	}
	// Axes, grid and ticks.
	for _, t := range ticks {
		y := ys.at(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`, x0, y, x1, y)
		fmt.Fprintf(b, `<text class="ytick" x="%.1f" y="%.1f" text-anchor="end" fill="#555555">%s</text>`+"\n", x0-5, y+4, esc(tickLabel(t)))
	}
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`, x0, y0, x1, y0)
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`+"\n", x0, y0, x0, y1)
	for _, r := range recs {
		x := xs.at(float64(max(1, r.Identities)))
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`, x, y0, x, y0+4)
		fmt.Fprintf(b, `<text class="xtick" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, y0+16, esc(r.Scale))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#555555">%s</text>`+"\n", x, y0+29, esc(thousands(r.Identities)))
	}
	// References.
	for _, l := range p.lines {
		y := ys.at(l.y)
		fmt.Fprintf(b, `<line class="ref" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="5,3"/>`+"\n", x0, y, x1, y, refColor)
	}
	for _, m := range p.marks {
		r, ok := present[m.scale]
		if !ok {
			continue
		}
		x, y := xs.at(float64(max(1, r.Identities))), ys.at(m.y)
		fmt.Fprintf(b, `<line class="ref" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`, x+8, y, x+22, y, refColor)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="%s">%s</text>`+"\n", x+25, y+4, refColor, esc(m.label))
	}
	// Series: a polyline through the scales, a point and its value for each.
	for si, s := range p.series {
		var pts []string
		for _, r := range recs {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xs.at(float64(max(1, r.Identities))), ys.at(s.value(r))))
		}
		dash := ""
		if s.hollow {
			dash = ` stroke-dasharray="3,3"`
		}
		if len(pts) > 1 {
			fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s"%s/>`+"\n", strings.Join(pts, " "), seriesColor, dash)
		}
		for _, r := range recs {
			v := s.value(r)
			x, y := xs.at(float64(max(1, r.Identities))), ys.at(v)
			fill := seriesColor
			if s.hollow {
				fill = "#ffffff"
			}
			fmt.Fprintf(b, `<circle class="pt" data-series="%s" data-scale="%s" cx="%.1f" cy="%.1f" r="4" fill="%s" stroke="%s" stroke-width="1.5"/>`,
				esc(s.name), esc(r.Scale), x, y, fill, seriesColor)
			// The first series' values above its points, the second's to
			// the right, so close values do not overprint.
			lx, ly, anchor := x, y-8, "middle"
			if si%2 == 1 {
				lx, ly, anchor = x+7, y+4, "start"
			} else if crowded(p.series, si, r, ys, y) {
				lx, ly, anchor = x-7, y+4, "end" // another point sits on the label
			}
			fmt.Fprintf(b, `<text class="label" x="%.1f" y="%.1f" text-anchor="%s">%s</text>`+"\n", lx, ly, anchor, esc(fmt.Sprintf(s.format, v)))
		}
	}
	b.WriteString("</g>\n")
}

// crowded reports whether another series' point of r lies just above the
// point at y, where its label would go.
func crowded(series []chartSeries, si int, r result, ys linScale, y float64) bool {
	for sj, o := range series {
		if sj != si {
			if d := y - ys.at(o.value(r)); d > 0 && d < 18 {
				return true
			}
		}
	}
	return false
}

const (
	seriesColor = "#1f5fa8"
	refColor    = "#c62828"
)

// tickLabel prints an axis value without trailing zeros.
func tickLabel(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// thousands prints n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, out...), ",")
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func esc(s string) string { return xmlEscaper.Replace(s) }
