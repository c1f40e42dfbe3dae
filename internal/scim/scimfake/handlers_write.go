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
	"bytes"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Request bodies: the scim types plus the workspace-only attributes the
// account API rejects.
type (
	userIn struct {
		scim.User
		Entitlements json.RawMessage `json:"entitlements"`
	}
	spIn struct {
		scim.ServicePrincipal
		Entitlements json.RawMessage `json:"entitlements"`
	}
	groupIn struct {
		scim.Group
		Entitlements json.RawMessage `json:"entitlements"`
	}
)

// decodeResource decodes a create/replace body. Malformed JSON, or (with
// StrictSchemas) a missing schema URN, is Databricks' invalidSyntax 400.
func (s *Server) decodeResource(body []byte, v any, schemas func() []string, schema string) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return errUnparsable()
	}
	if s.opts.StrictSchemas && !slices.Contains(schemas(), schema) {
		return errUnparsable()
	}
	return nil
}

// checkEntitlements refuses entitlements: they are workspace-level only.
func checkEntitlements(raw json.RawMessage) *apiError {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "[]" {
		return nil
	}
	return errInvalidValue(msgEntitlements)
}

func (s *Server) created(res scim.Resource, id string, body any) response {
	return response{status: s.opts.CreateStatus, body: body, header: map[string]string{"Location": string(res) + "/" + id}}
}

// create answers POST on a collection with 201 and the new object.
func (s *Server) create(req *request) response {
	st := s.st
	switch req.res {
	case scim.ResourceUsers:
		var in userIn
		if aerr := s.decodeResource(req.body, &in, func() []string { return in.Schemas }, scim.SchemaUser); aerr != nil {
			return errResponse(aerr)
		}
		if aerr := checkEntitlements(in.Entitlements); aerr != nil {
			return errResponse(aerr)
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		u, aerr := st.createUser(s.cfg, in.User, st.newID(), st.visibleAt(req.now))
		if aerr != nil {
			return errResponse(aerr)
		}
		return s.created(req.res, u.ID, renderUser(u, projection{}))
	case scim.ResourceServicePrincipals:
		var in spIn
		if aerr := s.decodeResource(req.body, &in, func() []string { return in.Schemas }, scim.SchemaServicePrincipal); aerr != nil {
			return errResponse(aerr)
		}
		if aerr := checkEntitlements(in.Entitlements); aerr != nil {
			return errResponse(aerr)
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		sp, aerr := st.createSP(s.cfg, in.ServicePrincipal, st.newID(), st.visibleAt(req.now))
		if aerr != nil {
			return errResponse(aerr)
		}
		return s.created(req.res, sp.ID, renderSP(sp, projection{}))
	default:
		var in groupIn
		if aerr := s.decodeResource(req.body, &in, func() []string { return in.Schemas }, scim.SchemaGroup); aerr != nil {
			return errResponse(aerr)
		}
		if aerr := checkEntitlements(in.Entitlements); aerr != nil {
			return errResponse(aerr)
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		id := st.newID()
		if _, aerr := st.createGroup(s.cfg, in.Group, id, st.visibleAt(req.now)); aerr != nil {
			return errResponse(aerr)
		}
		return s.created(req.res, formatID(id), st.renderGroup(id, st.groups.byID[id].cur, projection{}, true))
	}
}

// replace answers PUT: the body replaces the object, except that userName,
// emails and applicationId cannot change (ignored, as on Databricks) and an
// omitted active keeps its value. Omitted roles and members are cleared.
func (s *Server) replace(req *request) response {
	id, ok := parseID(req.id)
	if !ok {
		return errResponse(errNotFound(req.res, req.id))
	}
	var (
		in     groupIn // carries every field a PUT may set
		active *bool
		name   *scim.Name
		raw    json.RawMessage
		schema = schemaOf(req.res)
	)
	switch req.res {
	case scim.ResourceUsers:
		var u userIn
		if aerr := s.decodeResource(req.body, &u, func() []string { return u.Schemas }, schema); aerr != nil {
			return errResponse(aerr)
		}
		in.DisplayName, in.ExternalID, in.Roles, active, name, raw = u.DisplayName, u.ExternalID, u.Roles, u.Active, u.Name, u.Entitlements
	case scim.ResourceServicePrincipals:
		var sp spIn
		if aerr := s.decodeResource(req.body, &sp, func() []string { return sp.Schemas }, schema); aerr != nil {
			return errResponse(aerr)
		}
		in.DisplayName, in.ExternalID, in.Roles, active, raw = sp.DisplayName, sp.ExternalID, sp.Roles, sp.Active, sp.Entitlements
	default:
		if aerr := s.decodeResource(req.body, &in, func() []string { return in.Schemas }, schema); aerr != nil {
			return errResponse(aerr)
		}
		raw = in.Entitlements
	}
	if aerr := checkEntitlements(raw); aerr != nil {
		return errResponse(aerr)
	}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	r, found := st.recordOf(req.res, id)
	if !found {
		return errResponse(errNotFound(req.res, req.id))
	}
	r.displayName, r.externalID, r.roles, r.name = in.DisplayName, in.ExternalID, in.Roles, name
	if active != nil {
		r.active = active
	}
	if req.res == scim.ResourceGroups {
		members, aerr := st.resolveMembers(in.Members, id)
		if aerr != nil {
			return errResponse(aerr)
		}
		r.members = members
	}
	if aerr := st.commit(s.cfg, id, r, req.now); aerr != nil {
		return errResponse(aerr)
	}
	return response{status: http.StatusOK, body: st.renderCurrent(req.res, id)}
}

// renderCurrent renders an object's current (not stale) state in full.
func (st *store) renderCurrent(res scim.Resource, id int64) any {
	switch res {
	case scim.ResourceUsers:
		return renderUser(st.users.byID[id].cur, projection{})
	case scim.ResourceServicePrincipals:
		return renderSP(st.sps.byID[id].cur, projection{})
	}
	return st.renderGroup(id, st.groups.byID[id].cur, projection{}, true)
}

// delete answers DELETE with 204; the principal leaves every group.
func (s *Server) delete(req *request) response {
	id, ok := parseID(req.id)
	if !ok {
		return errResponse(errNotFound(req.res, req.id))
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if !s.st.remove(req.res, id) {
		return errResponse(errNotFound(req.res, req.id))
	}
	return response{status: http.StatusNoContent}
}
