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

// desiredSP is the create body for a service principal spec (account_admin
// follows by PATCH, as for users).
func desiredSP(spec v1.ServicePrincipalSpec) scim.ServicePrincipal {
	s := scim.ServicePrincipal{
		ApplicationID: spec.ApplicationID,
		DisplayName:   spec.DisplayName,
		ExternalID:    spec.ExternalID,
		Active:        scim.Bool(spec.Active == nil || *spec.Active),
	}
	return s
}

// diffSP returns the PATCH operations that bring cur to spec, the service
// principal as it will be afterwards, and the drifted attribute names.
func diffSP(spec v1.ServicePrincipalSpec, cur scim.ServicePrincipal) ([]scim.Operation, scim.ServicePrincipal, []string) {
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
