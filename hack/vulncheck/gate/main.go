// Command gate reads `govulncheck -format json` on stdin, prints the
// vulnerabilities that the code calls (govulncheck's default, symbol-level
// verdict) and exits 1 if any of them is in a module that go.mod requires.
//
// Vulnerabilities in the Go standard library are fixed by a newer Go patch
// release, not by go.mod. With -stdlib=warn they are printed but do not fail
// the check (the toolchain on the build machine is not something a go.mod
// bump can change); -stdlib=fail makes them fail like module ones.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"sort"
	"strings"
)

type message struct {
	Config *struct {
		ScannerVersion string `json:"scanner_version"`
		DB             string `json:"db"`
		GoVersion      string `json:"go_version"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
}

func (f frame) String() string {
	s := f.Package
	if f.Receiver != "" {
		s += "." + strings.TrimPrefix(f.Receiver, "*")
	}
	if f.Function != "" {
		s += "." + f.Function
	}
	return s
}

type vuln struct {
	id, summary string
	inModule    bool            // called through a module go.mod requires
	listed      bool            // has any finding (called or not)
	found       map[string]bool // "module@version, fixed in X"
	example     string          // one call path, caller first
}

func isGo(module string) bool { return module == "stdlib" || module == "toolchain" }

func main() {
	stdlib := flag.String("stdlib", "warn", "what a called vulnerability in the Go standard library does: warn or fail")
	flag.Parse()
	if *stdlib != "warn" && *stdlib != "fail" {
		log.Fatalf("-stdlib must be warn or fail, not %q", *stdlib)
	}

	vulns := map[string]*vuln{}
	get := func(id string) *vuln {
		v := vulns[id]
		if v == nil {
			v = &vuln{id: id, found: map[string]bool{}}
			vulns[id] = v
		}
		return v
	}
	var goVersion, scanner string
	dec := json.NewDecoder(os.Stdin)
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			log.Fatalf("reading govulncheck's JSON: %v", err)
		}
		switch {
		case m.Config != nil:
			goVersion, scanner = m.Config.GoVersion, m.Config.ScannerVersion
		case m.OSV != nil:
			get(m.OSV.ID).summary = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0:
			f := m.Finding
			v := get(f.OSV)
			v.listed = true
			top := f.Trace[0]
			if top.Function == "" {
				continue // imported or required, but not called
			}
			v.inModule = v.inModule || !isGo(top.Module)
			fixed := f.FixedVersion
			if fixed == "" {
				fixed = "no fixed version"
			} else {
				fixed = "fixed in " + fixed
			}
			v.found[fmt.Sprintf("%s@%s, %s", top.Module, top.Version, fixed)] = true
			if v.example == "" {
				path := make([]string, 0, len(f.Trace))
				for i := len(f.Trace) - 1; i >= 0; i-- {
					path = append(path, f.Trace[i].String())
				}
				v.example = strings.Join(path, " -> ")
			}
		}
	}
	if scanner == "" {
		log.Fatal("no govulncheck output on stdin")
	}

	var called, stdCalled []*vuln
	notCalled := 0
	for _, v := range vulns {
		switch {
		case len(v.found) == 0:
			if v.listed {
				notCalled++
			}
		case v.inModule:
			called = append(called, v)
		default:
			stdCalled = append(stdCalled, v)
		}
	}
	byID := func(s []*vuln) { sort.Slice(s, func(i, j int) bool { return s[i].id < s[j].id }) }
	byID(called)
	byID(stdCalled)
	show := func(title string, s []*vuln) {
		if len(s) == 0 {
			return
		}
		fmt.Printf("\n%s\n", title)
		for _, v := range s {
			fmt.Printf("  %s: %s\n", v.id, v.summary)
			var found []string
			for k := range v.found {
				found = append(found, k)
			}
			sort.Strings(found)
			for _, k := range found {
				fmt.Printf("    found in %s\n", k)
			}
			fmt.Printf("    called: %s\n", v.example)
		}
	}
	fmt.Printf("govulncheck %s, %s\n", scanner, goVersion)
	show(fmt.Sprintf("%d called vulnerabilities in required modules (bump them in go.mod):", len(called)), called)
	show(fmt.Sprintf("%d called vulnerabilities in the Go standard library of %s (fixed by a newer Go release, not by go.mod):", len(stdCalled), goVersion), stdCalled)
	fmt.Printf("\n%d more vulnerabilities are in packages or modules the code imports or requires but does not call (not failures).\n", notCalled)

	failed := len(called) > 0 || (*stdlib == "fail" && len(stdCalled) > 0)
	switch {
	case failed:
		fmt.Println("vulncheck: FAILED")
		os.Exit(1)
	case len(stdCalled) > 0:
		fmt.Println("vulncheck: passed for go.mod; the standard library findings above are warnings (VULNCHECK_STDLIB=fail fails on them)")
	default:
		fmt.Println("vulncheck: no called vulnerabilities")
	}
}
