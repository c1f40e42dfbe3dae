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

package controller

import (
	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// desiredGroup is the create body: the first MaxMembersOnCreate members go
// into the create itself, so a new group needs no membership PATCH.
// account_admin follows by PATCH, as for users.
func desiredGroup(spec v1.GroupSpec, memberIDs []string) scim.Group {
	g := scim.Group{DisplayName: spec.DisplayName, ExternalID: spec.ExternalID}
	for i, id := range memberIDs {
		if i == scim.MaxMembersOnCreate {
			break
		}
		g.Members = append(g.Members, scim.ComplexValue{Value: id})
	}
	return g
}

// groupChange is what one group needs: PATCH request bodies (attribute
// operations ride in the first), the group afterwards, and what drifted.
type groupChange struct {
	requests [][]scim.Operation
	after    scim.Group
	changed  []string
	added    int
	removed  int
}

// diffGroup compares spec and resolved member ids against the current group.
// Additive never removes; Authoritative removes every member not desired.
func diffGroup(spec v1.GroupSpec, memberIDs []string, cur scim.Group) groupChange {
	ch := groupChange{after: cur}
	var attrs []scim.Operation
	if spec.DisplayName != cur.DisplayName {
		attrs, ch.changed = append(attrs, scim.ReplaceDisplayName(spec.DisplayName)), append(ch.changed, "displayName")
		ch.after.DisplayName = spec.DisplayName
	}
	if spec.ExternalID != "" && spec.ExternalID != cur.ExternalID {
		attrs, ch.changed = append(attrs, scim.ReplaceExternalID(spec.ExternalID)), append(ch.changed, "externalId")
		ch.after.ExternalID = spec.ExternalID
	}
	if op, roles, ok := roleChange(spec.AccountAdmin, cur.Roles); ok {
		attrs, ch.changed = append(attrs, op), append(ch.changed, "accountAdmin")
		ch.after.Roles = roles
	}

	want := make(map[string]bool, len(memberIDs))
	for _, id := range memberIDs {
		want[id] = true
	}
	have := make(map[string]bool, len(cur.Members))
	var add, remove []string
	var kept []scim.ComplexValue
	for _, m := range cur.Members {
		have[m.Value] = true
		if !want[m.Value] && spec.MembershipPolicy != v1.MembershipAdditive {
			remove = append(remove, m.Value)
			continue
		}
		kept = append(kept, m)
	}
	for _, id := range memberIDs {
		if !have[id] {
			add = append(add, id)
			kept = append(kept, scim.ComplexValue{Value: id})
		}
	}
	if len(add) > 0 || len(remove) > 0 {
		ch.changed = append(ch.changed, "members")
		ch.after.Members = kept
		ch.added, ch.removed = len(add), len(remove)
	}
	ch.requests = scim.MemberPatches(add, remove)
	if len(attrs) > 0 {
		if len(ch.requests) == 0 {
			ch.requests = [][]scim.Operation{attrs}
		} else {
			ch.requests[0] = append(attrs, ch.requests[0]...)
		}
	}
	return ch
}
