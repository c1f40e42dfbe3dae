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
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

func accountReady(g Gomega, name string) *metav1.Condition {
	var acct v1.DatabricksAccount
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKey{Name: name}, &acct)).To(Succeed())
	return meta.FindStatusCondition(acct.Status.Conditions, v1.ConditionReady)
}

func statusCount(f *scimfake.Server, code int) int {
	n := 0
	for _, byCode := range f.Counts() {
		n += byCode[code]
	}
	return n
}

var _ = Describe("DatabricksAccount", func() {
	ctx := context.Background()

	It("reports a missing Secret, an invalid token, and recovers when the Secret is fixed", Label(healthFixtures), func() {
		f := scimfake.New(scimfake.Options{AccountID: "11111111-0000-4000-8000-000000000001", Tokens: []string{"good"}})
		srv := f.Start()
		DeferCleanup(srv.Close)
		name := fmt.Sprintf("verify-%d", seq.Add(1))
		acct := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}
		acct.Spec.AccountID = f.AccountID()
		acct.Spec.Host = srv.URL
		acct.Spec.TokenSecretRef = v1.SecretKeyReference{Name: name, Key: "token"}
		Expect(k8sClient.Create(ctx, acct)).To(Succeed())
		DeferCleanup(func() { Expect(k8sClient.Delete(ctx, acct)).To(Succeed()) })
		Eventually(func(g Gomega) string { c := accountReady(g, name); g.Expect(c).NotTo(BeNil()); return c.Reason }).Should(Equal(v1.ReasonTokenSecretNotFound))
		captureAccountFixture("databricksaccount-tokensecretnotfound", name)

		By("an unlabelled Secret is never read, and the condition says why")
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: secretNamespace}, Data: map[string][]byte{"token": []byte("wrong-token")}}
		Expect(k8sClient.Create(ctx, secret)).To(Succeed())
		Consistently(func(g Gomega) {
			c := accountReady(g, name)
			g.Expect(c.Reason).To(Equal(v1.ReasonTokenSecretNotFound))
			g.Expect(c.Message).To(ContainSubstring(v1.LabelToken))
			g.Expect(requestsWithToken(f, "wrong-token")).To(BeZero(), "an unlabelled Secret's value is never sent")
		}, "3s").Should(Succeed())

		By("labelling it as a token")
		patchObject(secret, func(s *corev1.Secret) { s.Labels = map[string]string{v1.LabelToken: "true"} })
		Eventually(func(g Gomega) string { return accountReady(g, name).Reason }).Should(Equal(v1.ReasonTokenInvalid))
		Eventually(func(g Gomega) string { return accountReady(g, name).Message }).ShouldNot(ContainSubstring("wrong-token"), "a token never reaches a condition")

		patchObject(secret, func(s *corev1.Secret) { s.Data["token"] = []byte("good") })
		Eventually(func(g Gomega) string { return accountReady(g, name).Reason }).Should(Equal(v1.ReasonConnected))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(acct), acct)).To(Succeed())
		Expect(acct.Status.LastVerifiedTime).NotTo(BeNil())
		Expect(acct.Status.ObservedGeneration).To(Equal(acct.Generation))
	})

	It("is kept while identities reference it, and goes once they are gone", func() {
		s := newScenario()
		u := s.user("keeper", "keeper@example.com")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectCurrent(u)
		acct := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: s.account}}
		Expect(k8sClient.Delete(ctx, acct)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(acct), acct)).To(Succeed())
			c := meta.FindStatusCondition(acct.Status.Conditions, v1.ConditionReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(v1.ReasonInUse))
			g.Expect(acct.Status.Identities.Users).To(Equal(int32(1)))
		}).Should(Succeed())
		Consistently(func(g Gomega) string {
			return accountReady(g, s.account).Reason
		}, "1s").Should(Equal(v1.ReasonInUse), "kept while the user references it")
		Expect(k8sClient.Delete(ctx, u)).To(Succeed())
		Eventually(func() bool { return apierrorsIsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(acct), acct)) }).Should(BeTrue())
		r, _ := s.fake.UserByName("keeper@example.com")
		Expect(r.IsActive()).To(BeFalse(), "the user's deletion policy ran before the account went")
	})
})

