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

package main

// Urgent changes during the initial sync (issue 13, part 1): offboarding
// must not wait behind a bulk sync. Before the bulk workload is created the
// harness creates a seed of leavers and an admin group holding some of them;
// once the fake has received a tenth of the workload's creates (the operator
// is busy and its queue holds most of the workload), it deactivates every
// leaver and removes the admin group's members one at a time, and times each
// change until its PATCH reaches the fake.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/localenv"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

const (
	seedLeavers = 100
	// seedAdmins of the leavers are members of the admin group.
	seedAdmins     = 20
	adminGroupName = "account-admins"
	// urgentTrigger: the urgent changes start once the fake has received
	// this share of the bulk workload's creates. Polling the fake (not
	// counting the harness's own creates) ties the moment to the operator's
	// progress: the initial sync is under way, and at 16 parallel creates
	// the harness is well ahead of the operator's 50 creates a second, so
	// most of the workload is queued behind the leavers' updates.
	urgentTrigger = 0.10
	// Deactivations are sent at 20 a second, removals every 500 ms (on a
	// schedule from the first, however long each patch takes), both at
	// once: 5 s and 10 s of sending.
	deactivationEvery = 50 * time.Millisecond
	removalEvery      = 500 * time.Millisecond
)

// seedIdentities is how many identities the seed adds to the namespace.
const seedIdentities = seedLeavers + 1

func leaverName(i int) string { return fmt.Sprintf("leaver-%03d", i) }

// seedObjects are the leavers (active unset) and the admin group whose
// members are the first seedAdmins leavers.
func seedObjects(ns, account string) []client.Object {
	var objs []client.Object
	for i := 0; i < seedLeavers; i++ {
		u := &v1.User{ObjectMeta: metav1.ObjectMeta{Name: leaverName(i), Namespace: ns}}
		u.Spec.AccountRef.Name = account
		u.Spec.UserName = leaverName(i) + "@example.com"
		u.Spec.DisplayName = fmt.Sprintf("Leaver %d", i)
		objs = append(objs, u)
	}
	g := &v1.Group{ObjectMeta: metav1.ObjectMeta{Name: adminGroupName, Namespace: ns}}
	g.Spec.AccountRef.Name = account
	g.Spec.DisplayName = adminGroupName
	admin := true
	g.Spec.AccountAdmin = &admin
	g.Spec.Members = adminMembers(0)
	return append(objs, g)
}

// adminMembers is the admin group's member list after the first removed
// removals: leavers removed..seedAdmins-1.
func adminMembers(removed int) []v1.GroupMember {
	m := []v1.GroupMember{} // empty, not null: the last removal empties the list
	for i := removed; i < seedAdmins; i++ {
		m = append(m, v1.GroupMember{UserRef: &v1.LocalObjectReference{Name: leaverName(i)}})
	}
	return m
}

// urgentState is the seed's SCIM ids and the urgent changes' send times.
type urgentState struct {
	leaverIDs []string // by leaver index
	adminID   string

	// triggerAt is when the first change was sent, triggerCreates how many
	// of the workload's creates the fake had received by then, and
	// triggerCreated how many objects the harness had created: the
	// difference is roughly the operator's backlog.
	triggerAt      time.Time
	triggerCreates int
	triggerCreated int

	mu              sync.Mutex
	deactivationAt  []time.Time // by leaver index
	removalAt       []time.Time // by removal
	sendingFinished time.Time

	// Latencies by change (0: no PATCH seen yet), from the fake's request log.
	deactivationLat, removalLat []time.Duration
	// The latencies seen, for the report.
	deactivations, removals []time.Duration
	removalPatches          int            // group PATCHes on the admin group after the first removal
	adminPatches            map[int64]bool // their arrival times, to count each once over several reads
	inactive, adminMembers  int            // remote end state
}

