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

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// kindBinding is what reconcileIdentity needs to know about one kind.
type kindBinding[R any] struct {
	// newList returns an empty list of the kind, for conflict lookups.
	newList func() client.ObjectList
	// remote binds the sync algorithm to the object being reconciled.
	remote func(obj identityObject, acc *Account) remote[R]
}

// reconcileIdentity is the reconcile loop every identity kind shares:
//  1. skip everything while suspended;
//  2. resolve the account (exists, Ready, admits the namespace);
//  3. on deletion apply the deletion policy, then drop the finalizer;
//  4. stop on a conflict with an older resource for the same remote object;
//  5. refresh the inventory if due; Observe mirrors without writing;
//     Manage converges the remote object (finalizer first, see syncRemote);
//  6. record the outcome in status once.
func reconcileIdentity[R any](ctx context.Context, r *identityBase, obj identityObject, k kindBinding[R]) (ctrl.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, ReconcileTimeout)
	defer cancel()
	log := ctrl.LoggerFrom(ctx)
	deleting := !obj.GetDeletionTimestamp().IsZero()

	if obj.IsSuspended() && !deleting {
		log.V(1).Info("Reconciliation is suspended")
		return ctrl.Result{}, nil
	}
	before := obj.DeepCopyObject().(client.Object)
	acc, stop := r.resolveAccount(ctx, obj)
	if deleting {
		if stop != nil && (stop.reason == v1.ReasonAccountNotFound || stop.reason == v1.ReasonNamespaceNotAllowed) {
			// No account, or no authority over it any more: nothing may be written.
			log.Info("Releasing the resource without touching Databricks", "reason", stop.reason)
			return ctrl.Result{}, r.removeFinalizer(ctx, obj)
		}
		if stop == nil {
			done, o := finalize(ctx, r, acc, obj, k)
			if done {
				return ctrl.Result{}, nil
			}
			stop = &o
		}
	}
	o := converge(ctx, r, acc, obj, k, stop)
	if err := r.finish(ctx, obj, before, o); err != nil {
		return ctrl.Result{}, err
	}
	if obj.GetIdentityStatus().ID != "" {
		if err := r.setCreatePending(ctx, obj, ""); err != nil {
			return ctrl.Result{}, err
		}
	}
	return o.result()
}

func converge[R any](ctx context.Context, r *identityBase, acc *Account, obj identityObject, k kindBinding[R], stop *outcome) outcome {
	if stop != nil {
		return *stop
	}
	if o, err := r.conflict(ctx, obj, k.newList(), naturalKeyOf(obj)); err != nil {
		return failed("check for conflicts", err)
	} else if o != nil {
		return *o
	}
	if err := acc.Inventory.EnsureFresh(ctx, acc.Client, acc.SyncInterval); err != nil {
		return failed("read the account", err)
	}
	rm := k.remote(obj, acc)
	if obj.GetManagementPolicy() == v1.ManagementObserve {
		return observeRemote(ctx, acc, obj, rm)
	}
	if gate, ok := rm.(createGate); ok && obj.GetIdentityStatus().ID == "" {
		if o, err := gate.waitBeforeCreate(ctx); err != nil {
			return failed("check member resources", err)
		} else if o != nil {
			return *o
		}
	}
	return syncRemote(ctx, r, acc, obj, rm)
}

// createGate lets a kind hold back its create (a group whose member
// resources are still being created, so they can go into the create itself).
type createGate interface {
	waitBeforeCreate(ctx context.Context) (*outcome, error)
}

// finalize applies the deletion policy and removes the finalizer. It
// returns done=false with an outcome when the remote step failed.
func finalize[R any](ctx context.Context, r *identityBase, acc *Account, obj identityObject, k kindBinding[R]) (bool, outcome) {
	if !controllerutil.ContainsFinalizer(obj, v1.Finalizer) {
		return true, outcome{}
	}
	if obj.GetIdentityStatus().ID != "" && obj.GetManagementPolicy() == v1.ManagementManage {
		evt, err := removeRemote(ctx, acc, obj, k.remote(obj, acc))
		if err != nil {
			o := failed("apply the deletion policy", err)
			if o.stalled { // a rejected delete is retried with backoff, never abandoned
				o.stalled, o.reason, o.err = false, v1.ReasonDeleting, err
			}
			return false, o
		}
		if evt != nil {
			r.Recorder.Eventf(obj, nil, "Normal", evt.reason, evt.reason, evt.message)
		}
	}
	if err := r.removeFinalizer(ctx, obj); err != nil {
		return false, outcome{reason: v1.ReasonDeleting, message: err.Error(), err: err}
	}
	return true, outcome{}
}
