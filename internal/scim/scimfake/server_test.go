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
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

func TestRoutingAndAuth(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{Tokens: []string{"tok-a", "tok-b"}})
	c.token = "tok-a"
	for _, v := range []string{"2.0", "2.1"} {
		c.version = v
		g.Expect(c.do("GET", "/Users", nil).status).To(Equal(200), v)
	}
	c.token = "tok-b"
	g.Expect(c.do("GET", "/Groups", nil).status).To(Equal(200))
	c.s.SetTokens("tok-b")
	c.token = "tok-a"
	r := c.do("GET", "/Users", nil)
	g.Expect(r.status).To(Equal(401))
	g.Expect(r.str("message")).To(Equal("Invalid Token"))
	c.token = ""
	g.Expect(c.do("GET", "/Users", nil).status).To(Equal(401))
	c.token = "tok-b"

	base := c.s.URL() + "/api/2.1/accounts/"
	g.Expect(c.doURL("GET", base+"other-account/scim/v2/Users", nil).status).To(Equal(404))
	for _, p := range []string{"/Me", "/ServiceProviderConfig", "/Schemas", "/Users/", "/Users/1/x"} {
		g.Expect(c.do("GET", p, nil).status).To(Equal(404), p)
	}
	g.Expect(c.doURL("GET", c.s.URL()+"/api/2.2/accounts/"+c.s.AccountID()+"/scim/v2/Users", nil).status).To(Equal(404))
	g.Expect(c.do("POST", "/Users/123", "{}").status).To(Equal(405))
	g.Expect(c.do("DELETE", "/Users", nil).status).To(Equal(405))
}

func TestIDsAreDatabricksLike(t *testing.T) {
	g := NewWithT(t)
	a, b := New(Options{Seed: 42}), New(Options{Seed: 42})
	for i := range 200 {
		u1 := a.SeedUser(scim.User{UserName: fmt.Sprintf("u%d@x.com", i)})
		u2 := b.SeedUser(scim.User{UserName: fmt.Sprintf("u%d@x.com", i)})
		g.Expect(u1.ID).To(MatchRegexp(`^[1-9]\d{14,15}$`))
		g.Expect(u1.ID).To(Equal(u2.ID), "seeded")
	}
	sp := a.SeedServicePrincipal(scim.ServicePrincipal{DisplayName: "x"})
	g.Expect(sp.ApplicationID).To(MatchRegexp(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))
}

func TestStatusCodes(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{})
	r := c.do("POST", "/Users", map[string]any{"userName": "s@example.com"})
	g.Expect(r.status).To(Equal(201))
	id := r.str("id")
	g.Expect(r.header.Get("Location")).To(Equal("Users/" + id))
	g.Expect(r.obj["meta"]).To(Equal(map[string]any{"resourceType": "User"}))
	g.Expect(r.obj["schemas"]).To(Equal([]any{scim.SchemaUser}))

	g.Expect(c.do("GET", "/Users/"+id, nil).status).To(Equal(200))
	r = c.do("PUT", "/Users/"+id, map[string]any{"userName": "s@example.com", "displayName": "S"})
	g.Expect(r.status).To(Equal(200))
	g.Expect(r.str("displayName")).To(Equal("S"))
	r = c.patch(scim.ResourceUsers, id, map[string]any{"op": "replace", "path": "displayName", "value": "T"})
	g.Expect(r.status).To(Equal(204))
	g.Expect(r.raw).To(BeEmpty())
	c.s.SetPatchReturnsBody(true)
	r = c.patch(scim.ResourceUsers, id, map[string]any{"op": "replace", "path": "displayName", "value": "U"})
	g.Expect(r.status).To(Equal(200))
	g.Expect(r.str("displayName")).To(Equal("U"))
	g.Expect(c.do("DELETE", "/Users/"+id, nil).status).To(Equal(204))

	for _, m := range []string{"GET", "PUT", "PATCH", "DELETE"} {
		for _, missing := range []string{id, "abc", "0"} {
			r := c.do(m, "/Users/"+missing, map[string]any{"userName": "x@y.z", "Operations": []any{map[string]any{"op": "remove", "path": "displayName"}}})
			g.Expect(r.status).To(Equal(404), m+" "+missing)
			g.Expect(r.obj["schemas"]).To(Equal([]any{scim.SchemaError}))
			g.Expect(r.str("status")).To(Equal("404"))
		}
	}
}

