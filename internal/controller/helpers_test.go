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
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

// patchObject re-reads obj, applies mutate and sends only what mutate
// changed, as a JSON merge patch. The patch carries no resourceVersion, so
// the controllers writing the same object at the same time (status,
// finalizers, the create-pending marker) cannot make it fail with a
// conflict, and what they wrote is kept: only the fields mutate changed are
// sent. Setting a map key or a pointer to nil in mutate removes it. obj is
// left as the API server returned it.
//
// Tests never Get+Update an object a controller also writes: that fails
// with 409 whenever a reconcile writes between the two calls.
func patchObject[T client.Object](obj T, mutate func(T)) {
	GinkgoHelper()
	ctx := context.Background()
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
	base := obj.DeepCopyObject().(client.Object)
	mutate(obj)
	Expect(k8sClient.Patch(ctx, obj, client.MergeFrom(base))).To(Succeed())
}

// quietPeriod is how long a fake must see nothing new for the system to
// count as quiet. It is longer than the longest retry delay of the suite's
// controllers (their rate limiter's 2 s cap), so a reconcile about to retry
// a failed call would show up inside it.
const quietPeriod = 2500 * time.Millisecond

// totalRequests counts every SCIM request f answered since its last
// ResetRequests. Unlike len(f.Requests()) it is not capped by the size of
// the request log.
func totalRequests(f *scimfake.Server) int {
	n := 0
	for _, byStatus := range f.Counts() {
		for _, c := range byStatus {
			n += c
		}
	}
	return n
}

// expectQuiet waits until f has answered no SCIM request at all for
// quietPeriod: every reconcile that was going to call Databricks has done so.
// Exact request counts are asserted only after it.
func expectQuiet(f *scimfake.Server) {
	GinkgoHelper()
	awaitUnchanged(quietPeriod, func() int { return totalRequests(f) }, "SCIM requests")
}

// expectNoWritesFor waits until f has answered no SCIM write for d. For
// scenarios whose periodic re-lists never stop reading: their writes can
// still be quiet. With d = testWriteShield it also proves that every write
// shield has expired, provided every object was Current before the call:
// the controllers record a write (and start its shield) before they write
// the status that makes the object Current.
func expectNoWritesFor(f *scimfake.Server, d time.Duration) {
	GinkgoHelper()
	awaitUnchanged(d, f.Writes, "SCIM writes")
}

// awaitUnchanged waits (up to the default Eventually timeout plus d) until
// count stays the same for d. A change restarts the window: this waits for
// quiet; the exact counts asserted afterwards are what catches a write too many.
func awaitUnchanged(d time.Duration, count func() int, what string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		n := count()
		g.Consistently(count, d, 50*time.Millisecond).Should(Equal(n), "%s still arriving", what)
	}).WithTimeout(30*time.Second+d).Should(Succeed(), "%s never stopped for %s", what, d)
}

// expectAccountObserved waits until the account controller has reconciled
// the DatabricksAccount's current generation. The identity controllers read
// the account from the same cache, so from then on they see that spec too.
func expectAccountObserved(name string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		var acct v1.DatabricksAccount
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKey{Name: name}, &acct)).To(Succeed())
		g.Expect(acct.Status.ObservedGeneration).To(Equal(acct.Generation))
	}).Should(Succeed())
}

// isTokenCheck tells the DatabricksAccount controller's token check (a
// one-entry list of users) from the inventory's list pages.
func isTokenCheck(r scimfake.RequestRecord) bool {
	q, _ := url.ParseQuery(r.Query)
	return r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/Users") && q.Get("count") == "1" && q.Get("attributes") == "id"
}
