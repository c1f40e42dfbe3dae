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
	"k8s.io/utils/ptr"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

var _ = Describe("ServicePrincipal", func() {
	ctx := context.Background()

	It("creates a Databricks-managed principal, records its generated applicationId, updates and deletes it", Label(healthFixtures), func() {
		s := newScenario(withPermissions())
		sp := s.servicePrincipal("etl", "etl-pipeline", func(sp *v1.ServicePrincipal) { sp.Spec.DeletionPolicy = v1.PrincipalDelete })
		Expect(k8sClient.Create(ctx, sp)).To(Succeed())
		expectCurrent(sp)
		captureHealthFixture("serviceprincipal-ready", sp)
		remote, ok := s.fake.ServicePrincipal(sp.Status.ID)
		Expect(ok).To(BeTrue())
		Expect(remote.DisplayName).To(Equal("etl-pipeline"))
		Expect(sp.Status.ApplicationID).To(Equal(remote.ApplicationID))
		Expect(sp.Status.ApplicationID).NotTo(BeEmpty())

		patchObject(sp, func(sp *v1.ServicePrincipal) {
			sp.Spec.AccountAdmin = ptr.To(true)
			sp.Spec.Active = ptr.To(false)
		})
		Eventually(func(g Gomega) {
			r, _ := s.fake.ServicePrincipal(sp.Status.ID)
			g.Expect(r.HasRole(scim.RoleAccountAdmin)).To(BeTrue())
			g.Expect(r.IsActive()).To(BeFalse())
		}).Should(Succeed())
		expectCurrent(sp)
		Expect(sp.Status.Active).To(Equal(ptr.To(false)))
		expectQuiet(s.fake)
		Expect(requestsTo(s.fake, http.MethodPatch, "/ServicePrincipals/")).To(Equal(1), "both changes in one PATCH")

		Expect(k8sClient.Delete(ctx, sp)).To(Succeed())
		Eventually(func() bool { _, ok := s.fake.ServicePrincipal(remote.ID); return ok }).Should(BeFalse())
	})

	It("creates an Azure principal by applicationId", func() {
		s := newScenario(withFakeOptions(func(o *scimfake.Options) { o.AzureMode = true }))
		const appID = "6ef14233-a641-4f1e-905a-9158cbd3b353"
		sp := s.servicePrincipal("entra", "", func(sp *v1.ServicePrincipal) { sp.Spec.ApplicationID = appID })
		Expect(k8sClient.Create(ctx, sp)).To(Succeed())
		expectCurrent(sp)
		remote, ok := s.fake.ServicePrincipalByApplicationID(appID)
		Expect(ok).To(BeTrue())
		Expect(sp.Status.ID).To(Equal(remote.ID))
		Expect(sp.Status.ApplicationID).To(Equal(appID))
	})
})