func TestUserRules(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{})
	g.Expect(c.do("POST", "/Users", map[string]any{"displayName": "no name"}).status).To(Equal(400))
	g.Expect(c.do("POST", "/Users", "{not json").status).To(Equal(400))
	r := c.do("POST", "/Users", map[string]any{"userName": "Mixed.Case@Example.com"})
	g.Expect(r.status).To(Equal(201))
	id := r.str("id")
	g.Expect(r.str("userName")).To(Equal("mixed.case@example.com"))
	g.Expect(r.obj["active"]).To(BeTrue())
	g.Expect(r.obj["emails"]).To(Equal([]any{map[string]any{"type": "work", "value": "mixed.case@example.com", "primary": true}}))

	// Inactive users still own their userName.
	g.Expect(c.s.SetUserActive(id, false)).To(Succeed())
	r = c.do("POST", "/Users", map[string]any{"userName": "MIXED.CASE@EXAMPLE.COM"})
	g.Expect(r.status).To(Equal(409))
	g.Expect(r.str("detail")).To(Equal("User with email MIXED.CASE@EXAMPLE.COM already exists in this account. " +
		"Note: emails are case insensitive (i.e abc@domain.com and ABC@DOMAIN.COM are considered equivalent)"))
	g.Expect(r.str("scimType")).To(Equal("uniqueness"))

	// userName and emails cannot change.
	r = c.patch(scim.ResourceUsers, id,
		map[string]any{"op": "replace", "path": "userName", "value": "other@example.com"},
		map[string]any{"op": "replace", "path": "emails", "value": []any{map[string]any{"value": "other@example.com"}}})
	g.Expect(r.status).To(Equal(204))
	r = c.do("PUT", "/Users/"+id, map[string]any{"userName": "other@example.com", "emails": []any{map[string]any{"value": "o@x"}}})
	g.Expect(r.status).To(Equal(200))
	u, _ := c.s.User(id)
	g.Expect(u.UserName).To(Equal("mixed.case@example.com"))
	g.Expect(u.Emails[0].Value).To(Equal("mixed.case@example.com"))
	g.Expect(u.IsActive()).To(BeFalse(), "PUT without active keeps it")

	r = c.do("POST", "/Users", map[string]any{"userName": "e@x.com", "entitlements": []any{map[string]any{"value": "workspace-access"}}})
	g.Expect(r.status).To(Equal(400))
	g.Expect(r.str("detail")).To(Equal("entitlements can only be managed at the workspace level"))
	r = c.do("POST", "/Users", map[string]any{"userName": "r@x.com", "roles": []any{map[string]any{"value": "billing_admin"}}})
	g.Expect(r.status).To(Equal(400))
	r = c.do("POST", "/Users", map[string]any{"userName": "x@x.com", "externalId": string(make([]byte, 65))})
	g.Expect(r.status).To(Equal(400))
}

func TestGroupRules(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{})
	u := c.s.SeedUser(scim.User{UserName: "m@example.com", DisplayName: "Member"})
	sp := c.s.SeedServicePrincipal(scim.ServicePrincipal{DisplayName: "bot"})
	inner := c.s.SeedGroup(scim.Group{DisplayName: "inner"})

	g.Expect(c.do("POST", "/Groups", map[string]any{"externalId": "x"}).status).To(Equal(400))
	r := c.do("POST", "/Groups", map[string]any{"displayName": "Data Eng", "members": []any{
		map[string]any{"value": u.ID}, map[string]any{"value": sp.ID}, map[string]any{"value": inner.ID},
	}})
	g.Expect(r.status).To(Equal(201))
	id := r.str("id")
	g.Expect(r.obj["meta"]).To(Equal(map[string]any{"resourceType": "Group"}))
	g.Expect(r.obj["members"]).To(ConsistOf(
		map[string]any{"value": u.ID, "display": "Member", "$ref": "Users/" + u.ID},
		map[string]any{"value": sp.ID, "display": "bot", "$ref": "ServicePrincipals/" + sp.ID},
		map[string]any{"value": inner.ID, "display": "inner", "$ref": "Groups/" + inner.ID},
	))

	r = c.do("POST", "/Groups", map[string]any{"displayName": "DATA ENG"})
	g.Expect(r.status).To(Equal(409))
	g.Expect(r.str("detail")).To(Equal("Group with name DATA ENG already exists."))
	g.Expect(c.do("POST", "/Groups", map[string]any{"displayName": "ghost", "members": []any{map[string]any{"value": "123"}}}).status).To(Equal(400))
	g.Expect(c.do("POST", "/Groups", map[string]any{"displayName": "bare", "members": []any{u.ID}}).status).To(Equal(400))

	many := make([]any, 5001)
	for i := range many {
		many[i] = map[string]any{"value": u.ID}
	}
	r = c.do("POST", "/Groups", map[string]any{"displayName": "big", "members": many})
	g.Expect(r.status).To(Equal(400))
	g.Expect(c.do("POST", "/Groups", map[string]any{"displayName": "ok-big", "members": many[:5000]}).status).To(Equal(201))

	// Lists never return members (by default), GET does.
	for _, q := range []url.Values{nil, {"attributes": {"members,displayName"}}} {
		for _, it := range c.list(scim.ResourceGroups, q).resources() {
			g.Expect(it).NotTo(HaveKey("members"))
		}
	}
	g.Expect(c.do("GET", "/Groups/"+id, nil).obj["members"]).To(HaveLen(3))
	g.Expect(c.do("GET", "/Groups/"+id+"?attributes=displayName", nil).obj).NotTo(HaveKey("members"))

	// Renaming onto another group's name conflicts.
	r = c.patch(scim.ResourceGroups, id, map[string]any{"op": "replace", "path": "displayName", "value": "INNER"})
	g.Expect(r.status).To(Equal(409))
	r = c.patch(scim.ResourceGroups, id, map[string]any{"op": "replace", "path": "displayName", "value": "data eng"})
	g.Expect(r.status).To(Equal(204), "a case change of its own name is fine")
	g.Expect(c.patch(scim.ResourceGroups, id, map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}).status).To(Equal(400))

	list := newTC(t, Options{GroupListMembers: true})
	list.s.SeedGroup(scim.Group{DisplayName: "g", Members: []scim.ComplexValue{{Value: list.s.SeedUser(scim.User{UserName: "a@b.c"}).ID}}})
	g.Expect(list.list(scim.ResourceGroups, nil).resources()[0]["members"]).To(HaveLen(1))
}

