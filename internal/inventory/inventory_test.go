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

package inventory

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

func newInventoryFixture(t *testing.T, shield time.Duration) (*Inventory, *scimfake.Server, scim.Client) {
	t.Helper()
	f := scimfake.New(scimfake.Options{AccountID: "00000000-0000-4000-8000-00000000abcd", Tokens: []string{"t"}})
	srv := f.Start()
	t.Cleanup(srv.Close)
	c, err := scim.New(scim.Config{Host: srv.URL, AccountID: f.AccountID(), Token: scim.StaticToken("t"), Hosts: scim.HostPolicy{AllowLoopback: true},
		Limits: scim.Limits{Get: -1, List: -1, Patch: -1, Write: -1}})
	if err != nil {
		t.Fatal(err)
	}
	return New(shield), f, c
}

func TestInventoryLocalWritesOutrankStaleLists(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	inv, f, c := newInventoryFixture(t, time.Hour)
	alice := f.SeedUser(scim.User{UserName: "alice@example.com", DisplayName: "Alice"})
	bob := f.SeedUser(scim.User{UserName: "bob@example.com"})
	g.Expect(inv.EnsureFresh(ctx, c, time.Minute)).To(Succeed())
	listed, ok := inv.UserByName("ALICE@example.com")
	g.Expect(ok).To(BeTrue())
	g.Expect(listed.DisplayName).To(Equal("Alice"))

	// Our PATCH and DELETE are recorded at once; Databricks' lists still show
	// the old state (stale reads), which must neither revert nor resurrect.
	patched, _ := inv.UserByID(alice.ID)
	patched.DisplayName = "Alice L."
	inv.PutUser(patched)
	inv.Forget(bob.ID)
	g.Expect(inv.refresh(ctx, c)).To(Succeed())
	u, ok := inv.UserByID(alice.ID)
	g.Expect(ok).To(BeTrue())
	g.Expect(u.DisplayName).To(Equal("Alice L."))
	_, ok = inv.UserByName("bob@example.com")
	g.Expect(ok).To(BeFalse())
}

func TestInventoryReportsRemoteChanges(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	inv, f, c := newInventoryFixture(t, time.Nanosecond)
	var reported [][]string
	inv.OnChange = func(ids []string) { reported = append(reported, ids) }
	alice := f.SeedUser(scim.User{UserName: "alice@example.com", DisplayName: "Alice"})
	bob := f.SeedUser(scim.User{UserName: "bob@example.com"})
	f.SeedServicePrincipal(scim.ServicePrincipal{DisplayName: "robot"})
	grp := f.SeedGroup(scim.Group{DisplayName: "team"})
	g.Expect(inv.refresh(ctx, c)).To(Succeed())
	g.Expect(reported).To(BeEmpty(), "the first listing is not a change")

	g.Expect(inv.refresh(ctx, c)).To(Succeed())
	g.Expect(reported).To(BeEmpty(), "nothing changed, nothing reported")

	g.Expect(f.UpdateUser(alice.ID, func(u *scim.User) { u.DisplayName = "Mallory" })).To(Succeed())
	g.Expect(f.Delete(scim.ResourceUsers, bob.ID)).To(Succeed())
	g.Expect(f.UpdateGroup(grp.ID, func(gr *scim.Group) { gr.DisplayName = "renamed" })).To(Succeed())
	carol := f.SeedUser(scim.User{UserName: "carol@example.com"})
	g.Expect(inv.refresh(ctx, c)).To(Succeed())
	g.Expect(reported).To(HaveLen(1))
	g.Expect(reported[0]).To(ConsistOf(alice.ID, bob.ID, grp.ID, carol.ID))
}

func TestInventoryRelistsInTheBackground(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	inv, f, c := newInventoryFixture(t, time.Nanosecond)
	f.SeedUser(scim.User{UserName: "alice@example.com"})
	g.Expect(inv.EnsureFresh(ctx, c, time.Minute)).To(Succeed())
	lists := func() int { return f.Counts()[scim.ClassList][200] }
	g.Expect(lists()).To(Equal(3), "the first listing blocks: one page each of users, service principals, groups")

	f.SetLatency(200 * time.Millisecond)
	start := time.Now()
	g.Expect(inv.EnsureFresh(ctx, c, 0)).To(Succeed())
	g.Expect(time.Since(start)).To(BeNumerically("<", 100*time.Millisecond), "a later re-list does not block the caller")
	g.Eventually(lists, 5*time.Second).Should(Equal(6))
}

