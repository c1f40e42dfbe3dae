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

// Command bench measures the operator at scale (design §5): initial
// convergence against the fake's rate limits, steady-state calls, spec-edit
// latency and the manager's memory; and the export round trip of
// `kubectl databricks export` (issue 12). Run it with `make bench`. A
// converge run merges its record into docs/bench/results.json and redraws
// docs/bench/scaling.svg from it (-results).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/localenv"
)

func main() {
	scaleName := flag.String("scale", "full", "workload size: full (10,000 users, 200 SPs, 1,000 groups of 50), small (1,000 users, 20 SPs, 100 groups) or xl (50,000 users, 1,000 SPs, 5,000 groups; converge only)")
	rateScale := flag.Float64("rate-scale", 10, "multiply Databricks' published per-class limits by this in the fake")
	concurrency := flag.Int("concurrency", 8, "the manager's --max-concurrent-reconciles")
	keep := flag.Bool("keep", false, "keep the temporary directory (logs, kubeconfig) after stopping every process")
	binDir := flag.String("bin-dir", "", "where to build the manager (default: bin/)")
	order := flag.String("order", "users-first", "the order the converge scenario creates resources in: users-first (members before the groups naming them), groups-first (name order, as kubectl apply -f dir/, Argo CD and Flux apply custom kinds), or shuffled (fixed seed)")
	memLimit := flag.String("gomemlimit", "", "run the manager with this GOMEMLIMIT (e.g. 115MiB: what it sets itself in a pod with a 128Mi memory limit); empty: none, as outside a container")
	profileDir := flag.String("profile-dir", "", "write the manager's heap profile (half-way through the sync, after convergence and after the steady state) into this directory")
	scenario := flag.String("scenario", "all", "converge (the operator creates everything), export (kubectl databricks export of an existing account, applied with --adopt and without), or all")
	results := flag.String("results", defaultResults, "after a converge run, merge its record (keyed by scale and order) into this JSON file and redraw scaling.svg next to it; relative paths are from the repository root; empty: write nothing")
	flag.Parse()
	sc, ok := scales[*scaleName]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench: unknown scale %q (%s)\n", *scaleName, scaleNames)
		os.Exit(2)
	}
	if !validOrder(*order) {
		fmt.Fprintf(os.Stderr, "bench: unknown order %q (users-first, groups-first or shuffled)\n", *order)
		os.Exit(2)
	}
	sc.order = *order
	if *scenario != "all" && *scenario != "converge" && *scenario != "export" {
		fmt.Fprintf(os.Stderr, "bench: unknown scenario %q (converge, export or all)\n", *scenario)
		os.Exit(2)
	}
	if _, ok := exportSizes[*scaleName]; !ok && *scenario != "converge" {
		// kustomize's build of the exported directory grows with the square
		// of the resources (5 min at 11,200): hours at this scale.
		if *scenario == "export" {
			fmt.Fprintf(os.Stderr, "bench: the export round trip has no %s scale (small or full)\n", *scaleName)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "bench: scale %s runs the converge scenario only (the export round trip is small or full)\n", *scaleName)
		*scenario = "converge"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *scenario != "export" {
		if err := run(ctx, sc, *rateScale, *concurrency, *keep, *binDir, *profileDir, *results, *memLimit); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
	}
	if *scenario != "converge" {
		if err := runExportBench(ctx, *scaleName, *rateScale, *concurrency, *keep, *binDir); err != nil {
			fmt.Fprintf(os.Stderr, "bench: export: %v\n", err)
			os.Exit(1)
		}
	}
}

func run(ctx context.Context, sc scale, rateScale float64, concurrency int, keep bool, binDir, profileDir, results, memLimit string) error {
	st, err := localenv.NewStack(localenv.StackOptions{Out: os.Stderr, BinDir: binDir})
	if err != nil {
		return err
	}
	defer func() {
		if keep {
			// Keep the logs and profiles, never the processes: move the
			// directory aside (open log files follow it) before stopping.
			kept := st.Dir + "-kept"
			if err := os.Rename(st.Dir, kept); err == nil {
				fmt.Fprintf(os.Stderr, "kept %s\n", kept)
			}
		}
		_ = st.Stop()
	}()
	// The commit measured: the manager is built from the tree as it is now.
	commit := gitCommit(st.Root)
	b := &bench{sc: sc, st: st, rateScale: rateScale, concurrency: concurrency, profileDir: profileDir, memLimit: memLimit}
	steps := []struct {
		title string
		fn    func(context.Context) error
	}{
		{"start the local control plane, the fake (limits x" + fmt.Sprint(rateScale) + ") and the manager", b.start},
		{fmt.Sprintf("seed %d leavers and the group %s, wait until Ready", seedLeavers, adminGroupName), b.seed},
		{fmt.Sprintf("create %d users, %d service principals, %d groups; deactivate the leavers and empty %s meanwhile", sc.users, sc.sps, sc.groups, adminGroupName), b.converge},
		{"measure steady state over three sync intervals after the write shield", b.steady},
		{fmt.Sprintf("measure spec-edit latency over %d edits", sc.edits), b.latency},
	}
	for _, s := range steps {
		fmt.Fprintf(os.Stderr, ">> %s\n", s.title)
		start := time.Now()
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.title, err)
		}
		fmt.Fprintf(os.Stderr, "   done in %s\n", time.Since(start).Round(time.Second))
	}
	sum := b.summarize()
	b.report(os.Stdout, sum)
	if results == "" {
		return nil
	}
	if !filepath.IsAbs(results) {
		results = filepath.Join(st.Root, results)
	}
	svg, err := writeResults(results, b.result(sum, commit))
	if err != nil {
		return fmt.Errorf("writing the results: %w", err)
	}
	fmt.Fprintf(os.Stderr, "results: %s, chart: %s\n", results, svg)
	return nil
}