func TestDeleteCascadesMembership(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{})
	u := c.s.SeedUser(scim.User{UserName: "d@example.com"})
	sp := c.s.SeedServicePrincipal(scim.ServicePrincipal{DisplayName: "bot"})
	child := c.s.SeedGroup(scim.Group{DisplayName: "child"})
	var groups []string
	for i := range 3 {
		grp := c.s.SeedGroup(scim.Group{DisplayName: fmt.Sprintf("g%d", i), Members: []scim.ComplexValue{{Value: u.ID}, {Value: sp.ID}, {Value: child.ID}}})
		groups = append(groups, grp.ID)
	}
	g.Expect(c.do("DELETE", "/Users/"+u.ID, nil).status).To(Equal(204))
	g.Expect(c.do("DELETE", "/ServicePrincipals/"+sp.ID, nil).status).To(Equal(204))
	g.Expect(c.do("DELETE", "/Groups/"+child.ID, nil).status).To(Equal(204))
	for _, id := range groups {
		grp, _ := c.s.Group(id)
		g.Expect(grp.Members).To(BeEmpty())
		g.Expect(c.do("GET", "/Groups/"+id, nil).obj).NotTo(HaveKey("members"))
	}
	// Deleting a group leaves its members alone.
	u2 := c.s.SeedUser(scim.User{UserName: "e@example.com"})
	g.Expect(c.s.AddMember(groups[0], u2.ID)).To(Succeed())
	g.Expect(c.do("DELETE", "/Groups/"+groups[0], nil).status).To(Equal(204))
	_, ok := c.s.User(u2.ID)
	g.Expect(ok).To(BeTrue())
}

func TestServicePrincipalRules(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{})
	const appID = "6ef14233-a641-4f1e-905a-9158cbd3b353"
	g.Expect(c.do("POST", "/ServicePrincipals", map[string]any{"applicationId": appID}).status).To(Equal(400), "displayName required outside Azure mode")
	r := c.do("POST", "/ServicePrincipals", map[string]any{"applicationId": appID, "displayName": "x"})
	g.Expect(r.status).To(Equal(201))
	g.Expect(r.str("applicationId")).To(Equal(appID))
	r = c.do("POST", "/ServicePrincipals", map[string]any{"applicationId": "6EF14233-A641-4F1E-905A-9158CBD3B353", "displayName": "y"})
	g.Expect(r.status).To(Equal(409))
	g.Expect(r.str("detail")).To(Equal("Service principal with application ID 6EF14233-A641-4F1E-905A-9158CBD3B353 already exists."))
	g.Expect(c.do("POST", "/ServicePrincipals", map[string]any{"applicationId": "not-a-uuid", "displayName": "z"}).status).To(Equal(400))

	az := newTC(t, Options{AzureMode: true})
	g.Expect(az.do("POST", "/ServicePrincipals", map[string]any{"applicationId": appID}).status).To(Equal(201))
	g.Expect(az.do("POST", "/ServicePrincipals", map[string]any{}).status).To(Equal(400))
}

func TestListSemantics(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{Seed: 3})
	for i := range 250 {
		c.s.SeedUser(scim.User{UserName: fmt.Sprintf("l%03d@example.com", i)})
	}
	all := make([]string, 0, 250)
	for _, u := range c.s.Users() {
		all = append(all, u.ID)
	}
	g.Expect(slices.IsSortedFunc(all, func(a, b string) int {
		x, _ := strconv.ParseInt(a, 10, 64)
		y, _ := strconv.ParseInt(b, 10, 64)
		return int(x - y)
	})).To(BeTrue())

	for _, q := range []url.Values{nil, {"count": {"0"}}, {"count": {"500"}}, {"count": {"-3"}}, {"startIndex": {"-5"}}} {
		r := c.list(scim.ResourceUsers, q)
		g.Expect(r.status).To(Equal(200))
		g.Expect(r.obj["totalResults"]).To(BeNumerically("==", 250))
		g.Expect(r.obj["itemsPerPage"]).To(BeNumerically("==", 100), q.Encode())
		g.Expect(r.obj["startIndex"]).To(BeNumerically("==", 1))
		g.Expect(ids(r.resources())).To(Equal(all[:100]))
	}
	r := c.list(scim.ResourceUsers, url.Values{"startIndex": {"201"}, "count": {"100"}})
	g.Expect(ids(r.resources())).To(Equal(all[200:]))
	g.Expect(r.obj["itemsPerPage"]).To(BeNumerically("==", 50))
	r = c.list(scim.ResourceUsers, url.Values{"startIndex": {"251"}})
	g.Expect(r.resources()).To(BeEmpty())
	g.Expect(r.obj["totalResults"]).To(BeNumerically("==", 250))
	g.Expect(c.list(scim.ResourceUsers, url.Values{"count": {"ten"}}).status).To(Equal(400))
	g.Expect(string(c.list(scim.ResourceUsers, url.Values{"count": {"1"}}).raw)).To(ContainSubstring(`"Resources":[`))
}

