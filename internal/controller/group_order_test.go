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

package controller

import (
	"context"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// expectHolding waits until g reports that it waits for member resources
// that do not exist yet (within the suite's member grace window).
func expectHolding(g *v1.Group) {
	GinkgoHelper()
	Eventually(func(gm Gomega) {
		c := readyCondition(gm, g)
		gm.Expect(c).NotTo(BeNil())
		gm.Expect(c.Reason).To(Equal(v1.ReasonProgressing), c.Message)
		gm.Expect(c.Message).To(Equal("Waiting up to 5s from the group's creation for member resources that do not exist yet, so the group is created or adopted with them; after that it converges on the members that resolve"))
	}).Should(Succeed())
}

var _ = Describe("Group apply order", func() {
	ctx := context.Background()

	It("creates a group applied before its users once, with all of them, and never patches its members", func() {
		s := newScenario()
		g := s.group("team", "team", []v1.GroupMember{userRef("alice"), userRef("bob"), spRef("robot")})
		Expect(k8sClient.Create(ctx, g)).To(Succeed())
		expectHolding(g)
		Expect(requestsTo(s.fake, http.MethodPost, "/Groups")).To(BeZero(), "not created while its members are being applied")

		alice, bob, robot := s.user("alice", "alice@example.com"), s.user("bob", "bob@example.com"), s.servicePrincipal("robot", "robot")
		for _, o := range []identityObject{alice, bob, robot} {
			Expect(k8sClient.Create(ctx, o)).To(Succeed())
		}
		expectCurrent(g)
		for _, o := range []identityObject{alice, bob, robot} {
			expectCurrent(o)
		}
		Expect(g.Status.MemberCount).To(Equal(int32(3)))
		Eventually(func(gm Gomega) []string { return remoteMembers(gm, s, "team") }).Should(ConsistOf(alice.Status.ID, bob.Status.ID, robot.Status.ID))
		expectQuiet(s.fake)
		Expect(requestsTo(s.fake, http.MethodPost, "/Groups")).To(Equal(1))
		Expect(requestsTo(s.fake, http.MethodPatch, "/Groups/")).To(BeZero(), "all members went into the create")
	})

	It("never removes members of an adopted group whose users are applied after it", func() {
		s := newScenario(withPermissions())
		bob := s.fake.SeedUser(scim.User{UserName: "bob@example.com"})
		carol := s.fake.SeedUser(scim.User{UserName: "carol@example.com"})
		seeded := s.fake.SeedGroup(scim.Group{DisplayName: "ops", Members: []scim.ComplexValue{{Value: bob.ID}, {Value: carol.ID}}})
		adopt := func(u *v1.User) { u.Spec.AdoptionPolicy = v1.AdoptionIfExists }

		g := s.group("ops", "ops", []v1.GroupMember{userRef("bob"), userRef("carol")}, func(g *v1.Group) { g.Spec.AdoptionPolicy = v1.AdoptionIfExists })
		Expect(k8sClient.Create(ctx, g)).To(Succeed())
		expectHolding(g)
		Expect(remoteMembers(Default, s, "ops")).To(ConsistOf(bob.ID, carol.ID))

		users := []*v1.User{s.user("bob", "bob@example.com", adopt), s.user("carol", "carol@example.com", adopt)}
		for _, u := range users {
			Expect(k8sClient.Create(ctx, u)).To(Succeed())
		}
		expectCurrent(g)
		Expect(g.Status.ID).To(Equal(seeded.ID))
		Expect(g.Status.Adopted).To(BeTrue())
		Expect(g.Status.MemberCount).To(Equal(int32(2)))
		Expect(remoteMembers(Default, s, "ops")).To(ConsistOf(bob.ID, carol.ID))
		expectQuiet(s.fake)
		// Any removal, even one re-added later, would have been a PATCH.
		Expect(requestsTo(s.fake, http.MethodPatch, "/Groups/")).To(BeZero(), "no member was removed or re-added")
	})

	It("converges on the members that resolve once the grace window is over", func() {
		s := newScenario()
		alice := s.user("alice", "alice@example.com")
		Expect(k8sClient.Create(ctx, alice)).To(Succeed())
		expectCurrent(alice)

		g := s.group("team", "team", []v1.GroupMember{userRef("alice"), userRef("ghost")})
		Expect(k8sClient.Create(ctx, g)).To(Succeed())
		expectHolding(g)
		expectReason(g, metav1.ConditionFalse, v1.ReasonMembersUnresolved)
		Expect(g.Status.UnresolvedMembers).To(ConsistOf(v1.UnresolvedMember{Member: "userRef:ghost", Reason: "User " + s.namespace + "/ghost not found"}))
		Expect(readyOf(g).Message).NotTo(ContainSubstring("No members are removed"))
		Eventually(func(gm Gomega) []string { return remoteMembers(gm, s, "team") }).Should(ConsistOf(alice.Status.ID))
		Expect(requestsTo(s.fake, http.MethodPost, "/Groups")).To(Equal(1))
	})
})
