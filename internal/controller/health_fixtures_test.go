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
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// healthFixtures labels the specs that capture the objects the Argo CD and
// Flux health tests (test/health) run against. `make health-fixtures` runs
// only them, with CAPTURE_HEALTH_FIXTURES set to test/health/testdata.
const healthFixtures = "health-fixtures"

// fixtureEdit derives a state from a captured object by the smallest edit
// when no run of the controllers leaves an object in it; note says what was
// changed, and goes into the fixture's header.
type fixtureEdit struct {
	note  string
	apply func(obj map[string]any)
}

// bumpGeneration makes a captured object look as if its spec had just
// changed and the controller had not processed it yet. A real run cannot be
// caught there deterministically: the controller reacts within milliseconds.
var bumpGeneration = fixtureEdit{
	note: "metadata.generation increased by one (a spec change the operator has not processed yet)",
	apply: func(obj map[string]any) {
		gen, _, _ := unstructured.NestedInt64(obj, "metadata", "generation")
		_ = unstructured.SetNestedField(obj, gen+1, "metadata", "generation")
	},
}

// dropStatus makes a captured object look freshly applied: the operator
// writes status within milliseconds of a create, so a real run cannot be
// caught without it deterministically.
var dropStatus = fixtureEdit{
	note:  "status removed (an object the operator has not reconciled yet)",
	apply: func(obj map[string]any) { delete(obj, "status") },
}

// captureHealthFixture writes obj as the API server returns it (read again,
// without managedFields, after the given edits) to
// $CAPTURE_HEALTH_FIXTURES/<name>.yaml. obj is what a test's assertion last
// read: the object must not have changed since, or the capture fails. It
// does nothing when the variable is unset.
func captureHealthFixture(name string, obj client.Object, edits ...fixtureEdit) {
	GinkgoHelper()
	dir := os.Getenv("CAPTURE_HEALTH_FIXTURES")
	if dir == "" {
		return
	}
	gvk, err := apiutil.GVKForObject(obj, scheme.Scheme)
	Expect(err).NotTo(HaveOccurred())
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(gvk)
	Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), live)).To(Succeed())
	Expect(live.GetResourceVersion()).To(Equal(obj.GetResourceVersion()),
		"%s %s changed after the test asserted its state: capture it where the state is stable", gvk.Kind, obj.GetName())
	live.SetManagedFields(nil)
	header := []string{
		fmt.Sprintf("# %s: captured by the controller suite (internal/controller) from the spec", name),
		fmt.Sprintf("# %q.", CurrentSpecReport().FullText()),
		"# Regenerate with `make health-fixtures`; test/health checks Argo CD's and Flux's verdicts on it.",
	}
	for _, e := range edits {
		e.apply(live.Object)
		header = append(header, "# Edited after capture: "+e.note+".")
	}
	raw, err := yaml.Marshal(live.Object)
	Expect(err).NotTo(HaveOccurred())
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(dir, name+".yaml"), append([]byte(strings.Join(header, "\n")+"\n"), raw...), 0o644)).To(Succeed())
}

// captureAccountFixture captures the DatabricksAccount name as the API
// server returns it now (see captureHealthFixture).
func captureAccountFixture(fixture, name string) {
	GinkgoHelper()
	if os.Getenv("CAPTURE_HEALTH_FIXTURES") == "" {
		return
	}
	acct := &v1.DatabricksAccount{}
	Expect(k8sClient.Get(context.Background(), client.ObjectKey{Name: name}, acct)).To(Succeed())
	captureHealthFixture(fixture, acct)
}

