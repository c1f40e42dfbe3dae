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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

var _ = Describe("Policies", func() {
	ctx := context.Background()

	It("reports an existing user as AlreadyExists with adoptionPolicy Never, and adopts it with IfExists", Label(healthFixtures), func() {
		s := newScenario(withPermissions())
		existing := s.fake.SeedUser(scim.User{UserName: "carol@example.com", DisplayName: "Carol"})
		u := s.user("carol", "carol@example.com", func(u *v1.User) { u.Spec.DisplayName = "Carol C." })
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectReason(u, metav1.ConditionFalse, v1.ReasonAlreadyExists)
		captureHealthFixture("user-alreadyexists", u)
		captureHealthFixture("user-alreadyexists-newer-generation", u, bumpGeneration)
		Expect(readyOf(u).Message).To(ContainSubstring("set spec.adoptionPolicy: IfExists to adopt it"))
		Expect(u.Status.ID).To(BeEmpty())
		expectQuiet(s.fake)
		Expect(s.fake.Writes()).To(BeZero(), "Never adopts, never writes, never creates a duplicate")

		patchObject(u, func(u *v1.User) { u.Spec.AdoptionPolicy = v1.AdoptionIfExists })
		expectCurrent(u)
		Expect(u.Status.ID).To(Equal(existing.ID))
		Expect(u.Status.Adopted).To(BeTrue())
		r, _ := s.fake.User(existing.ID)
		Expect(r.DisplayName).To(Equal("Carol C."))
		expectQuiet(s.fake)
		Expect(requestsTo(s.fake, http.MethodPost, "/Users")).To(BeZero())
		Eventually(func() []string { return eventsFor(u) }).Should(ContainElement(v1.EventAdopted))
	})

	It("never takes over an object its refused create found, even on later reconciles", func() {
		s := newScenario()
		warm := s.user("warm", "warm@example.com")
		Expect(k8sClient.Create(ctx, warm)).To(Succeed())
		expectCurrent(warm) // the inventory is loaded before the next user appears
		existing := s.fake.SeedUser(scim.User{UserName: "quinn@example.com", DisplayName: "Quinn"})

		u := s.user("quinn", "quinn@example.com", func(u *v1.User) { u.Spec.DisplayName = "Not Quinn" })
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectReason(u, metav1.ConditionFalse, v1.ReasonAlreadyExists)
		expectQuiet(s.fake)
		Expect(acceptedRequestsTo(s.fake, http.MethodPost, "/Users")).To(Equal(1), "only warm was created")
		Expect(requestsTo(s.fake, http.MethodPost, "/Users")).To(Equal(2), "quinn's create was refused with 409")
		Expect(u.Status.CreatePending).To(BeNil(), "a refused create leaves no marker")

		patchObject(u, func(u *v1.User) { metav1.SetMetaDataAnnotation(&u.ObjectMeta, AnnotationReconcileRequestedAt, "now") })
		// The requested reconcile makes no request of its own (the inventory
		// is fresh), so nothing shows when it ran: the whole window is checked.
		Consistently(func(g Gomega) {
			g.Expect(readyCondition(g, u).Reason).To(Equal(v1.ReasonAlreadyExists))
			r, _ := s.fake.User(existing.ID)
			g.Expect(r.DisplayName).To(Equal("Quinn"))
			g.Expect(requestsTo(s.fake, http.MethodPatch, "/Users/"+existing.ID)).To(BeZero())
		}, "2s").Should(Succeed())
	})

	It("reactivates a deactivated user it adopts", func() {
		s := newScenario(withPermissions())
		existing := s.fake.SeedUser(scim.User{UserName: "dave@example.com", Active: ptr.To(false)})
		u := s.user("dave", "dave@example.com", func(u *v1.User) { u.Spec.AdoptionPolicy = v1.AdoptionIfExists })
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectCurrent(u)
		Expect(u.Status.ID).To(Equal(existing.ID))
		r, _ := s.fake.User(existing.ID)
		Expect(r.IsActive()).To(BeTrue())
	})

	It("takes over its own create when the id was never recorded (create-pending marker in status)", func() {
		s := newScenario()
		// The manager died between POST and recording status.id: the remote user
		// exists and the resource's status still holds the marker for its uid.
		u := s.user("erin", "erin@example.com", func(u *v1.User) { u.Spec.Suspend = true })
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		existing := s.fake.SeedUser(scim.User{UserName: "erin@example.com"})
		base := u.DeepCopy()
		u.Status.CreatePending = &v1.CreatePending{UID: u.UID, NaturalKey: "userName=erin@example.com", Since: metav1.Now()}
		Expect(k8sClient.Status().Patch(ctx, u, client.MergeFrom(base))).To(Succeed())
		patchObject(u, func(u *v1.User) { u.Spec.Suspend = false })
		expectCurrent(u)
		Expect(u.Status.ID).To(Equal(existing.ID))
		Expect(u.Status.Adopted).To(BeFalse(), "its own object, not an adoption")
		Expect(u.Status.CreatePending).To(BeNil(), "the marker is cleared with the id recorded")
		Expect(requestsTo(s.fake, http.MethodPost, "/Users")).To(BeZero())
	})

	It("never writes with managementPolicy Observe", Label(healthFixtures), func() {
		s := newScenario()
		existing := s.fake.SeedUser(scim.User{UserName: "frank@example.com", DisplayName: "Frank", Active: ptr.To(false)})
		u := s.user("frank", "frank@example.com", func(u *v1.User) {
			u.Spec.ManagementPolicy = v1.ManagementObserve
			u.Spec.DisplayName = "Someone Else"
		})
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectReason(u, metav1.ConditionTrue, v1.ReasonObserved)
		Expect(u.Status.ID).To(Equal(existing.ID))
		Expect(u.Status.Active).To(Equal(ptr.To(false)))
		Expect(controllerutil.ContainsFinalizer(u, v1.Finalizer)).To(BeFalse())

		missing := s.user("ghost", "ghost@example.com", func(u *v1.User) { u.Spec.ManagementPolicy = v1.ManagementObserve })
		Expect(k8sClient.Create(ctx, missing)).To(Succeed())
		expectReason(missing, metav1.ConditionFalse, v1.ReasonNotFound)
		captureHealthFixture("user-observe-notfound", missing)

		Expect(k8sClient.Delete(ctx, u)).To(Succeed())
		Eventually(func() bool { return apierrorsIsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &v1.User{})) }).Should(BeTrue())
		expectQuiet(s.fake)
		Expect(s.fake.Writes()).To(BeZero())
		r, _ := s.fake.User(existing.ID)
		Expect(r.DisplayName).To(Equal("Frank"))
	})

	It("treats switching from Observe to Manage as an adoption", func() {
		s := newScenario(withPermissions())
		existing := s.fake.SeedUser(scim.User{UserName: "olga@example.com", DisplayName: "Olga"})
		u := s.user("olga", "olga@example.com", func(u *v1.User) {
			u.Spec.ManagementPolicy = v1.ManagementObserve
			u.Spec.DisplayName = "Olga O."
		})
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectReason(u, metav1.ConditionTrue, v1.ReasonObserved)

		patchObject(u, func(u *v1.User) { u.Spec.ManagementPolicy = v1.ManagementManage })
		expectReason(u, metav1.ConditionFalse, v1.ReasonAlreadyExists)
		expectQuiet(s.fake)
		Expect(s.fake.Writes()).To(BeZero())

		patchObject(u, func(u *v1.User) { u.Spec.AdoptionPolicy = v1.AdoptionIfExists })
		expectCurrent(u)
		Expect(u.Status.Adopted).To(BeTrue())
		r, _ := s.fake.User(existing.ID)
		Expect(r.DisplayName).To(Equal("Olga O."))
	})

	It("releases resources of a namespace the account stopped admitting without writing", func() {
		s := newScenario()
		u := s.user("pat", "pat@example.com")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectCurrent(u)
		acct := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: s.account}}
		patchObject(acct, func(a *v1.DatabricksAccount) {
			a.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": s.namespace}}
		})
		expectAccountObserved(s.account)

		By("relabelling the namespace, which the watch notices")
		patchObject(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.namespace}}, func(ns *corev1.Namespace) {
			ns.Labels["team"] = "elsewhere"
		})
		expectReason(u, metav1.ConditionFalse, v1.ReasonNamespaceNotAllowed)

		s.fake.ResetRequests()
		Expect(k8sClient.Delete(ctx, u)).To(Succeed())
		Eventually(func() bool { return apierrorsIsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &v1.User{})) }).Should(BeTrue())
		expectQuiet(s.fake)
		Expect(s.fake.Writes()).To(BeZero())
		r, _ := s.fake.UserByName("pat@example.com")
		Expect(r.IsActive()).To(BeTrue())
	})

	It("lets the oldest resource own a remote object and reports the others as Conflict", Label(healthFixtures), func() {
		s := newScenario(withPermissions())
		first := s.user("gina", "gina@example.com")
		Expect(k8sClient.Create(ctx, first)).To(Succeed())
		expectCurrent(first)

		otherNS := s.namespace + "-other"
		Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: otherNS}})).To(Succeed())
		second := s.user("gina", "GINA@example.com", func(u *v1.User) { u.Namespace = otherNS; u.Spec.DisplayName = "Imposter" })
		Expect(k8sClient.Create(ctx, second)).To(Succeed())
		expectReason(second, metav1.ConditionFalse, v1.ReasonConflict)
		captureHealthFixture("user-conflict", second)
		Expect(readyOf(second).Message).To(ContainSubstring(s.namespace + "/gina"))
		Expect(second.Status.ID).To(BeEmpty())
		expectQuiet(s.fake)
		Expect(requestsTo(s.fake, http.MethodPost, "/Users")).To(Equal(1))
		Expect(requestsTo(s.fake, http.MethodPatch, "/Users")).To(BeZero())

		By("handing over when the owner goes away")
		Expect(k8sClient.Delete(ctx, first)).To(Succeed())
		patchObject(second, func(u *v1.User) { u.Spec.AdoptionPolicy = v1.AdoptionIfExists })
		expectCurrent(second)
		Expect(k8sClient.Delete(ctx, second)).To(Succeed())
	})

	It("refuses a namespace outside the account's namespaceSelector", Label(healthFixtures), func() {
		s := newScenario()
		acct := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: s.account}}
		patchObject(acct, func(a *v1.DatabricksAccount) {
			a.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "someone-else"}}
		})
		expectAccountObserved(s.account) // before the user exists, or it could be created under the old selector
		u := s.user("henry", "henry@example.com")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectReason(u, metav1.ConditionFalse, v1.ReasonNamespaceNotAllowed)
		captureHealthFixture("user-namespacenotallowed", u)
		expectQuiet(s.fake)
		Expect(s.fake.Writes()).To(BeZero())

		patchObject(acct, func(a *v1.DatabricksAccount) {
			a.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": s.namespace}}
		})
		expectCurrent(u)
	})

	It("neither reads nor writes while suspended", func() {
		s := newScenario()
		s.fake.ResetRequests()
		u := s.user("ivy", "ivy@example.com", func(u *v1.User) { u.Spec.Suspend = true })
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		// A suspended reconcile writes no status either: the whole window is checked.
		Consistently(func() int { return totalRequests(s.fake) }, "2s").Should(BeZero())
		patchObject(u, func(u *v1.User) { u.Spec.Suspend = false })
		expectCurrent(u)
	})
})
