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
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/inventory"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// procStats reads a process's peak resident memory and CPU time from /proc.
func procStats(pid int) (peakRSS int64, cpu time.Duration, err error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			peakRSS = kb * 1024
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the parenthesised command name; utime and stime are 14th and 15th overall.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const clockTicks = 100 // USER_HZ on Linux
	return peakRSS, time.Duration(utime+stime) * time.Second / clockTicks, nil
}

func (b *bench) report(w io.Writer) {
	sc := b.sc
	l := b.limits()
	objects := sc.users + sc.sps + sc.groups
	wall := b.converged.Sub(b.createStart)
	// Strictly needed: one create per object (members ride inside group
	// creates); the first listing of an empty account is three pages.
	bound := time.Duration(math.Max(float64(objects)/l.Write, 3/l.List) * float64(time.Second))

	total, throttled := 0, 0
	var classes []string
	for c, byCode := range b.convergeCounts {
		classes = append(classes, string(c))
		for code, n := range byCode {
			total += n
			if code == "429" {
				throttled += n
			}
		}
	}
	sort.Strings(classes)
	duplicates := b.createsOK["Users"] - sc.users + b.createsOK["ServicePrincipals"] - sc.sps + b.createsOK["Groups"] - sc.groups

	pages := func(n int) int { return (n + scim.MaxPageSize - 1) / scim.MaxPageSize }
	floor := float64(pages(sc.users)+pages(sc.sps)+pages(sc.groups)) + float64(sc.groups)
	var steady float64
	for _, v := range b.steadyPerInterval {
		steady += v
	}
	peers := float64(objects + sc.edges())

	rss, cpu, err := procStats(b.mgr.Pid())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "databricks-scim-operator benchmark\tscale %s: %d users, %d service principals, %d groups (%d membership edges)\n", sc.name, sc.users, sc.sps, sc.groups, sc.edges())
	fmt.Fprintf(tw, "create order\t%s\n", sc.order)
	fmt.Fprintf(tw, "machine\t%s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(tw, "fake limits (req/s)\tget %.0f, list %.0f, patch %.0f, write %.0f\n", l.Get, l.List, l.Patch, l.Write)
	fmt.Fprintf(tw, "\t\n")
	fmt.Fprintf(tw, "initial convergence\t%s\n", wall.Round(100*time.Millisecond))
	fmt.Fprintf(tw, "rate-limit lower bound\t%s (%d creates at %.0f/s)\n", bound.Round(100*time.Millisecond), objects, l.Write)
	fmt.Fprintf(tw, "ratio (target <= 1.15)\t%.3f\n", wall.Seconds()/bound.Seconds())
	for _, c := range classes {
		var codes []string
		for code, n := range b.convergeCounts[scim.Class(c)] {
			codes = append(codes, fmt.Sprintf("%s:%d", code, n))
		}
		sort.Strings(codes)
		fmt.Fprintf(tw, "calls %s\t%s\n", c, strings.Join(codes, " "))
	}
	fmt.Fprintf(tw, "429s / all calls (target <= 1%%)\t%d / %d = %.2f%%\n", throttled, total, 100*float64(throttled)/math.Max(1, float64(total)))
	fmt.Fprintf(tw, "duplicate creates (target 0)\t%d\n", duplicates)
	fmt.Fprintf(tw, "group PATCHes during convergence\t%d\n", b.groupPatches)
	fmt.Fprintf(tw, "\t\n")
	fmt.Fprintf(tw, "steady state settled for\t%s after convergence (the %s write shield plus one interval), then measured 3 intervals\n", b.settle, inventory.DefaultWriteShield)
	fmt.Fprintf(tw, "steady state, per %s interval\t%.0f calls (list pages %.0f, group GETs %.0f, other GETs %.0f)\n", sc.syncInterval.Duration,
		steady, b.steadyPerInterval["list page"], b.steadyPerInterval["group GET"], b.steadyPerInterval["other GET"])
	fmt.Fprintf(tw, "steady-state floor\t%.0f (list pages + one GET per managed group)\n", floor)
	fmt.Fprintf(tw, "steady-state writes (target 0)\t%d\n", b.steadyWrites)
	fmt.Fprintf(tw, "spec edit -> PATCH (target p95 <= 2s)\tp50 %s, p95 %s over %d edits\n",
		percentile(b.latencies, 0.5).Round(time.Millisecond), percentile(b.latencies, 0.95).Round(time.Millisecond), len(b.latencies))
	if err == nil {
		fmt.Fprintf(tw, "manager peak RSS (target <= 256 MiB)\t%.0f MiB\n", float64(rss)/(1<<20))
		fmt.Fprintf(tw, "manager CPU\t%.1f s\n", cpu.Seconds())
	} else {
		fmt.Fprintf(tw, "manager process stats\tunavailable: %v\n", err)
	}
	if b.heapConverged > 0 {
		fmt.Fprintf(tw, "manager heap in use after GC\t%.0f MiB at convergence, %.0f MiB after the steady state\n", float64(b.heapConverged)/(1<<20), float64(b.heapSteady)/(1<<20))
	}
	conv := b.cpuConverged.sub(b.cpuStart)
	fmt.Fprintf(tw, "CPU during convergence (s)\t%s; %.1f of %d cores x %.1fs = %.1f\n", conv, conv.total().Seconds(), runtime.NumCPU(), wall.Seconds(), float64(runtime.NumCPU())*wall.Seconds())
	fmt.Fprintf(tw, "CPU over the whole run (s)\t%s\n", b.sampleCPU())
	fmt.Fprintf(tw, "per-object refresh (Terraform plan, Crossplane poll)\t%.0f calls (one GET per object and per membership edge)\n", peers)
	fmt.Fprintf(tw, "ours / per-object\t%.3f (%.0fx fewer calls)\n", steady/peers, peers/math.Max(1, steady))
	_ = tw.Flush()
}
