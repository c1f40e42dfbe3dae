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
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	cevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// AnnotationReconcileRequestedAt asks for an immediate reconcile when its value changes
// (as Flux's reconcile.fluxcd.io/requestedAt does).
const AnnotationReconcileRequestedAt = "databricks.scimops.dev/reconcile-requested-at"

const (
	refUser  = "user/"
	refSP    = "sp/"
	refGroup = "group/"
)

func memberRefs(g *v1.Group) []string {
	var refs []string
	for _, m := range g.Spec.Members {
		if prefix, name := memberRef(m); prefix != "" {
			refs = append(refs, prefix+name)
		}
	}
	return refs
}

func memberRefValues(o client.Object) []string { return memberRefs(o.(*v1.Group)) }

// memberRef is the kind prefix and name a member references ("" for a
// member named by userName or applicationId).
func memberRef(m v1.GroupMember) (prefix, name string) {
	switch {
	case m.UserRef != nil:
		return refUser, m.UserRef.Name
	case m.ServicePrincipalRef != nil:
		return refSP, m.ServicePrincipalRef.Name
	case m.GroupRef != nil:
		return refGroup, m.GroupRef.Name
	}
	return "", ""
}

// referencesMember says whether group o has the member reference ref
// ("user/alice"), without building its references.
func referencesMember(o client.Object, ref string) bool {
	for _, m := range o.(*v1.Group).Spec.Members {
		if prefix, name := memberRef(m); prefix != "" && len(ref) == len(prefix)+len(name) &&
			strings.HasPrefix(ref, prefix) && ref[len(prefix):] == name {
			return true
		}
	}
	return false
}

// identityController builds the watches every identity kind shares: its own
// spec changes, remote changes found by a re-list, its account's spec and
// readiness, namespace labels, and deletion of a resource with the same
// natural key (so a Conflict clears at once).
// Sharded, events of identities bound to another shard's account are dropped.
func identityController(mgr ctrl.Manager, k kind, base *identityReconciler, remoteChanges <-chan cevent.GenericEvent) *builder.Builder {
	c := mgr.GetClient()
	return ctrl.NewControllerManagedBy(mgr).
		WatchesRawSource(source.Channel(remoteChanges, &handler.EnqueueRequestForObject{})).
		// For names the controller and its logs; the Watches below enqueues
		// the kind's own events with priorities (priority.go).
		For(k.newObject(), builder.WithPredicates(predicate.NewPredicateFuncs(func(client.Object) bool { return false }))).
		Watches(k.newObject(), prioritizedOwnEvents(), builder.WithPredicates(specOrRequestChanged(), base.Directory.owned())).
		Watches(&v1.DatabricksAccount{}, handler.EnqueueRequestsFromMapFunc(identitiesOfAccount(base.cached(), k)), builder.WithPredicates(accountChanged())).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(identitiesInNamespace(c, k)), builder.WithPredicates(labelsChanged())).
		Watches(k.newObject(), handler.EnqueueRequestsFromMapFunc(sameKeyResources(c, base.cached(), k)), builder.WithPredicates(deletedOnly())).
		WithOptions(base.Options).
		Named(k.name)
}

// requestsFor lists the objects matching an index value as reconcile requests.
func requestsFor(ctx context.Context, c client.Client, list client.ObjectList, opts ...client.ListOption) []reconcile.Request {
	if err := c.List(ctx, list, opts...); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list objects to enqueue")
		return nil
	}
	return requestsOf(list)
}

func requestsOf(list client.ObjectList) []reconcile.Request {
	var reqs []reconcile.Request
	_ = forEachItem(list, func(o client.Object) {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)})
	})
	return reqs
}

// groupsReferencing wakes the groups in obj's namespace that name obj as a member.
func groupsReferencing(r cachedReader, prefix string) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		return r.requests(ctx, groupKind, obj.GetNamespace(), indexMemberRef, prefix+obj.GetName())
	}
}

