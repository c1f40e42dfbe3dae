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
	"strings"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// desiredUser is the create body for a user spec. account_admin is not in
// it: Databricks documents roles through PATCH, which follows at once.
func desiredUser(spec v1.UserSpec) scim.User {
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

// diffUser returns the PATCH operations that bring cur to spec, the user as it
// will be afterwards, and the names of the drifted attributes. Unset spec
// fields are not managed, and userName is never patched (Databricks ignores it).
func diffUser(spec v1.UserSpec, cur scim.User) ([]scim.Operation, scim.User, []string) {
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
