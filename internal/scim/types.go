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

// Package scim is a client for the Databricks account-level SCIM API
// (/api/{2.0|2.1}/accounts/{account_id}/scim/v2). It knows nothing about
// Kubernetes: it paces requests per rate-limit class, pages lists safely,
// never follows redirects and classifies every error shape Databricks is
// known to produce.
package scim

import "strings"

// Resource names one of the three account SCIM collections. The value is the
// path segment the API uses.
type Resource string

// The account SCIM collections.
const (
	ResourceUsers             Resource = "Users"
	ResourceGroups            Resource = "Groups"
	ResourceServicePrincipals Resource = "ServicePrincipals"
)

// Class is a rate-limit class. Databricks publishes one limit per class, so
// the client keeps one token bucket per class.
type Class string

// The rate-limit classes.
const (
	ClassGet   Class = "get"   // GET of a single resource
	ClassList  Class = "list"  // GET of a collection (list, filter, ping)
	ClassPatch Class = "patch" // PATCH
	ClassWrite Class = "write" // POST, PUT and DELETE
)

// Classes lists every rate-limit class in a stable order.
var Classes = []Class{ClassGet, ClassList, ClassPatch, ClassWrite}

// SCIM schema URNs used by the account API.
const (
	SchemaUser             = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup            = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaServicePrincipal = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
	SchemaPatchOp          = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaListResponse     = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaError            = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// RoleAccountAdmin is the only account role exposed through the SCIM roles
// attribute.
const RoleAccountAdmin = "account_admin"

// ComplexValue is the SCIM multi-valued attribute element used by emails,
// members and roles. For group members Value is the member's SCIM id and Ref
// is "Users/<id>", "Groups/<id>" or "ServicePrincipals/<id>".
type ComplexValue struct {
	Value   string `json:"value,omitempty"`
	Display string `json:"display,omitempty"`
	Ref     string `json:"$ref,omitempty"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// Name is the SCIM user name complex attribute.
type Name struct {
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

// User is an account user. UserName is immutable once created and is stored
// lower-cased by Databricks.
type User struct {
	Schemas     []string       `json:"schemas,omitempty"`
	ID          string         `json:"id,omitempty"`
	UserName    string         `json:"userName,omitempty"`
	DisplayName string         `json:"displayName,omitempty"`
	Name        *Name          `json:"name,omitempty"`
	Active      *bool          `json:"active,omitempty"`
	ExternalID  string         `json:"externalId,omitempty"`
	Emails      []ComplexValue `json:"emails,omitempty"`
	Roles       []ComplexValue `json:"roles,omitempty"`
}

// ServicePrincipal is an account service principal. ID (not ApplicationID) is
// what group membership and PATCH use.
type ServicePrincipal struct {
	Schemas       []string       `json:"schemas,omitempty"`
	ID            string         `json:"id,omitempty"`
	ApplicationID string         `json:"applicationId,omitempty"`
	DisplayName   string         `json:"displayName,omitempty"`
	Active        *bool          `json:"active,omitempty"`
	ExternalID    string         `json:"externalId,omitempty"`
	Roles         []ComplexValue `json:"roles,omitempty"`
}

// Group is an account group. List responses do not carry Members; GET a
// single group to read them.
type Group struct {
	Schemas     []string       `json:"schemas,omitempty"`
	ID          string         `json:"id,omitempty"`
	DisplayName string         `json:"displayName,omitempty"`
	ExternalID  string         `json:"externalId,omitempty"`
	Members     []ComplexValue `json:"members,omitempty"`
	Roles       []ComplexValue `json:"roles,omitempty"`
}

// HasRole reports whether the user holds the account role.
func (u *User) HasRole(role string) bool { return hasValue(u.Roles, role) }

// IsActive reports whether the user is active. Databricks defaults active to
// true, so a missing attribute (for example when not requested) means true.
func (u *User) IsActive() bool { return u.Active == nil || *u.Active }

// HasRole reports whether the service principal holds the account role.
func (s *ServicePrincipal) HasRole(role string) bool { return hasValue(s.Roles, role) }

// IsActive reports whether the service principal is active (nil means true).
func (s *ServicePrincipal) IsActive() bool { return s.Active == nil || *s.Active }

// HasRole reports whether the group holds the account role.
func (g *Group) HasRole(role string) bool { return hasValue(g.Roles, role) }

// MemberIDs returns the SCIM ids of the group's members in response order.
func (g *Group) MemberIDs() []string {
	ids := make([]string, 0, len(g.Members))
	for _, m := range g.Members {
		ids = append(ids, m.Value)
	}
	return ids
}

// MemberResource derives the member's collection from its $ref
// ("Users/123" → ResourceUsers), as Terraform does. It returns "" when the
// $ref is missing or unknown.
func MemberResource(m ComplexValue) Resource {
	prefix, _, ok := strings.Cut(m.Ref, "/")
	if !ok {
		return ""
	}
	switch r := Resource(prefix); r {
	case ResourceUsers, ResourceGroups, ResourceServicePrincipals:
		return r
	}
	return ""
}

func hasValue(values []ComplexValue, v string) bool {
	for _, cv := range values {
		if cv.Value == v {
			return true
		}
	}
	return false
}

// Bool returns a pointer to b, for the optional Active fields.
func Bool(b bool) *bool { return new(b) }

// ListResponse is the SCIM list envelope. Databricks spells the resources key
// "Resources".
type ListResponse[T any] struct {
	Schemas      []string `json:"schemas,omitempty"`
	TotalResults int      `json:"totalResults"`
	ItemsPerPage int      `json:"itemsPerPage"`
	StartIndex   int      `json:"startIndex"`
	Resources    []T      `json:"Resources,omitempty"`
}

// ListOptions controls a list call.
type ListOptions struct {
	// Filter is a SCIM filter expression; see EqFilter. API 2.1 accepts only
	// exact matches on the natural key.
	Filter string
	// Attributes restricts the returned attributes (case-sensitive names;
	// unknown names are silently ignored by Databricks).
	Attributes []string
	// ExcludedAttributes removes attributes from the response.
	ExcludedAttributes []string
	// PageSize is the count per request; 0 or anything above 100 means 100,
	// the server maximum.
	PageSize int
}

// MaxPageSize is the largest page the account SCIM API returns.
const MaxPageSize = 100
