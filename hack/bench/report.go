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
	"cmp"
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
	_, f, ok := statFields(string(stat))
	if !ok || len(f) < 13 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	// utime and stime are the 14th and 15th fields overall.
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const clockTicks = 100 // USER_HZ on Linux
	return peakRSS, time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// summary is what a run measured, derived once for the report and the
// results file.
type summary struct {
	objects, managed int // the bulk workload's identities; with the seed
	wall             time.Duration
	// Lower bounds on the convergence: the SCIM write budget (one create
	// per object at the fake's write limit; members ride inside group
	// creates; the first listing of an empty account is three pages) and
	// the local control plane (the harness's creates; the operator cannot
	// finish before the last object exists). bound is the larger.
	scimBound, createBound, bound time.Duration
	binds                         string
	ratio                         float64

	total, throttled int
	duplicates       int

	floor, steady float64
	peers         float64

	rss int64
	// exeRSS is the part of the RSS that is the executable's own pages.
	exeRSS   int64
	cpu      time.Duration
	statsErr error
}

const (
	bindsSCIM    = "SCIM write budget"
	bindsCreates = "local control plane (the harness's creates)"
)

func (b *bench) summarize() summary {
	sc := b.sc
	l := b.limits()
	var s summary
	s.objects = sc.users + sc.sps + sc.groups
	s.managed = s.objects + seedIdentities
	s.wall = b.converged.Sub(b.createStart)
	s.scimBound = time.Duration(math.Max(float64(s.objects)/l.Write, 3/l.List) * float64(time.Second))
	s.createBound = b.createDone
	s.bound, s.binds = s.scimBound, bindsSCIM
	if s.createBound > s.scimBound {
		s.bound, s.binds = s.createBound, bindsCreates
	}
	s.ratio = s.wall.Seconds() / s.bound.Seconds()

	for _, byCode := range b.convergeCounts {
		for code, n := range byCode {
			s.total += n
			if code == "429" {
				s.throttled += n
			}
		}
	}
	s.duplicates = b.createsOK["Users"] - sc.users + b.createsOK["ServicePrincipals"] - sc.sps + b.createsOK["Groups"] - sc.groups

	// The floor counts every managed identity, the seed's included: list
	// pages of each kind plus one GET per managed group.
	pages := func(n int) int { return (n + scim.MaxPageSize - 1) / scim.MaxPageSize }
	s.floor = float64(pages(sc.users+seedLeavers)+pages(sc.sps)+pages(sc.groups+1)) + float64(sc.groups+1)
	for _, v := range b.steadyPerInterval {
		s.steady += v
	}
	// The seed's admin group ends empty: no edges beyond the workload's.
	s.peers = float64(s.managed + sc.edges())
	s.rss, s.cpu, s.statsErr = procStats(b.mgr.Pid())
	s.exeRSS, _ = executableRSS(b.mgr.Pid())
	return s
}

