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

package plan

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/cli/manifest"
	"github.com/scimops/databricks-scim-operator/internal/diff"
	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// directory is the snapshot indexed like the operator's inventory; it
// implements diff.Directory.
type directory struct {
	users     map[string]scim.User
	sps       map[string]scim.ServicePrincipal
	groups    map[string]scim.Group
	userByKey map[string]string
	spByApp   map[string]string
	spByName  map[string][]string
	groupByKy map[string]string
}

func newDirectory(s manifest.Snapshot) *directory {
	d := &directory{
		users: map[string]scim.User{}, sps: map[string]scim.ServicePrincipal{}, groups: map[string]scim.Group{},
		userByKey: map[string]string{}, spByApp: map[string]string{}, spByName: map[string][]string{}, groupByKy: map[string]string{},
	}
	for _, u := range s.Users {
		d.users[u.ID] = u
		d.userByKey[naturalkey.Key(u.UserName)] = u.ID
	}
	for _, sp := range s.ServicePrincipals {
		d.sps[sp.ID] = sp
		if sp.ApplicationID != "" {
			d.spByApp[naturalkey.Key(sp.ApplicationID)] = sp.ID
		}
		if sp.DisplayName != "" {
			k := naturalkey.Key(sp.DisplayName)
			d.spByName[k] = append(d.spByName[k], sp.ID)
		}
	}
	for _, g := range s.Groups {
		d.groups[g.ID] = g
		d.groupByKy[naturalkey.Key(g.DisplayName)] = g.ID
	}
	return d
}

func (d *directory) UserByName(n string) (scim.User, bool) {
	u, ok := d.users[d.userByKey[naturalkey.Key(n)]]
	return u, ok
}

func (d *directory) SPByApplicationID(a string) (scim.ServicePrincipal, bool) {
	s, ok := d.sps[d.spByApp[naturalkey.Key(a)]]
	return s, ok
}

func (d *directory) GroupByName(n string) (scim.Group, bool) { return d.groupByKey(n) }

func (d *directory) groupByKey(n string) (scim.Group, bool) {
	g, ok := d.groups[d.groupByKy[naturalkey.Key(n)]]
	return g, ok
}

func (d *directory) spsByDisplayName(n string) []scim.ServicePrincipal {
	var out []scim.ServicePrincipal
	for _, id := range d.spByName[naturalkey.Key(n)] {
		out = append(out, d.sps[id])
	}
	return out
}

// describe names a member id for people.
func (d *directory) describe(id string) string {
	if key, ok := strings.CutPrefix(id, "planned:"); ok {
		kind, rest, _ := strings.Cut(key, "/")
		return fmt.Sprintf("%s %s (created by this plan)", kind, rest)
	}
	if u, ok := d.users[id]; ok {
		return fmt.Sprintf("user %s (SCIM id %s)", u.UserName, id)
	}
	if s, ok := d.sps[id]; ok {
		name := s.DisplayName
		if s.ApplicationID != "" {
			name += ", applicationId " + s.ApplicationID
		}
		return fmt.Sprintf("service principal %s (SCIM id %s)", name, id)
	}
	if g, ok := d.groups[id]; ok {
		return fmt.Sprintf("group %q (SCIM id %s)", g.DisplayName, id)
	}
	return "SCIM id " + id
}

// diff computes the changes of one resource whose action is decided.
func (p *planner) diff(ctx context.Context, e *entry, resources *diff.Objects) error {
	it := &e.item
	switch it.Action {
	case "", Create, Observe:
	default:
		return nil
	}
	observe := it.Action == Observe
	var changes []Change
	switch x := e.obj.(type) {
	case *v1.User:
		if e.cur == nil {
			changes = createdUser(x.Spec)
			break
		}
		cur := *e.cur.(*scim.User)
		ops, after, changed := diff.User(x.Spec, cur)
		if len(ops) > 0 && p.c != nil && !observe {
			// Lists may drop attributes (roles, name): confirm on the object, as update does.
			fresh, err := p.c.GetUser(ctx, cur.ID)
			if err != nil && !scim.IsNotFound(err) {
				return fmt.Errorf("reading user %s: %w", cur.ID, err)
			}
			if fresh != nil {
				cur = *fresh
				_, after, changed = diff.User(x.Spec, cur)
			}
		}
		changes = principalChanges(changed, userView(cur), userView(after))
	case *v1.ServicePrincipal:
		if e.cur == nil {
			changes = createdSP(x.Spec)
			break
		}
		cur := *e.cur.(*scim.ServicePrincipal)
		ops, after, changed := diff.ServicePrincipal(x.Spec, cur)
		if len(ops) > 0 && p.c != nil && !observe {
			fresh, err := p.c.GetServicePrincipal(ctx, cur.ID)
			if err != nil && !scim.IsNotFound(err) {
				return fmt.Errorf("reading service principal %s: %w", cur.ID, err)
			}
			if fresh != nil {
				cur = *fresh
				_, after, changed = diff.ServicePrincipal(x.Spec, cur)
			}
		}
		changes = principalChanges(changed, spView(cur), spView(after))
	case *v1.Group:
		if err := p.diffGroup(ctx, e, x, resources, observe); err != nil {
			return err
		}
		return nil
	}
	p.conclude(e, changes, observe)
	return nil
}

