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

package scim

import "strconv"

// Operation is one SCIM PATCH operation. Value is omitted when nil, which
// matters: Databricks rejects a "remove" that carries a "value" key at all.
type Operation struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// PatchRequest is the PATCH body. Databricks expects the key "Operations".
type PatchRequest struct {
	Schemas    []string    `json:"schemas"`
	Operations []Operation `json:"Operations"`
}

// Limits on member values per request.
const (
	// MaxMembersPerPatch bounds the member values (adds plus removes) sent in
	// one PATCH. Databricks documents no limit; this keeps bodies and server
	// work per request moderate while still batching.
	MaxMembersPerPatch = 1000
	// MaxMembersOnCreate is the documented cap on members in a group POST.
	MaxMembersOnCreate = 5000
)

// ReplaceActive sets active. It uses the form Terraform uses in production,
// {"op":"replace","path":"active","value":[{"value":"false"}]}, which the
// Databricks KB also uses to reactivate users.
func ReplaceActive(active bool) Operation {
	return Operation{Op: "replace", Path: "active", Value: []ComplexValue{{Value: strconv.FormatBool(active)}}}
}

// ReplaceDisplayName sets displayName.
func ReplaceDisplayName(name string) Operation {
	return Operation{Op: "replace", Path: "displayName", Value: name}
}

// ReplaceExternalID sets externalId.
func ReplaceExternalID(id string) Operation {
	return Operation{Op: "replace", Path: "externalId", Value: id}
}

// ReplaceName sets the user's name. Following RFC 7644 §3.5.2.3, a replace of
// a complex attribute only changes the sub-attributes given, so an empty
// given or family name is left out and thereby left unchanged.
func ReplaceName(given, family string) Operation {
	return Operation{Op: "replace", Path: "name", Value: Name{GivenName: given, FamilyName: family}}
}

// AddRole grants an account role.
func AddRole(role string) Operation {
	return Operation{Op: "add", Path: "roles", Value: []ComplexValue{{Value: role}}}
}

// RemoveRole revokes an account role. The operation has no value key.
func RemoveRole(role string) Operation {
	return Operation{Op: "remove", Path: `roles[value eq ` + quoteFilterString(role) + `]`}
}

// AddMembers adds principals (by SCIM id) to a group.
func AddMembers(ids ...string) Operation {
	values := make([]ComplexValue, 0, len(ids))
	for _, id := range ids {
		values = append(values, ComplexValue{Value: id})
	}
	return Operation{Op: "add", Path: "members", Value: values}
}

// RemoveMember removes one principal (by SCIM id) from a group. The operation
// has no value key (Databricks rejects one, Terraform PR #3374).
func RemoveMember(id string) Operation {
	return Operation{Op: "remove", Path: `members[value eq ` + quoteFilterString(id) + `]`}
}

// MemberPatches turns a membership diff into PATCH bodies: each inner slice
// is the Operations of one request and carries at most MaxMembersPerPatch
// member values (adds plus removes). Adds come first within a request and
// are batched into a single operation. It returns nil when there is nothing
// to do.
func MemberPatches(add, remove []string) [][]Operation {
	var (
		out    [][]Operation
		ops    []Operation
		budget = MaxMembersPerPatch
	)
	flush := func() {
		if len(ops) > 0 {
			out = append(out, ops)
		}
		ops, budget = nil, MaxMembersPerPatch
	}
	for len(add) > 0 {
		n := min(budget, len(add))
		ops = append(ops, AddMembers(add[:n]...))
		add, budget = add[n:], budget-n
		if budget == 0 {
			flush()
		}
	}
	for _, id := range remove {
		ops = append(ops, RemoveMember(id))
		budget--
		if budget == 0 {
			flush()
		}
	}
	flush()
	return out
}
