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

// desiredSP is the create body for a service principal spec.
func desiredSP(spec v1.ServicePrincipalSpec) scim.ServicePrincipal {
	s := scim.ServicePrincipal{
		ApplicationID: spec.ApplicationID,
		DisplayName:   spec.DisplayName,
		ExternalID:    spec.ExternalID,
		Active:        scim.Bool(spec.Active == nil || *spec.Active),
	}
	if spec.AccountAdmin != nil && *spec.AccountAdmin {
		s.Roles = []scim.ComplexValue{{Value: scim.RoleAccountAdmin}}
	}
	return s
}

// diffSP returns the PATCH operations that bring cur to spec, the service
// principal as it will be afterwards, and the drifted attribute names.
func diffSP(spec v1.ServicePrincipalSpec, cur scim.ServicePrincipal) ([]scim.Operation, scim.ServicePrincipal, []string) {
	var (
		ops     []scim.Operation
		changed []string
		after   = cur
	)
	if spec.DisplayName != "" && spec.DisplayName != cur.DisplayName {
		ops, changed = append(ops, scim.ReplaceDisplayName(spec.DisplayName)), append(changed, "displayName")
		after.DisplayName = spec.DisplayName
	}
	if want := spec.Active == nil || *spec.Active; want != cur.IsActive() {
		ops, changed = append(ops, scim.ReplaceActive(want)), append(changed, "active")
		after.Active = scim.Bool(want)
	}
	if spec.ExternalID != "" && spec.ExternalID != cur.ExternalID {
		ops, changed = append(ops, scim.ReplaceExternalID(spec.ExternalID)), append(changed, "externalId")
		after.ExternalID = spec.ExternalID
	}
	if op, roles, ok := roleChange(spec.AccountAdmin, cur.Roles); ok {
		ops, changed = append(ops, op), append(changed, "accountAdmin")
		after.Roles = roles
	}
	return ops, after, changed
}
