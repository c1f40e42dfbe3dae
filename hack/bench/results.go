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

// The results file keeps one record per scale and create order, the last
// converge run of each; the scaling chart (svg.go) is drawn from it.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// defaultResults is the -results default, relative to the repository root.
const defaultResults = "docs/bench/results.json"

// chartOrder is the create order the scaling chart shows.
const chartOrder = "users-first"

// latencyStats summarises urgent-change latencies, in seconds.
type latencyStats struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50Seconds"`
	P95 float64 `json:"p95Seconds"`
	Max float64 `json:"maxSeconds"`
}

func latencySummary(ds []time.Duration) latencyStats {
	return latencyStats{N: len(ds), P50: round(percentile(ds, 0.5).Seconds(), 3),
		P95: round(percentile(ds, 0.95).Seconds(), 3), Max: round(percentile(ds, 1).Seconds(), 3)}
}

// machine is where a run ran.
type machine struct {
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	NumCPU    int    `json:"numCPU"`
	GoVersion string `json:"goVersion"`
}

// result is one converge run's record in the results file.
type result struct {
	Scale string `json:"scale"`
	Order string `json:"order"`

	Users             int `json:"users"`
	ServicePrincipals int `json:"servicePrincipals"`
	Groups            int `json:"groups"`
	// Identities is the bulk workload's users, service principals and groups.
	Identities int `json:"identities"`
	// ManagedIdentities adds the urgent-change seed (leavers and admin group).
	ManagedIdentities int     `json:"managedIdentities"`
	Edges             int     `json:"edges"`
	RateScale         float64 `json:"rateScale"`

	ConvergenceSeconds float64 `json:"convergenceSeconds"`
	// BoundSeconds is the larger of the two lower bounds below; Binds names it.
	BoundSeconds float64 `json:"boundSeconds"`
	Ratio        float64 `json:"ratio"`
	Binds        string  `json:"binds"`
	// SCIMBoundSeconds: one create per object at the fake's write limit.
	SCIMBoundSeconds float64 `json:"scimBoundSeconds"`
	// HarnessCreateSeconds: the harness's creates in the local control
	// plane; the operator cannot finish before the last object exists.
	HarnessCreateSeconds float64 `json:"harnessCreateSeconds"`

	SteadyIntervalSeconds  float64 `json:"steadyIntervalSeconds"`
	SteadySettleSeconds    float64 `json:"steadySettleSeconds"`
	SteadyCallsPerInterval float64 `json:"steadyCallsPerInterval"`
	SteadyFloor            float64 `json:"steadyFloor"`
	SteadyWrites           int     `json:"steadyWrites"`

	// GoMemLimit is the GOMEMLIMIT the manager ran with ("" none).
	GoMemLimit   string `json:"goMemLimit,omitempty"`
	PeakRSSBytes int64  `json:"peakRSSBytes"`
	// PeakRSSConvergedBytes is the peak up to convergence (0: not measured).
	PeakRSSConvergedBytes int64 `json:"peakRSSConvergedBytes,omitempty"`
	// ExecutableRSSBytes is the executable's resident pages at the end.
	ExecutableRSSBytes int64 `json:"executableRSSBytes,omitempty"`
	// CPUSeconds is the manager's, over the whole run.
	CPUSeconds float64 `json:"cpuSeconds"`
	// BytesPerIdentity is the peak RSS over the managed identities.
	BytesPerIdentity float64 `json:"bytesPerIdentity"`
	// HeapInuse*: the manager's heap in use after a GC (runtime.MemStats).
	HeapInuseConvergedBytes int64 `json:"heapInuseConvergedBytes,omitempty"`
	HeapInuseSteadyBytes    int64 `json:"heapInuseSteadyBytes,omitempty"`
	// CPUConvergeSeconds is every process's CPU during the convergence.
	CPUConvergeSeconds map[string]float64 `json:"cpuConvergeSeconds,omitempty"`

	UrgentDeactivations latencyStats `json:"urgentDeactivations"`
	UrgentRemovals      latencyStats `json:"urgentRemovals"`
	UrgentAll           latencyStats `json:"urgentAll"`

	EditP95Seconds float64 `json:"editP95Seconds"`

	Date    string  `json:"date"`
	Machine machine `json:"machine"`
	Commit  string  `json:"commit"`
}

// resultsFile is the results file's content.
type resultsFile struct {
	Comment string   `json:"comment"`
	Results []result `json:"results"`
}

const resultsComment = "Written by hack/bench (go run ./hack/bench -scenario=converge): the last run of each scale and order. scaling.svg is drawn from the users-first records."

// mergeResult puts r into f, replacing the record of the same scale and
// order, and keeps the records sorted by size, then order.
func mergeResult(f *resultsFile, r result) {
	kept := f.Results[:0]
	for _, old := range f.Results {
		if old.Scale != r.Scale || old.Order != r.Order {
			kept = append(kept, old)
		}
	}
	f.Results = append(kept, r)
	sort.SliceStable(f.Results, func(i, j int) bool {
		a, b := f.Results[i], f.Results[j]
		if a.Identities != b.Identities {
			return a.Identities < b.Identities
		}
		return a.Order < b.Order
	})
}

func readResults(path string) (*resultsFile, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &resultsFile{}, nil
	}
	if err != nil {
		return nil, err
	}
	var f resultsFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, nil
}

// writeResults merges r into the results file at path and redraws
// scaling.svg in the same directory.
func writeResults(path string, r result) (svgPath string, err error) {
	f, err := readResults(path)
	if err != nil {
		return "", err
	}
	mergeResult(f, r)
	f.Comment = resultsComment
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	if err := writeFileAtomic(path, append(raw, '\n')); err != nil {
		return "", err
	}
	var svg bytes.Buffer
	if err := renderScaling(&svg, f.Results, chartOrder); err != nil {
		return "", err
	}
	svgPath = filepath.Join(filepath.Dir(path), "scaling.svg")
	return svgPath, writeFileAtomic(svgPath, svg.Bytes())
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// gitCommit is the short HEAD commit of the repository at root, with
// "-dirty" when the work tree has changes.
func gitCommit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain").Output(); err != nil || len(bytes.TrimSpace(st)) > 0 {
		commit += "-dirty"
	}
	return commit
}

func thisMachine() machine {
	return machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, NumCPU: runtime.NumCPU(), GoVersion: runtime.Version()}
}

// seconds is s in seconds, for the results file.
func (s cpuSample) seconds() map[string]float64 {
	out := map[string]float64{}
	for k, v := range s {
		out[k] = round(v.Seconds(), 1)
	}
	return out
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
