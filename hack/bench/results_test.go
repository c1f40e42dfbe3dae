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
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMergeResult(t *testing.T) {
	f := &resultsFile{}
	mergeResult(f, result{Scale: "full", Order: "users-first", Identities: 11200, Ratio: 1.1})
	mergeResult(f, result{Scale: "small", Order: "users-first", Identities: 1120, Ratio: 1.2})
	mergeResult(f, result{Scale: "full", Order: "groups-first", Identities: 11200, Ratio: 1.3})
	// A second run of the same scale and order replaces its record.
	mergeResult(f, result{Scale: "full", Order: "users-first", Identities: 11200, Ratio: 1.05})
	var got []string
	for _, r := range f.Results {
		got = append(got, r.Scale+"/"+r.Order)
	}
	if want := "small/users-first full/groups-first full/users-first"; strings.Join(got, " ") != want {
		t.Fatalf("records %v, want %s", got, want)
	}
	if f.Results[2].Ratio != 1.05 {
		t.Errorf("full/users-first ratio %g, want the second run's 1.05", f.Results[2].Ratio)
	}
	if f.Results[1].Ratio != 1.3 || f.Results[0].Ratio != 1.2 {
		t.Error("the other records changed")
	}
}

func TestWriteResults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bench", "results.json")
	for _, r := range []result{
		{Scale: "small", Order: "users-first", Identities: 1120, Ratio: 1.2, Date: "first"},
		{Scale: "full", Order: "users-first", Identities: 11200, Ratio: 1.1},
		{Scale: "small", Order: "users-first", Identities: 1120, Ratio: 1.07, Date: "second"},
	} {
		svg, err := writeResults(path, r)
		if err != nil {
			t.Fatal(err)
		}
		if svg != filepath.Join(dir, "bench", "scaling.svg") {
			t.Errorf("chart written to %s", svg)
		}
	}
	f, err := readResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Results) != 2 || f.Results[0].Date != "second" || f.Results[1].Scale != "full" {
		t.Errorf("results %+v", f.Results)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "bench", "scaling.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(raw, new(struct{})); err != nil {
		t.Errorf("chart is not XML: %v", err)
	}
	if !strings.Contains(string(raw), ">1.070<") || strings.Contains(string(raw), ">1.200<") {
		t.Error("the chart does not show the latest small run")
	}
}

func TestLatencySummary(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*10*time.Millisecond)
	}
	s := latencySummary(ds)
	if s.N != 100 || s.P50 != 0.5 || s.P95 != 0.95 || s.Max != 1 {
		t.Errorf("summary %+v", s)
	}
	if s := latencySummary(nil); s.N != 0 || s.Max != 0 {
		t.Errorf("empty summary %+v", s)
	}
}
