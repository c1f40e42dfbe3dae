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
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

// firstRequest returns when the fake first received method on a path ending in suffix.
func firstRequest(f *scimfake.Server, method, suffix string) (time.Time, bool) {
	for _, r := range f.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			return r.Time, true
		}
	}
	return time.Time{}, false
}

// createsBefore counts the accepted user creates the fake received before t.
func createsBefore(f *scimfake.Server, t time.Time) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/Users") && r.Status < 300 && r.Time.Before(t) {
			n++
		}
	}
	return n
}

var _ = Describe("Urgent changes during a bulk sync", func() {
	ctx := context.Background()

	It("deactivates, deletes and removes from a group before the queued creates", func() {
		// Resyncs every 2 s: by the time of the urgent changes their own
		// queue entries are newer than the bulk's, so only their priority,
		// not their age, can put them first.
		s := newScenario(withSyncInterval(2 * time.Second))
		leaver := s.user("leaver", "leaver@example.com")
		gone := s.user("gone", "gone@example.com", func(u *v1.User) { u.Spec.DeletionPolicy = v1.PrincipalDelete })
		stays := s.user("stays", "stays@example.com")
		admins := s.group("platform-admins", "platform-admins", []v1.GroupMember{userRef("leaver"), userRef("stays")})
		for _, o := range []identityObject{leaver, gone, stays, admins} {
			Expect(k8sClient.Create(ctx, o)).To(Succeed())
		}
		for _, o := range []identityObject{leaver, gone, stays, admins} {
			expectCurrent(o)
		}

		// Creates at 2/s: the bulk below takes 20 s.
		patchObject(&v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: s.account}}, func(a *v1.DatabricksAccount) {
			a.Spec.RateLimits = &v1.RateLimits{Write: "2", Patch: "50"}
		})
		expectAccountObserved(s.account)
		const bulk = 40
		for i := range bulk {
			Expect(k8sClient.Create(ctx, s.user(fmt.Sprintf("bulk-%d", i), fmt.Sprintf("bulk-%d@example.com", i), func(u *v1.User) {
				u.Spec.DeletionPolicy = v1.PrincipalRetain // no SCIM calls in the cleanup
			}))).To(Succeed())
		}
		// Four seconds in: every create event has long reached the queue,
		// and the seeds have been resynced since.
		Eventually(func() int { return acceptedRequestsTo(s.fake, http.MethodPost, "/Users") }, 30*time.Second).Should(BeNumerically(">=", 3+8), "the bulk sync is under way")

		patchObject(leaver, func(u *v1.User) { u.Spec.Active = ptr.To(false) })
		Expect(k8sClient.Delete(ctx, gone)).To(Succeed())
		patchObject(admins, func(g *v1.Group) { g.Spec.Members = []v1.GroupMember{userRef("stays")} })

		var urgent []time.Time
		Eventually(func(g Gomega) {
			urgent = urgent[:0]
			for _, want := range []struct{ method, suffix string }{
				{http.MethodPatch, "/Users/" + leaver.Status.ID},
				{http.MethodDelete, "/Users/" + gone.Status.ID},
				{http.MethodPatch, "/Groups/" + admins.Status.ID},
			} {
				t, ok := firstRequest(s.fake, want.method, want.suffix)
				g.Expect(ok).To(BeTrue(), "%s %s", want.method, want.suffix)
				urgent = append(urgent, t)
			}
		}, 30*time.Second).Should(Succeed())
		last := urgent[0]
		for _, t := range urgent {
			if t.After(last) {
				last = t
			}
		}
		// 3 creates were the seed; at least 15 bulk creates were still
		// queued when all three urgent changes had reached Databricks (in
		// arrival order they would have waited for all of them).
		Expect(createsBefore(s.fake, last)).To(BeNumerically("<=", 3+bulk-15), "the urgent changes overtook the queued creates")

		remote, _ := s.fake.User(leaver.Status.ID)
		Expect(remote.Active).To(HaveValue(BeFalse()))
		Eventually(func(g Gomega) []string { return remoteMembers(g, s, "platform-admins") }).Should(ConsistOf(stays.Status.ID))
		users, _, _ := s.fake.ObjectCounts()
		Expect(users).To(BeNumerically("<", 3+bulk), "gone was deleted while creates were still pending")
	})
})
