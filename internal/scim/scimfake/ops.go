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
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Documented size limits.
const (
	maxExternalIDLen  = 64
	maxGroupNameLen   = 255
	defaultMaxMembers = 5000
)

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// storeConfig holds the behaviour switches the store needs.
type storeConfig struct {
	azureMode        bool
	conflictStatus   int
	maxCreateMembers int
}

// record is the resource-independent, mutable form of an object that PATCH
// and PUT work on. It is converted back and validated on commit.
type record struct {
	res         scim.Resource
	displayName string
	externalID  string
	active      *bool
	name        *scim.Name
	roles       []scim.ComplexValue
	members     []int64
	appID       string // service principals; read-only
}

func userRecord(u scim.User) *record {
	r := &record{res: scim.ResourceUsers, displayName: u.DisplayName, externalID: u.ExternalID, roles: u.Roles}
	if u.Active != nil {
		r.active = new(*u.Active)
	}
	if u.Name != nil {
		n := *u.Name
		r.name = &n
	}
	return r
}

func spRecord(sp scim.ServicePrincipal) *record {
	r := &record{res: scim.ResourceServicePrincipals, displayName: sp.DisplayName, externalID: sp.ExternalID,
		roles: sp.Roles, appID: sp.ApplicationID}
	if sp.Active != nil {
		r.active = new(*sp.Active)
	}
	return r
}

func groupRecord(g groupObj) *record {
	return &record{res: scim.ResourceGroups, displayName: g.DisplayName, externalID: g.ExternalID,
		roles: g.Roles, members: g.Members}
}

// normalizeRoles keeps only role values, de-duplicated, and accepts only the
// account role Databricks exposes through SCIM.
func normalizeRoles(in []scim.ComplexValue) ([]scim.ComplexValue, *apiError) {
	var out []scim.ComplexValue
	for _, r := range in {
		if r.Value != scim.RoleAccountAdmin {
			return nil, errInvalidValue("Invalid role %q: only %s can be managed at the account level.", r.Value, scim.RoleAccountAdmin)
		}
		if !slices.ContainsFunc(out, func(c scim.ComplexValue) bool { return c.Value == r.Value }) {
			out = append(out, scim.ComplexValue{Value: r.Value})
		}
	}
	return out, nil
}

func checkExternalID(id string) *apiError {
	if len(id) > maxExternalIDLen {
		return errInvalidValue("externalId must be at most %d characters.", maxExternalIDLen)
	}
	return nil
}

// resolveMembers turns member values into existing principal ids.
func (s *store) resolveMembers(values []scim.ComplexValue, self int64) ([]int64, *apiError) {
	ids := make([]int64, 0, len(values))
	for _, v := range values {
		id, ok := parseID(v.Value)
		if !ok || s.kinds[id] == "" {
			return nil, errInvalidValue("Member %q does not exist in this account.", v.Value)
		}
		if id == self {
			return nil, errInvalidValue("A group cannot be a member of itself.")
		}
		ids = append(ids, id)
	}
	return normalizeMembers(ids), nil
}

// createUser stores a new user; the caller holds the write lock.
func (s *store) createUser(cfg storeConfig, in scim.User, id int64, visibleAt time.Time) (scim.User, *apiError) {
	if strings.TrimSpace(in.UserName) == "" {
		return scim.User{}, errInvalidValue("Required attribute userName is missing.")
	}
	key := lower(strings.TrimSpace(in.UserName))
	if _, dup := s.userByName[key]; dup {
		return scim.User{}, scimErr(cfg.conflictStatus, "uniqueness", msgUserExists, in.UserName)
	}
	if err := checkExternalID(in.ExternalID); err != nil {
		return scim.User{}, err
	}
	roles, aerr := normalizeRoles(in.Roles)
	if aerr != nil {
		return scim.User{}, aerr
	}
	u := cloneUser(in)
	u.Schemas, u.ID, u.UserName, u.Roles = nil, formatID(id), key, roles
	if u.Active == nil {
		u.Active = new(true)
	}
	if u.Name != nil && *u.Name == (scim.Name{}) {
		u.Name = nil
	}
	if len(u.Emails) == 0 {
		u.Emails = []scim.ComplexValue{{Type: "work", Value: key, Primary: true}}
	}
	s.users.insert(&entry[scim.User]{id: id, cur: u, visibleAt: visibleAt})
	s.kinds[id] = scim.ResourceUsers
	s.userByName[key] = id
	return cloneUser(u), nil
}

