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
	"fmt"
	"strings"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// This file gives tests direct access to the account, bypassing HTTP, rate
// limits and eventual consistency: Seed* to set up, Update*/Set*/Delete to
// simulate edits made in the account console, and getters to assert on the
// current (not stale) state.

// SeedUser stores a user as if created long ago (visible at once). A numeric
// u.ID is used as the id; otherwise one is generated. It panics on invalid
// input, which is a bug in the test.
func (s *Server) SeedUser(u scim.User) scim.User {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	id := mustID(s.st.pickID(u.ID))
	out, aerr := s.st.createUser(s.cfg, u, id, time.Time{})
	mustOK(aerr)
	return out
}

// SeedServicePrincipal stores a service principal (see SeedUser).
func (s *Server) SeedServicePrincipal(sp scim.ServicePrincipal) scim.ServicePrincipal {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	id := mustID(s.st.pickID(sp.ID))
	out, aerr := s.st.createSP(s.cfg, sp, id, time.Time{})
	mustOK(aerr)
	return out
}

// SeedGroup stores a group; members are given by id in Members[].Value
// (see SeedUser).
func (s *Server) SeedGroup(g scim.Group) scim.Group {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	id := mustID(s.st.pickID(g.ID))
	cfg := s.cfg
	cfg.maxCreateMembers = max(cfg.maxCreateMembers, len(g.Members))
	out, aerr := s.st.createGroup(cfg, g, id, time.Time{})
	mustOK(aerr)
	return out
}

func mustID(id int64, err error) int64 {
	if err != nil {
		panic("scimfake: seed: " + err.Error())
	}
	return id
}

func mustOK(aerr *apiError) {
	if aerr != nil {
		panic(fmt.Sprintf("scimfake: seed: %d %s", aerr.status, aerr.detail))
	}
}

// Users returns every user in id order.
func (s *Server) Users() []scim.User { return all(s, &s.st.users, cloneUser) }

// User returns a user by id.
func (s *Server) User(id string) (scim.User, bool) { return one(s, &s.st.users, id, cloneUser) }

// UserByName returns a user by userName (case-insensitive).
func (s *Server) UserByName(userName string) (scim.User, bool) {
	s.st.mu.RLock()
	id, ok := s.st.userByName[lower(userName)]
	s.st.mu.RUnlock()
	if !ok {
		return scim.User{}, false
	}
	return s.User(formatID(id))
}

// ServicePrincipals returns every service principal in id order.
func (s *Server) ServicePrincipals() []scim.ServicePrincipal { return all(s, &s.st.sps, cloneSP) }

// ServicePrincipal returns a service principal by id.
func (s *Server) ServicePrincipal(id string) (scim.ServicePrincipal, bool) {
	return one(s, &s.st.sps, id, cloneSP)
}

// all copies every object of a table, in id order, under the read lock.
func all[T any](s *Server, t *table[T], clone func(T) T) []T {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	out := make([]T, 0, len(t.order))
	for _, id := range t.order {
		out = append(out, clone(t.byID[id].cur))
	}
	return out
}

// one copies the object with that id, under the read lock.
func one[T any](s *Server, t *table[T], id string, clone func(T) T) (T, bool) {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	n, _ := parseID(id)
	if e := t.byID[n]; e != nil {
		return clone(e.cur), true
	}
	var zero T
	return zero, false
}

// ServicePrincipalByApplicationID returns a service principal by
// applicationId (case-insensitive).
func (s *Server) ServicePrincipalByApplicationID(appID string) (scim.ServicePrincipal, bool) {
	s.st.mu.RLock()
	id, ok := s.st.spByAppID[lower(appID)]
	s.st.mu.RUnlock()
	if !ok {
		return scim.ServicePrincipal{}, false
	}
	return s.ServicePrincipal(formatID(id))
}

// Groups returns every group, with members, in id order.
func (s *Server) Groups() []scim.Group {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	out := make([]scim.Group, 0, len(s.st.groups.order))
	for _, id := range s.st.groups.order {
		out = append(out, s.st.groupToSCIM(id, s.st.groups.byID[id].cur, true))
	}
	return out
}

// Group returns a group, with members, by id.
func (s *Server) Group(id string) (scim.Group, bool) {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	n, _ := parseID(id)
	if e := s.st.groups.byID[n]; e != nil {
		return s.st.groupToSCIM(n, e.cur, true), true
	}
	return scim.Group{}, false
}

