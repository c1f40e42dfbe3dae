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
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// accountSeries gathers the manager's registry, as its /metrics endpoint
// does, and returns account's gauge series: "name{label=value,...}" → value.
func accountSeries(g Gomega, account string) map[string]float64 {
	families, err := crmetrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			mine := false
			for _, l := range m.GetLabel() {
				if l.GetName() == "account" {
					mine = l.GetValue() == account
					continue
				}
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			if mine && m.GetGauge() != nil {
				sort.Strings(labels)
				out[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

var _ = Describe("Metrics", func() {
	ctx := context.Background()

	It("exports account state, readiness and sync times as they change, and forgets a deleted account", func() {
		start := time.Now().Add(-time.Second) // timestamps in conditions have second precision
		s := newScenario()                    // syncInterval 1h: nothing below waits for a resync
		Eventually(func(g Gomega) {
			m := accountSeries(g, s.account)
			g.Expect(m).To(HaveKeyWithValue("databricks_scim_account_ready{reason=Connected}", 1.0))
			g.Expect(m).To(HaveKeyWithValue("databricks_scim_sync_interval_seconds{}", 3600.0))
		}).Should(Succeed())

		u := s.user("metrics-user", "metrics-user@example.com")
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		expectCurrent(u)
		Eventually(func(g Gomega) {
			m := accountSeries(g, s.account)
			g.Expect(m).To(HaveKeyWithValue("databricks_scim_managed_identities{kind=User,ready=true}", 1.0),
				"the user turning Ready updates the gauge at once, not at the next account resync")
			g.Expect(m).To(HaveKeyWithValue("databricks_scim_managed_identities{kind=User,ready=false}", 0.0))
			g.Expect(m).NotTo(HaveKey("databricks_scim_oldest_not_ready_timestamp_seconds{kind=User}"))
			g.Expect(m).To(HaveKeyWithValue("databricks_scim_last_sync_timestamp_seconds{}",
				And(BeNumerically(">=", float64(start.Unix())), BeNumerically("<=", float64(time.Now().Unix())))))
		}).Should(Succeed())

		grp := s.group("metrics-group", "metrics-group", []v1.GroupMember{{UserName: "ghost@example.com"}})
		Expect(k8sClient.Create(ctx, grp)).To(Succeed())
		expectReason(grp, metav1.ConditionFalse, v1.ReasonMembersUnresolved)
		since := readyConditionNow(grp).LastTransitionTime.Unix()
		Eventually(func(g Gomega) {
			m := accountSeries(g, s.account)
			g.Expect(m).To(HaveKeyWithValue("databricks_scim_managed_identities{kind=Group,ready=false}", 1.0))
			g.Expect(m).To(HaveKeyWithValue("databricks_scim_oldest_not_ready_timestamp_seconds{kind=Group}", float64(since)))
		}).Should(Succeed())

		patchObject(grp, func(g *v1.Group) { g.Spec.Suspend = true })
		Eventually(func(g Gomega) {
			m := accountSeries(g, s.account)
			g.Expect(m).To(HaveKeyWithValue("databricks_scim_managed_identities{kind=Group,ready=false}", 1.0))
			g.Expect(m).NotTo(HaveKey("databricks_scim_oldest_not_ready_timestamp_seconds{kind=Group}"),
				"a suspended identity waits on purpose: it does not age")
		}).Should(Succeed())

		for _, obj := range []client.Object{grp, u, &v1.DatabricksAccount{}} {
			if _, ok := obj.(*v1.DatabricksAccount); ok {
				obj.SetName(s.account)
			}
			Expect(k8sClient.Delete(ctx, obj)).To(Succeed())
		}
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKey{Name: s.account}, &v1.DatabricksAccount{}))
		}).Should(BeTrue())
		Eventually(func(g Gomega) map[string]float64 { return accountSeries(g, s.account) }).Should(BeEmpty(),
			"a deleted account leaves no series behind (no stale-sync alert for it)")
	})
})

// readyConditionNow returns obj's current Ready condition.
func readyConditionNow(obj identityObject) *metav1.Condition {
	GinkgoHelper()
	var c *metav1.Condition
	Eventually(func(g Gomega) {
		c = readyCondition(g, obj)
		g.Expect(c).NotTo(BeNil())
	}).Should(Succeed())
	return c
}