// sameKeyResources wakes every resource with the same natural key as obj in
// any DatabricksAccount of the same Databricks account, so a conflict
// resolves as soon as the owner goes away.
func sameKeyResources(c client.Client, r cachedReader, k kind) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		key := k.naturalKey(obj.(identityObject))
		if key == "" {
			return nil
		}
		var acct v1.DatabricksAccount
		if err := c.Get(ctx, types.NamespacedName{Name: obj.(v1.Identity).GetAccountName()}, &acct); err != nil {
			return nil
		}
		var accts v1.DatabricksAccountList
		if err := c.List(ctx, &accts, client.MatchingFields{indexEndpoint: endpointOf(&acct)}, client.UnsafeDisableDeepCopy); err != nil {
			return nil
		}
		var out []reconcile.Request
		for _, a := range accts.Items {
			for _, req := range r.requests(ctx, k, "", indexNaturalKey, a.Name+"/"+key) {
				if req.NamespacedName != client.ObjectKeyFromObject(obj) {
					out = append(out, req)
				}
			}
		}
		return out
	}
}

// identitiesOfAccount wakes every identity of a kind bound to the account that changed.
func identitiesOfAccount(r cachedReader, k kind) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		return r.requests(ctx, k, "", indexAccount, obj.GetName())
	}
}

// identitiesInNamespace wakes every identity of a kind in a namespace whose
// labels changed (an account's selectors may now admit or refuse it).
func identitiesInNamespace(c client.Client, k kind) handler.MapFunc {
	return func(ctx context.Context, ns client.Object) []reconcile.Request {
		return requestsFor(ctx, c, k.newList(), client.InNamespace(ns.GetName()))
	}
}

// accountOf wakes the account an identity is bound to.
func accountOf(_ context.Context, obj client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: obj.(v1.Identity).GetAccountName()}}}
}

// recountDelay coalesces the account recounts that identity updates (Ready
// and suspend flips) cause: a bulk sync flips thousands, and each recount
// lists every identity of the account, so one per delay is enough for the
// readiness gauges.
const recountDelay = 2 * time.Second

// recountAccountOf enqueues an identity's account at once for a create or a
// delete (the counts, and an account deletion waiting for its identities),
// and after recountDelay for an update, so a burst of updates costs one
// recount.
func recountAccountOf() handler.EventHandler {
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e cevent.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			q.Add(accountOf(ctx, e.Object)[0])
		},
		UpdateFunc: func(ctx context.Context, e cevent.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			q.AddAfter(accountOf(ctx, e.ObjectNew)[0], recountDelay)
		},
		DeleteFunc: func(ctx context.Context, e cevent.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			q.Add(accountOf(ctx, e.Object)[0])
		},
	}
}

// specOrRequestChanged passes spec changes, deletion, and explicit reconcile
// requests, but not the operator's own status, finalizer and marker writes.
func specOrRequestChanged() predicate.Predicate {
	return predicate.Or(
		predicate.GenerationChangedPredicate{},
		predicate.Funcs{UpdateFunc: func(e cevent.UpdateEvent) bool {
			return e.ObjectOld.GetDeletionTimestamp().IsZero() != e.ObjectNew.GetDeletionTimestamp().IsZero() ||
				e.ObjectOld.GetAnnotations()[AnnotationReconcileRequestedAt] != e.ObjectNew.GetAnnotations()[AnnotationReconcileRequestedAt]
		}},
	)
}

// deletedOnly passes delete events only.
func deletedOnly() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(cevent.CreateEvent) bool { return false },
		UpdateFunc:  func(cevent.UpdateEvent) bool { return false },
		GenericFunc: func(cevent.GenericEvent) bool { return false },
		DeleteFunc:  func(cevent.DeleteEvent) bool { return true },
	}
}