func TestAttributes(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{})
	c.s.SeedUser(scim.User{UserName: "a@example.com", DisplayName: "A", ExternalID: "ext", Name: &scim.Name{GivenName: "G", FamilyName: "F"},
		Roles: []scim.ComplexValue{{Value: scim.RoleAccountAdmin}}})
	one := func(q url.Values) map[string]any { return c.list(scim.ResourceUsers, q).resources()[0] }
	keys := func(m map[string]any) []string {
		return slices.Sorted(func(y func(string) bool) {
			for k := range m {
				y(k)
			}
		})
	}

	g.Expect(keys(one(url.Values{"attributes": {"userName,externalID,bogus"}}))).To(Equal([]string{"id", "schemas", "userName"}),
		"case-sensitive; unknown names ignored; id always returned")
	g.Expect(keys(one(url.Values{"attributes": {"externalId, roles"}}))).To(Equal([]string{"externalId", "id", "roles", "schemas"}))
	g.Expect(one(url.Values{"attributes": {"name.givenName"}})["name"]).To(Equal(map[string]any{"givenName": "G"}))
	g.Expect(keys(one(url.Values{"attributes": {"urn:ietf:params:scim:schemas:core:2.0:User:displayName"}}))).To(Equal([]string{"displayName", "id", "schemas"}))
	ex := one(url.Values{"excludedAttributes": {"roles,emails,meta,id"}})
	g.Expect(ex).NotTo(HaveKey("roles"))
	g.Expect(ex).NotTo(HaveKey("emails"))
	g.Expect(ex).To(HaveKey("id"))
	g.Expect(ex).To(HaveKey("userName"))
}

func TestFiltersByVersion(t *testing.T) {
	c := newTC(t, Options{})
	u := c.s.SeedUser(scim.User{UserName: "alice@example.com", DisplayName: "Alice", ExternalID: "E1"})
	c.s.SeedUser(scim.User{UserName: "bob@example.com", DisplayName: "Bob"})
	grp := c.s.SeedGroup(scim.Group{DisplayName: "Admins Team", ExternalID: "G-1"})
	sp := c.s.SeedServicePrincipal(scim.ServicePrincipal{DisplayName: "etl"})

	type fc struct {
		res    scim.Resource
		filter string
		v20    int // matches under 2.0, -1: 400
		v21    int
	}
	cases := []fc{
		{scim.ResourceUsers, `userName eq "ALICE@example.com"`, 1, 1},
		{scim.ResourceUsers, `userName eq "a\"b"`, 0, 0},
		{scim.ResourceUsers, `USERNAME eq "alice@example.com"`, 1, 1},
		{scim.ResourceUsers, `userName co "example"`, 2, -1},
		{scim.ResourceUsers, `userName sw "bob"`, 1, -1},
		{scim.ResourceUsers, `userName ne "bob@example.com"`, 1, -1},
		{scim.ResourceUsers, `displayName eq "Alice" or displayName eq "Bob"`, 2, -1},
		{scim.ResourceUsers, `displayName eq "Alice" and externalId eq "E1"`, 1, -1},
		{scim.ResourceUsers, `externalId eq "e1"`, 0, -1},
		{scim.ResourceUsers, `id eq "` + u.ID + `"`, 1, -1},
		{scim.ResourceUsers, `displayName eq "Alice"`, 1, -1},
		{scim.ResourceUsers, `userName ew "com"`, -1, -1},
		{scim.ResourceUsers, `userName pr`, -1, -1},
		{scim.ResourceUsers, `not (userName eq "x")`, -1, -1},
		{scim.ResourceUsers, `emails[value eq "x"]`, -1, -1},
		{scim.ResourceUsers, `title eq "x"`, -1, -1},
		{scim.ResourceUsers, `active eq true`, -1, -1},
		{scim.ResourceUsers, `userName eq`, -1, -1},
		{scim.ResourceUsers, `)(`, -1, -1},
		{scim.ResourceGroups, `displayName eq "admins team"`, 1, 1},
		{scim.ResourceGroups, `externalId eq "G-1"`, 1, 1},
		{scim.ResourceGroups, `displayName sw "Admins"`, 1, -1},
		{scim.ResourceGroups, `id eq ` + grp.ID, 1, -1},
		{scim.ResourceGroups, `userName eq "x"`, -1, -1},
		{scim.ResourceServicePrincipals, `applicationId eq "` + sp.ApplicationID + `"`, 1, 1},
		{scim.ResourceServicePrincipals, `displayName eq "etl"`, 1, -1},
	}
	for _, tcase := range cases {
		for _, version := range []string{"2.0", "2.1"} {
			t.Run(version+" "+tcase.filter, func(t *testing.T) {
				g := NewWithT(t)
				c.version = version
				want := tcase.v20
				if version == "2.1" {
					want = tcase.v21
				}
				r := c.filter(tcase.res, tcase.filter)
				if want < 0 {
					g.Expect(r.status).To(Equal(400), string(r.raw))
					return
				}
				g.Expect(r.status).To(Equal(200), string(r.raw))
				g.Expect(r.resources()).To(HaveLen(want))
				g.Expect(r.obj["totalResults"]).To(BeNumerically("==", want))
			})
		}
	}

	g := NewWithT(t)
	c.version = "2.1"
	r := c.filter(scim.ResourceUsers, `userName co "a"`)
	g.Expect(r.str("detail")).To(Equal("Given filter operator is not supported."))
	g.Expect(r.str("scimType")).To(Equal("invalidFilter"))

	c.version = "2.0"
	big := `userName eq "x0"`
	for i := 1; i <= 100; i++ { // 101 comparisons + 100 ors = 201 nodes
		big += fmt.Sprintf(` or userName eq "x%d"`, i)
	}
	r = c.filter(scim.ResourceUsers, big)
	g.Expect(r.status).To(Equal(400))
	g.Expect(r.str("error_code")).To(Equal("INVALID_FILTER"))
	r = c.filter(scim.ResourceUsers, big[:len(big)-len(` or userName eq "x100"`)])
	g.Expect(r.status).To(Equal(200), "200 nodes are allowed")
}

