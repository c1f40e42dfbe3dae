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

package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"

	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

func TestUsersLifecycle(t *testing.T) {
	for _, version := range []string{"2.0", "2.1"} {
		t.Run(version, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			fake := startFake(t, scimfake.Options{})
			c := newClient(t, fake, func(cfg *scim.Config) { cfg.APIVersion = version })

			u, err := c.CreateUser(ctx, scim.User{UserName: "Ada@Example.com", DisplayName: "Ada", Name: &scim.Name{GivenName: "Ada"}})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(u.ID).To(MatchRegexp(`^\d{15,16}$`))
			g.Expect(u.UserName).To(Equal("ada@example.com"), "userName is stored lower-cased")
			g.Expect(u.IsActive()).To(BeTrue())
			g.Expect(u.Emails).To(ConsistOf(scim.ComplexValue{Type: "work", Value: "ada@example.com", Primary: true}))

			got, err := c.GetUser(ctx, u.ID)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.DisplayName).To(Equal("Ada"))

			found, err := c.FindUserByUserName(ctx, "ADA@example.com")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(found).NotTo(BeNil())
			g.Expect(found.ID).To(Equal(u.ID))

			none, err := c.FindUserByUserName(ctx, "nobody@example.com")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(none).To(BeNil())

			g.Expect(c.PatchUser(ctx, u.ID, []scim.Operation{
				scim.ReplaceActive(false),
				scim.ReplaceDisplayName("Ada L."),
				scim.ReplaceName("", "Lovelace"),
				scim.ReplaceExternalID("ext-1"),
				scim.AddRole(scim.RoleAccountAdmin),
			})).To(Succeed())
			got, err = c.GetUser(ctx, u.ID)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.IsActive()).To(BeFalse())
			g.Expect(got.DisplayName).To(Equal("Ada L."))
			g.Expect(*got.Name).To(Equal(scim.Name{GivenName: "Ada", FamilyName: "Lovelace"}))
			g.Expect(got.ExternalID).To(Equal("ext-1"))
			g.Expect(got.HasRole(scim.RoleAccountAdmin)).To(BeTrue())

			g.Expect(c.PatchUser(ctx, u.ID, []scim.Operation{scim.RemoveRole(scim.RoleAccountAdmin), scim.ReplaceActive(true)})).To(Succeed())
			got, err = c.GetUser(ctx, u.ID)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.HasRole(scim.RoleAccountAdmin)).To(BeFalse())
			g.Expect(got.IsActive()).To(BeTrue())

			g.Expect(c.PatchUser(ctx, u.ID, nil)).To(Succeed(), "no operations, no request")

			_, err = c.CreateUser(ctx, scim.User{UserName: "ADA@EXAMPLE.COM"})
			g.Expect(scim.IsAlreadyExists(err)).To(BeTrue(), "%v", err)
			g.Expect(err.Error()).To(ContainSubstring("already exists in this account"))

			g.Expect(c.DeleteUser(ctx, u.ID)).To(Succeed())
			_, err = c.GetUser(ctx, u.ID)
			g.Expect(scim.IsNotFound(err)).To(BeTrue(), "%v", err)
			g.Expect(scim.IsNotFound(c.DeleteUser(ctx, u.ID))).To(BeTrue())
			g.Expect(c.DeleteUser(ctx, "")).To(MatchError(ContainSubstring("empty id")))
		})
	}
}

