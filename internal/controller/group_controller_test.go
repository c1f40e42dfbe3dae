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
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

func userRef(name string) v1.GroupMember {
	return v1.GroupMember{UserRef: &v1.LocalObjectReference{Name: name}}
}

func spRef(name string) v1.GroupMember {
	return v1.GroupMember{ServicePrincipalRef: &v1.LocalObjectReference{Name: name}}
}

func groupRef(name string) v1.GroupMember {
	return v1.GroupMember{GroupRef: &v1.LocalObjectReference{Name: name}}
}

// remoteMembers returns the member ids of the fake's group with that name.
func remoteMembers(g Gomega, s *scenario, displayName string) []string {
	grp, ok := s.fake.GroupByName(displayName)
	g.Expect(ok).To(BeTrue(), "group %q exists remotely", displayName)
	return grp.MemberIDs()
}

var _ = Describe("Group", func() {
	ctx := context.Background()

	It("creates nested groups with their members inside the create, then deletes them", Label(healthFixtures), func() {
		s := newScenario(withPermissions())
		alice := s.user("alice", "alice@example.com")
		robot := s.servicePrincipal("robot", "robot")
		external := s.fake.SeedUser(scim.User{UserName: "outside@example.com"})
		Expect(k8sClient.Create(ctx, alice)).To(Succeed())
		Expect(k8sClient.Create(ctx, robot)).To(Succeed())
		expectCurrent(alice)
		expectCurrent(robot)

		eng := s.group("eng", "engineers", []v1.GroupMember{userRef("alice"), spRef("robot"), {UserName: "outside@example.com"}})
		Expect(k8sClient.Create(ctx, eng)).To(Succeed())
		expectCurrent(eng)
		captureHealthFixture("group-ready", eng)
		Expect(eng.Status.MemberCount).To(Equal(int32(3)))
		Eventually(func(g Gomega) []string { return remoteMembers(g, s, "engineers") }).Should(ConsistOf(alice.Status.ID, robot.Status.ID, external.ID))
		expectQuiet(s.fake)
		Expect(requestsTo(s.fake, http.MethodPatch, "/Groups/")).To(BeZero(), "initial members go into the create")

		By("granting account_admin to the group")
		patchObject(eng, func(g *v1.Group) { g.Spec.AccountAdmin = ptr.To(true) })
		Eventually(func() bool { r, _ := s.fake.GroupByName("engineers"); return r.HasRole(scim.RoleAccountAdmin) }).Should(BeTrue())
		expectCurrent(eng)
		expectQuiet(s.fake)
		Expect(requestsTo(s.fake, http.MethodPatch, "/Groups/")).To(Equal(1))

		platform := s.group("platform", "platform", []v1.GroupMember{groupRef("eng"), {GroupDisplayName: "Engineers"}})
		Expect(k8sClient.Create(ctx, platform)).To(Succeed())
		expectCurrent(platform)
		Eventually(func(g Gomega) []string { return remoteMembers(g, s, "platform") }).Should(ConsistOf(eng.Status.ID))

		Expect(k8sClient.Delete(ctx, platform)).To(Succeed())
		Eventually(func() bool { _, ok := s.fake.GroupByName("platform"); return ok }).Should(BeFalse())
	})

	It("applies the members that resolve, reports the rest, and adds them when they appear", Label(healthFixtures), func() {
		s := newScenario()
		alice := s.user("alice", "alice@example.com")
		Expect(k8sClient.Create(ctx, alice)).To(Succeed())
		expectCurrent(alice)
		g := s.group("team", "team", []v1.GroupMember{userRef("alice"), userRef("late"), {UserName: "nobody@example.com"}})
		Expect(k8sClient.Create(ctx, g)).To(Succeed())
		expectReason(g, metav1.ConditionFalse, v1.ReasonMembersUnresolved)
		captureHealthFixture("group-membersunresolved", g)
		Expect(g.Status.UnresolvedMembers).To(ConsistOf(
			v1.UnresolvedMember{Member: "userRef:late", Reason: "User " + s.namespace + "/late not found"},
			v1.UnresolvedMember{Member: "userName:nobody@example.com", Reason: "no user \"nobody@example.com\" in the account"},
		))
		Eventually(func(gm Gomega) []string { return remoteMembers(gm, s, "team") }).Should(ConsistOf(alice.Status.ID))

		late := s.user("late", "late@example.com")
		Expect(k8sClient.Create(ctx, late)).To(Succeed())
		expectCurrent(late)
		Eventually(func(gm Gomega) []string { return remoteMembers(gm, s, "team") }).Should(ConsistOf(alice.Status.ID, late.Status.ID))
		Eventually(func(gm Gomega) []v1.UnresolvedMember {
			gm.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(g), g)).To(Succeed())
			return g.Status.UnresolvedMembers
		}).Should(HaveLen(1))
	})

	It("reports a nesting cycle instead of applying it", Label(healthFixtures), func() {
		s := newScenario()
		a := s.group("a", "group-a", []v1.GroupMember{groupRef("b")})
		b := s.group("b", "group-b", []v1.GroupMember{groupRef("a")})
		Expect(k8sClient.Create(ctx, a)).To(Succeed())
		Expect(k8sClient.Create(ctx, b)).To(Succeed())
		expectReason(a, metav1.ConditionFalse, v1.ReasonMembershipCycle)
		captureHealthFixture("group-membershipcycle", a)
		expectReason(b, metav1.ConditionFalse, v1.ReasonMembershipCycle)
		Expect(readyOf(a).Message).To(ContainSubstring("would form a cycle: group-a -> group-b -> group-a"))
		Eventually(func(g Gomega) []string { return remoteMembers(g, s, "group-a") }).Should(BeEmpty())
		Eventually(func(g Gomega) []string { return remoteMembers(g, s, "group-b") }).Should(BeEmpty())
	})

	It("removes stray members when Authoritative and never when Additive", func() {
		s := newScenario(withSyncInterval(2 * time.Second))
		alice := s.user("alice", "alice@example.com")
		Expect(k8sClient.Create(ctx, alice)).To(Succeed())
		expectCurrent(alice)
		stray := s.fake.SeedUser(scim.User{UserName: "stray@example.com"})
		auth := s.group("auth", "authoritative", []v1.GroupMember{userRef("alice")})
		add := s.group("add", "additive", []v1.GroupMember{userRef("alice")}, func(g *v1.Group) { g.Spec.MembershipPolicy = v1.MembershipAdditive })
		Expect(k8sClient.Create(ctx, auth)).To(Succeed())
		Expect(k8sClient.Create(ctx, add)).To(Succeed())
		expectCurrent(auth)
		expectCurrent(add)

		Expect(s.fake.AddMember(auth.Status.ID, stray.ID)).To(Succeed())
		Expect(s.fake.AddMember(add.Status.ID, stray.ID)).To(Succeed())
		strayAdded := time.Now()
		Eventually(func(g Gomega) []string { return remoteMembers(g, s, "authoritative") }, 10*time.Second).Should(ConsistOf(alice.Status.ID))
		// The additive group has been read back with the stray in it (one GET
		// per sync interval), so a removal would have been decided already.
		Eventually(func() bool {
			for _, r := range s.fake.Requests() {
				if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/Groups/"+add.Status.ID) && r.Time.After(strayAdded) && r.Status == http.StatusOK {
					return true
				}
			}
			return false
		}, 10*time.Second).Should(BeTrue(), "the additive group is re-read after the stray was added")
		Consistently(func(g Gomega) {
			g.Expect(remoteMembers(g, s, "additive")).To(ConsistOf(alice.Status.ID, stray.ID))
			g.Expect(requestsTo(s.fake, http.MethodPatch, "/Groups/"+add.Status.ID)).To(BeZero())
		}, 5*time.Second).Should(Succeed())
	})
})

// readyOf returns obj's Ready condition after a fresh read.
func readyOf(obj identityObject) metav1.Condition {
	GinkgoHelper()
	c := readyCondition(Default, obj)
	Expect(c).NotTo(BeNil())
	return *c
}
