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

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

const driftInterval = 2 * time.Second

var _ = Describe("Drift", func() {
	ctx := context.Background()

	It("repairs changes made directly in the account within one sync interval", func() {
		s := newScenario(withSyncInterval(driftInterval))
		alice := s.user("alice", "alice@example.com", func(u *v1.User) { u.Spec.DisplayName = "Alice" })
		bob := s.user("bob", "bob@example.com")
		robot := s.servicePrincipal("robot", "robot")
		Expect(k8sClient.Create(ctx, alice)).To(Succeed())
		Expect(k8sClient.Create(ctx, bob)).To(Succeed())
		Expect(k8sClient.Create(ctx, robot)).To(Succeed())
		expectCurrent(alice)
		expectCurrent(bob)
		expectCurrent(robot)
		team := s.group("team", "team", []v1.GroupMember{userRef("alice"), userRef("bob")})
		Expect(k8sClient.Create(ctx, team)).To(Succeed())
		expectCurrent(team)
		time.Sleep(testWriteShield) // let our own writes age out of the shield, as in production after 90 s

		By("editing, deactivating, removing a member and deleting objects in the console")
		Expect(s.fake.UpdateUser(alice.Status.ID, func(u *scim.User) { u.DisplayName = "Mallory" })).To(Succeed())
		Expect(s.fake.SetUserActive(bob.Status.ID, false)).To(Succeed())
		Expect(s.fake.RemoveMember(team.Status.ID, alice.Status.ID)).To(Succeed())
		Expect(s.fake.Delete(scim.ResourceServicePrincipals, robot.Status.ID)).To(Succeed())
		oldRobot := robot.Status.ID

		// One interval (plus its 10% jitter and the reconcile itself): a re-list
		// reports what changed and the holders are reconciled at once.
		within := driftInterval + 2*time.Second
		Eventually(func() string { r, _ := s.fake.User(alice.Status.ID); return r.DisplayName }, within).Should(Equal("Alice"))
		Eventually(func() bool { r, _ := s.fake.User(bob.Status.ID); return r.IsActive() }, within).Should(BeTrue())
		Eventually(func(g Gomega) []string { return remoteMembers(g, s, "team") }, within).Should(ConsistOf(alice.Status.ID, bob.Status.ID))
		Eventually(func(g Gomega) string {
			var ids []string
			for _, sp := range s.fake.ServicePrincipals() {
				if sp.DisplayName == "robot" {
					ids = append(ids, sp.ID)
				}
			}
			g.Expect(ids).To(HaveLen(1))
			return ids[0]
		}, within).ShouldNot(Equal(oldRobot))
		Eventually(func() []string { return eventsFor(robot) }).Should(ContainElement(v1.EventDriftRepaired))
		Eventually(func() []string { return eventsFor(alice) }).Should(ContainElement(v1.EventUpdated))
		expectCurrent(robot)

		By("deleting the group in the console")
		Expect(s.fake.Delete(scim.ResourceGroups, team.Status.ID)).To(Succeed())
		Eventually(func(g Gomega) []string { return remoteMembers(g, s, "team") }, within).Should(ConsistOf(alice.Status.ID, bob.Status.ID))
	})

	It("makes no writes and only list pages plus one GET per managed group per interval in steady state", func() {
		s := newScenario(withSyncInterval(driftInterval))
		for _, name := range []string{"u1", "u2", "u3"} {
			Expect(k8sClient.Create(ctx, s.user(name, name+"@example.com"))).To(Succeed())
		}
		Expect(k8sClient.Create(ctx, s.servicePrincipal("sp1", "sp1"))).To(Succeed())
		g1 := s.group("g1", "g1", []v1.GroupMember{userRef("u1"), userRef("u2")})
		g2 := s.group("g2", "g2", []v1.GroupMember{groupRef("g1"), userRef("u3"), spRef("sp1")})
		Expect(k8sClient.Create(ctx, g1)).To(Succeed())
		Expect(k8sClient.Create(ctx, g2)).To(Succeed())
		expectCurrent(g1)
		Eventually(func(g Gomega) []string { return remoteMembers(g, s, "g2") }).Should(HaveLen(3))
		expectCurrent(g2)
		time.Sleep(testWriteShield + driftInterval)

		s.fake.ResetRequests()
		const intervals = 3
		time.Sleep(intervals * driftInterval)
		var lists, groupGets, other int
		for _, r := range s.fake.Requests() {
			switch {
			case r.Method != http.MethodGet:
				other++
			case strings.HasSuffix(r.Path, "/Users") || strings.HasSuffix(r.Path, "/Groups") || strings.HasSuffix(r.Path, "/ServicePrincipals"):
				lists++
			case strings.Contains(r.Path, "/Groups/"):
				groupGets++
			default:
				other++
			}
		}
		Expect(other).To(BeZero(), "no writes and no per-object GETs of users or service principals")
		// One refresh = one page each of users, service principals and groups;
		// +1 interval of slack for the jittered timers straddling the window.
		Expect(lists).To(BeNumerically("<=", 3*(intervals+1)))
		Expect(lists).To(BeNumerically(">=", 3*(intervals-1)), "drift is still being looked for")
		Expect(groupGets).To(BeNumerically("<=", 2*(intervals+1)))
		Expect(groupGets).To(BeNumerically(">=", 2*(intervals-1)))
	})
})
