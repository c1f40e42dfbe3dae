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
	"bytes"
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/cli/manifest"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

const ns = "team"

func user(name, userName string, mut ...func(*v1.User)) *v1.User {
	u := &v1.User{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	u.Spec.AccountRef.Name, u.Spec.UserName = "main", userName
	for _, m := range mut {
		m(u)
	}
	return u
}

func sp(name, displayName string, mut ...func(*v1.ServicePrincipal)) *v1.ServicePrincipal {
	s := &v1.ServicePrincipal{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	s.Spec.AccountRef.Name, s.Spec.DisplayName = "main", displayName
	for _, m := range mut {
		m(s)
	}
	return s
}

func group(name, displayName string, members []v1.GroupMember, mut ...func(*v1.Group)) *v1.Group {
	g := &v1.Group{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	g.Spec.AccountRef.Name, g.Spec.DisplayName, g.Spec.Members = "main", displayName, members
	for _, m := range mut {
		m(g)
	}
	return g
}

func snapshot() manifest.Snapshot {
	return manifest.Snapshot{
		Users: []scim.User{
			{ID: "u-old", UserName: "old@example.com", DisplayName: "Old"},
			{ID: "u-owned", UserName: "owned@example.com", DisplayName: "Owned", Active: ptr.To(true)},
			{ID: "u-obs", UserName: "observed@example.com", DisplayName: "Remote"},
			{ID: "u-free", UserName: "free@example.com"},
			{ID: "u-taken", UserName: "taken@example.com"},
		},
		ServicePrincipals: []scim.ServicePrincipal{
			{ID: "s1", DisplayName: "twin", ApplicationID: "00000000-0000-4000-8000-000000000001"},
			{ID: "s2", DisplayName: "twin", ApplicationID: "00000000-0000-4000-8000-000000000002"},
		},
		Groups: []scim.Group{
			{ID: "g-eng", DisplayName: "eng", Members: []scim.ComplexValue{{Value: "u-owned"}, {Value: "u-free"}}},
		},
	}
}

func find(g Gomega, p *Plan, kind, name string) Item {
	for _, it := range p.Items {
		if it.Kind == kind && it.Name == name {
			return it
		}
	}
	g.Expect(false).To(BeTrue(), "no item %s/%s", kind, name)
	return Item{}
}

func TestComputeEveryAction(t *testing.T) {
	g := NewWithT(t)
	created := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	// In the cluster: the operator manages owned@ and observes observed@;
	// other/holder already owns free@ under another name.
	liveOwned := user("owned", "owned@example.com")
	liveOwned.Finalizers, liveOwned.Status.ID, liveOwned.CreationTimestamp = []string{v1.Finalizer}, "u-owned", created
	liveHolder := user("holder", "free@example.com")
	liveHolder.Finalizers, liveHolder.Status.ID, liveHolder.CreationTimestamp = []string{v1.Finalizer}, "u-free", created
	liveEng := group("eng", "eng", nil)
	liveEng.Finalizers, liveEng.Status.ID, liveEng.CreationTimestamp = []string{v1.Finalizer}, "g-eng", created

	account := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: "main"}}
	account.Spec.Permissions = &v1.AccountPermissions{Adoption: &v1.NamespacePermission{NamespaceSelector: &metav1.LabelSelector{}}}

	in := Input{
		AccountName: "main", Account: account, Namespaces: map[string]map[string]string{ns: {}},
		Live: []client.Object{liveOwned, liveHolder, liveEng},
		Objects: []client.Object{
			user("new", "new@example.com", func(u *v1.User) { u.Spec.DisplayName = "New" }),
			user("adopt", "old@example.com", func(u *v1.User) {
				u.Spec.AdoptionPolicy, u.Spec.DisplayName = v1.AdoptionIfExists, "Renamed"
			}),
			user("owned", "owned@example.com", func(u *v1.User) { u.Spec.Active = ptr.To(false) }),
			user("never", "taken@example.com"),
			user("free", "free@example.com"),
			user("admin", "admin@example.com", func(u *v1.User) { u.Spec.AccountAdmin = ptr.To(true) }),
			user("observed", "observed@example.com", func(u *v1.User) {
				u.Spec.ManagementPolicy, u.Spec.DisplayName = v1.ManagementObserve, "Local"
			}),
			user("missing", "missing@example.com", func(u *v1.User) { u.Spec.ManagementPolicy = v1.ManagementObserve }),
			user("invalid", "bad\u200b@example.com"),
			user("elsewhere", "x@example.com", func(u *v1.User) { u.Spec.AccountRef.Name = "other" }),
			sp("twin", "twin"),
			group("eng", "eng", []v1.GroupMember{
				{UserRef: &v1.LocalObjectReference{Name: "owned"}},
				{UserRef: &v1.LocalObjectReference{Name: "new"}},
				{UserName: "nobody@example.com"},
			}),
		},
	}
	p, err := Compute(context.Background(), in, snapshot(), nil)
	g.Expect(err).NotTo(HaveOccurred())

	it := find(g, p, "User", "new")
	g.Expect(it.Action).To(Equal(Create))
	g.Expect(it.Changes).To(Equal([]Change{{Attribute: "userName", New: `"new@example.com"`}, {Attribute: "displayName", New: `"New"`}}))

	it = find(g, p, "User", "adopt")
	g.Expect(it.Action).To(Equal(Adopt))
	g.Expect(it.ID).To(Equal("u-old"))
	g.Expect(it.Changes).To(Equal([]Change{{"displayName", `"Old"`, `"Renamed"`}}))

	it = find(g, p, "User", "owned")
	g.Expect(it.Action).To(Equal(Patch))
	g.Expect(it.Changes).To(Equal([]Change{{"active", "true", "false"}}))

	it = find(g, p, "User", "never")
	g.Expect(it.Action).To(Equal(Conflict))
	g.Expect(it.Message).To(ContainSubstring("set spec.adoptionPolicy: IfExists to adopt it"))

	it = find(g, p, "User", "free")
	g.Expect(it.Action).To(Equal(Conflict))
	g.Expect(it.Message).To(ContainSubstring("team/holder already manages this remote object"))

	it = find(g, p, "User", "admin")
	g.Expect(it.Action).To(Equal(NotPermitted))
	g.Expect(it.Message).To(ContainSubstring("spec.permissions.accountAdmin.namespaceSelector"))

	it = find(g, p, "User", "observed")
	g.Expect(it.Action).To(Equal(Observe))
	g.Expect(it.Drift).To(Equal([]Change{{"displayName", `"Remote"`, `"Local"`}}))

	g.Expect(find(g, p, "User", "missing").Action).To(Equal(NotFound))
	it = find(g, p, "User", "invalid")
	g.Expect(it.Action).To(Equal(Invalid))
	g.Expect(it.Key).To(Equal(`userName="bad\u200b@example.com"`), "invisible characters are shown escaped")
	g.Expect(find(g, p, "User", "elsewhere").Action).To(Equal(Skipped))
	g.Expect(find(g, p, "ServicePrincipal", "twin").Action).To(Equal(Ambiguous))

	it = find(g, p, "Group", "eng")
	g.Expect(it.Action).To(Equal(Patch))
	g.Expect(it.Changes).To(BeEmpty())
	g.Expect(it.Added).To(Equal([]string{"User team/new (created by this plan)"}))
	g.Expect(it.Removed).To(BeEmpty(), "a member missing by natural key removes nothing (Additive fallback)")
	g.Expect(it.Unresolved).To(Equal([]v1.UnresolvedMember{{Member: "userName:nobody@example.com", Reason: `no user "nobody@example.com" in the account`}}))

	g.Expect(p.InSync()).To(BeFalse())
	var out bytes.Buffer
	p.Write(&out)
	g.Expect(out.String()).To(ContainSubstring("~ User team/owned (userName=owned@example.com): patch (SCIM id u-owned)\n    active: true -> false\n"))
	g.Expect(out.String()).To(ContainSubstring("Plan: 1 to create, 1 to adopt, 2 to patch, 1 members to add, 0 to remove, 1 members unresolved, 2 conflict(s), 1 not permitted, 1 ambiguous, 1 not found, 1 invalid, 1 observed, 1 of other accounts skipped."))
}

func TestComputeInSyncAndMemberRemoval(t *testing.T) {
	g := NewWithT(t)
	created := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	live := func(o client.Object, id string) client.Object {
		o.SetFinalizers([]string{v1.Finalizer})
		o.SetCreationTimestamp(created)
		o.(interface{ GetIdentityStatus() *v1.IdentityStatus }).GetIdentityStatus().ID = id
		return o
	}
	owned := user("owned", "owned@example.com", func(u *v1.User) { u.Spec.DisplayName = "Owned" })
	free := user("free", "free@example.com")
	eng := group("eng", "eng", []v1.GroupMember{{UserRef: &v1.LocalObjectReference{Name: "owned"}}, {UserRef: &v1.LocalObjectReference{Name: "free"}}})
	in := Input{AccountName: "main",
		Live:    []client.Object{live(owned.DeepCopy(), "u-owned"), live(free.DeepCopy(), "u-free"), live(eng.DeepCopy(), "g-eng")},
		Objects: []client.Object{owned, free, eng},
	}
	p, err := Compute(context.Background(), in, snapshot(), nil)
	g.Expect(err).NotTo(HaveOccurred())
	for _, it := range p.Items {
		g.Expect(it.Action).To(Equal(Unchanged), "%s/%s: %+v", it.Kind, it.Name, it)
		g.Expect(it.Notes).To(BeEmpty())
	}
	g.Expect(p.Notes).To(Equal([]string{`DatabricksAccount "main" could not be read: its namespaceSelector and permissions are not checked`}))
	g.Expect(p.InSync()).To(BeTrue())
	g.Expect(p.Summary()).To(Equal("Plan: 3 unchanged. No changes."))

	// Drop a member: removed (Authoritative).
	eng2 := eng.DeepCopy()
	eng2.Spec.Members = eng2.Spec.Members[:1]
	in.Objects = []client.Object{owned, free, eng2}
	p, err = Compute(context.Background(), in, snapshot(), nil)
	g.Expect(err).NotTo(HaveOccurred())
	it := find(g, p, "Group", "eng")
	g.Expect(it.Action).To(Equal(Patch))
	g.Expect(it.Removed).To(Equal([]string{"user free@example.com (SCIM id u-free)"}))
	g.Expect(p.InSync()).To(BeFalse())
}

func TestComputeRefusedResourcesOwnNothing(t *testing.T) {
	g := NewWithT(t)
	account := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: "main"}}
	in := Input{AccountName: "main", Account: account, Namespaces: map[string]map[string]string{ns: {}},
		Objects: []client.Object{
			// "a-admin" would be created first, but may not set accountAdmin: it owns nothing.
			user("a-admin", "same@example.com", func(u *v1.User) { u.Spec.AccountAdmin = ptr.To(true) }),
			user("b-plain", "same@example.com"),
			user("c-late", "same@example.com"),
		}}
	p, err := Compute(context.Background(), in, snapshot(), nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(find(g, p, "User", "a-admin").Action).To(Equal(NotPermitted))
	g.Expect(find(g, p, "User", "b-plain").Action).To(Equal(Create))
	it := find(g, p, "User", "c-late")
	g.Expect(it.Action).To(Equal(Conflict))
	g.Expect(it.Message).To(Equal("team/b-plain names the same remote object and would be created first; this resource would not write to it"))
}
