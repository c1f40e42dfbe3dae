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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/events"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	cevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

type eventRecorder = events.EventRecorder

// AnnotationReconcileRequestedAt asks for an immediate reconcile when its value changes
// (as Flux's reconcile.fluxcd.io/requestedAt does).
const AnnotationReconcileRequestedAt = "databricks.scimops.dev/reconcile-requested-at"

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

// scimIDChanged passes updates that change status.id, and creates and deletes:
// what a group referencing the object needs to know.
func scimIDChanged() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e cevent.UpdateEvent) bool {
		return scimIDOf(e.ObjectOld) != scimIDOf(e.ObjectNew)
	}}
}

func scimIDOf(obj client.Object) string {
	if id, ok := obj.(interface{ GetIdentityStatus() *v1.IdentityStatus }); ok {
		return id.GetIdentityStatus().ID
	}
	return ""
}

// identitiesOfAccount wakes every identity of a kind bound to the account that changed.
func identitiesOfAccount(c client.Client, newList func() client.ObjectList) func(context.Context, client.Object) []reconcile.Request {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		return requestsFor(ctx, c, newList(), indexAccount, obj.GetName())
	}
}

// accountReadinessChanged passes account changes that matter to its
// identities: a spec change or a flip of Ready (not the identity counts).
func accountReadinessChanged() predicate.Predicate {
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

// identitiesInNamespace wakes every identity of a kind in a namespace whose
// labels changed (an account's namespaceSelector may now admit or refuse it).
func identitiesInNamespace(c client.Client, newList func() client.ObjectList) func(context.Context, client.Object) []reconcile.Request {
	return func(ctx context.Context, ns client.Object) []reconcile.Request {
		list := newList()
		if err := c.List(ctx, list, client.InNamespace(ns.GetName())); err != nil {
			return nil
		}
		var reqs []reconcile.Request
		_ = forEachItem(list, func(o client.Object) {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)})
		})
		return reqs
	}
}

// identityController builds the watches every identity kind shares: its own
// spec changes, remote changes found by a re-list, its account's readiness,
// namespace labels, and deletion of a resource with the same natural key (so
// a Conflict clears at once).
func identityController(mgr ctrl.Manager, name string, obj client.Object, newList func() client.ObjectList, opts Options, remoteChanges <-chan cevent.GenericEvent) *builder.Builder {
	c := mgr.GetClient()
	return ctrl.NewControllerManagedBy(mgr).
		WatchesRawSource(source.Channel(remoteChanges, &handler.EnqueueRequestForObject{})).
		For(obj, builder.WithPredicates(specOrRequestChanged())).
		Watches(&v1.DatabricksAccount{}, handler.EnqueueRequestsFromMapFunc(identitiesOfAccount(c, newList)), builder.WithPredicates(accountReadinessChanged())).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(identitiesInNamespace(c, newList)), builder.WithPredicates(labelsChanged())).
		Watches(obj, handler.EnqueueRequestsFromMapFunc(sameKeyResources(c, newList)), builder.WithPredicates(deletedOnly())).
		WithOptions(opts).
		Named(name)
}