func TestPatchForms(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{})
	u := c.s.SeedUser(scim.User{UserName: "p@example.com"})
	u2 := c.s.SeedUser(scim.User{UserName: "q@example.com"})
	grp := c.s.SeedGroup(scim.Group{DisplayName: "team"})

	for _, value := range []any{false, "false", "FALSE", []any{map[string]any{"value": "false"}}, []any{map[string]any{"value": false}}} {
		g.Expect(c.s.SetUserActive(u.ID, true)).To(Succeed())
		r := c.patch(scim.ResourceUsers, u.ID, map[string]any{"op": "Replace", "path": "active", "value": value})
		g.Expect(r.status).To(Equal(204), "%v: %s", value, r.raw)
		got, _ := c.s.User(u.ID)
		g.Expect(got.IsActive()).To(BeFalse(), "%v", value)
	}
	g.Expect(c.patch(scim.ResourceUsers, u.ID, map[string]any{"op": "replace", "path": "active", "value": "nope"}).status).To(Equal(400))
	g.Expect(c.patch(scim.ResourceUsers, u.ID, map[string]any{"op": "replace", "value": map[string]any{"active": true, "displayName": "P"}}).status).To(Equal(204))
	got, _ := c.s.User(u.ID)
	g.Expect(got.IsActive()).To(BeTrue())
	g.Expect(got.DisplayName).To(Equal("P"))

	// Name: whole (merging) and sub-attribute.
	g.Expect(c.patch(scim.ResourceUsers, u.ID, map[string]any{"op": "replace", "path": "name", "value": map[string]any{"givenName": "G", "familyName": "F"}}).status).To(Equal(204))
	g.Expect(c.patch(scim.ResourceUsers, u.ID, map[string]any{"op": "replace", "path": "name", "value": map[string]any{"familyName": "F2"}}).status).To(Equal(204))
	g.Expect(c.patch(scim.ResourceUsers, u.ID, map[string]any{"op": "replace", "path": "name.givenName", "value": "G2"}).status).To(Equal(204))
	got, _ = c.s.User(u.ID)
	g.Expect(*got.Name).To(Equal(scim.Name{GivenName: "G2", FamilyName: "F2"}))

	// Roles: path and no-path add, filtered remove.
	g.Expect(c.patch(scim.ResourceUsers, u.ID, map[string]any{"op": "ADD", "value": map[string]any{"roles": []any{map[string]any{"value": "account_admin"}}}}).status).To(Equal(204))
	got, _ = c.s.User(u.ID)
	g.Expect(got.HasRole(scim.RoleAccountAdmin)).To(BeTrue())
	g.Expect(c.patch(scim.ResourceUsers, u.ID, map[string]any{"op": "remove", "path": `roles[value eq "account_admin"]`}).status).To(Equal(204))
	got, _ = c.s.User(u.ID)
	g.Expect(got.Roles).To(BeEmpty())

	// Members: path add, no-path add, filtered remove (no value key).
	g.Expect(c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u.ID}}}).status).To(Equal(204))
	g.Expect(c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "add", "value": map[string]any{"members": []any{map[string]any{"value": u2.ID}}}}).status).To(Equal(204))
	gr, _ := c.s.Group(grp.ID)
	g.Expect(gr.MemberIDs()).To(ConsistOf(u.ID, u2.ID))
	g.Expect(c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "remove", "path": `members[value eq "` + u.ID + `"]`}).status).To(Equal(204))
	gr, _ = c.s.Group(grp.ID)
	g.Expect(gr.MemberIDs()).To(ConsistOf(u2.ID))

	// Strictness.
	r := c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "remove", "path": `members[value eq "` + u2.ID + `"]`, "value": ""})
	g.Expect(r.status).To(Equal(400))
	g.Expect(r.str("detail")).To(Equal(`Unrecognized field "value" (class com.unboundid.scim2.common.messages.PatchOperation$RemoveOperation), not marked as ignorable`))
	r = c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "add", "path": "members", "value": u.ID})
	g.Expect(r.status).To(Equal(400))
	g.Expect(r.str("scimType")).To(Equal("invalidSyntax"))
	g.Expect(r.str("detail")).To(Equal("Request is unparsable, syntactically incorrect, or violates schema."))
	g.Expect(c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "add", "path": "members", "value": []any{u.ID}}).status).To(Equal(400))
	for _, op := range []map[string]any{
		{"op": "add", "path": "entitlements", "value": []any{map[string]any{"value": "workspace-access"}}},
		{"op": "add", "value": map[string]any{"entitlements": []any{map[string]any{"value": "allow-cluster-create"}}}},
		{"op": "remove", "path": `entitlements[value eq "workspace-access"]`},
	} {
		r = c.patch(scim.ResourceGroups, grp.ID, op)
		g.Expect(r.status).To(Equal(400))
		g.Expect(r.str("scimType")).To(Equal("invalidValue"))
		g.Expect(r.str("detail")).To(Equal("entitlements can only be managed at the workspace level"))
	}
	g.Expect(c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "move", "path": "members"}).status).To(Equal(400))
	g.Expect(c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "remove"}).status).To(Equal(400))
	g.Expect(c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "replace", "path": "displayName"}).status).To(Equal(400))
	g.Expect(c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "replace", "path": "nickName", "value": "x"}).status).To(Equal(400))
	g.Expect(c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "replace", "path": "members[", "value": "x"}).status).To(Equal(400))
	g.Expect(c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u.ID}}, "extra": 1}).status).To(Equal(400))
	g.Expect(c.do("PATCH", "/Groups/"+grp.ID, map[string]any{"Operations": []any{}}).status).To(Equal(400))
	g.Expect(c.do("PATCH", "/Groups/"+grp.ID, "[]").status).To(Equal(400))

	// Atomic: a failing operation leaves the earlier ones unapplied.
	r = c.patch(scim.ResourceGroups, grp.ID,
		map[string]any{"op": "replace", "path": "displayName", "value": "renamed"},
		map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": "404"}}})
	g.Expect(r.status).To(Equal(400))
	gr, _ = c.s.Group(grp.ID)
	g.Expect(gr.DisplayName).To(Equal("team"))
}