var _ = Describe("Resilience", func() {
	ctx := context.Background()

	It("rotates the token mid-run without a failed call", func() {
		s := newScenario()
		u := s.user("rot", "rot@example.com", func(u *v1.User) { u.Spec.DisplayName = "Before" })
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectCurrent(u)

		By("regenerating: both tokens valid for the overlap window, the Secret updated")
		s.fake.SetTokens("token-a", "token-b")
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: secretNamespace, Name: s.secret}}
		patchObject(secret, func(s *corev1.Secret) { s.Data["token"] = []byte("token-b") })
		Eventually(func(g Gomega) {
			var acct v1.DatabricksAccount
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: s.account}, &acct)).To(Succeed())
			g.Expect(acct.Status.LastVerifiedTime).NotTo(BeNil())
			g.Expect(acct.Status.LastVerifiedTime.Time).To(BeTemporally(">", secret.CreationTimestamp.Time))
		}).Should(Succeed())
		Eventually(func() string {
			for _, r := range s.fake.Requests() {
				if r.Token == "token-b" {
					return r.Token
				}
			}
			return ""
		}).Should(Equal("token-b"))

		By("the old token expiring: the next change still goes through")
		s.fake.SetTokens("token-b")
		patchObject(u, func(u *v1.User) { u.Spec.DisplayName = "After" })
		Eventually(func() string { r, _ := s.fake.User(u.Status.ID); return r.DisplayName }).Should(Equal("After"))
		expectCurrent(u)
		Expect(statusCount(s.fake, http.StatusUnauthorized)).To(BeZero())
	})

	It("converges through a 429 storm without hot loops", func() {
		s := newScenario(withFakeOptions(func(o *scimfake.Options) { o.RateLimits = scim.Limits{Get: 2, List: 2, Patch: 2, Write: 2} }))
		// The client is allowed well above the fake's limits, so the fake answers 429s.
		patchObject(&v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: s.account}}, func(a *v1.DatabricksAccount) {
			a.Spec.RateLimits = &v1.RateLimits{Get: "50", List: "50", Patch: "50", Write: "50"}
		})
		expectAccountObserved(s.account) // the new rate limits are in use

		const n = 12
		for i := 0; i < n; i++ {
			Expect(k8sClient.Create(ctx, s.user(fmt.Sprintf("storm-%d", i), fmt.Sprintf("storm-%d@example.com", i)))).To(Succeed())
		}
		storm := s.group("storm", "storm", []v1.GroupMember{userRef("storm-0"), userRef("storm-1")})
		Expect(k8sClient.Create(ctx, storm)).To(Succeed())
		Eventually(func(g Gomega) {
			var users v1.UserList
			g.Expect(k8sClient.List(ctx, &users, client.InNamespace(s.namespace))).To(Succeed())
			for i := range users.Items {
				g.Expect(meta.IsStatusConditionTrue(users.Items[i].Status.Conditions, v1.ConditionReady)).To(BeTrue(), users.Items[i].Name)
			}
			g.Expect(remoteMembers(g, s, "storm")).To(HaveLen(2))
		}, 60*time.Second).Should(Succeed())
		expectCurrent(storm)
		expectQuiet(s.fake) // throttled calls wait out their Retry-After: let them finish

		total := len(s.fake.Requests())
		throttled := statusCount(s.fake, http.StatusTooManyRequests)
		users, _, _ := s.fake.ObjectCounts()
		Expect(users).To(Equal(n), "no duplicate creates")
		Expect(acceptedRequestsTo(s.fake, http.MethodPost, "/Users")).To(Equal(n), "each user created once")
		// Throttled answers pause their class for Retry-After: the storm costs
		// a bounded number of extra calls rather than a hot retry loop.
		Expect(throttled).To(BeNumerically(">", 0), "the fake did throttle")
		Expect(total).To(BeNumerically("<", 8*n), "total calls %d, throttled %d", total, throttled)
	})

	It("creates no duplicates when Databricks' reads lag its writes", func() {
		const staleReads = 2 * time.Second
		s := newScenario(withSyncInterval(time.Second), withFakeOptions(func(o *scimfake.Options) {
			o.VisibilityDelay = 2 * time.Second
			o.StaleReads = staleReads
		}))
		for i := 0; i < 5; i++ {
			Expect(k8sClient.Create(ctx, s.user(fmt.Sprintf("ec-%d", i), fmt.Sprintf("ec-%d@example.com", i), func(u *v1.User) { u.Spec.DisplayName = "First" }))).To(Succeed())
		}
		Expect(k8sClient.Create(ctx, s.servicePrincipal("ec-sp", "ec-sp"))).To(Succeed())
		g := s.group("ec", "ec", []v1.GroupMember{userRef("ec-0"), userRef("ec-1")})
		Expect(k8sClient.Create(ctx, g)).To(Succeed())
		expectCurrent(g)
		Eventually(func(gm Gomega) []string { return remoteMembers(gm, s, "ec") }).Should(HaveLen(2))

		u := &v1.User{ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: "ec-0"}}
		patchObject(u, func(u *v1.User) { u.Spec.DisplayName = "Second" })
		expectCurrent(u)
		var patch scimfake.RequestRecord
		Eventually(func() bool {
			for _, r := range s.fake.Requests() {
				if r.Method == http.MethodPatch && strings.HasSuffix(r.Path, "/Users/"+u.Status.ID) && r.Status < 300 {
					patch = r
					return true
				}
			}
			return false
		}).Should(BeTrue(), "the displayName change is PATCHed")

		// Several sync intervals inside the stale window, and refreshes past both
		// it and the write shield: no flapping, no duplicates.
		patchDone := patch.Time.Add(patch.Duration)
		staleUntil := patch.Time.Add(staleReads) // reads answered before this saw "First"
		settled := patchDone.Add(max(staleReads, testWriteShield))
		var staleLists int
		Eventually(func(g Gomega) {
			staleLists = 0
			var after bool
			for _, r := range s.fake.Requests() {
				if r.Method != http.MethodGet || !strings.HasSuffix(r.Path, "/Users") || isTokenCheck(r) {
					continue // only the refreshes' pages of users
				}
				if r.Time.After(patchDone) && r.Time.Add(r.Duration).Before(staleUntil) {
					staleLists++
				}
				after = after || r.Time.After(settled)
			}
			g.Expect(after).To(BeTrue(), "a refresh after the stale window and the write shield")
		}, 30*time.Second).Should(Succeed())
		Expect(staleLists).To(BeNumerically(">=", 1), "a refresh read the stale state")
		expectNoWritesFor(s.fake, quietPeriod)
		users, groups, sps := s.fake.ObjectCounts()
		Expect([]int{users, groups, sps}).To(Equal([]int{5, 1, 1}))
		Expect(requestsTo(s.fake, http.MethodPost, "/Users")).To(Equal(5))
		Expect(requestsTo(s.fake, http.MethodPost, "/ServicePrincipals")).To(Equal(1))
		Expect(requestsTo(s.fake, http.MethodPost, "/Groups")).To(Equal(1))
		Expect(requestsTo(s.fake, http.MethodPatch, "/Users/"+u.Status.ID)).To(Equal(1), "one PATCH, not one per stale read")
		r, _ := s.fake.User(u.Status.ID)
		Expect(r.DisplayName).To(Equal("Second"))
	})
})

// requestsWithToken counts the fake's requests that carried token.
func requestsWithToken(f *scimfake.Server, token string) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Token == token {
			n++
		}
	}
	return n
}
