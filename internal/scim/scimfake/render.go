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

package scimfake

import (
	"net/url"
	"strings"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// meta is the SCIM meta attribute (only resourceType is modelled).
type meta struct {
	ResourceType string `json:"resourceType"`
}

// Wire forms: the scim types plus meta.
type (
	userWire struct {
		scim.User
		Meta *meta `json:"meta,omitempty"`
	}
	spWire struct {
		scim.ServicePrincipal
		Meta *meta `json:"meta,omitempty"`
	}
	groupWire struct {
		scim.Group
		Meta *meta `json:"meta,omitempty"`
	}
)

// projection implements attributes / excludedAttributes. Names are
// case-sensitive and unknown names are ignored, as on Databricks (TF #2344,
// #5308); id and schemas are always returned.
type projection struct {
	include map[string]bool // nil: all attributes
	partial map[string]bool // parents of included sub-attributes ("name" for "name.givenName")
	exclude map[string]bool
}

func parseProjection(q url.Values, res scim.Resource) projection {
	var p projection
	if v := q.Get("attributes"); v != "" {
		p.include, p.partial = make(map[string]bool), make(map[string]bool)
		for _, name := range splitAttrs(v, res) {
			p.include[name] = true
			if parent, _, ok := strings.Cut(name, "."); ok {
				p.partial[parent] = true
			}
		}
	}
	if v := q.Get("excludedAttributes"); v != "" {
		p.exclude = make(map[string]bool)
		for _, name := range splitAttrs(v, res) {
			p.exclude[name] = true
		}
	}
	return p
}

// splitAttrs splits a comma list and drops the resource's core schema URN
// prefix (urn:…:User:userName → userName).
func splitAttrs(v string, res scim.Resource) []string {
	prefix := schemaOf(res) + ":"
	var out []string
	for name := range strings.SplitSeq(v, ",") {
		name = strings.TrimPrefix(strings.TrimSpace(name), prefix)
		if name != "" {
			out = append(out, name)
		}
	}
	return out
}

func schemaOf(res scim.Resource) string {
	switch res {
	case scim.ResourceUsers:
		return scim.SchemaUser
	case scim.ResourceGroups:
		return scim.SchemaGroup
	}
	return scim.SchemaServicePrincipal
}

// has reports whether a top-level attribute is returned.
func (p projection) has(attr string) bool {
	if p.include != nil && !p.include[attr] && !p.partial[attr] {
		return false
	}
	return !p.exclude[attr]
}

// sub reports whether attr.sub is returned.
func (p projection) sub(attr, sub string) bool {
	if !p.has(attr) {
		return false
	}
	full := attr + "." + sub
	if p.include != nil && !p.include[attr] && !p.include[full] {
		return false
	}
	return !p.exclude[full]
}

var (
	userSchemas  = []string{scim.SchemaUser}
	spSchemas    = []string{scim.SchemaServicePrincipal}
	groupSchemas = []string{scim.SchemaGroup}
)

func renderUser(u scim.User, p projection) userWire {
	out := userWire{User: scim.User{Schemas: userSchemas, ID: u.ID}}
	if p.has("userName") {
		out.UserName = u.UserName
	}
	if p.has("displayName") {
		out.DisplayName = u.DisplayName
	}
	if u.Name != nil && p.has("name") {
		var n scim.Name
		if p.sub("name", "givenName") {
			n.GivenName = u.Name.GivenName
		}
		if p.sub("name", "familyName") {
			n.FamilyName = u.Name.FamilyName
		}
		if n != (scim.Name{}) {
			out.Name = &n
		}
	}
	if p.has("active") {
		out.Active = u.Active
	}
	if p.has("externalId") {
		out.ExternalID = u.ExternalID
	}
	if p.has("emails") {
		out.Emails = u.Emails
	}
	if p.has("roles") {
		out.Roles = u.Roles
	}
	if p.has("meta") {
		out.Meta = &meta{ResourceType: "User"}
	}
	return out
}

func renderSP(sp scim.ServicePrincipal, p projection) spWire {
	out := spWire{ServicePrincipal: scim.ServicePrincipal{Schemas: spSchemas, ID: sp.ID}}
	if p.has("applicationId") {
		out.ApplicationID = sp.ApplicationID
	}
	if p.has("displayName") {
		out.DisplayName = sp.DisplayName
	}
	if p.has("active") {
		out.Active = sp.Active
	}
	if p.has("externalId") {
		out.ExternalID = sp.ExternalID
	}
	if p.has("roles") {
		out.Roles = sp.Roles
	}
	if p.has("meta") {
		out.Meta = &meta{ResourceType: "ServicePrincipal"}
	}
	return out
}

// renderGroup renders a stored group; members only when withMembers (GET,
// or lists with Options.GroupListMembers) and requested.
func (s *store) renderGroup(id int64, g groupObj, p projection, withMembers bool) groupWire {
	full := s.groupToSCIM(id, g, withMembers && p.has("members"))
	out := groupWire{Group: scim.Group{Schemas: groupSchemas, ID: full.ID, Members: full.Members}}
	if p.has("displayName") {
		out.DisplayName = full.DisplayName
	}
	if p.has("externalId") {
		out.ExternalID = full.ExternalID
	}
	if p.has("roles") {
		out.Roles = full.Roles
	}
	if p.has("meta") {
		out.Meta = &meta{ResourceType: "Group"}
	}
	return out
}