// These specs reach the states no other spec of the suite leaves an object
// in; the other states are captured where other specs reach them.
var _ = Describe("Health states", Label(healthFixtures), func() {
	ctx := context.Background()

	It("reports Ready for each kind, and keeps the status of a resource suspended afterwards", func() {
		s := newScenario()
		acct := &v1.DatabricksAccount{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: s.account}, acct)).To(Succeed())
		captureHealthFixture("databricksaccount-ready", acct)

		u := s.user("ready", "ready@example.com")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectCurrent(u)
		captureHealthFixture("user-ready", u)
		captureHealthFixture("user-ready-newer-generation", u, bumpGeneration)
		captureHealthFixture("user-no-status", u, dropStatus)

		patchObject(u, func(u *v1.User) { u.Spec.Suspend = true })
		Expect(u.Generation).To(BeNumerically(">", u.Status.ObservedGeneration))
		// The controller writes nothing for a suspended resource: what it
		// showed before stays, for a generation it never processed.
		Consistently(func(g Gomega) *metav1.Condition { return readyCondition(g, u) }, "1s").Should(
			And(Not(BeNil()), HaveField("Status", metav1.ConditionTrue)))
		Expect(u.Status.ObservedGeneration).To(Equal(u.Generation - 1))
		captureHealthFixture("user-suspended", u)

		created := s.user("suspended", "suspended@example.com", func(u *v1.User) { u.Spec.Suspend = true })
		Expect(k8sClient.Create(ctx, created)).To(Succeed())
		Consistently(func(g Gomega) v1.UserStatus {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(created), created)).To(Succeed())
			return created.Status
		}, "1s").Should(BeZero(), "never reconciled: no status at all")
		captureHealthFixture("user-suspended-at-creation", created)
	})

	It("waits with AccountNotReady while the account's token is refused", func() {
		s := newScenario()
		patchObject(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: s.secret, Namespace: secretNamespace}}, func(sec *corev1.Secret) {
			sec.Data["token"] = []byte("revoked")
		})
		acct := &v1.DatabricksAccount{}
		Eventually(func(g Gomega) string {
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: s.account}, acct)).To(Succeed())
			return readyReason(acct.Status.Conditions)
		}).Should(Equal(v1.ReasonTokenInvalid))
		captureHealthFixture("databricksaccount-tokeninvalid", acct)

		u := s.user("waiting", "waiting@example.com")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectReason(u, metav1.ConditionFalse, v1.ReasonAccountNotReady)
		captureHealthFixture("user-accountnotready", u)
	})

	It("waits with Throttled when Databricks refuses a create for its rate limit", func() {
		s := newScenario()
		first := s.user("first", "first@example.com")
		Expect(k8sClient.Create(ctx, first)).To(Succeed())
		expectCurrent(first)
		// One create per 100 s: the next create is answered 429 with a
		// Retry-After far beyond the test, and creates are never retried
		// inside the client.
		s.fake.SetRateLimits(scim.Limits{Write: 0.01})
		direct, err := scim.New(scim.Config{Host: s.fake.URL(), AccountID: s.fake.AccountID(), Token: scim.StaticToken("token-a"),
			Hosts: scim.HostPolicy{AllowLoopback: true}, Limits: scim.Limits{Get: -1, List: -1, Patch: -1, Write: -1}})
		Expect(err).NotTo(HaveOccurred())
		_, err = direct.CreateUser(ctx, scim.User{UserName: "burst@example.com"})
		Expect(err).NotTo(HaveOccurred(), "this create uses up the fake's one-request burst")
		u := s.user("throttled", "throttled@example.com")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectReason(u, metav1.ConditionFalse, v1.ReasonThrottled)
		captureHealthFixture("user-throttled", u)
		s.fake.SetRateLimits(scim.Limits{})
	})

	It("stalls with InvalidSpec when Databricks rejects the spec", func() {
		s := newScenario()
		// Outside Azure, Databricks requires a displayName; the schema allows
		// an applicationId alone, for Azure.
		sp := s.servicePrincipal("app-only", "", func(sp *v1.ServicePrincipal) {
			sp.Spec.ApplicationID = "6f1c1f9e-2f0a-4c55-9d7c-0a8c3e5b1d42"
		})
		Expect(k8sClient.Create(ctx, sp)).To(Succeed())
		expectReason(sp, metav1.ConditionFalse, v1.ReasonInvalidSpec)
		Expect(meta.IsStatusConditionTrue(sp.Status.Conditions, v1.ConditionStalled)).To(BeTrue())
		captureHealthFixture("serviceprincipal-invalidspec", sp)
	})
})

func readyReason(conds []metav1.Condition) string {
	if c := meta.FindStatusCondition(conds, v1.ConditionReady); c != nil {
		return c.Reason
	}
	return ""
}
