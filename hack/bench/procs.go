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

// Everything the benchmark runs shares the machine's cores: the manager
// under test, and also the harness itself, the fake SCIM server and the
// local control plane. Their CPU time is measured apart so a report shows
// what competed with the manager.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cpuProcs are the processes whose CPU time is reported, in report order.
var cpuProcs = []string{"manager", "kube-apiserver", "etcd", "fake", "harness"}

// cpuSample is each process's CPU time (user + system) at one moment;
// processes that could not be read are missing.
type cpuSample map[string]time.Duration

// sampleCPU reads the CPU time of the manager, the fake, the harness (this
// process) and the control plane (the etcd and kube-apiserver that envtest
// started as this process's children).
func (b *bench) sampleCPU() cpuSample {
	s := cpuSample{}
	if b.mgr != nil {
		if _, cpu, err := procStats(b.mgr.Pid()); err == nil {
			s["manager"] = cpu
		}
	}
	if b.st.Fake != nil {
		if _, cpu, err := procStats(b.st.Fake.Pid()); err == nil {
			s["fake"] = cpu
		}
	}
	// The harness's own time, as getrusage(RUSAGE_SELF) would give it
	// (every thread's user and system time), read like the others'.
	if _, cpu, err := procStats(os.Getpid()); err == nil {
		s["harness"] = cpu
	}
	for name, pids := range childrenByName(os.Getpid()) {
		if name != "etcd" && name != "kube-apiserver" {
			continue
		}
		for _, pid := range pids {
			if _, cpu, err := procStats(pid); err == nil {
				s[name] += cpu
			}
		}
	}
	return s
}

// sub is s - earlier, per process present in both.
func (s cpuSample) sub(earlier cpuSample) cpuSample {
	d := cpuSample{}
	for k, v := range s {
		if e, ok := earlier[k]; ok {
			d[k] = v - e
		}
	}
	return d
}

func (s cpuSample) total() time.Duration {
	var t time.Duration
	for _, v := range s {
		t += v
	}
	return t
}

// String is "manager 10.2, kube-apiserver 8.1, ..." in seconds.
func (s cpuSample) String() string {
	var parts []string
	for _, name := range cpuProcs {
		if v, ok := s[name]; ok {
			parts = append(parts, fmt.Sprintf("%s %.1f", name, v.Seconds()))
		}
	}
	if len(parts) == 0 {
		return "unavailable"
	}
	return strings.Join(parts, ", ")
}

// childrenByName maps the command name (/proc/<pid>/comm) of each child of
// parent to its pids.
func childrenByName(parent int) map[string][]int {
	out := map[string][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue // exited meanwhile
		}
		name, f, ok := statFields(string(raw))
		if !ok || len(f) < 2 { // state, ppid, ...
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err != nil || ppid != parent {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil {
			continue
		}
		out[name] = append(out[name], pid)
	}
	return out
}

// statFields splits a /proc/<pid>/stat line into the command name (which
// may hold spaces and parentheses) and the fields after it.
func statFields(s string) (name string, fields []string, ok bool) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open || end+2 > len(s) {
		return "", nil, false
	}
	return s[open+1 : end], strings.Fields(s[end+2:]), true
}

// executableRSS reads how much of a process's resident memory is its own
// executable's pages (code and read-only data), from /proc/<pid>/smaps: the
// part of the RSS no cut of the heap lowers.
func executableRSS(pid int) (int64, error) {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return 0, err
	}
	smaps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0, err
	}
	return mappedRSS(string(smaps), exe), nil
}

// mappedRSS sums the Rss of the smaps mappings of path.
func mappedRSS(smaps, path string) int64 {
	var total int64
	inPath := false
	for _, line := range strings.Split(smaps, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			// A mapping's header: address range, perms, offset, device, inode[, path].
			inPath = len(f) >= 6 && f[5] == path
		case inPath && len(f) >= 2 && f[0] == "Rss:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			total += kb * 1024
		}
	}
	return total
}