func (p *planner) diffGroup(ctx context.Context, e *entry, g *v1.Group, resources *diff.Objects, observe bool) error {
	it := &e.item
	members, err := diff.Resolver{Resources: resources, Directory: p.dir, Group: g}.Resolve(ctx)
	if err != nil {
		return err
	}
	if !observe {
		it.Unresolved = members.Unresolved
	}
	if e.cur == nil {
		want := diff.DesiredGroup(g.Spec, members.IDs)
		it.Changes = createdGroup(g.Spec)
		for _, m := range want.Members {
			it.Added = append(it.Added, p.dir.describe(m.Value))
		}
		if len(members.IDs) > len(want.Members) {
			it.Notes = append(it.Notes, fmt.Sprintf("%d members follow the create in PATCH requests", len(members.IDs)-len(want.Members)))
			for _, id := range members.IDs[len(want.Members):] {
				it.Added = append(it.Added, p.dir.describe(id))
			}
		}
		p.conclude(e, it.Changes, false)
		return nil
	}
	cur := *e.cur.(*scim.Group)
	ch := diff.Group(g.Spec, members, cur)
	var changes []Change
	for _, a := range ch.Changed {
		switch a {
		case "displayName":
			changes = append(changes, Change{a, strconv.Quote(cur.DisplayName), strconv.Quote(ch.After.DisplayName)})
		case "externalId":
			changes = append(changes, Change{a, strconv.Quote(cur.ExternalID), strconv.Quote(ch.After.ExternalID)})
		case "accountAdmin":
			changes = append(changes, Change{a, strconv.FormatBool(cur.HasRole(scim.RoleAccountAdmin)), strconv.FormatBool(ch.After.HasRole(scim.RoleAccountAdmin))})
		}
	}
	var added, removed []string
	for _, id := range ch.Added {
		added = append(added, p.dir.describe(id))
	}
	for _, id := range ch.Removed {
		removed = append(removed, p.dir.describe(id))
	}
	sort.Strings(added)
	sort.Strings(removed)
	if observe {
		it.Drift = changes
		for _, a := range added {
			it.Drift = append(it.Drift, Change{Attribute: "member", New: "+ " + a})
		}
		for _, r := range removed {
			it.Drift = append(it.Drift, Change{Attribute: "member", New: "- " + r})
		}
		return nil
	}
	it.Added, it.Removed = added, removed
	p.conclude(e, changes, false)
	if it.Action == Unchanged && (len(added) > 0 || len(removed) > 0) {
		it.Action = Patch
	}
	return nil
}

// conclude sets the action from the changes found.
func (p *planner) conclude(e *entry, changes []Change, observe bool) {
	it := &e.item
	switch {
	case observe:
		it.Drift = changes
	case it.Action == Create:
		it.Changes = changes
	case e.adopted:
		it.Action, it.Changes = Adopt, changes
	case len(changes) > 0:
		it.Action, it.Changes = Patch, changes
	default:
		it.Action = Unchanged
	}
}

// principalView is what people read of a user or service principal.
type principalView struct {
	displayName, externalID, name string
	active, admin                 bool
}

func userView(u scim.User) principalView {
	v := principalView{displayName: u.DisplayName, externalID: u.ExternalID, active: u.IsActive(), admin: u.HasRole(scim.RoleAccountAdmin)}
	if u.Name != nil {
		v.name = strings.TrimSpace(u.Name.GivenName + " " + u.Name.FamilyName)
	}
	return v
}

func spView(s scim.ServicePrincipal) principalView {
	return principalView{displayName: s.DisplayName, externalID: s.ExternalID, active: s.IsActive(), admin: s.HasRole(scim.RoleAccountAdmin)}
}

func principalChanges(changed []string, before, after principalView) []Change {
	var out []Change
	for _, a := range changed {
		switch a {
		case "displayName":
			out = append(out, Change{a, strconv.Quote(before.displayName), strconv.Quote(after.displayName)})
		case "externalId":
			out = append(out, Change{a, strconv.Quote(before.externalID), strconv.Quote(after.externalID)})
		case "name":
			out = append(out, Change{a, strconv.Quote(before.name), strconv.Quote(after.name)})
		case "active":
			out = append(out, Change{a, strconv.FormatBool(before.active), strconv.FormatBool(after.active)})
		case "accountAdmin":
			out = append(out, Change{a, strconv.FormatBool(before.admin), strconv.FormatBool(after.admin)})
		}
	}
	return out
}

func quoted(attr, v string) []Change {
	if v == "" {
		return nil
	}
	return []Change{{Attribute: attr, New: strconv.Quote(v)}}
}

func flag(attr string, v *bool, only bool) []Change {
	if v == nil || *v != only {
		return nil
	}
	return []Change{{Attribute: attr, New: strconv.FormatBool(*v)}}
}

func createdUser(s v1.UserSpec) []Change {
	out := quoted("userName", s.UserName)
	out = append(out, quoted("displayName", s.DisplayName)...)
	if n := strings.TrimSpace(s.GivenName + " " + s.FamilyName); n != "" {
		out = append(out, Change{Attribute: "name", New: strconv.Quote(n)})
	}
	out = append(out, flag("active", s.Active, false)...)
	out = append(out, quoted("externalId", s.ExternalID)...)
	return append(out, flag("accountAdmin", s.AccountAdmin, true)...)
}

func createdSP(s v1.ServicePrincipalSpec) []Change {
	out := quoted("applicationId", s.ApplicationID)
	out = append(out, quoted("displayName", s.DisplayName)...)
	out = append(out, flag("active", s.Active, false)...)
	out = append(out, quoted("externalId", s.ExternalID)...)
	return append(out, flag("accountAdmin", s.AccountAdmin, true)...)
}

func createdGroup(s v1.GroupSpec) []Change {
	out := quoted("displayName", s.DisplayName)
	out = append(out, quoted("externalId", s.ExternalID)...)
	return append(out, flag("accountAdmin", s.AccountAdmin, true)...)
}
