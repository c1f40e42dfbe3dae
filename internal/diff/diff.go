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

// Package diff is what the operator would change in Databricks, as pure
// functions the controllers and `kubectl databricks plan` share: the create
// body of a spec, the PATCH operations that bring a remote object to its
// spec, and a group's spec members resolved to SCIM ids (Resolver). Nothing
// here talks to Databricks or writes to Kubernetes.
package diff

import (
	"strings"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// DesiredUser is the create body for a user spec. account_admin is not in
// it: Databricks documents roles through PATCH, which follows at once.
func DesiredUser(spec v1.UserSpec) scim.User {
	u := scim.User{
		UserName:    strings.ToLower(spec.UserName),
		DisplayName: spec.DisplayName,
		ExternalID:  spec.ExternalID,
		Active:      scim.Bool(spec.Active == nil || *spec.Active),
	}
	if spec.GivenName != "" || spec.FamilyName != "" {
		u.Name = &scim.Name{GivenName: spec.GivenName, FamilyName: spec.FamilyName}
	}
	return u
}

// User returns the PATCH operations that bring cur to spec, the user as it
// will be afterwards, and the names of the drifted attributes. Unset spec
// fields are not managed, and userName is never patched (Databricks ignores it).
func User(spec v1.UserSpec, cur scim.User) ([]scim.Operation, scim.User, []string) {
	after := cur
	ops, changed := diffPrincipal(principalSpec{spec.DisplayName, spec.Active, spec.ExternalID, spec.AccountAdmin},
		principalFields{&after.DisplayName, &after.Active, &after.ExternalID, &after.Roles})
	if name, ok := desiredName(spec.GivenName, spec.FamilyName, cur.Name); ok {
		ops, changed = append(ops, scim.ReplaceName(name.GivenName, name.FamilyName)), append(changed, "name")
		after.Name = &name
	}
	return ops, after, changed
}

// desiredName merges the managed name parts over the current ones; ok is
// false when nothing differs.
func desiredName(given, family string, cur *scim.Name) (scim.Name, bool) {
	var have scim.Name
	if cur != nil {
		have = *cur
	}
	want := have
	if given != "" {
		want.GivenName = given
	}
	if family != "" {
		want.FamilyName = family
	}
	return want, want != have
}

// roleChange adds or removes account_admin as accountAdmin asks (nil: unmanaged).
func roleChange(accountAdmin *bool, roles []scim.ComplexValue) (scim.Operation, []scim.ComplexValue, bool) {
	if accountAdmin == nil {
		return scim.Operation{}, roles, false
	}
	has := false
	var others []scim.ComplexValue
	for _, r := range roles {
		if r.Value == scim.RoleAccountAdmin {
			has = true
			continue
		}
		others = append(others, r)
	}
	switch {
	case *accountAdmin && !has:
		return scim.AddRole(scim.RoleAccountAdmin), append(others, scim.ComplexValue{Value: scim.RoleAccountAdmin}), true
	case !*accountAdmin && has:
		return scim.RemoveRole(scim.RoleAccountAdmin), others, true
	}
	return scim.Operation{}, roles, false
}

// DesiredServicePrincipal is the create body for a service principal spec (account_admin
// follows by PATCH, as for users).
func DesiredServicePrincipal(spec v1.ServicePrincipalSpec) scim.ServicePrincipal {
	s := scim.ServicePrincipal{
		ApplicationID: spec.ApplicationID,
		DisplayName:   spec.DisplayName,
		ExternalID:    spec.ExternalID,
		Active:        scim.Bool(spec.Active == nil || *spec.Active),
	}
	return s
}

// ServicePrincipal returns the PATCH operations that bring cur to spec, the service
// principal as it will be afterwards, and the drifted attribute names.
func ServicePrincipal(spec v1.ServicePrincipalSpec, cur scim.ServicePrincipal) ([]scim.Operation, scim.ServicePrincipal, []string) {
	after := cur
	ops, changed := diffPrincipal(principalSpec{spec.DisplayName, spec.Active, spec.ExternalID, spec.AccountAdmin},
		principalFields{&after.DisplayName, &after.Active, &after.ExternalID, &after.Roles})
	return ops, after, changed
}

// principalSpec is the managed part of a user or service principal spec that both kinds share.
type principalSpec struct {
	displayName  string
	active       *bool
	externalID   string
	accountAdmin *bool
}

// principalFields points into the remote object being brought to the spec.
type principalFields struct {
	displayName *string
	active      **bool
	externalID  *string
	roles       *[]scim.ComplexValue
}

// diffPrincipal compares the attributes users and service principals share,
// updates them through the pointers, and returns the operations and the
// drifted attribute names. Unset spec fields are not managed; active
// defaults to true.
func diffPrincipal(spec principalSpec, cur principalFields) ([]scim.Operation, []string) {
	var (
		ops     []scim.Operation
		changed []string
	)
	if spec.displayName != "" && spec.displayName != *cur.displayName {
		ops, changed = append(ops, scim.ReplaceDisplayName(spec.displayName)), append(changed, "displayName")
		*cur.displayName = spec.displayName
	}
	if want := spec.active == nil || *spec.active; want != (*cur.active == nil || **cur.active) {
		ops, changed = append(ops, scim.ReplaceActive(want)), append(changed, "active")
		*cur.active = scim.Bool(want)
	}
	if spec.externalID != "" && spec.externalID != *cur.externalID {
		ops, changed = append(ops, scim.ReplaceExternalID(spec.externalID)), append(changed, "externalId")
		*cur.externalID = spec.externalID
	}
	if op, roles, ok := roleChange(spec.accountAdmin, *cur.roles); ok {
		ops, changed = append(ops, op), append(changed, "accountAdmin")
		*cur.roles = roles
	}
	return ops, changed
}

// DesiredGroup is the create body: the first MaxMembersOnCreate members go
// into the create itself, so a new group needs no membership PATCH.
// account_admin follows by PATCH, as for users.
func DesiredGroup(spec v1.GroupSpec, memberIDs []string) scim.Group {
	g := scim.Group{DisplayName: spec.DisplayName, ExternalID: spec.ExternalID}
	for i, id := range memberIDs {
		if i == scim.MaxMembersOnCreate {
			break
		}
		g.Members = append(g.Members, scim.ComplexValue{Value: id})
	}
	return g
}

// GroupChange is what one group needs: PATCH request bodies (attribute
// operations ride in the first), the group afterwards, what drifted, and the
// member ids added and removed.
type GroupChange struct {
	Requests [][]scim.Operation
	After    scim.Group
	Changed  []string
	Added    []string
	Removed  []string
}

// Group compares the spec and its resolved members against the current
// group. Additive never removes; Authoritative removes every member not
// desired, except while a member named by natural key is missing from the
// account (m.MissingByKey): it may be new, or a list may have skipped it,
// and removing unknown members then could remove it, so nothing is removed.
func Group(spec v1.GroupSpec, m Members, cur scim.Group) GroupChange {
	ch := GroupChange{After: cur}
	var attrs []scim.Operation
	if spec.DisplayName != cur.DisplayName {
		attrs, ch.Changed = append(attrs, scim.ReplaceDisplayName(spec.DisplayName)), append(ch.Changed, "displayName")
		ch.After.DisplayName = spec.DisplayName
	}
	if spec.ExternalID != "" && spec.ExternalID != cur.ExternalID {
		attrs, ch.Changed = append(attrs, scim.ReplaceExternalID(spec.ExternalID)), append(ch.Changed, "externalId")
		ch.After.ExternalID = spec.ExternalID
	}
	if op, roles, ok := roleChange(spec.AccountAdmin, cur.Roles); ok {
		attrs, ch.Changed = append(attrs, op), append(ch.Changed, "accountAdmin")
		ch.After.Roles = roles
	}

	additive := spec.MembershipPolicy == v1.MembershipAdditive || m.MissingByKey
	want := make(map[string]bool, len(m.IDs))
	for _, id := range m.IDs {
		want[id] = true
	}
	have := make(map[string]bool, len(cur.Members))
	var kept []scim.ComplexValue
	for _, mem := range cur.Members {
		have[mem.Value] = true
		if !want[mem.Value] && !additive {
			ch.Removed = append(ch.Removed, mem.Value)
			continue
		}
		kept = append(kept, mem)
	}
	for _, id := range m.IDs {
		if !have[id] {
			ch.Added = append(ch.Added, id)
			kept = append(kept, scim.ComplexValue{Value: id})
		}
	}
	if len(ch.Added) > 0 || len(ch.Removed) > 0 {
		ch.Changed = append(ch.Changed, "members")
		ch.After.Members = kept
	}
	ch.Requests = scim.MemberPatches(ch.Added, ch.Removed)
	if len(attrs) > 0 {
		if len(ch.Requests) == 0 {
			ch.Requests = [][]scim.Operation{attrs}
		} else {
			ch.Requests[0] = append(attrs, ch.Requests[0]...)
		}
	}
	return ch
}