// createSP stores a new service principal; the caller holds the write lock.
func (s *store) createSP(cfg storeConfig, in scim.ServicePrincipal, id int64, visibleAt time.Time) (scim.ServicePrincipal, *apiError) {
	appID := strings.TrimSpace(in.ApplicationID)
	if appID != "" && !uuidRE.MatchString(appID) {
		return scim.ServicePrincipal{}, errInvalidValue("applicationId %q is not a valid UUID.", appID)
	}
	if strings.TrimSpace(in.DisplayName) == "" && (appID == "" || !cfg.azureMode) {
		return scim.ServicePrincipal{}, errInvalidValue("Required attribute displayName is missing.")
	}
	if appID == "" {
		appID = s.newUUID()
	}
	if _, dup := s.spByAppID[lower(appID)]; dup {
		return scim.ServicePrincipal{}, scimErr(cfg.conflictStatus, "uniqueness", msgSPExists, appID)
	}
	if err := checkExternalID(in.ExternalID); err != nil {
		return scim.ServicePrincipal{}, err
	}
	roles, aerr := normalizeRoles(in.Roles)
	if aerr != nil {
		return scim.ServicePrincipal{}, aerr
	}
	sp := cloneSP(in)
	sp.Schemas, sp.ID, sp.ApplicationID, sp.Roles = nil, formatID(id), appID, roles
	if sp.Active == nil {
		sp.Active = new(true)
	}
	s.sps.insert(&entry[scim.ServicePrincipal]{id: id, cur: sp, visibleAt: visibleAt})
	s.kinds[id] = scim.ResourceServicePrincipals
	s.spByAppID[lower(appID)] = id
	return cloneSP(sp), nil
}

// createGroup stores a new group; the caller holds the write lock.
func (s *store) createGroup(cfg storeConfig, in scim.Group, id int64, visibleAt time.Time) (scim.Group, *apiError) {
	name := in.DisplayName
	if strings.TrimSpace(name) == "" {
		return scim.Group{}, errInvalidValue("Required attribute displayName is missing.")
	}
	if len(name) > maxGroupNameLen {
		return scim.Group{}, errInvalidValue("displayName must be at most %d characters.", maxGroupNameLen)
	}
	if _, dup := s.groupByName[lower(name)]; dup {
		return scim.Group{}, scimErr(cfg.conflictStatus, "uniqueness", msgGroupExists, name)
	}
	if err := checkExternalID(in.ExternalID); err != nil {
		return scim.Group{}, err
	}
	if len(in.Members) > cfg.maxCreateMembers {
		return scim.Group{}, errInvalidValue("A group can be created with at most %d members; add the rest with PATCH.", cfg.maxCreateMembers)
	}
	members, aerr := s.resolveMembers(in.Members, id)
	if aerr != nil {
		return scim.Group{}, aerr
	}
	roles, aerr := normalizeRoles(in.Roles)
	if aerr != nil {
		return scim.Group{}, aerr
	}
	g := groupObj{DisplayName: name, ExternalID: in.ExternalID, Roles: roles, Members: members}
	s.groups.insert(&entry[groupObj]{id: id, cur: g, visibleAt: visibleAt})
	s.kinds[id] = scim.ResourceGroups
	s.groupByName[lower(name)] = id
	s.addMembership(id, members)
	return s.groupToSCIM(id, g, true), nil
}