// GroupByName returns a group by displayName (case-insensitive).
func (s *Server) GroupByName(name string) (scim.Group, bool) {
	s.st.mu.RLock()
	id, ok := s.st.groupByName[lower(name)]
	s.st.mu.RUnlock()
	if !ok {
		return scim.Group{}, false
	}
	return s.Group(formatID(id))
}

// ObjectCounts returns how many users, groups and service principals exist.
func (s *Server) ObjectCounts() (users, groups, servicePrincipals int) {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	return len(s.st.users.order), len(s.st.groups.order), len(s.st.sps.order)
}

// UpdateUser edits a user as an account admin would in the console: fn
// changes a copy, which is validated and stored at once (no stale window).
// userName and emails cannot change.
func (s *Server) UpdateUser(id string, fn func(*scim.User)) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	n, _ := parseID(id)
	e := s.st.users.byID[n]
	if e == nil {
		return fmt.Errorf("user %s not found", id)
	}
	u := cloneUser(e.cur)
	fn(&u)
	r := userRecord(u)
	return s.st.commitDirect(s.cfg, n, r)
}

// UpdateServicePrincipal edits a service principal (see UpdateUser);
// applicationId cannot change.
func (s *Server) UpdateServicePrincipal(id string, fn func(*scim.ServicePrincipal)) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	n, _ := parseID(id)
	e := s.st.sps.byID[n]
	if e == nil {
		return fmt.Errorf("service principal %s not found", id)
	}
	sp := cloneSP(e.cur)
	fn(&sp)
	return s.st.commitDirect(s.cfg, n, spRecord(sp))
}

// UpdateGroup edits a group (see UpdateUser). Members are read from
// Members[].Value; the rest of each member value is ignored.
func (s *Server) UpdateGroup(id string, fn func(*scim.Group)) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	n, _ := parseID(id)
	e := s.st.groups.byID[n]
	if e == nil {
		return fmt.Errorf("group %s not found", id)
	}
	g := s.st.groupToSCIM(n, e.cur, true)
	fn(&g)
	members, aerr := s.st.resolveMembers(g.Members, n)
	if aerr != nil {
		return aerr
	}
	r := &record{res: scim.ResourceGroups, displayName: g.DisplayName, externalID: g.ExternalID, roles: g.Roles, members: members}
	return s.st.commitDirect(s.cfg, n, r)
}

// commitDirect commits without a stale-read window and with the rights of
// the console or IdP (external groups may change).
func (st *store) commitDirect(cfg storeConfig, id int64, r *record) error {
	stale := st.staleReads
	st.staleReads, st.direct = 0, true
	defer func() { st.staleReads, st.direct = stale, false }()
	if aerr := st.commit(cfg, id, r, time.Now()); aerr != nil {
		return aerr
	}
	return nil
}

// SetUserActive activates or deactivates a user directly.
func (s *Server) SetUserActive(id string, active bool) error {
	return s.UpdateUser(id, func(u *scim.User) { u.Active = new(active) })
}

// SetServicePrincipalActive activates or deactivates a service principal directly.
func (s *Server) SetServicePrincipalActive(id string, active bool) error {
	return s.UpdateServicePrincipal(id, func(sp *scim.ServicePrincipal) { sp.Active = new(active) })
}

// AddMember adds a principal to a group directly.
func (s *Server) AddMember(groupID, memberID string) error {
	return s.UpdateGroup(groupID, func(g *scim.Group) {
		g.Members = append(g.Members, scim.ComplexValue{Value: memberID})
	})
}

// RemoveMember removes a principal from a group directly.
func (s *Server) RemoveMember(groupID, memberID string) error {
	return s.UpdateGroup(groupID, func(g *scim.Group) {
		kept := g.Members[:0]
		for _, m := range g.Members {
			if m.Value != memberID {
				kept = append(kept, m)
			}
		}
		g.Members = kept
	})
}

// Delete removes an object directly (with the same cascade as DELETE).
func (s *Server) Delete(res scim.Resource, id string) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	n, _ := parseID(id)
	if !s.st.remove(res, n) {
		return fmt.Errorf("%s %s not found", strings.TrimSuffix(string(res), "s"), id)
	}
	return nil
}

// SetGroupExternal marks a group as synced from an external IdP (or not).
// Membership changes to an external group then fail with HTTP 500, as
// Databricks answers for AIM/Entra-synced groups.
func (s *Server) SetGroupExternal(id string, external bool) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	n, _ := parseID(id)
	e := s.st.groups.byID[n]
	if e == nil {
		return fmt.Errorf("group %s not found", id)
	}
	g := e.cur
	g.External = external
	e.cur = g
	return nil
}