func TestInventoryReportsWhenItLastListedSuccessfully(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	inv, f, good := newInventoryFixture(t, time.Nanosecond)
	bad, err := scim.New(scim.Config{Host: f.URL(), AccountID: f.AccountID(), Token: scim.StaticToken("wrong"), Hosts: scim.HostPolicy{AllowLoopback: true},
		Limits: scim.Limits{Get: -1, List: -1, Patch: -1, Write: -1}})
	g.Expect(err).NotTo(HaveOccurred())
	var reported []time.Time
	inv.OnRefresh = func(at time.Time) { reported = append(reported, at) }

	before := time.Now()
	g.Expect(inv.refresh(ctx, bad)).NotTo(Succeed())
	g.Expect(reported).To(HaveLen(1), "a failed first attempt is reported too")
	first := reported[0]
	g.Expect(first).To(BeTemporally(">=", before), "before any success: when the first attempt started")

	g.Expect(inv.refresh(ctx, bad)).NotTo(Succeed())
	g.Expect(reported).To(HaveLen(2))
	g.Expect(reported[1]).To(Equal(first), "failures never move it forward")

	g.Expect(inv.refresh(ctx, good)).To(Succeed())
	g.Expect(reported).To(HaveLen(3))
	ok := reported[2]
	g.Expect(ok).To(BeTemporally(">", first), "a success moves it to that re-list's start")

	inv.Invalidate()
	g.Expect(inv.refresh(ctx, bad)).NotTo(Succeed())
	g.Expect(reported).To(HaveLen(4))
	g.Expect(reported[3]).To(Equal(ok), "a later failure (even after Invalidate) keeps the last success")
}

// A re-list keeps the entries that did not change instead of a second copy,
// while readers go on reading the inventory; changed entries are replaced.
func TestInventoryRelistKeepsOneCopyOfWhatDidNotChange(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	inv, f, c := newInventoryFixture(t, time.Nanosecond)
	alice := f.SeedUser(scim.User{UserName: "alice@example.com", DisplayName: "Alice", Roles: []scim.ComplexValue{{Value: "account_admin"}}})
	bob := f.SeedUser(scim.User{UserName: "bob@example.com"})
	robot := f.SeedServicePrincipal(scim.ServicePrincipal{DisplayName: "robot"})
	team := f.SeedGroup(scim.Group{DisplayName: "team"})
	g.Expect(inv.refresh(ctx, c)).To(Succeed())
	before := inv.snap

	stop := make(chan struct{})
	readerDone := make(chan struct{})
	go func() { // a reconcile reading while the re-list runs (for -race)
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
				inv.UserByName("alice@example.com")
				inv.SPsByDisplayName("robot")
				inv.GroupByName("team")
			}
		}
	}()
	g.Expect(f.UpdateUser(bob.ID, func(u *scim.User) { u.DisplayName = "Bob" })).To(Succeed())
	g.Expect(inv.refresh(ctx, c)).To(Succeed())
	close(stop)
	<-readerDone

	g.Expect(inv.snap.users[alice.ID]).To(BeIdenticalTo(before.users[alice.ID]))
	g.Expect(inv.snap.sps[robot.ID]).To(BeIdenticalTo(before.sps[robot.ID]))
	g.Expect(inv.snap.groups[team.ID]).To(BeIdenticalTo(before.groups[team.ID]))
	g.Expect(inv.snap.users[bob.ID]).NotTo(BeIdenticalTo(before.users[bob.ID]))
	u, ok := inv.UserByName("bob@example.com")
	g.Expect(ok).To(BeTrue())
	g.Expect(u.DisplayName).To(Equal("Bob"))
	a, _ := inv.UserByID(alice.ID)
	g.Expect(a.Roles).To(Equal([]scim.ComplexValue{{Value: "account_admin"}}))
}