// seed creates the leavers and the admin group and waits until they are
// Ready, before the convergence is timed.
func (b *bench) seed(ctx context.Context) error {
	if err := localenv.GrantAccountAdmin(ctx, b.c, benchNamespace); err != nil {
		return err
	}
	objs := seedObjects(benchNamespace, benchAccount)
	if err := createAll(ctx, b.c, objs, 16, nil); err != nil {
		return err
	}
	if err := poll(ctx, 3*time.Minute, time.Second, func() (bool, error) {
		n, err := countReady(ctx, b.c)
		return n == len(objs), err
	}); err != nil {
		return fmt.Errorf("waiting for the seed to be Ready: %w", err)
	}
	u := &urgentState{leaverIDs: make([]string, seedLeavers)}
	for i := range u.leaverIDs {
		var usr v1.User
		if err := b.c.Get(ctx, client.ObjectKey{Namespace: benchNamespace, Name: leaverName(i)}, &usr); err != nil {
			return err
		}
		u.leaverIDs[i] = usr.Status.ID
	}
	var g v1.Group
	if err := b.c.Get(ctx, client.ObjectKey{Namespace: benchNamespace, Name: adminGroupName}, &g); err != nil {
		return err
	}
	if g.Status.MemberCount != seedAdmins {
		return fmt.Errorf("group %s has %d members, want %d", adminGroupName, g.Status.MemberCount, seedAdmins)
	}
	u.adminID = g.Status.ID
	b.urgent = u
	return nil
}

// bulkCreates is how many of the workload's objects the fake holds (the
// seed's are subtracted).
func bulkCreates(st scimfake.Stats) int {
	return st.Users - seedLeavers + st.ServicePrincipals + st.Groups - 1
}