func TestPutReplaces(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{})
	u := c.s.SeedUser(scim.User{UserName: "p@example.com", DisplayName: "P", Roles: []scim.ComplexValue{{Value: scim.RoleAccountAdmin}}})
	grp := c.s.SeedGroup(scim.Group{DisplayName: "team", Members: []scim.ComplexValue{{Value: u.ID}}, ExternalID: "x"})
	r := c.do("PUT", "/Users/"+u.ID, map[string]any{"userName": "p@example.com", "active": false})
	g.Expect(r.status).To(Equal(200))
	got, _ := c.s.User(u.ID)
	g.Expect(got.Roles).To(BeEmpty())
	g.Expect(got.DisplayName).To(BeEmpty())
	g.Expect(got.IsActive()).To(BeFalse())
	r = c.do("PUT", "/Groups/"+grp.ID, map[string]any{"displayName": "team2"})
	g.Expect(r.status).To(Equal(200))
	gr, _ := c.s.Group(grp.ID)
	g.Expect(gr.Members).To(BeEmpty())
	g.Expect(gr.ExternalID).To(BeEmpty())
	_, ok := c.s.GroupByName("TEAM2")
	g.Expect(ok).To(BeTrue())
	g.Expect(c.do("PUT", "/Groups/"+grp.ID, map[string]any{"externalId": "y"}).status).To(Equal(400))
}

func TestVisibilityDelay(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{VisibilityDelay: time.Second})
	r := c.do("POST", "/Users", map[string]any{"userName": "late@example.com"})
	g.Expect(r.status).To(Equal(201))
	id := r.str("id")
	g.Expect(c.do("GET", "/Users/"+id, nil).status).To(Equal(404))
	g.Expect(c.list(scim.ResourceUsers, nil).resources()).To(BeEmpty())
	g.Expect(c.filter(scim.ResourceUsers, `userName eq "late@example.com"`).resources()).To(BeEmpty())
	g.Expect(c.do("POST", "/Users", map[string]any{"userName": "late@example.com"}).status).To(Equal(409), "the backend knows it")
	g.Expect(c.patch(scim.ResourceUsers, id, map[string]any{"op": "replace", "path": "displayName", "value": "L"}).status).To(Equal(204))
	_, ok := c.s.User(id)
	g.Expect(ok).To(BeTrue(), "direct access sees it")
	g.Eventually(func() int { return c.do("GET", "/Users/"+id, nil).status }).WithTimeout(3 * time.Second).Should(Equal(200))
	g.Expect(c.filter(scim.ResourceUsers, `userName eq "late@example.com"`).resources()).To(HaveLen(1))
}

