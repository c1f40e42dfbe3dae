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
	"time"

	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
)

// ReconcileTimeout bounds one reconcile, SCIM calls and rate-limit waits included.
const ReconcileTimeout = 2 * time.Minute

// accountWait is how long an identity waits for its account before looking
// again; the account watch usually wakes it sooner.
const accountWait = time.Minute

// blockedWait is how often a resource blocked by something outside its spec
// (an owner, a permission) looks again; watches usually wake it sooner.
const blockedWait = 10 * time.Minute

// identityReconciler holds what the three identity reconcilers share.
type identityReconciler struct {
	client.Client
	Accounts account.Getter
	Recorder events.EventRecorder
	Options  controller.Options
	// Directory, set when the manager is sharded, tells an account of
	// another shard from a missing one; nil when unsharded.
	Directory *accountDirectory
	// Informers, when set, is the manager's cache: the conflict checks read
	// its indexes in place (see cachedReader).
	Informers cache.Informers
}

// cached reads the cache's indexes in place (see cachedReader).
func (r *identityReconciler) cached() cachedReader { return cachedReader{r.Informers, r.Client} }

// identityState is one reconcile's working state, shared by its steps.
type identityState[R any] struct {
	obj identityObject
	// before is the object as last persisted: status is patched against it.
	// It may be the cache's own object (getWithCopy): never change it,
	// replace it.
	before identityObject
	acct   *v1.DatabricksAccount
	// peers names the DatabricksAccounts of acct's Databricks account (acct
	// included), read once per reconcile by the conflict checks.
	peers []string
	acc   *account.Account
	rm    remote[R]
	// ownCreate: a create-pending record of this very object for this
	// natural key: a create that may have succeeded unrecorded.
	ownCreate bool
	cur       *R
	evt       *event
}

// identityStep is one step of a reconcile. It returns next() to let the
// following step run, or the outcome that ends the reconcile.
type identityStep[R any] func(ctx context.Context, s *identityState[R]) outcome

// engine runs the shared reconcile of one identity kind.
type engine[R any] struct {
	*identityReconciler
	kind kind
	// newRemote binds the sync algorithm to one object and account.
	newRemote func(obj identityObject, acc *account.Account) remote[R]
}

// Reconcile converges one identity:
//   - suspended: nothing is read or written, status is left as it is;
//   - being deleted: resolve the account, apply the deletion policy, release;
//   - Observe: resolve the account, check conflicts, mirror the remote object;
//   - Manage: validate the natural keys, resolve the account, check
//     permissions and conflicts, locate
//     the remote object, create it or adopt it, claim its SCIM id, patch drift.
//
// Status is computed once from the outcome and patched once.
func (e *engine[R]) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, ReconcileTimeout)
	defer cancel()
	before, obj, err := e.cached().getWithCopy(ctx, e.kind, req.NamespacedName)
	if err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	deleting := !obj.GetDeletionTimestamp().IsZero()
	if obj.IsSuspended() && !deleting {
		ctrl.LoggerFrom(ctx).V(1).Info("Reconciliation is suspended")
		return ctrl.Result{}, nil
	}
	s := &identityState[R]{obj: obj, before: before}
	o := runSteps(withLane(ctx, obj, deleting), s, e.stepsFor(obj, deleting))
	if o.kind == released {
		return ctrl.Result{RequeueAfter: o.requeueAfter}, nil
	}
	if err := e.finish(ctx, s, o); err != nil {
		return ctrl.Result{}, err
	}
	res, err := o.result()
	res.Priority = nextVisitPriority(o)
	return res, err
}

func (e *engine[R]) stepsFor(obj identityObject, deleting bool) []identityStep[R] {
	switch {
	case deleting:
		return []identityStep[R]{e.resolveAccountForDeletion, e.applyDeletionPolicy, e.releaseFinalizer}
	case obj.GetManagementPolicy() == v1.ManagementObserve:
		return []identityStep[R]{e.validateKeys, e.resolveAccount, e.refreshInventory, e.checkConflict, e.observe}
	default:
		return []identityStep[R]{
			e.validateKeys, e.resolveAccount, e.checkPermissions, e.refreshInventory, e.checkConflict, e.waitForMembers,
			e.locate, e.ensureFinalizer, e.create, e.claimID, e.update, e.summarize,
		}
	}
}

// runSteps runs steps in order until one ends the reconcile; both the
// identity and the account reconcilers use it.
func runSteps[S any, F ~func(context.Context, S) outcome](ctx context.Context, s S, steps []F) outcome {
	for _, step := range steps {
		if o := step(ctx, s); o.done() {
			return o
		}
	}
	return next()
}

// patchFinalizer adds or removes the finalizer through a copy, so the status
// being computed in obj is not replaced by the server's.
func (e *engine[R]) patchFinalizer(ctx context.Context, obj identityObject, add bool) error {
	cp := obj.DeepCopyObject().(identityObject)
	patch := client.MergeFrom(cp.DeepCopyObject().(identityObject))
	if add {
		controllerutil.AddFinalizer(cp, v1.Finalizer)
	} else {
		controllerutil.RemoveFinalizer(cp, v1.Finalizer)
	}
	if err := e.Patch(ctx, cp, patch); err != nil {
		return client.IgnoreNotFound(err)
	}
	obj.SetFinalizers(cp.GetFinalizers())
	obj.SetResourceVersion(cp.GetResourceVersion())
	return nil
}
