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

package diff

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

func TestDiffUser(t *testing.T) {
	admin := []scim.ComplexValue{{Value: scim.RoleAccountAdmin}}
	base := scim.User{ID: "1", UserName: "a@example.com", DisplayName: "A", Active: ptr.To(true),
		Name: &scim.Name{GivenName: "Ann", FamilyName: "Lee"}}
	tests := []struct {
		name    string
		spec    v1.UserSpec
		cur     scim.User
		changed []string
		ops     []scim.Operation
	}{
		{name: "unset fields are not managed", spec: v1.UserSpec{UserName: "A@Example.com"}, cur: base},
		{name: "userName case never patches", spec: v1.UserSpec{UserName: "A@EXAMPLE.COM", DisplayName: "A"}, cur: base},
		{name: "display name drift", spec: v1.UserSpec{DisplayName: "B"}, cur: base,
			changed: []string{"displayName"}, ops: []scim.Operation{scim.ReplaceDisplayName("B")}},
		{name: "given name keeps the unmanaged family name", spec: v1.UserSpec{GivenName: "Anna"}, cur: base,
			changed: []string{"name"}, ops: []scim.Operation{scim.ReplaceName("Anna", "Lee")}},
		{name: "deactivate", spec: v1.UserSpec{Active: ptr.To(false)}, cur: base,
			changed: []string{"active"}, ops: []scim.Operation{scim.ReplaceActive(false)}},
		{name: "nil remote active means active", spec: v1.UserSpec{Active: ptr.To(true)}, cur: scim.User{ID: "1"}},
		{name: "grant admin", spec: v1.UserSpec{AccountAdmin: ptr.To(true)}, cur: base,
			changed: []string{"accountAdmin"}, ops: []scim.Operation{scim.AddRole(scim.RoleAccountAdmin)}},
		{name: "revoke admin", spec: v1.UserSpec{AccountAdmin: ptr.To(false)}, cur: withRoles(base, admin),
			changed: []string{"accountAdmin"}, ops: []scim.Operation{scim.RemoveRole(scim.RoleAccountAdmin)}},
		{name: "admin unmanaged keeps the role", spec: v1.UserSpec{}, cur: withRoles(base, admin)},
		{name: "externalId", spec: v1.UserSpec{ExternalID: "x"}, cur: base,
			changed: []string{"externalId"}, ops: []scim.Operation{scim.ReplaceExternalID("x")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			ops, after, changed := User(tt.spec, tt.cur)
			g.Expect(changed).To(Equal(tt.changed))
			g.Expect(ops).To(Equal(tt.ops))
			// Applying the diff converges: a second diff against the result is empty.
			ops2, _, _ := User(tt.spec, after)
			g.Expect(ops2).To(BeEmpty())
		})
	}
}

func withRoles(u scim.User, roles []scim.ComplexValue) scim.User {
	u.Roles = roles
	return u
}

func TestDiffServicePrincipal(t *testing.T) {
	g := NewWithT(t)
	cur := scim.ServicePrincipal{ID: "9", ApplicationID: "app", DisplayName: "etl", Active: ptr.To(false)}
	ops, after, changed := ServicePrincipal(v1.ServicePrincipalSpec{DisplayName: "etl-2", Active: ptr.To(true), AccountAdmin: ptr.To(true)}, cur)
	g.Expect(changed).To(Equal([]string{"displayName", "active", "accountAdmin"}))
	g.Expect(ops).To(HaveLen(3))
	g.Expect(after.IsActive()).To(BeTrue())
	g.Expect(after.HasRole(scim.RoleAccountAdmin)).To(BeTrue())
	ops, _, _ = ServicePrincipal(v1.ServicePrincipalSpec{ApplicationID: "app"}, cur)
	g.Expect(ops).To(HaveLen(1), "active defaults to true: a deactivated principal is reactivated")
}

func TestDiffGroupMembership(t *testing.T) {
	cur := scim.Group{ID: "7", DisplayName: "eng", Members: []scim.ComplexValue{{Value: "1"}, {Value: "2"}, {Value: "stray"}}}
	t.Run("authoritative removes strays and adds missing members in one request", func(t *testing.T) {
		g := NewWithT(t)
		ch := Group(v1.GroupSpec{DisplayName: "eng"}, Members{IDs: []string{"1", "2", "3"}}, cur)
		g.Expect(ch.Requests).To(HaveLen(1))
		g.Expect(ch.Added).To(Equal([]string{"3"}))
		g.Expect(ch.Removed).To(HaveLen(1))
		g.Expect(memberValues(ch.After.Members)).To(ConsistOf("1", "2", "3"))
	})
	t.Run("additive never removes", func(t *testing.T) {
		g := NewWithT(t)
		ch := Group(v1.GroupSpec{DisplayName: "eng", MembershipPolicy: v1.MembershipAdditive}, Members{IDs: []string{"1"}}, cur)
		g.Expect(ch.Requests).To(BeEmpty())
		g.Expect(ch.Removed).To(BeEmpty())
	})
	t.Run("attributes ride in the first membership request", func(t *testing.T) {
		g := NewWithT(t)
		ch := Group(v1.GroupSpec{DisplayName: "eng-2", AccountAdmin: ptr.To(true)}, Members{IDs: []string{"1", "2", "stray", "4"}}, cur)
		g.Expect(ch.Requests).To(HaveLen(1))
		g.Expect(ch.Requests[0]).To(HaveLen(3)) // displayName, role, add members
		g.Expect(ch.Changed).To(Equal([]string{"displayName", "accountAdmin", "members"}))
	})
	t.Run("large changes are chunked, never one PATCH per member", func(t *testing.T) {
		g := NewWithT(t)
		var ids []string
		for i := 0; i < 2500; i++ {
			ids = append(ids, string(rune('a'+i%26))+itoa(i))
		}
		ch := Group(v1.GroupSpec{DisplayName: "eng"}, Members{IDs: ids}, scim.Group{ID: "7", DisplayName: "eng"})
		g.Expect(ch.Requests).To(HaveLen(3))
		g.Expect(ch.Added).To(HaveLen(2500))
	})
	t.Run("a member missing by natural key removes nothing", func(t *testing.T) {
		g := NewWithT(t)
		ch := Group(v1.GroupSpec{DisplayName: "eng"}, Members{IDs: []string{"1"}, MissingByKey: true}, cur)
		g.Expect(ch.Requests).To(BeEmpty())
		g.Expect(ch.Removed).To(BeEmpty())
	})
	t.Run("no change, no request", func(t *testing.T) {
		g := NewWithT(t)
		ch := Group(v1.GroupSpec{DisplayName: "eng"}, Members{IDs: []string{"1", "2", "stray"}}, cur)
		g.Expect(ch.Requests).To(BeEmpty())
		g.Expect(ch.Changed).To(BeEmpty())
	})
}

func TestDesiredGroupCapsMembersOnCreate(t *testing.T) {
	g := NewWithT(t)
	ids := make([]string, scim.MaxMembersOnCreate+10)
	for i := range ids {
		ids[i] = itoa(i)
	}
	grp := DesiredGroup(v1.GroupSpec{DisplayName: "big"}, ids)
	g.Expect(grp.Members).To(HaveLen(scim.MaxMembersOnCreate))
}

func memberValues(ms []scim.ComplexValue) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Value)
	}
	return out
}

func itoa(i int) string { return fmt.Sprint(i) }