func TestStaleReads(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{})
	u := c.s.SeedUser(scim.User{UserName: "s@example.com", DisplayName: "Old"})
	grp := c.s.SeedGroup(scim.Group{DisplayName: "team"})
	c.s.SetStaleReads(time.Second)
	g.Expect(c.patch(scim.ResourceUsers, u.ID, map[string]any{"op": "replace", "path": "displayName", "value": "New"}).status).To(Equal(204))
	g.Expect(c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u.ID}}}).status).To(Equal(204))
	g.Expect(c.do("GET", "/Users/"+u.ID, nil).str("displayName")).To(Equal("Old"))
	g.Expect(c.filter(scim.ResourceUsers, `userName eq "s@example.com"`).resources()[0]["displayName"]).To(Equal("Old"))
	g.Expect(c.do("GET", "/Groups/"+grp.ID, nil).obj).NotTo(HaveKey("members"))
	cur, _ := c.s.User(u.ID)
	g.Expect(cur.DisplayName).To(Equal("New"))
	g.Eventually(func() string { return c.do("GET", "/Users/"+u.ID, nil).str("displayName") }).WithTimeout(3 * time.Second).Should(Equal("New"))
	g.Eventually(func() any { return c.do("GET", "/Groups/"+grp.ID, nil).obj["members"] }).WithTimeout(3 * time.Second).Should(HaveLen(1))
}

func TestFaultsAndCounters(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{RateLimits: scim.Limits{Patch: 1}})
	u := c.s.SeedUser(scim.User{UserName: "f@example.com"})
	op := map[string]any{"op": "replace", "path": "displayName", "value": "x"}
	g.Expect(c.patch(scim.ResourceUsers, u.ID, op).status).To(Equal(204))
	r := c.patch(scim.ResourceUsers, u.ID, op)
	g.Expect(r.status).To(Equal(429))
	g.Expect(r.header.Get("Retry-After")).To(Equal("1"))
	c.s.SetThrottleAs500(true)
	r = c.patch(scim.ResourceUsers, u.ID, op)
	g.Expect(r.status).To(Equal(500))
	g.Expect(r.str("detail")).To(HavePrefix("REQUEST_LIMIT_EXCEEDED"))
	g.Expect(r.str("status")).To(Equal("500"))
	c.s.SetRateLimits(scim.Limits{})

	g.Expect(c.s.Counts()[scim.ClassPatch]).To(Equal(map[int]int{204: 1, 429: 1, 500: 1}))
	g.Expect(c.s.Writes()).To(Equal(3))
	c.do("GET", "/Users/"+u.ID, nil)
	g.Expect(c.s.Writes()).To(Equal(3))
	c.s.ResetRequests()
	g.Expect(c.s.Requests()).To(BeEmpty())
	g.Expect(c.s.Writes()).To(BeZero())

	c.s.SetErrorRate(1, 0.5)
	failures := 0
	for range 200 {
		if c.do("GET", "/Users/"+u.ID, nil).status == 503 {
			failures++
		}
	}
	g.Expect(failures).To(BeNumerically("~", 100, 30))
	c.s.SetErrorRate(0, 0)

	c.s.SetLatency(50 * time.Millisecond)
	start := time.Now()
	c.do("GET", "/Users/"+u.ID, nil)
	g.Expect(time.Since(start)).To(BeNumerically(">=", 50*time.Millisecond))
	c.s.SetLatency(0)
}

func TestAdminEndpoints(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{})
	c.s.SeedUser(scim.User{UserName: "a@example.com"})
	c.do("GET", "/Users", nil)
	r := c.doURL("GET", c.s.URL()+"/_fake/stats", nil)
	g.Expect(r.status).To(Equal(200))
	g.Expect(r.obj["users"]).To(BeNumerically("==", 1))
	g.Expect(r.obj["counts"]).To(Equal(map[string]any{"list": map[string]any{"200": float64(1)}}))
	g.Expect(c.doURL("PUT", c.s.URL()+"/_fake/faults", `{"rateLimits":{"get":3},"staleReads":"1s"}`).status).To(Equal(204))
	g.Expect(c.s.RateLimits().Get).To(Equal(3.0))
	g.Expect(c.doURL("PUT", c.s.URL()+"/_fake/faults", `{"latency":"forever"}`).status).To(Equal(400))
	g.Expect(c.doURL("POST", c.s.URL()+"/_fake/reset-requests", nil).status).To(Equal(204))
	g.Expect(c.s.Requests()).To(HaveLen(1), "only the reset call itself")
	c.token = "wrong"
	g.Expect(c.doURL("GET", c.s.URL()+"/_fake/stats", nil).status).To(Equal(401))
}