func (b *bench) report(w io.Writer, s summary) {
	sc := b.sc
	l := b.limits()
	var classes []string
	for c := range b.convergeCounts {
		classes = append(classes, string(c))
	}
	sort.Strings(classes)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "databricks-scim-operator benchmark\tscale %s: %d users, %d service principals, %d groups (%d membership edges)\n", sc.name, sc.users, sc.sps, sc.groups, sc.edges())
	fmt.Fprintf(tw, "create order\t%s\n", sc.order)
	fmt.Fprintf(tw, "machine\t%s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(tw, "fake limits (req/s)\tget %.0f, list %.0f, patch %.0f, write %.0f\n", l.Get, l.List, l.Patch, l.Write)
	fmt.Fprintf(tw, "seed (created and Ready before the timing)\t%d users (leavers), group %s (accountAdmin, %d of them as members)\n", seedLeavers, adminGroupName, seedAdmins)
	fmt.Fprintf(tw, "\t\n")
	fmt.Fprintf(tw, "initial convergence\t%s\n", s.wall.Round(100*time.Millisecond))
	fmt.Fprintf(tw, "rate-limit lower bound\t%s (%d creates at %.0f/s)\n", s.scimBound.Round(100*time.Millisecond), s.objects, l.Write)
	fmt.Fprintf(tw, "harness creates (local control plane)\t%s (%d objects, 16 at a time)\n", s.createBound.Round(100*time.Millisecond), s.objects)
	fmt.Fprintf(tw, "binding bound\t%s\n", s.binds)
	fmt.Fprintf(tw, "ratio (target <= 1.15)\t%.3f\n", s.ratio)
	if s.binds != bindsSCIM {
		fmt.Fprintf(tw, "ratio to the SCIM bound\t%.3f\n", s.wall.Seconds()/s.scimBound.Seconds())
	}
	for _, c := range classes {
		var codes []string
		for code, n := range b.convergeCounts[scim.Class(c)] {
			codes = append(codes, fmt.Sprintf("%s:%d", code, n))
		}
		sort.Strings(codes)
		fmt.Fprintf(tw, "calls %s\t%s\n", c, strings.Join(codes, " "))
	}
	fmt.Fprintf(tw, "429s / all calls (target <= 1%%)\t%d / %d = %.2f%%\n", s.throttled, s.total, 100*float64(s.throttled)/math.Max(1, float64(s.total)))
	fmt.Fprintf(tw, "duplicate creates (target 0)\t%d\n", s.duplicates)
	fmt.Fprintf(tw, "group PATCHes during convergence\t%d (the workload's groups; those of %s are below)\n", b.groupPatches, adminGroupName)
	if b.logDropped > 0 {
		fmt.Fprintf(tw, "fake request log\tdropped its %d oldest records: duplicate creates and latencies may be incomplete\n", b.logDropped)
	}
	if u := b.urgent; u != nil {
		fmt.Fprintf(tw, "\t\n")
		fmt.Fprintf(tw, "urgent changes during the initial sync\t%d deactivations (%s apart) and %d admin-group removals (%s apart), from %.1fs after the first create\n",
			seedLeavers, deactivationEvery, seedAdmins, removalEvery, u.triggerAt.Sub(b.createStart).Seconds())
		fmt.Fprintf(tw, "  backlog when sent\t%d of %d creates had reached the fake, the harness had created %d: %d waiting\n",
			u.triggerCreates, s.objects, u.triggerCreated, max(0, u.triggerCreated-u.triggerCreates))
		fmt.Fprintf(tw, "deactivation -> user PATCH\t%s over %d\n", fmtLatencies(u.deactivations), len(u.deactivations))
		fmt.Fprintf(tw, "admin-group removal -> group PATCH\t%s over %d (%d group PATCHes)\n", fmtLatencies(u.removals), len(u.removals), u.removalPatches)
		fmt.Fprintf(tw, "all urgent changes (target p95 <= 5s)\t%s over %d\n", fmtLatencies(u.all()), len(u.all()))
		fmt.Fprintf(tw, "urgent end state\t%d of %d leavers inactive in the fake, %s has %d members\n", u.inactive, seedLeavers, adminGroupName, u.adminMembers)
	}
	fmt.Fprintf(tw, "\t\n")
	fmt.Fprintf(tw, "steady state settled for\t%s after convergence (the %s write shield plus one interval), then measured 3 intervals\n", b.settle, inventory.DefaultWriteShield)
	fmt.Fprintf(tw, "steady state, per %s interval\t%.0f calls (list pages %.0f, group GETs %.0f, other GETs %.0f)\n", sc.syncInterval.Duration,
		s.steady, b.steadyPerInterval["list page"], b.steadyPerInterval["group GET"], b.steadyPerInterval["other GET"])
	fmt.Fprintf(tw, "steady-state floor\t%.0f (list pages + one GET per managed group, the seed's included)\n", s.floor)
	fmt.Fprintf(tw, "steady-state writes (target 0)\t%d\n", b.steadyWrites)
	fmt.Fprintf(tw, "spec edit -> PATCH (target p95 <= 2s)\tp50 %s, p95 %s over %d edits\n",
		percentile(b.latencies, 0.5).Round(time.Millisecond), percentile(b.latencies, 0.95).Round(time.Millisecond), len(b.latencies))
	fmt.Fprintf(tw, "\t\n")
	fmt.Fprintf(tw, "manager GOMEMLIMIT\t%s\n", cmp.Or(b.memLimit, "none"))
	if s.statsErr == nil {
		fmt.Fprintf(tw, "manager peak RSS (target <= %d MiB)\t%.0f MiB (%.0f KiB per managed identity); %.0f MiB by convergence\n", rssTargetMiB(sc.name), float64(s.rss)/(1<<20), float64(s.rss)/float64(s.managed)/1024, float64(b.rssConverged)/(1<<20))
		if s.exeRSS > 0 {
			fmt.Fprintf(tw, "manager executable's resident pages\t%.0f MiB (code and read-only data: no heap cut lowers them)\n", float64(s.exeRSS)/(1<<20))
		}
		fmt.Fprintf(tw, "manager CPU\t%.1f s\n", s.cpu.Seconds())
	} else {
		fmt.Fprintf(tw, "manager process stats\tunavailable: %v\n", s.statsErr)
	}
	if b.heapConverged > 0 {
		fmt.Fprintf(tw, "manager heap in use after GC\t%.0f MiB at convergence, %.0f MiB after the steady state\n", float64(b.heapConverged)/(1<<20), float64(b.heapSteady)/(1<<20))
	}
	conv := b.cpuConverged.sub(b.cpuStart)
	fmt.Fprintf(tw, "CPU during convergence (s)\t%s; %.1f of %d cores x %.1fs = %.1f\n", conv, conv.total().Seconds(), runtime.NumCPU(), s.wall.Seconds(), float64(runtime.NumCPU())*s.wall.Seconds())
	fmt.Fprintf(tw, "CPU over the whole run (s)\t%s\n", b.sampleCPU())
	fmt.Fprintf(tw, "per-object refresh (Terraform plan, Crossplane poll)\t%.0f calls (one GET per object and per membership edge)\n", s.peers)
	fmt.Fprintf(tw, "ours / per-object\t%.3f (%.0fx fewer calls)\n", s.steady/s.peers, s.peers/math.Max(1, s.steady))
	_ = tw.Flush()
}

