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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	cevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// queued drains q and returns each request's priority.
func queued(t *testing.T, q priorityqueue.PriorityQueue[reconcile.Request]) map[types.NamespacedName]int {
	t.Helper()
	out := map[types.NamespacedName]int{}
	for q.Len() > 0 {
		req, p, _ := q.GetWithPriority()
		out[req.NamespacedName] = p
		q.Done(req)
	}
	return out
}

func userWithID(name, id string, generation int64) *v1.User {
	u := &v1.User{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Generation: generation}}
	u.Status.ID = id
	return u
}

func TestOwnEventsArePrioritizedByUrgency(t *testing.T) {
	ctx := context.Background()
	q := priorityqueue.New[reconcile.Request]("own-events")
	defer q.ShutDown()
	h := prioritizedOwnEvents()
	h.Create(ctx, cevent.CreateEvent{Object: userWithID("new", "", 1)}, q)
	h.Update(ctx, cevent.UpdateEvent{ObjectOld: userWithID("leaver", "u1", 1), ObjectNew: userWithID("leaver", "u1", 2)}, q)
	h.Update(ctx, cevent.UpdateEvent{ObjectOld: userWithID("uncreated", "", 1), ObjectNew: userWithID("uncreated", "", 2)}, q)
	h.Update(ctx, cevent.UpdateEvent{ObjectOld: userWithID("status-only", "u2", 1), ObjectNew: userWithID("status-only", "u2", 1)}, q)

	got := queued(t, q)
	want := map[string]int{"new": priorityBulk, "leaver": priorityUrgent, "uncreated": 0, "status-only": 0}
	for name, p := range want {
		if got[types.NamespacedName{Namespace: "ns", Name: name}] != p {
			t.Errorf("%s queued at priority %d, want %d", name, got[types.NamespacedName{Namespace: "ns", Name: name}], p)
		}
	}
}

func TestMemberWakeUpsAreBulkWork(t *testing.T) {
	ctx := context.Background()
	q := priorityqueue.New[reconcile.Request]("wake-ups")
	defer q.ShutDown()
	teamA := types.NamespacedName{Namespace: "ns", Name: "team-a"}
	teamB := types.NamespacedName{Namespace: "ns", Name: "team-b"}
	// team-b is already queued at the default priority (its spec changed):
	// a wake-up must not lower it.
	enqueueRequestAt(q, 0, reconcile.Request{NamespacedName: teamB})
	h := bulkWakeUps(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: teamA}, {NamespacedName: teamB}}
	})
	h.Update(ctx, cevent.UpdateEvent{ObjectOld: userWithID("member", "", 1), ObjectNew: userWithID("member", "u1", 1)}, q)

	got := queued(t, q)
	if got[teamA] != priorityBulk {
		t.Errorf("a woken group is queued at priority %d, want bulk (%d)", got[teamA], priorityBulk)
	}
	if got[teamB] != 0 {
		t.Errorf("a group already queued at the default priority was moved to %d", got[teamB])
	}
}

func TestResyncsThatFallDueRunAheadOfQueuedCreates(t *testing.T) {
	ctx := context.Background()
	q := priorityqueue.New[reconcile.Request]("resyncs")
	defer q.ShutDown()
	h := prioritizedOwnEvents()
	for _, name := range []string{"new-1", "new-2", "new-3"} {
		h.Create(ctx, cevent.CreateEvent{Object: userWithID(name, "", 1)}, q)
	}
	// Requeued as the controller does after a converged reconcile. Falling
	// due after the creates were queued, it would go behind them at the
	// same priority.
	resync := types.NamespacedName{Namespace: "ns", Name: "converged"}
	q.AddWithOpts(priorityqueue.AddOpts{After: time.Millisecond, Priority: nextVisitPriority(outcome{kind: converged})}, reconcile.Request{NamespacedName: resync})
	deadline := time.Now().Add(10 * time.Second)
	for q.Len() < 4 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}

	req, p, _ := q.GetWithPriority()
	q.Done(req)
	if req.NamespacedName != resync {
		t.Fatalf("first out of the queue: %s at priority %d, want the resync that fell due", req.NamespacedName, p)
	}
	if p >= 0 {
		t.Errorf("a resync is queued at priority %d, want below the default (0)", p)
	}
	if nextVisitPriority(outcome{kind: retrying}) != nil {
		t.Error("a reconcile that did not converge must keep its priority for its retries")
	}
}
