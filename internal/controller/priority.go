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

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	cevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Work-queue priorities. A bulk sync queues thousands of creates; a change
// to an object Databricks already holds (someone leaving the company, a
// removal from the admin group) must not wait behind them.
var (
	// priorityBulk: creates, the initial list after a restart, member wake-ups.
	priorityBulk = handler.LowPriority
	// priorityResync: the periodic resync of a converged object. Still bulk
	// work, but ahead of the creates: a resync writes nothing unless it finds
	// drift, so it need not wait for the write budget the creates wait for.
	// Behind them, the resyncs that fell due during a bulk sync queued up
	// and ran together when the last create finished: in the full benchmark
	// a burst of about 100 MB/s of allocations that made the manager's peak
	// memory. Ahead of them, each runs when it falls due.
	priorityResync = handler.LowPriority / 2
	// priorityUrgent: spec changes and deletions of objects that have a SCIM id.
	priorityUrgent = 100
)

// prioritizedOwnEvents enqueues an identity's own events by urgency:
// creates as bulk work, a spec change or the start of a deletion of an
// object that already exists remotely as urgent, anything else (an
// explicit reconcile request, a spec change before the first create, the
// final delete) at the default priority.
func prioritizedOwnEvents() handler.EventHandler {
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e cevent.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueueAt(q, priorityBulk, e.Object)
		},
		UpdateFunc: func(_ context.Context, e cevent.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			p := 0
			if urgentChange(e.ObjectOld, e.ObjectNew) {
				p = priorityUrgent
			}
			enqueueAt(q, p, e.ObjectNew)
		},
		DeleteFunc: func(_ context.Context, e cevent.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueueAt(q, 0, e.Object)
		},
	}
}

// bulkWakeUps enqueues the requests fn maps an event to as bulk work. A
// group wakes each time one of its members gets a SCIM id; queued behind
// the creates, those wake-ups coalesce into one reconcile instead of
// re-reading the group's members on every one.
func bulkWakeUps(fn handler.MapFunc) handler.EventHandler {
	enqueue := func(ctx context.Context, obj client.Object, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		for _, req := range fn(ctx, obj) {
			enqueueRequestAt(q, priorityBulk, req)
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e cevent.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, e.Object, q)
		},
		UpdateFunc: func(ctx context.Context, e cevent.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, e.ObjectNew, q)
		},
		DeleteFunc: func(ctx context.Context, e cevent.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, e.Object, q)
		},
		GenericFunc: func(ctx context.Context, e cevent.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, e.Object, q)
		},
	}
}

// urgentChange: the object exists remotely and its spec changed or its
// deletion started.
func urgentChange(old, cur client.Object) bool {
	if scimIDOf(cur) == "" {
		return false
	}
	return old.GetGeneration() != cur.GetGeneration() ||
		old.GetDeletionTimestamp().IsZero() != cur.GetDeletionTimestamp().IsZero()
}

// enqueueAt adds obj's request at priority p (plainly when the controller
// does not use a priority queue). The queue keeps the highest priority an
// item was added with.
func enqueueAt(q workqueue.TypedRateLimitingInterface[reconcile.Request], p int, obj client.Object) {
	enqueueRequestAt(q, p, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
}

func enqueueRequestAt(q workqueue.TypedRateLimitingInterface[reconcile.Request], p int, req reconcile.Request) {
	if pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
		pq.AddWithOpts(priorityqueue.AddOpts{Priority: &p}, req)
		return
	}
	q.Add(req)
}

// pendingChange: a reconcile of an object that exists remotely and whose
// spec (or deletion) has not been acted on: its SCIM calls take the urgent
// lane of the account's rate limiters.
func pendingChange(obj identityObject, deleting bool) bool {
	st := obj.GetIdentityStatus()
	return st.ID != "" && (deleting || st.ObservedGeneration != obj.GetGeneration())
}

// withLane puts the reconcile's SCIM calls in the urgent or the bulk lane.
func withLane(ctx context.Context, obj identityObject, deleting bool) context.Context {
	if pendingChange(obj, deleting) {
		return scim.WithPriority(ctx, scim.PriorityUrgent)
	}
	return ctx
}

// nextVisitPriority: once converged, the next visit is a periodic resync
// whatever brought this reconcile; otherwise the reconcile keeps its
// priority for its retries.
func nextVisitPriority(o outcome) *int {
	if o.ready() {
		return &priorityResync
	}
	return nil
}
