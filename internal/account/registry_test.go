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

package account

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

func TestEndpointOfNamesOneAccountOnce(t *testing.T) {
	g := NewWithT(t)
	const id = "0d4d2e6a-6c4b-4f2c-9a51-3d1c7e5b8f21"
	want := EndpointOf(v1.DatabricksAccountSpec{Host: "https://accounts.cloud.databricks.com", AccountID: id})
	for _, host := range []string{"https://accounts.cloud.databricks.com/", "HTTPS://Accounts.Cloud.Databricks.com", "https://accounts.cloud.databricks.com:443"} {
		g.Expect(EndpointOf(v1.DatabricksAccountSpec{Host: host, AccountID: id})).To(Equal(want), host)
	}
	g.Expect(EndpointOf(v1.DatabricksAccountSpec{Host: "https://accounts.cloud.databricks.com", AccountID: "0D4D2E6A-6C4B-4F2C-9A51-3D1C7E5B8F21"})).To(Equal(want))
	g.Expect(EndpointOf(v1.DatabricksAccountSpec{Host: "https://accounts.cloud.databricks.com:8443", AccountID: id})).NotTo(Equal(want))
	g.Expect(EndpointOf(v1.DatabricksAccountSpec{Host: "https://accounts.azuredatabricks.net", AccountID: id})).NotTo(Equal(want))
}

func account(name, host, id string, mutate ...func(*v1.DatabricksAccount)) *v1.DatabricksAccount {
	a := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}
	a.Spec.Host, a.Spec.AccountID = host, id
	a.Spec.TokenSecretRef = v1.SecretKeyReference{Name: "token"}
	for _, m := range mutate {
		m(a)
	}
	return a
}

func fakeRegistry(built *[]scim.Config) *Registry {
	var mu sync.Mutex
	return &Registry{
		Hosts: scim.HostPolicy{AllowLoopback: true},
		NewClient: func(cfg scim.Config) (scim.Client, error) {
			mu.Lock()
			defer mu.Unlock()
			*built = append(*built, cfg)
			return scim.New(cfg)
		},
	}
}

func TestRegistrySharesOneAccountsMachinery(t *testing.T) {
	g := NewWithT(t)
	var built []scim.Config
	r := fakeRegistry(&built)
	const id = "11111111-0000-4000-8000-000000000001"
	a, err := r.For(account("team-a", "http://127.0.0.1:9", id))
	g.Expect(err).NotTo(HaveOccurred())
	b, err := r.For(account("team-b", "http://127.0.0.1:9/", id))
	g.Expect(err).NotTo(HaveOccurred())
	other, err := r.For(account("other", "http://127.0.0.1:9", "22222222-0000-4000-8000-000000000002"))
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(b.Inventory).To(BeIdenticalTo(a.Inventory))
	g.Expect(other.Inventory).NotTo(BeIdenticalTo(a.Inventory))
	g.Expect(built).To(HaveLen(3), "a client per object: each has its own token Secret")
	g.Expect(built[1].SharedLimiters).To(BeIdenticalTo(built[0].SharedLimiters), "one set of limiters per account")
	g.Expect(built[2].SharedLimiters).NotTo(BeIdenticalTo(built[0].SharedLimiters))
}

func TestRegistryPublishesImmutableAccounts(t *testing.T) {
	g := NewWithT(t)
	var built []scim.Config
	r := fakeRegistry(&built)
	acct := account("a", "http://127.0.0.1:9", "11111111-0000-4000-8000-000000000001")
	first, err := r.For(acct)
	g.Expect(err).NotTo(HaveOccurred())

	acct.Spec.SyncInterval = &metav1.Duration{Duration: time.Minute}
	second, err := r.For(acct)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(first.SyncInterval).To(Equal(DefaultSyncInterval), "a published Account never changes")
	g.Expect(second.SyncInterval).To(Equal(time.Minute))
	g.Expect(second.Client).To(BeIdenticalTo(first.Client), "only the interval changed: same client")
	g.Expect(built).To(HaveLen(1))

	// Readers and writers at once: run with -race.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			a := acct.DeepCopy()
			a.Spec.SyncInterval = &metav1.Duration{Duration: time.Duration(i+1) * time.Second}
			_, _ = r.For(a)
		}()
		go func() {
			defer wg.Done()
			got, _ := r.For(acct)
			_ = got.SyncInterval
		}()
	}
	wg.Wait()
}

func TestRegistryRefusesHostsOutsideTheAllowList(t *testing.T) {
	g := NewWithT(t)
	var built []scim.Config
	r := fakeRegistry(&built)
	r.Hosts = scim.HostPolicy{}
	_, err := r.For(account("exfil", "https://169.254.169.254", "11111111-0000-4000-8000-000000000001"))
	g.Expect(scim.IsHostNotAllowed(err)).To(BeTrue(), "%v", err)
	g.Expect(built).To(BeEmpty(), "no client, so no request")
}

func TestRegistryAppliesTheLowestRatePerClass(t *testing.T) {
	g := NewWithT(t)
	ep := &endpoint{limiters: scim.NewLimiters(scim.Limits{}), limits: map[string]scim.Limits{}}
	ep.setLimits("a", scim.Limits{Patch: 1})
	ep.setLimits("b", scim.Limits{Patch: 3, Write: 2})
	g.Expect(ep.effectiveLimits()).To(Equal(scim.Limits{Patch: 1, Write: 2}))
	delete(ep.limits, "a")
	ep.applyLimits()
	g.Expect(ep.effectiveLimits()).To(Equal(scim.Limits{Patch: 3, Write: 2}))
}

func TestRegistryReportsEachSyncToEveryNameOfTheAccount(t *testing.T) {
	g := NewWithT(t)
	const id = "11111111-0000-4000-8000-000000000001"
	f := scimfake.New(scimfake.Options{AccountID: id, Tokens: []string{"t"}})
	srv := f.Start()
	t.Cleanup(srv.Close)
	type report struct {
		names []string
		at    time.Time
	}
	var (
		mu      sync.Mutex
		reports []report
	)
	r := &Registry{
		Hosts: scim.HostPolicy{AllowLoopback: true},
		NewClient: func(cfg scim.Config) (scim.Client, error) {
			cfg.Token = scim.StaticToken("t")
			return scim.New(cfg)
		},
		Synced: func(names []string, at time.Time) {
			sort.Strings(names)
			mu.Lock()
			defer mu.Unlock()
			reports = append(reports, report{names, at})
		},
	}
	a, err := r.For(account("team-a", srv.URL, id))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = r.For(account("team-b", srv.URL, id))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = r.For(account("elsewhere", srv.URL, "22222222-0000-4000-8000-000000000002"))
	g.Expect(err).NotTo(HaveOccurred())

	before := time.Now()
	g.Expect(a.Inventory.EnsureFresh(context.Background(), a.Client, time.Hour)).To(Succeed())
	mu.Lock()
	defer mu.Unlock()
	g.Expect(reports).To(HaveLen(1))
	g.Expect(reports[0].names).To(Equal([]string{"team-a", "team-b"}), "both objects name the account; the other account is not reported")
	g.Expect(reports[0].at).To(BeTemporally(">=", before))
}
