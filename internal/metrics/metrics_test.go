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

package metrics

import (
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// series gathers controller-runtime's registry, as the /metrics endpoint
// does, and returns the series of account: "name{label=value,...}" → value.
func series(g Gomega, account string) map[string]float64 {
	families, err := metrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			mine := false
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
				mine = mine || (l.GetName() == "account" && l.GetValue() == account)
			}
			if !mine {
				continue
			}
			sort.Strings(labels)
			key := f.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestRecordAccountKeepsOneSeriesPerAccount(t *testing.T) {
	g := NewWithT(t)
	RecordAccount("acct-reasons", true, "Connected", 10*time.Minute)
	g.Expect(series(g, "acct-reasons")).To(Equal(map[string]float64{
		"databricks_scim_account_ready{account=acct-reasons,reason=Connected}": 1,
		"databricks_scim_sync_interval_seconds{account=acct-reasons}":          600,
	}))
	RecordAccount("acct-reasons", false, "TokenInvalid", time.Minute)
	g.Expect(series(g, "acct-reasons")).To(Equal(map[string]float64{
		"databricks_scim_account_ready{account=acct-reasons,reason=TokenInvalid}": 0,
		"databricks_scim_sync_interval_seconds{account=acct-reasons}":             60,
	}), "the Connected series is gone: alerts on a reason see only the current one")
	RecordAccount("acct-reasons", false, "TokenInvalid", time.Minute)
	g.Expect(series(g, "acct-reasons")).To(HaveLen(2))
}

func TestRecordReadinessDropsTheOldestSeriesOnceAllAreReady(t *testing.T) {
	g := NewWithT(t)
	since := time.Date(2026, 5, 4, 3, 2, 1, 500_000_000, time.UTC)
	RecordReadiness("acct-ready", "Group", Readiness{Ready: 3, NotReady: 2, OldestNotReady: since})
	g.Expect(series(g, "acct-ready")).To(Equal(map[string]float64{
		"databricks_scim_managed_identities{account=acct-ready,kind=Group,ready=true}":      3,
		"databricks_scim_managed_identities{account=acct-ready,kind=Group,ready=false}":     2,
		"databricks_scim_oldest_not_ready_timestamp_seconds{account=acct-ready,kind=Group}": 1777863721.5,
	}))
	RecordReadiness("acct-ready", "Group", Readiness{Ready: 5})
	g.Expect(series(g, "acct-ready")).To(Equal(map[string]float64{
		"databricks_scim_managed_identities{account=acct-ready,kind=Group,ready=true}":  5,
		"databricks_scim_managed_identities{account=acct-ready,kind=Group,ready=false}": 0,
	}), "no timestamp series: time() minus an old value would look like a long wait")
}

func TestForgetAccountRemovesEverySeriesOfThatAccountOnly(t *testing.T) {
	g := NewWithT(t)
	for _, a := range []string{"acct-gone", "acct-kept"} {
		RecordAccount(a, true, "Connected", time.Hour)
		RecordSync([]string{a}, time.Now())
		RecordReadiness(a, "User", Readiness{Ready: 1, NotReady: 1, OldestNotReady: time.Now()})
		ObserveSCIMCall(a, scim.CallInfo{Resource: scim.ResourceUsers, Class: scim.ClassWrite, StatusCode: 429, Throttled: true})
	}
	kept := series(g, "acct-kept")
	g.Expect(kept).To(HaveLen(10), "every account-labelled metric has a series: %v", kept)
	g.Expect(series(g, "acct-gone")).To(HaveLen(10))

	ForgetAccount("acct-gone")
	g.Expect(series(g, "acct-gone")).To(BeEmpty())
	g.Expect(series(g, "acct-kept")).To(Equal(kept))

	RecordAccount("acct-gone", false, "TokenSecretNotFound", time.Hour)
	g.Expect(series(g, "acct-gone")).To(HaveKey("databricks_scim_account_ready{account=acct-gone,reason=TokenSecretNotFound}"))
	g.Expect(series(g, "acct-gone")).NotTo(HaveKey(ContainSubstring("Connected")), "the forgotten reason is not resurrected")
}
