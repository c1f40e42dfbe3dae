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
	"fmt"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// remote binds the shared sync algorithm to one kind. Lookups read the
// inventory; every write records its result in the inventory.
type remote[R any] interface {
	// describe names the natural key for messages, e.g. userName "a@b.c".
	describe() string
	// naturalKey is the create-pending marker's value.
	naturalKey() string
	// byID returns the remote object from the inventory, or nil when it is
	// not there (deleted, or skipped by a list: confirm with get).
	byID(ctx context.Context, acc *Account, id string) (*R, error)
	// get reads the remote object directly, or nil on 404.
	get(ctx context.Context, acc *Account, id string) (*R, error)
	// byKey returns the remote object with the natural key, or nil.
	byKey(ctx context.Context, acc *Account) (*R, error)
	// lookup asks Databricks directly for the natural key (after a 409).
	lookup(ctx context.Context, acc *Account) (*R, error)
	create(ctx context.Context, acc *Account) (*R, error)
	// update patches what drifted and returns the object as it now is.
	update(ctx context.Context, acc *Account, current *R) (after *R, changed []string, err error)
	// remove applies the deletion policy; it returns the event reason, or "" when nothing was done.
	remove(ctx context.Context, acc *Account, id string) (string, error)
	id(*R) string
	// mirror copies what status shows of the remote object.
	mirror(*R)
}

// amender lets a kind qualify a successful sync (a group with unresolved members).
type amender interface{ amend(outcome) outcome }

// createRetry is how soon to look again when Databricks says an object
// exists that its reads do not show yet (eventual consistency).
const createRetry = 10 * time.Second

// syncRemote converges one remote object: find it (by id, then by natural
// key), create or adopt it, then patch only what drifted.
func syncRemote[R any](ctx context.Context, r *identityBase, acc *Account, obj identityObject, rm remote[R]) outcome {
	log := ctrl.LoggerFrom(ctx)
	st := obj.GetIdentityStatus()
	// A marker left by an earlier reconcile: that create may have succeeded unrecorded.
	hadMarker := obj.GetAnnotations()[v1.AnnotationCreatePending] == rm.naturalKey()

	cur, evt, stop := locateRemote(ctx, acc, obj, rm, hadMarker)
	if stop != nil {
		return *stop
	}
	if cur == nil {
		var o *outcome
		if cur, o = createRemote(ctx, r, acc, obj, rm, hadMarker); o != nil {
			return *o
		}
		if evt != nil && evt.reason == v1.EventDriftRepaired {
			evt.message += fmt.Sprintf("; recreated it as SCIM id %s", rm.id(cur))
		} else {
			evt = &event{reason: v1.EventCreated, message: fmt.Sprintf("Created %s (SCIM id %s)", rm.describe(), rm.id(cur))}
		}
	}
	st.ID = rm.id(cur)
	if err := r.prepareWrite(ctx, obj, ""); err != nil {
		return outcome{reason: v1.ReasonProgressing, message: err.Error(), err: err}
	}
	after, changed, err := rm.update(ctx, acc, cur)
	if err != nil {
		rm.mirror(cur)
		return failed("update "+rm.describe(), err)
	}
	rm.mirror(after)
	if len(changed) > 0 {
		log.V(1).Info("Patched drifted attributes", "scimID", st.ID, "attributes", changed)
		if evt == nil {
			evt = &event{reason: v1.EventUpdated, message: fmt.Sprintf("Updated %s: %s", strings.Join(changed, ", "), rm.describe())}
		}
	}
	o := ready(v1.ReasonSynced, fmt.Sprintf("%s is in sync (SCIM id %s)", rm.describe(), st.ID), acc.SyncInterval)
	o.event = evt
	if a, ok := rm.(amender); ok {
		o = a.amend(o)
	}
	return o
}

// locateRemote finds the remote object by the recorded id, then by natural
// key. Anything this resource did not create goes through adoptionPolicy.
// A nil object with no outcome means: create it.
func locateRemote[R any](ctx context.Context, acc *Account, obj identityObject, rm remote[R], hadMarker bool) (*R, *event, *outcome) {
	st := obj.GetIdentityStatus()
	var drift *event
	if st.ID != "" {
		cur, err := rm.byID(ctx, acc, st.ID)
		if err == nil && cur == nil {
			// Offset paging can skip an entry: only a 404 proves it is gone.
			cur, err = rm.get(ctx, acc, st.ID)
		}
		if err != nil {
			o := failed("read "+rm.describe(), err)
			return nil, nil, &o
		}
		if cur != nil && controllerutil.ContainsFinalizer(obj, v1.Finalizer) {
			return cur, nil, nil
		}
		if cur != nil { // an id mirrored by managementPolicy Observe is not ours
			return adoptExisting(obj, rm, cur, hadMarker)
		}
		ctrl.LoggerFrom(ctx).Info("Remote object was deleted outside the operator; recreating it", "scimID", st.ID)
		drift = &event{reason: v1.EventDriftRepaired, message: fmt.Sprintf("%s (SCIM id %s) was deleted in Databricks", rm.describe(), st.ID)}
		st.ID, st.Adopted = "", false
	}
	cur, err := rm.byKey(ctx, acc)
	if err == nil && cur == nil && hadMarker {
		cur, err = rm.lookup(ctx, acc)
	}
	if err != nil {
		o := failed("look up "+rm.describe(), err)
		return nil, nil, &o
	}
	if cur == nil {
		return nil, drift, nil
	}
	return adoptExisting(obj, rm, cur, hadMarker)
}