// countsOrReadinessChanged passes what the account's identity counts and
// readiness metrics depend on: creates, deletes, a flip of Ready, and
// spec.suspend changes. An account reconcile it causes reads only the cache
// (the token check is cached for the sync interval) and writes nothing when
// the counts did not change.
func countsOrReadinessChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e cevent.UpdateEvent) bool {
			if e.ObjectOld.GetDeletionTimestamp().IsZero() != e.ObjectNew.GetDeletionTimestamp().IsZero() {
				return true
			}
			was, ok := e.ObjectOld.(v1.Identity)
			is, ok2 := e.ObjectNew.(v1.Identity)
			if !ok || !ok2 {
				return false
			}
			return readyStatus(was) != readyStatus(is) || was.IsSuspended() != is.IsSuspended()
		},
	}
}

func readyStatus(id v1.Identity) metav1.ConditionStatus {
	if c := meta.FindStatusCondition(id.GetIdentityStatus().Conditions, v1.ConditionReady); c != nil {
		return c.Status
	}
	return ""
}

// scimIDChanged passes updates that change status.id, and creates and deletes:
// what a group referencing the object needs to know.
func scimIDChanged() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e cevent.UpdateEvent) bool {
		return scimIDOf(e.ObjectOld) != scimIDOf(e.ObjectNew)
	}}
}

func scimIDOf(obj client.Object) string {
	if id, ok := obj.(v1.Identity); ok {
		return id.GetIdentityStatus().ID
	}
	return ""
}

// accountChanged passes account changes that matter to its identities: a
// spec change (selectors, permissions) or a flip of Ready, not the counts.
func accountChanged() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e cevent.UpdateEvent) bool {
		if e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() {
			return true
		}
		oldA, okOld := e.ObjectOld.(*v1.DatabricksAccount)
		newA, okNew := e.ObjectNew.(*v1.DatabricksAccount)
		if !okOld || !okNew {
			return true
		}
		return meta.IsStatusConditionTrue(oldA.Status.Conditions, v1.ConditionReady) !=
			meta.IsStatusConditionTrue(newA.Status.Conditions, v1.ConditionReady)
	}}
}

// labelsChanged passes updates that change an object's labels.
func labelsChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(cevent.CreateEvent) bool { return false },
		DeleteFunc: func(cevent.DeleteEvent) bool { return false },
		UpdateFunc: func(e cevent.UpdateEvent) bool {
			return !equality.Semantic.DeepEqual(e.ObjectOld.GetLabels(), e.ObjectNew.GetLabels())
		},
	}
}

// changeRouter turns the SCIM ids a background re-list found changed into
// reconcile requests for the resources that hold them.
type changeRouter struct {
	r      cachedReader
	events map[string]chan cevent.GenericEvent // by kind name
}

// changeBuffer absorbs a burst of changes (a console bulk edit) without
// blocking the re-list that found them.
const changeBuffer = 1024

func newChangeRouter(c cachedReader) *changeRouter {
	r := &changeRouter{r: c, events: map[string]chan cevent.GenericEvent{}}
	for _, k := range identityKinds {
		r.events[k.name] = make(chan cevent.GenericEvent, changeBuffer)
	}
	return r
}

// source is the channel kind k's controller watches.
func (r *changeRouter) source(k kind) <-chan cevent.GenericEvent { return r.events[k.name] }

// notify enqueues, off the caller's goroutine, every resource of the
// accounts holding one of the ids.
func (r *changeRouter) notify(accounts []string, ids []string) {
	go func() {
		ctx := context.Background()
		for _, name := range accounts {
			for _, id := range ids {
				for _, k := range identityKinds {
					// The event carries only the key: the cache's object stays in the cache.
					if err := r.r.forEach(ctx, k, "", indexSCIMID, name+"/"+id, func(o client.Object) {
						key := k.newObject()
						key.SetNamespace(o.GetNamespace())
						key.SetName(o.GetName())
						r.events[k.name] <- cevent.GenericEvent{Object: key}
					}); err != nil {
						ctrl.Log.Error(err, "Failed to find the resource for a remote change", "account", name, "scimID", id)
					}
				}
			}
		}
	}()
}
