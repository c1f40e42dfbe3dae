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

package manifest

import (
	"math/rand/v2"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

var adminRole = []scim.ComplexValue{{Value: scim.RoleAccountAdmin}}

func sampleSnapshot() Snapshot {
	return Snapshot{
		Users: []scim.User{
			{ID: "1", UserName: "alice@example.com", DisplayName: "Alice", Name: &scim.Name{GivenName: "Alice", FamilyName: "Liddell"},
				Active: ptr.To(true), ExternalID: "ext-a", Roles: adminRole},
			{ID: "2", UserName: "bob@example.com", Active: ptr.To(false)},
			{ID: "3", UserName: "carol@other.org", DisplayName: "Carol"},
		},
		ServicePrincipals: []scim.ServicePrincipal{
			{ID: "10", ApplicationID: "6f1b3c1e-0000-4000-8000-000000000010", DisplayName: "etl", Active: ptr.To(true)},
			{ID: "11", DisplayName: "no-app-id"},
		},
		Groups: []scim.Group{
			{ID: "20", DisplayName: "Data Engineers", ExternalID: "g-ext", Roles: adminRole, Members: []scim.ComplexValue{
				{Value: "1", Ref: "Users/1"}, {Value: "10", Ref: "ServicePrincipals/10"}, {Value: "21", Ref: "Groups/21"}, {Value: "3"},
			}},
			{ID: "21", DisplayName: "data-readers", Members: []scim.ComplexValue{{Value: "2", Ref: "Users/2"}}},
			{ID: "22", DisplayName: "admins", Members: []scim.ComplexValue{{Value: "1", Ref: "Users/1"}}},
		},
		DeletionPolicies: map[string]v1.PrincipalDeletionPolicy{"2": v1.PrincipalDelete},
	}
}

func byName(objs []client.Object) map[string]client.Object {
	m := map[string]client.Object{}
	for _, o := range objs {
		m[o.GetObjectKind().GroupVersionKind().Kind+" "+o.GetNamespace()+"/"+o.GetName()] = o
	}
	return m
}

func TestBuildObserveMapsEveryAttribute(t *testing.T) {
	g := NewWithT(t)
	objs, notes, err := Build(sampleSnapshot(), Options{Account: "main", Namespace: "ids"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(notes).To(ConsistOf(ContainSubstring(`Group "admins" (SCIM id 22): a built-in group`)))
	m := byName(objs)
	g.Expect(m).To(HaveLen(7))

	alice := m["User ids/alice-example-com"].(*v1.User)
	g.Expect(alice.APIVersion).To(Equal("databricks.scimops.dev/v1alpha1"))
	g.Expect(alice.Spec).To(Equal(v1.UserSpec{
		AccountRef: v1.AccountReference{Name: "main"}, UserName: "alice@example.com", DisplayName: "Alice",
		GivenName: "Alice", FamilyName: "Liddell", ExternalID: "ext-a", AccountAdmin: ptr.To(true),
		ManagementPolicy: v1.ManagementObserve,
	}))
	bob := m["User ids/bob-example-com"].(*v1.User)
	g.Expect(bob.Spec.Active).To(Equal(ptr.To(false)))
	g.Expect(bob.Spec.AccountAdmin).To(BeNil(), "accountAdmin is written only when held")
	g.Expect(bob.Spec.DeletionPolicy).To(Equal(v1.PrincipalDelete))

	etl := m["ServicePrincipal ids/etl"].(*v1.ServicePrincipal)
	g.Expect(etl.Spec.ApplicationID).To(Equal("6f1b3c1e-0000-4000-8000-000000000010"))
	g.Expect(etl.Spec.DisplayName).To(Equal("etl"))
	g.Expect(etl.Spec.Active).To(BeNil())
	g.Expect(m).To(HaveKey("ServicePrincipal ids/no-app-id"))

	eng := m["Group ids/data-engineers"].(*v1.Group)
	g.Expect(eng.Spec.DisplayName).To(Equal("Data Engineers"))
	g.Expect(eng.Spec.ExternalID).To(Equal("g-ext"))
	g.Expect(eng.Spec.AccountAdmin).To(Equal(ptr.To(true)))
	g.Expect(eng.Spec.MembershipPolicy).To(BeEmpty())
	g.Expect(eng.Spec.Members).To(Equal([]v1.GroupMember{
		{UserRef: &v1.LocalObjectReference{Name: "alice-example-com"}},
		{UserRef: &v1.LocalObjectReference{Name: "carol-other-org"}},
		{ServicePrincipalRef: &v1.LocalObjectReference{Name: "etl"}},
		{GroupRef: &v1.LocalObjectReference{Name: "data-readers"}},
	}))
	g.Expect(m).NotTo(HaveKey("Group ids/admins"))

	// Sorted by kind, namespace and name.
	var order []string
	for _, o := range objs {
		order = append(order, o.GetObjectKind().GroupVersionKind().Kind+"/"+o.GetName())
	}
	g.Expect(order).To(Equal([]string{"User/alice-example-com", "User/bob-example-com", "User/carol-other-org",
		"ServicePrincipal/etl", "ServicePrincipal/no-app-id", "Group/data-engineers", "Group/data-readers"}))
}

func TestBuildAdoptAndRetain(t *testing.T) {
	g := NewWithT(t)
	objs, _, err := Build(sampleSnapshot(), Options{Account: "main", Namespace: "ids", Adopt: true, Retain: true})
	g.Expect(err).NotTo(HaveOccurred())
	for _, o := range objs {
		switch x := o.(type) {
		case *v1.User:
			g.Expect(x.Spec.ManagementPolicy).To(BeEmpty())
			g.Expect(x.Spec.AdoptionPolicy).To(Equal(v1.AdoptionIfExists))
			g.Expect(x.Spec.DeletionPolicy).To(Equal(v1.PrincipalRetain))
		case *v1.ServicePrincipal:
			g.Expect(x.Spec.AdoptionPolicy).To(Equal(v1.AdoptionIfExists))
			g.Expect(x.Spec.DeletionPolicy).To(Equal(v1.PrincipalRetain))
		case *v1.Group:
			g.Expect(x.Spec.AdoptionPolicy).To(Equal(v1.AdoptionIfExists))
			g.Expect(x.Spec.DeletionPolicy).To(Equal(v1.GroupRetain))
		}
	}
}

func TestBuildMembersAcrossNamespacesAndFilters(t *testing.T) {
	g := NewWithT(t)
	objs, notes, err := Build(sampleSnapshot(), Options{
		Account: "main", Namespace: "ids",
		NamespaceRules: []NamespaceRule{{Kind: KindGroup, Pattern: "data-*", Namespace: "team-data"}},
		Kinds:          []Kind{KindGroup, KindUser},
	})
	g.Expect(err).NotTo(HaveOccurred())
	m := byName(objs)
	g.Expect(m).To(HaveKey("Group ids/data-engineers"), "the rule is case-insensitive but 'Data Engineers' has no dash")
	g.Expect(m).To(HaveKey("Group team-data/data-readers"))
	g.Expect(m).NotTo(HaveKey("ServicePrincipal ids/etl"), "service principals are filtered out")

	eng := m["Group ids/data-engineers"].(*v1.Group)
	g.Expect(eng.Spec.Members).To(Equal([]v1.GroupMember{
		{UserRef: &v1.LocalObjectReference{Name: "alice-example-com"}},
		{UserRef: &v1.LocalObjectReference{Name: "carol-other-org"}},
		{ApplicationID: "6f1b3c1e-0000-4000-8000-000000000010"},
		{GroupDisplayName: "data-readers"},
	}), "members not written in the group's namespace are named by natural key")
	readers := m["Group team-data/data-readers"].(*v1.Group)
	g.Expect(readers.Spec.Members).To(Equal([]v1.GroupMember{{UserName: "bob@example.com"}}))
	g.Expect(notes).To(HaveLen(1)) // the built-in group

	// A displayName pattern selects objects of every kind.
	objs, _, err = Build(sampleSnapshot(), Options{Account: "main", Namespace: "ids", Match: "*data*"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(byName(objs)).To(HaveLen(2))
}

func TestBuildUnnamedMembersMakeTheGroupAdditive(t *testing.T) {
	g := NewWithT(t)
	s := sampleSnapshot()
	s.Groups = append(s.Groups, scim.Group{ID: "30", DisplayName: "mixed", Members: []scim.ComplexValue{
		{Value: "1", Ref: "Users/1"}, {Value: "999", Ref: "Users/999"}, {Value: "11", Ref: "ServicePrincipals/11"},
	}})
	objs, notes, err := Build(s, Options{Account: "main", Namespace: "ids", Kinds: []Kind{KindGroup, KindUser}})
	g.Expect(err).NotTo(HaveOccurred())
	mixed := byName(objs)["Group ids/mixed"].(*v1.Group)
	g.Expect(mixed.Spec.Members).To(Equal([]v1.GroupMember{{UserRef: &v1.LocalObjectReference{Name: "alice-example-com"}}}))
	g.Expect(mixed.Spec.MembershipPolicy).To(Equal(v1.MembershipAdditive))
	g.Expect(strings.Join(notes, "\n")).To(And(
		ContainSubstring("member SCIM id 999 is not in the snapshot"),
		ContainSubstring(`member ServicePrincipal "no-app-id" (SCIM id 11)`),
		ContainSubstring("2 member(s) could not be named"),
	))
}

func TestBuildSkipsWhatTheOperatorRefuses(t *testing.T) {
	g := NewWithT(t)
	s := Snapshot{
		Users: []scim.User{
			{ID: "1", UserName: "ok@example.com", DisplayName: "bad\u0007name", ExternalID: strings.Repeat("x", 65)},
			{ID: "2", UserName: "zero\u200bwidth@example.com"},
			{ID: "3", UserName: ""},
		},
		ServicePrincipals: []scim.ServicePrincipal{{ID: "4", DisplayName: "twin"}, {ID: "5", DisplayName: "TWIN"}},
		Groups:            []scim.Group{{ID: "6", DisplayName: "Account Users"}},
	}
	objs, notes, err := Build(s, Options{Account: "main", Namespace: "ids"})
	g.Expect(err).NotTo(HaveOccurred())
	m := byName(objs)
	g.Expect(m).To(HaveLen(2))
	u := m["User ids/ok-example-com"].(*v1.User)
	g.Expect(u.Spec.DisplayName).To(BeEmpty())
	g.Expect(u.Spec.ExternalID).To(BeEmpty())
	g.Expect(m).To(HaveKey("ServicePrincipal ids/twin"))
	g.Expect(notes).To(HaveLen(6))
	joined := strings.Join(notes, "\n")
	g.Expect(joined).NotTo(ContainSubstring("\u200b"), "notes describe characters, never repeat them")
	g.Expect(joined).To(ContainSubstring("same natural key as SCIM id 4"))
}

func TestBuildRejectsBadOptions(t *testing.T) {
	g := NewWithT(t)
	_, _, err := Build(Snapshot{}, Options{Account: "", Namespace: "Bad_NS", Kinds: []Kind{"Widget"},
		NamespaceRules: []NamespaceRule{{Pattern: "", Namespace: "x"}}})
	g.Expect(err).To(MatchError(And(ContainSubstring("DatabricksAccount name"), ContainSubstring("Bad_NS"),
		ContainSubstring(`unknown kind "Widget"`), ContainSubstring("empty pattern"))))
}

func TestNamesAreStableDNSLabels(t *testing.T) {
	g := NewWithT(t)
	g.Expect(BaseName("Alice.Smith@Example.com")).To(Equal("alice-smith-example-com"))
	g.Expect(BaseName("Équipe  Données!")).To(Equal("equipe-donnees"))
	g.Expect(BaseName("--x--")).To(Equal("x"))
	g.Expect(BaseName("日本")).To(BeEmpty())

	long := strings.Repeat("a", 70) + "@example.com"
	s := Snapshot{
		Users: []scim.User{
			{ID: "1", UserName: "a.b@example.com"}, {ID: "2", UserName: "a-b@example.com"}, // same base
			{ID: "3", UserName: long}, {ID: "4", UserName: "plain@example.com"},
		},
		Groups: []scim.Group{{ID: "5", DisplayName: "日本"}, {ID: "6", DisplayName: "a.b@example.com"}},
	}
	objs, _, err := Build(s, Options{Account: "main", Namespace: "ids"})
	g.Expect(err).NotTo(HaveOccurred())
	names := map[string]string{}
	for _, o := range objs {
		key := o.GetObjectKind().GroupVersionKind().Kind + ":"
		switch x := o.(type) {
		case *v1.User:
			key += x.Spec.UserName
		case *v1.Group:
			key += x.Spec.DisplayName
		}
		names[key] = o.GetName()
		g.Expect(len(o.GetName())).To(BeNumerically("<=", 63))
		g.Expect(o.GetName()).To(MatchRegexp(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`))
	}
	g.Expect(names["User:plain@example.com"]).To(Equal("plain-example-com"))
	g.Expect(names["User:a.b@example.com"]).To(Equal("a-b-example-com-" + hashSuffix(KindUser, "a.b@example.com")))
	g.Expect(names["User:a-b@example.com"]).To(Equal("a-b-example-com-" + hashSuffix(KindUser, "a-b@example.com")))
	g.Expect(names["User:"+long]).To(HavePrefix("aaaaaaaa"))
	g.Expect(names["User:"+long]).To(HaveSuffix("-" + hashSuffix(KindUser, long)))
	g.Expect(names["Group:日本"]).To(Equal("group-" + hashSuffix(KindGroup, "日本")))
	g.Expect(names["Group:a.b@example.com"]).To(Equal("a-b-example-com"), "names collide only within a kind")

	// The same input in any order gives the same objects.
	want := render(g, objs)
	for i := range 5 {
		shuffled := s
		r := rand.New(rand.NewPCG(uint64(i), 1))
		shuffled.Users = append([]scim.User(nil), s.Users...)
		r.Shuffle(len(shuffled.Users), func(a, b int) { shuffled.Users[a], shuffled.Users[b] = shuffled.Users[b], shuffled.Users[a] })
		again, _, err := Build(shuffled, Options{Account: "main", Namespace: "ids"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(render(g, again)).To(Equal(want))
	}
}

// render is the YAML of objs, for comparing outputs.
func render(g Gomega, objs []client.Object) string {
	var b strings.Builder
	for _, o := range objs {
		raw, err := Marshal(o)
		g.Expect(err).NotTo(HaveOccurred())
		b.Write(raw)
		b.WriteString("---\n")
	}
	return b.String()
}