// adoptExisting applies adopt and names the event: none for our own create.
func adoptExisting[R any](obj identityObject, rm remote[R], cur *R, hadMarker bool) (*R, *event, *outcome) {
	if o := adopt(obj, rm, cur, hadMarker); o != nil {
		return nil, nil, o
	}
	if hadMarker {
		return cur, nil, nil
	}
	return cur, &event{reason: v1.EventAdopted, message: fmt.Sprintf("Adopted existing %s (SCIM id %s)", rm.describe(), rm.id(cur))}, nil
}

// adopt takes over an existing remote object, or explains why not.
func adopt[R any](obj identityObject, rm remote[R], cur *R, hadMarker bool) *outcome {
	st := obj.GetIdentityStatus()
	switch {
	case hadMarker: // our own create whose id was never recorded
		st.ID, st.Adopted = rm.id(cur), false
	case obj.GetAdoptionPolicy() == v1.AdoptionIfExists:
		st.ID, st.Adopted = rm.id(cur), true
	default:
		o := stalled(v1.ReasonAlreadyExists, fmt.Sprintf("%s already exists in the account (SCIM id %s); set spec.adoptionPolicy: IfExists to adopt it", rm.describe(), rm.id(cur)))
		o.requeueAfter = accountWait * 10
		return &o
	}
	return nil
}

// createRemote persists the create-pending marker, then creates. An
// "already exists" answer is looked up again and adopted or reported, never
// created a second time.
func createRemote[R any](ctx context.Context, r *identityBase, acc *Account, obj identityObject, rm remote[R], hadMarker bool) (*R, *outcome) {
	if err := r.prepareWrite(ctx, obj, rm.naturalKey()); err != nil {
		o := outcome{reason: v1.ReasonProgressing, message: err.Error(), err: err}
		return nil, &o
	}
	created, err := rm.create(ctx, acc)
	if err == nil {
		return created, nil
	}
	if !scim.IsAlreadyExists(err) {
		o := failed("create "+rm.describe(), err)
		return nil, &o
	}
	if !hadMarker {
		// This create certainly did not happen: drop the marker, so the
		// existing object is never later taken for one of ours.
		if err := r.setCreatePending(ctx, obj, ""); err != nil {
			o := outcome{reason: v1.ReasonProgressing, message: err.Error(), err: err}
			return nil, &o
		}
	}
	found, lerr := rm.lookup(ctx, acc)
	if lerr != nil {
		o := failed("look up "+rm.describe(), lerr)
		return nil, &o
	}
	if found == nil {
		o := waiting(v1.ReasonProgressing, fmt.Sprintf("Databricks reports %s exists but does not show it yet; retrying", rm.describe()), createRetry)
		return nil, &o
	}
	if o := adopt(obj, rm, found, hadMarker); o != nil {
		return nil, o
	}
	return found, nil
}

// observeRemote mirrors the remote object found by natural key (managementPolicy Observe).
func observeRemote[R any](ctx context.Context, acc *Account, obj identityObject, rm remote[R]) outcome {
	cur, err := rm.byKey(ctx, acc)
	if err != nil {
		return failed("look up "+rm.describe(), err)
	}
	st := obj.GetIdentityStatus()
	if cur == nil {
		st.ID = ""
		return waiting(v1.ReasonNotFound, fmt.Sprintf("No %s in the account (managementPolicy Observe never creates)", rm.describe()), jitter(acc.SyncInterval))
	}
	st.ID = rm.id(cur)
	rm.mirror(cur)
	return ready(v1.ReasonObserved, fmt.Sprintf("Observing %s (SCIM id %s); managementPolicy Observe never writes", rm.describe(), st.ID), acc.SyncInterval)
}

// removeRemote applies the deletion policy; a 404 counts as done.
func removeRemote[R any](ctx context.Context, acc *Account, obj identityObject, rm remote[R]) (*event, error) {
	id := obj.GetIdentityStatus().ID
	reason, err := rm.remove(ctx, acc, id)
	if err != nil && !scim.IsNotFound(err) {
		return nil, err
	}
	if reason == "" || err != nil {
		return nil, nil
	}
	return &event{reason: reason, message: fmt.Sprintf("%s %s (SCIM id %s)", reason, rm.describe(), id)}, nil
}