// rssTargetMiB is the manager's peak RSS target: design §5's 256 MiB, and
// issue 13's 512 MiB at xl.
func rssTargetMiB(scale string) int {
	if scale == "xl" {
		return 512
	}
	return 256
}

func fmtLatencies(ds []time.Duration) string {
	return fmt.Sprintf("p50 %s, p95 %s, max %s", percentile(ds, 0.5).Round(time.Millisecond),
		percentile(ds, 0.95).Round(time.Millisecond), percentile(ds, 1).Round(time.Millisecond))
}

// result is the run's record for the results file.
func (b *bench) result(s summary, commit string) result {
	sc := b.sc
	r := result{
		Scale: sc.name, Order: sc.order,
		Users: sc.users, ServicePrincipals: sc.sps, Groups: sc.groups,
		Identities: s.objects, ManagedIdentities: s.managed, Edges: sc.edges(), RateScale: b.rateScale,
		ConvergenceSeconds: round(s.wall.Seconds(), 1), BoundSeconds: round(s.bound.Seconds(), 1),
		Ratio: round(s.ratio, 3), Binds: s.binds,
		SCIMBoundSeconds: round(s.scimBound.Seconds(), 1), HarnessCreateSeconds: round(s.createBound.Seconds(), 1),
		SteadyIntervalSeconds: sc.syncInterval.Seconds(), SteadySettleSeconds: b.settle.Seconds(),
		SteadyCallsPerInterval: round(s.steady, 1), SteadyFloor: s.floor, SteadyWrites: b.steadyWrites,
		GoMemLimit: b.memLimit, PeakRSSBytes: s.rss, PeakRSSConvergedBytes: b.rssConverged, ExecutableRSSBytes: s.exeRSS, CPUSeconds: round(s.cpu.Seconds(), 1),
		BytesPerIdentity:        math.Round(float64(s.rss) / float64(s.managed)),
		HeapInuseConvergedBytes: b.heapConverged, HeapInuseSteadyBytes: b.heapSteady,
		CPUConvergeSeconds: b.cpuConverged.sub(b.cpuStart).seconds(),
		EditP95Seconds:     round(percentile(b.latencies, 0.95).Seconds(), 3),
		Date:               time.Now().UTC().Format(time.RFC3339),
		Machine:            thisMachine(),
		Commit:             commit,
	}
	if u := b.urgent; u != nil {
		r.UrgentDeactivations, r.UrgentRemovals, r.UrgentAll = latencySummary(u.deactivations), latencySummary(u.removals), latencySummary(u.all())
	}
	return r
}