// sendUrgent waits until the fake has received urgentTrigger of the
// workload's creates, then sends the deactivations and the removals. It
// runs alongside the harness's bulk creation.
func (b *bench) sendUrgent(ctx context.Context) error {
	u := b.urgent
	objects := b.sc.users + b.sc.sps + b.sc.groups
	threshold := int(urgentTrigger * float64(objects))
	if err := poll(ctx, 30*time.Minute, 200*time.Millisecond, func() (bool, error) {
		st, err := b.fake().Stats(ctx)
		if err != nil {
			return false, err
		}
		u.triggerCreates = bulkCreates(st)
		return u.triggerCreates >= threshold, nil
	}); err != nil {
		return fmt.Errorf("waiting for %d creates to reach the fake: %w", threshold, err)
	}
	u.triggerAt = time.Now()
	u.triggerCreated = int(b.created.Load())
	fmt.Fprintf(os.Stderr, "   %5.0fs  %d of %d creates reached the fake (the harness has created %d): sending %d deactivations and %d admin-group removals\n",
		time.Since(b.createStart).Seconds(), u.triggerCreates, objects, u.triggerCreated, seedLeavers, seedAdmins)
	u.deactivationAt = make([]time.Time, seedLeavers)
	u.removalAt = make([]time.Time, seedAdmins)
	errs := make(chan error, 2)
	go func() {
		// One merge patch of spec.active each: no read, no conflict with
		// the controller's writes.
		for i := 0; i < seedLeavers; i++ {
			usr := &v1.User{ObjectMeta: metav1.ObjectMeta{Namespace: benchNamespace, Name: leaverName(i)}}
			sent := time.Now()
			if err := b.c.Patch(ctx, usr, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"active":false}}`))); err != nil {
				errs <- fmt.Errorf("deactivating %s: %w", usr.Name, err)
				return
			}
			u.mu.Lock()
			u.deactivationAt[i] = sent
			u.mu.Unlock()
			if err := sleep(ctx, time.Until(u.triggerAt.Add(time.Duration(i+1)*deactivationEvery))); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	go func() {
		// The harness is the only writer of spec.members: a merge patch of
		// the whole (atomic) list after each removal cannot conflict.
		for k := 1; k <= seedAdmins; k++ {
			raw, err := json.Marshal(map[string]any{"spec": map[string]any{"members": adminMembers(k)}})
			if err != nil {
				errs <- err
				return
			}
			g := &v1.Group{ObjectMeta: metav1.ObjectMeta{Namespace: benchNamespace, Name: adminGroupName}}
			sent := time.Now()
			if err := b.c.Patch(ctx, g, client.RawPatch(types.MergePatchType, raw)); err != nil {
				errs <- fmt.Errorf("removing %s from %s: %w", leaverName(k-1), adminGroupName, err)
				return
			}
			u.mu.Lock()
			u.removalAt[k-1] = sent
			u.mu.Unlock()
			if err := sleep(ctx, time.Until(u.triggerAt.Add(time.Duration(k)*removalEvery))); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	var first error
	for range 2 {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	u.mu.Lock()
	u.sendingFinished = time.Now()
	u.mu.Unlock()
	return first
}

// observe attributes to each change not yet seen the first successful
// PATCH the fake recorded after it was sent: on the leaver's user for a
// deactivation, on the admin group for a removal (consecutive removals may
// share one PATCH; a PATCH that started before a removal's spec was read is
// still counted for it, so removal latencies can be understated by up to
// the spacing of the removals). It can be called with successive reads of
// the request log: what an earlier read found is kept, so changes that
// dropped out of the log since (it keeps the last 100,000 records) count.
func (u *urgentState) observe(recs []scimfake.RequestRecord) {
	u.mu.Lock()
	defer u.mu.Unlock()
	first := func(suffix string, after time.Time) time.Duration {
		for _, r := range recs {
			if r.Method == http.MethodPatch && r.Status < 300 && strings.HasSuffix(r.Path, suffix) && r.Time.After(after) {
				return r.Time.Sub(after)
			}
		}
		return 0
	}
	if u.deactivationLat == nil {
		u.deactivationLat = make([]time.Duration, len(u.deactivationAt))
		u.removalLat = make([]time.Duration, len(u.removalAt))
	}
	for i, sent := range u.deactivationAt {
		if u.deactivationLat[i] == 0 && !sent.IsZero() {
			u.deactivationLat[i] = first("/Users/"+u.leaverIDs[i], sent)
		}
	}
	for i, sent := range u.removalAt {
		if u.removalLat[i] == 0 && !sent.IsZero() {
			u.removalLat[i] = first("/Groups/"+u.adminID, sent)
		}
	}
	if len(u.removalAt) > 0 && !u.removalAt[0].IsZero() {
		if u.adminPatches == nil {
			u.adminPatches = map[int64]bool{}
		}
		for _, r := range recs {
			if r.Method == http.MethodPatch && r.Status < 300 && strings.HasSuffix(r.Path, "/Groups/"+u.adminID) && r.Time.After(u.removalAt[0]) {
				u.adminPatches[r.Time.UnixNano()] = true
			}
		}
		u.removalPatches = len(u.adminPatches)
	}
	seen := func(ds []time.Duration) []time.Duration {
		var out []time.Duration
		for _, d := range ds {
			if d > 0 {
				out = append(out, d)
			}
		}
		return out
	}
	u.deactivations, u.removals = seen(u.deactivationLat), seen(u.removalLat)
}

// complete reports whether every change sent has its PATCH.
func (u *urgentState) complete() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.deactivations) == len(u.deactivationAt) && len(u.removals) == len(u.removalAt)
}

// watchUrgent reads the fake's request log now and then (2 s after the
// changes were sent, then twice as long each time, at most 30 s apart)
// until every change has its PATCH or ctx ends, so the latencies are taken
// while the log still holds them even at the largest scale.
func (b *bench) watchUrgent(ctx context.Context) {
	for every := 2 * time.Second; ; every = min(2*every, 30*time.Second) {
		if sleep(ctx, every) != nil {
			return
		}
		recs, err := b.fake().Requests(ctx)
		if err != nil {
			continue // the final read at convergence decides
		}
		b.urgent.observe(recs)
		if b.urgent.complete() {
			return
		}
	}
}

func (u *urgentState) all() []time.Duration {
	return append(append([]time.Duration(nil), u.deactivations...), u.removals...)
}

// checkUrgent reads the end state from the fake: every leaver inactive and
// the admin group empty. It fails the run otherwise, and when a change has
// no PATCH in a request log that dropped nothing (the report shows how many
// were seen).
func (b *bench) checkUrgent(ctx context.Context) error {
	u := b.urgent
	c, err := b.fake().Client()
	if err != nil {
		return err
	}
	u.inactive = 0
	for i, id := range u.leaverIDs {
		usr, err := c.GetUser(ctx, id)
		if err != nil {
			return fmt.Errorf("reading %s from the fake: %w", leaverName(i), err)
		}
		if usr.Active != nil && !*usr.Active {
			u.inactive++
		}
	}
	g, err := c.GetGroup(ctx, u.adminID)
	if err != nil {
		return fmt.Errorf("reading %s from the fake: %w", adminGroupName, err)
	}
	u.adminMembers = len(g.Members)
	switch {
	case u.inactive != seedLeavers:
		return fmt.Errorf("%d of %d leavers are inactive in the fake account", u.inactive, seedLeavers)
	case u.adminMembers != 0:
		return fmt.Errorf("group %s still has %d members in the fake account", adminGroupName, u.adminMembers)
	case (len(u.deactivations) != seedLeavers || len(u.removals) != seedAdmins) && b.logDropped == 0:
		return fmt.Errorf("the fake's request log has a PATCH for %d of %d deactivations and %d of %d removals",
			len(u.deactivations), seedLeavers, len(u.removals), seedAdmins)
	}
	return nil
}