// commit validates a modified record and stores it as object id's new
// state; the caller holds the write lock. Reads see the old state for the
// stale-read window, if one is configured.
func (s *store) commit(cfg storeConfig, id int64, r *record, now time.Time) *apiError {
	if err := checkExternalID(r.externalID); err != nil {
		return err
	}
	roles, aerr := normalizeRoles(r.roles)
	if aerr != nil {
		return aerr
	}
	switch r.res {
	case scim.ResourceUsers:
		e := s.users.byID[id]
		u := cloneUser(e.cur)
		u.DisplayName, u.ExternalID, u.Active, u.Name, u.Roles = r.displayName, r.externalID, r.active, r.name, roles
		if u.Name != nil && *u.Name == (scim.Name{}) {
			u.Name = nil
		}
		e.update(u, now, s.staleReads)
	case scim.ResourceServicePrincipals:
		if strings.TrimSpace(r.displayName) == "" && !cfg.azureMode {
			return errInvalidValue("Required attribute displayName is missing.")
		}
		e := s.sps.byID[id]
		sp := cloneSP(e.cur)
		sp.DisplayName, sp.ExternalID, sp.Active, sp.Roles = r.displayName, r.externalID, r.active, roles
		e.update(sp, now, s.staleReads)
	case scim.ResourceGroups:
		return s.commitGroup(cfg, id, r, roles, now)
	}
	return nil
}

func (s *store) commitGroup(cfg storeConfig, id int64, r *record, roles []scim.ComplexValue, now time.Time) *apiError {
	e := s.groups.byID[id]
	if strings.TrimSpace(r.displayName) == "" {
		return errInvalidValue("Required attribute displayName is missing.")
	}
	if len(r.displayName) > maxGroupNameLen {
		return errInvalidValue("displayName must be at most %d characters.", maxGroupNameLen)
	}
	oldKey, newKey := lower(e.cur.DisplayName), lower(r.displayName)
	if other, dup := s.groupByName[newKey]; dup && other != id {
		return scimErr(cfg.conflictStatus, "uniqueness", msgGroupExists, r.displayName)
	}
	if oldKey != newKey {
		delete(s.groupByName, oldKey)
		s.groupByName[newKey] = id
	}
	g := groupObj{DisplayName: r.displayName, ExternalID: r.externalID, Roles: roles,
		Members: normalizeMembers(r.members), External: e.cur.External}
	if g.External && !s.direct && !slices.Equal(g.Members, e.cur.Members) {
		return scimErr(http.StatusInternalServerError, "",
			"InternalError: Error in performing the patch operation on group resource %d.", id)
	}
	s.setMembers(e, g, now, s.staleReads)
	return nil
}

// recordOf returns the working record of a live object.
func (s *store) recordOf(res scim.Resource, id int64) (*record, bool) {
	switch res {
	case scim.ResourceUsers:
		if e := s.users.byID[id]; e != nil {
			return userRecord(e.cur), true
		}
	case scim.ResourceServicePrincipals:
		if e := s.sps.byID[id]; e != nil {
			return spRecord(e.cur), true
		}
	case scim.ResourceGroups:
		if e := s.groups.byID[id]; e != nil {
			return groupRecord(e.cur), true
		}
	}
	return nil, false
}

// remove deletes an object and cascades: a deleted principal leaves every
// group; a deleted group's members lose it from their reverse index.
func (s *store) remove(res scim.Resource, id int64) bool {
	if s.kinds[id] != res {
		return false
	}
	switch res {
	case scim.ResourceUsers:
		delete(s.userByName, lower(s.users.byID[id].cur.UserName))
		s.users.remove(id)
	case scim.ResourceServicePrincipals:
		delete(s.spByAppID, lower(s.sps.byID[id].cur.ApplicationID))
		s.sps.remove(id)
	case scim.ResourceGroups:
		g := s.groups.byID[id].cur
		delete(s.groupByName, lower(g.DisplayName))
		s.dropMembership(id, g.Members)
		s.groups.remove(id)
	}
	delete(s.kinds, id)
	s.removePrincipalEverywhere(id)
	return true
}
