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

package plan

import (
	"fmt"
	"io"
	"strings"
)

// symbols mark each item's first line.
var symbols = map[Action]string{
	Create: "+", Adopt: ">", Patch: "~", Unchanged: "=", Observe: "o",
	Conflict: "!", NotPermitted: "!", NotFound: "!", Ambiguous: "!", Invalid: "!",
	Suspended: "-", Skipped: "-",
}

// Write prints the plan for people: one line per resource, indented detail
// lines (attributes, members, notes), and a summary.
func (p *Plan) Write(w io.Writer) {
	for _, it := range p.Items {
		head := fmt.Sprintf("%s %s %s/%s (%s): %s", symbols[it.Action], it.Kind, it.Namespace, it.Name, it.Key, it.Action)
		if it.ID != "" && it.Action != Create {
			head += fmt.Sprintf(" (SCIM id %s)", it.ID)
		}
		if it.Message != "" {
			head += ": " + it.Message
		}
		fmt.Fprintln(w, head)
		for _, c := range it.Changes {
			if c.Old == "" && it.Action == Create {
				fmt.Fprintf(w, "    %s = %s\n", c.Attribute, c.New)
			} else {
				fmt.Fprintf(w, "    %s: %s -> %s\n", c.Attribute, c.Old, c.New)
			}
		}
		for _, a := range it.Added {
			fmt.Fprintf(w, "    + member %s\n", a)
		}
		for _, r := range it.Removed {
			fmt.Fprintf(w, "    - member %s\n", r)
		}
		for _, u := range it.Unresolved {
			fmt.Fprintf(w, "    ? member %s unresolved: %s\n", u.Member, u.Reason)
		}
		for _, d := range it.Drift {
			if d.Attribute == "member" {
				fmt.Fprintf(w, "    drift (not written: Observe): %s\n", d.New)
			} else {
				fmt.Fprintf(w, "    drift (not written: Observe): %s: %s -> %s\n", d.Attribute, d.Old, d.New)
			}
		}
		for _, n := range it.Notes {
			fmt.Fprintf(w, "    note: %s\n", n)
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintln(w, p.Summary())
}

// Summary counts the items by action, e.g. "Plan: 2 to create, 1 to adopt,
// 3 to patch (5 members to add, 1 to remove), 1 conflict, 10 unchanged."
func (p *Plan) Summary() string {
	count := map[Action]int{}
	added, removed, unresolved := 0, 0, 0
	for _, it := range p.Items {
		count[it.Action]++
		added += len(it.Added)
		removed += len(it.Removed)
		unresolved += len(it.Unresolved)
	}
	var parts []string
	add := func(n int, format string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf(format, n))
		}
	}
	add(count[Create], "%d to create")
	add(count[Adopt], "%d to adopt")
	add(count[Patch], "%d to patch")
	if added+removed > 0 {
		parts = append(parts, fmt.Sprintf("%d members to add, %d to remove", added, removed))
	}
	add(unresolved, "%d members unresolved")
	add(count[Conflict], "%d conflict(s)")
	add(count[NotPermitted], "%d not permitted")
	add(count[Ambiguous], "%d ambiguous")
	add(count[NotFound], "%d not found")
	add(count[Invalid], "%d invalid")
	add(count[Unchanged], "%d unchanged")
	add(count[Observe], "%d observed")
	add(count[Suspended], "%d suspended")
	add(count[Skipped], "%d of other accounts skipped")
	if len(parts) == 0 {
		return "Plan: nothing to plan."
	}
	s := "Plan: " + strings.Join(parts, ", ") + "."
	if p.InSync() {
		s += " No changes."
	}
	return s
}
