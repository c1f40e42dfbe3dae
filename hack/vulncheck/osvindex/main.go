// Command osvindex turns a flat folder of Go vulnerability OSV entries (the
// data/osv folder of the golang.org/x/vulndb module) into the v1 database
// layout that `govulncheck -db file://DIR` reads:
//
//	DIR/index/db.json       {"modified": ...}
//	DIR/index/modules.json  [{"path", "vulns": [{"id", "modified", "fixed"}]}]
//	DIR/index/vulns.json    [{"id", "modified", "aliases"}]
//	DIR/ID/GO-YYYY-NNNN.json
//
// The module ships the OSV entries but not the index files, which the public
// database server generates; this builds them the same way (the "fixed" of a
// module is the latest fix that no later "introduced" supersedes), so that
// hack/vulncheck.sh can check dependencies with no network access.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
		Ranges []osvRange `json:"ranges,omitempty"`
	} `json:"affected"`
}

type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced,omitempty"`
		Fixed      string `json:"fixed,omitempty"`
	} `json:"events"`
}

type dbMeta struct {
	Modified time.Time `json:"modified"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vulnMeta struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

func main() {
	src := flag.String("src", "", "folder of OSV entries named <ID>.json (golang.org/x/vulndb's data/osv)")
	out := flag.String("out", "", "folder to write the database to (must not exist)")
	modified := flag.String("modified", "", "RFC 3339 time to report as the database's age when it is later than every entry's (e.g. the module's commit time)")
	flag.Parse()
	if *src == "" || *out == "" {
		log.Fatal("usage: osvindex -src DIR -out DIR [-modified TIME]")
	}
	if err := run(*src, *out, *modified); err != nil {
		log.Fatal(err)
	}
}

func run(src, out, modified string) error {
	var db dbMeta
	if modified != "" {
		t, err := time.Parse(time.RFC3339, modified)
		if err != nil {
			return fmt.Errorf("-modified: %w", err)
		}
		db.Modified = t.UTC()
	}
	files, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no OSV entries in %s", src)
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		return err
	}
	for _, d := range []string{"ID", "index"} {
		if err := os.Mkdir(filepath.Join(out, d), 0o755); err != nil {
			return err
		}
	}

	modules := map[string]*moduleMeta{}
	var vulns []vulnMeta
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if e.ID == "" || filepath.Base(f) != e.ID+".json" {
			return fmt.Errorf("%s: entry id %q does not match its file name", f, e.ID)
		}
		if e.Modified.After(db.Modified) {
			db.Modified = e.Modified
		}
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name, Vulns: []moduleVuln{}}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: nonSupersededFix(a.Ranges)})
		}
		if err := os.WriteFile(filepath.Join(out, "ID", e.ID+".json"), b, 0o644); err != nil {
			return err
		}
	}

	mods := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	sort.Slice(vulns, func(i, j int) bool { return vulns[i].ID < vulns[j].ID })

	for name, v := range map[string]any{"db": db, "modules": mods, "vulns": vulns} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, "index", name+".json"), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "osvindex: %d entries, %d modules, modified %s\n", len(vulns), len(mods), db.Modified.Format(time.RFC3339))
	return nil
}

// nonSupersededFix returns the latest SEMVER "fixed" version of the ranges,
// or "" if a later "introduced" reopens it (then every version may be
// affected and govulncheck must read the entry itself).
func nonSupersededFix(ranges []osvRange) string {
	var latest string
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && less(latest, e.Fixed) {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && less(latest, e.Introduced) {
				latest = ""
				break
			}
		}
	}
	return latest
}

// less compares OSV versions, which carry no "v" (or "go") prefix.
func less(a, b string) bool {
	canon := func(s string) string {
		return "v" + strings.TrimPrefix(strings.TrimPrefix(s, "v"), "go")
	}
	return semver.Compare(canon(a), canon(b)) < 0
}