func TestDirectMutators(t *testing.T) {
	g := NewWithT(t)
	s := New(Options{})
	u := s.SeedUser(scim.User{UserName: "d@example.com"})
	sp := s.SeedServicePrincipal(scim.ServicePrincipal{DisplayName: "bot"})
	a := s.SeedGroup(scim.Group{DisplayName: "a"})
	s.SeedGroup(scim.Group{DisplayName: "b"})
	g.Expect(s.AddMember(a.ID, u.ID)).To(Succeed())
	g.Expect(s.AddMember(a.ID, sp.ID)).To(Succeed())
	g.Expect(s.AddMember(a.ID, "1")).NotTo(Succeed())
	g.Expect(s.RemoveMember(a.ID, u.ID)).To(Succeed())
	grp, _ := s.Group(a.ID)
	g.Expect(grp.MemberIDs()).To(Equal([]string{sp.ID}))
	g.Expect(s.UpdateGroup(a.ID, func(g *scim.Group) { g.DisplayName = "B" })).NotTo(Succeed(), "names stay unique")
	g.Expect(s.UpdateUser(u.ID, func(u *scim.User) { u.DisplayName = "Dee"; u.UserName = "hack@example.com" })).To(Succeed())
	got, ok := s.UserByName("D@EXAMPLE.COM")
	g.Expect(ok).To(BeTrue())
	g.Expect(got.DisplayName).To(Equal("Dee"))
	g.Expect(s.SetServicePrincipalActive(sp.ID, false)).To(Succeed())
	gotSP, _ := s.ServicePrincipalByApplicationID(sp.ApplicationID)
	g.Expect(gotSP.IsActive()).To(BeFalse())
	g.Expect(s.Delete(scim.ResourceServicePrincipals, sp.ID)).To(Succeed())
	g.Expect(s.Delete(scim.ResourceServicePrincipals, sp.ID)).NotTo(Succeed())
	grp, _ = s.Group(a.ID)
	g.Expect(grp.Members).To(BeEmpty())
	g.Expect(s.Users()).To(HaveLen(1))
	g.Expect(s.ServicePrincipals()).To(BeEmpty())
	g.Expect(s.Groups()).To(HaveLen(2))
	g.Expect(func() { s.SeedUser(scim.User{UserName: "D@example.com"}) }).To(Panic())
}

func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 10,000 users")
	}
	g := NewWithT(t)
	c := newTC(t, Options{})
	users := make([]string, 0, 10_000)
	for i := range 10_000 {
		users = append(users, c.s.SeedUser(scim.User{UserName: fmt.Sprintf("s%05d@example.com", i)}).ID)
	}
	for i := range 1000 {
		members := make([]scim.ComplexValue, 50)
		for j := range members {
			members[j] = scim.ComplexValue{Value: users[(i*50+j)%len(users)]}
		}
		c.s.SeedGroup(scim.Group{DisplayName: fmt.Sprintf("grp-%04d", i), Members: members})
	}
	r := c.filter(scim.ResourceUsers, `userName eq "s09999@example.com"`)
	g.Expect(r.resources()).To(HaveLen(1))
	r = c.list(scim.ResourceGroups, url.Values{"startIndex": {"901"}, "attributes": {"id,displayName"}})
	g.Expect(r.resources()).To(HaveLen(100))
	// Deleting a user touches only its groups.
	g.Expect(c.do("DELETE", "/Users/"+users[0], nil).status).To(Equal(204))
	grp, _ := c.s.GroupByName("grp-0000")
	g.Expect(grp.Members).To(HaveLen(49))
}

func TestExternalGroupAndCreateStatus(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{CreateStatus: 200})
	u := c.s.SeedUser(scim.User{UserName: "x@example.com"})
	grp := c.s.SeedGroup(scim.Group{DisplayName: "entra-synced"})
	g.Expect(c.s.SetGroupExternal(grp.ID, true)).To(Succeed())
	r := c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u.ID}}})
	g.Expect(r.status).To(Equal(500))
	g.Expect(r.str("detail")).To(ContainSubstring("Error in performing the patch operation on group resource"))
	g.Expect(c.patch(scim.ResourceGroups, grp.ID, map[string]any{"op": "add", "path": "roles", "value": []any{map[string]any{"value": "account_admin"}}}).status).To(Equal(204))
	g.Expect(c.s.AddMember(grp.ID, u.ID)).To(Succeed(), "the IdP itself may change it")
	g.Expect(c.do("POST", "/Groups", map[string]any{"displayName": "plain"}).status).To(Equal(200))
}

func TestRequestsRecordTheUserAgent(t *testing.T) {
	g := NewWithT(t)
	c := newTC(t, Options{})
	req, err := http.NewRequest(http.MethodGet, c.s.BaseURL("2.1")+"/Users", nil)
	g.Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "shard-a/1")
	resp, err := http.DefaultClient.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(resp.Body.Close()).To(Succeed())
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	recs := c.s.Requests()
	g.Expect(recs).To(HaveLen(1))
	g.Expect(recs[0].UserAgent).To(Equal("shard-a/1"))
}
