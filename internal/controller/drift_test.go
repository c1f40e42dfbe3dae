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
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
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
		// Let our own writes age out of the shield, as in production after 90 s:
		// every object is Current, so each write was recorded before this wait.
		expectNoWritesFor(s.fake, testWriteShield)

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
		// Past every write shield: group reads follow the steady-state rhythm.
		expectNoWritesFor(s.fake, testWriteShield)

		s.fake.ResetRequests()
		const intervals = 3
		var got steadyRequests
		// Drift is still being looked for: refreshes and reads of each managed
		// group keep coming, at least one per 1.5 intervals.
		Eventually(func(g Gomega) {
			got = classifySteady(s.fake.Requests())
			g.Expect(len(got.lists[scim.ResourceUsers])).To(BeNumerically(">=", intervals+1), "refreshes")
			g.Expect(got.groupGets).To(HaveLen(2), "both managed groups read")
			for id, gets := range got.groupGets {
				g.Expect(len(gets)).To(BeNumerically(">=", intervals+1), "GETs of group %s", id)
			}
		}, (intervals+1)*driftInterval*3/2).Should(Succeed())

		Expect(got.other).To(BeEmpty(), "no writes and no per-object GETs of users or service principals")
		Expect(s.fake.Writes()).To(BeZero())
		// One page each of users, service principals and groups per refresh
		// (the window may cut one refresh at either end).
		users := len(got.lists[scim.ResourceUsers])
		Expect(len(got.lists[scim.ResourceServicePrincipals])).To(BeNumerically("~", users, 1))
		Expect(len(got.lists[scim.ResourceGroups])).To(BeNumerically("~", users, 1))
		// At most one refresh per interval: refreshes start at least an interval
		// apart, and a refresh's first page can reach the fake up to one list
		// rate-limiter slot (250 ms) after it starts.
		expectSpacing(got.lists[scim.ResourceUsers], driftInterval, driftInterval/4, "refreshes")
		// At most one GET per group per interval: the next one is due an interval
		// after the last answer was received, so no slack is needed.
		for id, gets := range got.groupGets {
			expectGaps(gets, driftInterval, "GETs of group "+id)
		}
		// The token check: once per interval, also an interval after the last answer.
		expectGaps(got.pings, driftInterval, "token checks")
	})
})

// steadyRequests sorts the fake's requests of a steady-state window: the
// pages of the inventory's refreshes, the GETs of managed groups, the
// account's token checks, and anything else.
type steadyRequests struct {
	lists     map[scim.Resource][]scimfake.RequestRecord
	groupGets map[string][]scimfake.RequestRecord // by group id
	pings     []scimfake.RequestRecord
	other     []string
}

func classifySteady(reqs []scimfake.RequestRecord) steadyRequests {
	c := steadyRequests{lists: map[scim.Resource][]scimfake.RequestRecord{}, groupGets: map[string][]scimfake.RequestRecord{}}
	for _, r := range reqs {
		switch {
		case r.Method != http.MethodGet:
			c.other = append(c.other, r.Method+" "+r.Path)
		case isTokenCheck(r):
			c.pings = append(c.pings, r)
		case strings.HasSuffix(r.Path, "/Users"), strings.HasSuffix(r.Path, "/Groups"), strings.HasSuffix(r.Path, "/ServicePrincipals"):
			c.lists[r.Resource] = append(c.lists[r.Resource], r)
		case strings.Contains(r.Path, "/Groups/"):
			id := r.Path[strings.LastIndex(r.Path, "/")+1:]
			c.groupGets[id] = append(c.groupGets[id], r)
		default:
			c.other = append(c.other, r.Method+" "+r.Path)
		}
	}
	return c
}

// byArrival sorts requests by arrival (the log is in completion order).
func byArrival(reqs []scimfake.RequestRecord) []scimfake.RequestRecord {
	out := slices.Clone(reqs)
	slices.SortFunc(out, func(a, b scimfake.RequestRecord) int { return a.Time.Compare(b.Time) })
	return out
}

// expectGaps checks that each request arrived at least interval after the
// previous one was answered.
func expectGaps(reqs []scimfake.RequestRecord, interval time.Duration, what string) {
	GinkgoHelper()
	reqs = byArrival(reqs)
	for i := 1; i < len(reqs); i++ {
		prevDone := reqs[i-1].Time.Add(reqs[i-1].Duration)
		Expect(reqs[i].Time.Sub(prevDone)).To(BeNumerically(">=", interval), "%s %d and %d", what, i-1, i)
	}
}

// expectSpacing checks that n requests span at least n-1 intervals, less slack.
func expectSpacing(reqs []scimfake.RequestRecord, interval, slack time.Duration, what string) {
	GinkgoHelper()
	if len(reqs) < 2 {
		return
	}
	reqs = byArrival(reqs)
	span := reqs[len(reqs)-1].Time.Sub(reqs[0].Time)
	Expect(span).To(BeNumerically(">=", time.Duration(len(reqs)-1)*interval-slack), "%d %s", len(reqs), what)
}
