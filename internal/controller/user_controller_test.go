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

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/metrics"
	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

// requestsTo counts the fake's requests with method whose path contains fragment.
func requestsTo(f *scimfake.Server, method, fragment string) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Method == method && strings.Contains(r.Path, fragment) {
			n++
		}
	}
	return n
}

// acceptedRequestsTo counts like requestsTo, but only requests that were not throttled.
func acceptedRequestsTo(f *scimfake.Server, method, fragment string) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Method == method && strings.Contains(r.Path, fragment) && r.Status < 300 {
			n++
		}
	}
	return n
}

var _ = Describe("User", func() {
	ctx := context.Background()

	It("creates the user, keeps it in sync and deactivates it on delete", func() {
		s := newScenario(withPermissions())
		u := s.user("alice", "Alice@Example.com", func(u *v1.User) {
			u.Spec.DisplayName = "Alice"
			u.Spec.GivenName = "Alice"
			u.Spec.FamilyName = "Liddell"
			u.Spec.AccountAdmin = ptr.To(true)
		})
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectCurrent(u)
		Expect(controllerutil.ContainsFinalizer(u, v1.Finalizer)).To(BeTrue())
		Expect(u.Status.CreatePending).To(BeNil(), "the create-pending marker is cleared with the status that records the id")
		Expect(u.Status.Active).To(Equal(ptr.To(true)))

		remote, ok := s.fake.UserByName("alice@example.com")
		Expect(ok).To(BeTrue())
		Expect(u.Status.ID).To(Equal(remote.ID))
		Expect(remote.DisplayName).To(Equal("Alice"))
		Expect(remote.Name).To(Equal(&scim.Name{GivenName: "Alice", FamilyName: "Liddell"}))
		Expect(remote.HasRole(scim.RoleAccountAdmin)).To(BeTrue())
		expectQuiet(s.fake)
		Expect(requestsTo(s.fake, http.MethodPost, "/Users")).To(Equal(1))
		Eventually(func() []string { return eventsFor(u) }).Should(ContainElement(v1.EventCreated))
		Expect(testutil.ToFloat64(metrics.SCIMRequests.WithLabelValues(s.account, "Users", "write", "201"))).To(Equal(1.0), "the create is counted under the account's name")
		Expect(testutil.CollectAndCount(metrics.SCIMDuration)).To(BeNumerically(">", 0))

		By("patching only the attribute that changed")
		s.fake.ResetRequests()
		patchObject(u, func(u *v1.User) { u.Spec.DisplayName = "Alice L." })
		Eventually(func() string { r, _ := s.fake.User(remote.ID); return r.DisplayName }).Should(Equal("Alice L."))
		expectCurrent(u)
		expectQuiet(s.fake)
		Expect(requestsTo(s.fake, http.MethodPatch, "/Users/"+remote.ID)).To(Equal(1))
		Expect(s.fake.Writes()).To(Equal(1))

		By("deactivating, not deleting, by default")
		Expect(k8sClient.Delete(ctx, u)).To(Succeed())
		Eventually(func() bool { return apierrorsIsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &v1.User{})) }).Should(BeTrue())
		r, ok := s.fake.User(remote.ID)
		Expect(ok).To(BeTrue())
		Expect(r.IsActive()).To(BeFalse())
	})

	DescribeTable("deletion policies",
		func(policy v1.PrincipalDeletionPolicy, exists, active bool) {
			s := newScenario()
			u := s.user("bob", "bob@example.com", func(u *v1.User) { u.Spec.DeletionPolicy = policy })
			Expect(k8sClient.Create(ctx, u)).To(Succeed())
			expectCurrent(u)
			id := u.Status.ID
			Expect(k8sClient.Delete(ctx, u)).To(Succeed())
			Eventually(func() bool { return apierrorsIsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &v1.User{})) }).Should(BeTrue())
			r, ok := s.fake.User(id)
			Expect(ok).To(Equal(exists))
			if exists {
				Expect(r.IsActive()).To(Equal(active))
			}
		},
		Entry("Deactivate keeps the user, inactive", v1.PrincipalDeactivate, true, false),
		Entry("Delete removes the user", v1.PrincipalDelete, false, false),
		Entry("Retain leaves the user untouched", v1.PrincipalRetain, true, true),
	)

	It("releases a user that never got a SCIM id without touching Databricks", func() {
		s := newScenario()
		u := s.user("ghost", "ghost@example.com", func(u *v1.User) { u.Spec.AccountRef.Name = "no-such-account" })
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectReason(u, metav1.ConditionFalse, v1.ReasonAccountNotFound)
		Expect(k8sClient.Delete(ctx, u)).To(Succeed())
		Eventually(func() bool { return apierrorsIsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &v1.User{})) }).Should(BeTrue())
		expectQuiet(s.fake)
		Expect(s.fake.Writes()).To(BeZero())
	})
})