func TestServicePrincipalsLifecycle(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	fake := startFake(t, scimfake.Options{})
	c := newClient(t, fake)

	sp, err := c.CreateServicePrincipal(ctx, scim.ServicePrincipal{DisplayName: "etl"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sp.ApplicationID).To(MatchRegexp(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))

	const appID = "6ef14233-a641-4f1e-905a-9158cbd3b353"
	sp2, err := c.CreateServicePrincipal(ctx, scim.ServicePrincipal{DisplayName: "azure", ApplicationID: appID})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sp2.ApplicationID).To(Equal(appID))

	_, err = c.CreateServicePrincipal(ctx, scim.ServicePrincipal{DisplayName: "again", ApplicationID: appID})
	g.Expect(scim.IsAlreadyExists(err)).To(BeTrue())

	found, err := c.FindServicePrincipalByApplicationID(ctx, appID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(found.ID).To(Equal(sp2.ID))

	g.Expect(c.PatchServicePrincipal(ctx, sp.ID, []scim.Operation{scim.ReplaceActive(false), scim.AddRole(scim.RoleAccountAdmin)})).To(Succeed())
	got, err := c.GetServicePrincipal(ctx, sp.ID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.IsActive()).To(BeFalse())
	g.Expect(got.HasRole(scim.RoleAccountAdmin)).To(BeTrue())

	var ids []string
	g.Expect(c.ListServicePrincipals(ctx, scim.ListOptions{}, func(sp scim.ServicePrincipal) error {
		ids = append(ids, sp.ID)
		return nil
	})).To(Succeed())
	g.Expect(ids).To(ConsistOf(sp.ID, sp2.ID))

	g.Expect(c.DeleteServicePrincipal(ctx, sp.ID)).To(Succeed())
	_, err = c.GetServicePrincipal(ctx, sp.ID)
	g.Expect(scim.IsNotFound(err)).To(BeTrue())
}

func TestGroupsLifecycle(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	fake := startFake(t, scimfake.Options{})
	c := newClient(t, fake)

	var userIDs []string
	for i := range 3 {
		u := fake.SeedUser(scim.User{UserName: fmt.Sprintf("u%d@example.com", i)})
		userIDs = append(userIDs, u.ID)
	}
	sp := fake.SeedServicePrincipal(scim.ServicePrincipal{DisplayName: "bot"})

	grp, err := c.CreateGroup(ctx, scim.Group{DisplayName: "Data-Eng", Members: []scim.ComplexValue{{Value: userIDs[0]}}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(grp.Members).To(HaveLen(1))
	g.Expect(grp.Members[0].Ref).To(Equal("Users/" + userIDs[0]))

	for _, ops := range scim.MemberPatches([]string{userIDs[1], sp.ID}, []string{userIDs[0]}) {
		g.Expect(c.PatchGroup(ctx, grp.ID, ops)).To(Succeed())
	}
	got, err := c.GetGroup(ctx, grp.ID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.MemberIDs()).To(ConsistOf(userIDs[1], sp.ID))
	for _, m := range got.Members {
		if m.Value == sp.ID {
			g.Expect(scim.MemberResource(m)).To(Equal(scim.ResourceServicePrincipals))
			g.Expect(m.Display).To(Equal("bot"))
		}
	}

	found, err := c.FindGroupByDisplayName(ctx, "data-eng")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(found).NotTo(BeNil())
	g.Expect(found.ID).To(Equal(grp.ID))
	g.Expect(found.Members).To(BeEmpty(), "lists do not return members")

	_, err = c.CreateGroup(ctx, scim.Group{DisplayName: "DATA-ENG"})
	g.Expect(scim.IsAlreadyExists(err)).To(BeTrue())
	g.Expect(err.Error()).To(ContainSubstring("Group with name DATA-ENG already exists."))

	g.Expect(c.PatchGroup(ctx, grp.ID, []scim.Operation{scim.ReplaceDisplayName("data-engineering"), scim.AddRole(scim.RoleAccountAdmin)})).To(Succeed())
	got, err = c.GetGroup(ctx, grp.ID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.DisplayName).To(Equal("data-engineering"))
	g.Expect(got.HasRole(scim.RoleAccountAdmin)).To(BeTrue())

	_, err = c.CreateGroup(ctx, scim.Group{DisplayName: "too-big", Members: make([]scim.ComplexValue, scim.MaxMembersOnCreate+1)})
	g.Expect(err).To(MatchError(ContainSubstring("exceed")))

	g.Expect(c.DeleteGroup(ctx, grp.ID)).To(Succeed())
	_, err = c.GetGroup(ctx, grp.ID)
	g.Expect(scim.IsNotFound(err)).To(BeTrue())
}

func TestPingAndHeaders(t *testing.T) {
	g := NewWithT(t)
	fake := startFake(t, scimfake.Options{})
	var seen http.Header
	wrapped := startWrapped(t, fake, func(r *http.Request) { seen = r.Header.Clone() })
	c := newClientAt(t, wrapped, fake, func(cfg *scim.Config) { cfg.UserAgent = "test-agent/1" })

	g.Expect(c.Ping(context.Background())).To(Succeed())
	reqs := fake.Requests()
	g.Expect(reqs).To(HaveLen(1))
	g.Expect(reqs[0].Path).To(Equal("/api/2.1/accounts/" + fake.AccountID() + "/scim/v2/Users"))
	g.Expect(reqs[0].Query).To(Equal("attributes=id&count=1"))
	g.Expect(reqs[0].Class).To(Equal(scim.ClassList))
	g.Expect(seen.Get("Authorization")).To(Equal("Bearer " + fake.Token()))
	g.Expect(seen.Get("Accept")).To(Equal("application/json, application/scim+json"))
	g.Expect(seen.Get("User-Agent")).To(Equal("test-agent/1"))

	_, err := c.CreateUser(context.Background(), scim.User{UserName: "h@example.com"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(seen.Get("Content-Type")).To(Equal("application/scim+json"))
}

func TestObserverSeesEveryCall(t *testing.T) {
	g := NewWithT(t)
	fake := startFake(t, scimfake.Options{})
	var calls []scim.CallInfo
	c := newClient(t, fake, func(cfg *scim.Config) {
		cfg.Observer = func(ci scim.CallInfo) { calls = append(calls, ci) }
	})
	ctx := context.Background()
	u, err := c.CreateUser(ctx, scim.User{UserName: "o@example.com"})
	g.Expect(err).NotTo(HaveOccurred())
	_, _ = c.GetUser(ctx, u.ID)
	_ = c.PatchUser(ctx, u.ID, []scim.Operation{scim.ReplaceActive(false)})
	_, _ = c.GetUser(ctx, "1")
	g.Expect(calls).To(HaveLen(4))
	g.Expect(calls[0]).To(MatchFields(IgnoreExtras, Fields{"Class": Equal(scim.ClassWrite), "Method": Equal("POST"), "StatusCode": Equal(201)}))
	g.Expect(calls[2]).To(MatchFields(IgnoreExtras, Fields{"Class": Equal(scim.ClassPatch), "StatusCode": Equal(204)}))
	g.Expect(calls[3].StatusCode).To(Equal(404))
}
