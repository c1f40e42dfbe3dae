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
	"context"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// directory is a Directory over fixed principals.
type directory struct {
	users  map[string]string // userName -> id
	sps    map[string]string // applicationId -> id
	groups map[string]string // displayName -> id
}

func (d directory) UserByName(n string) (scim.User, bool) {
	id, ok := d.users[naturalkey.Key(n)]
	return scim.User{ID: id, UserName: n}, ok
}

func (d directory) SPByApplicationID(a string) (scim.ServicePrincipal, bool) {
	id, ok := d.sps[naturalkey.Key(a)]
	return scim.ServicePrincipal{ID: id, ApplicationID: a}, ok
}

func (d directory) GroupByName(n string) (scim.Group, bool) {
	id, ok := d.groups[naturalkey.Key(n)]
	return scim.Group{ID: id, DisplayName: n}, ok
}

func group(name, displayName string, members ...v1.GroupMember) *v1.Group {
	g := &v1.Group{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("uid-" + name)}}
	g.Spec.AccountRef.Name = "main"
	g.Spec.DisplayName = displayName
	g.Spec.Members = members
	return g
}

func ref(name string) *v1.LocalObjectReference { return &v1.LocalObjectReference{Name: name} }

func TestResolverMapsMembersToSCIMIDs(t *testing.T) {
	g := NewWithT(t)
	alice := &v1.User{ObjectMeta: metav1.ObjectMeta{Name: "alice", Namespace: "ns"}}
	alice.Spec.AccountRef.Name, alice.Status.ID = "main", "u1"
	pending := &v1.User{ObjectMeta: metav1.ObjectMeta{Name: "pending", Namespace: "ns"}}
	pending.Spec.AccountRef.Name = "main"
	foreign := &v1.ServicePrincipal{ObjectMeta: metav1.ObjectMeta{Name: "foreign", Namespace: "ns"}}
	foreign.Spec.AccountRef.Name, foreign.Status.ID = "other", "s9"
	child := group("child", "Child")
	child.Status.ID = "g2"
	parent := group("parent", "Parent",
		v1.GroupMember{UserRef: ref("alice")},
		v1.GroupMember{UserName: "ALICE@example.com"}, // the same principal again
		v1.GroupMember{UserRef: ref("pending")},
		v1.GroupMember{UserRef: ref("ghost")},
		v1.GroupMember{ServicePrincipalRef: ref("foreign")},
		v1.GroupMember{GroupRef: ref("child")},
		v1.GroupMember{ApplicationID: "00000000-0000-4000-8000-00000000000a"},
		v1.GroupMember{GroupDisplayName: "Unknown"},
	)
	dir := directory{
		users:  map[string]string{"alice@example.com": "u1"},
		sps:    map[string]string{"00000000-0000-4000-8000-00000000000a": "s1"},
		groups: map[string]string{},
	}
	r := Resolver{Resources: NewObjects(alice, pending, foreign, child, parent), Directory: dir, Group: parent}
	m, err := r.Resolve(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m.IDs).To(Equal([]string{"g2", "s1", "u1"}))
	g.Expect(m.Unresolved).To(Equal([]v1.UnresolvedMember{
		{Member: "userRef:pending", Reason: "User ns/pending has no SCIM id yet (not Ready)"},
		{Member: "userRef:ghost", Reason: "User ns/ghost not found"},
		{Member: "servicePrincipalRef:foreign", Reason: `ServicePrincipal ns/foreign belongs to account "other"`},
		{Member: "groupDisplayName:Unknown", Reason: `no group "Unknown" in the account`},
	}))
	g.Expect(m.MissingByKey).To(BeTrue())
	g.Expect(m.Cycles).To(BeEmpty())

	anyPending, err := r.AnyPending(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(anyPending).To(BeTrue(), "the user being created is worth waiting for")

	settled := group("settled", "Settled", parent.Spec.Members[0], v1.GroupMember{UserRef: ref("ghost")}, v1.GroupMember{ServicePrincipalRef: ref("foreign")}, v1.GroupMember{GroupRef: ref("child")})
	r.Group = settled
	anyPending, err = r.AnyPending(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(anyPending).To(BeFalse(), "members with a SCIM id or absent are not worth waiting for")
	r.Group = parent

	absent, err := r.Absent(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(absent).To(Equal([]string{"userRef:ghost"}), "only references to resources that do not exist; natural keys never count")
}

func TestResolverReportsCycles(t *testing.T) {
	g := NewWithT(t)
	a := group("a", "A", v1.GroupMember{GroupRef: ref("b")})
	b := group("b", "B", v1.GroupMember{GroupDisplayName: "a"})
	b.Status.ID = "gb"
	r := Resolver{Resources: NewObjects(a, b), Directory: directory{}, Group: a}
	m, err := r.Resolve(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m.IDs).To(BeEmpty())
	g.Expect(m.Cycles).To(Equal([]string{"groupRef:b: would form a cycle: A -> B -> A"}))
	g.Expect(m.MissingByKey).To(BeFalse())
}
