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
	"errors"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// createRetry is how soon to look again when Databricks says an object
// exists that its reads do not show yet (eventual consistency).
const createRetry = 10 * time.Second

// refreshInventory makes sure the account has been listed; later re-lists
// run in the background.
func (e *engine[R]) refreshInventory(ctx context.Context, s *identityState[R]) outcome {
	if err := s.acc.Inventory.EnsureFresh(ctx, s.acc.Client, s.acc.SyncInterval); err != nil {
		return failed("read the account", err)
	}
	return next()
}

// createGate lets a kind hold back its create (a group whose member
// resources are still being created, so they can go into the create itself).
type createGate interface {
	waitBeforeCreate(ctx context.Context) (outcome, error)
}

// waitForMembers holds back the create of a kind with a createGate.
func (e *engine[R]) waitForMembers(ctx context.Context, s *identityState[R]) outcome {
	gate, ok := s.rm.(createGate)
	if !ok || s.obj.GetIdentityStatus().ID != "" {
		return next()
	}
	o, err := gate.waitBeforeCreate(ctx)
	if err != nil {
		return failed("check member resources", err)
	}
	return o
}

// locate finds the remote object by the recorded id, then by natural key.
// Anything this resource did not create goes through adoptionPolicy. It
// leaves s.cur nil when the object must be created.
func (e *engine[R]) locate(ctx context.Context, s *identityState[R]) outcome {
	st := s.obj.GetIdentityStatus()
	cp := st.CreatePending
	s.ownCreate = cp != nil && cp.UID == s.obj.GetUID() && cp.NaturalKey == s.rm.naturalKey()
	if st.ID != "" {
		cur, err := s.rm.byID(ctx, st.ID)
		if err == nil && cur == nil {
			// Offset paging can skip an entry: only a 404 proves it is gone.
			cur, err = s.rm.get(ctx, st.ID)
		}
		if err != nil {
			return failed("read "+s.rm.describe(), err)
		}
		if cur != nil && controllerutil.ContainsFinalizer(s.obj, v1.Finalizer) {
			s.cur = cur
			return next()
		}
		if cur != nil { // an id mirrored by managementPolicy Observe is not ours
			return e.adopt(s, cur)
		}
		ctrl.LoggerFrom(ctx).Info("Remote object was deleted outside the operator; recreating it", "scimID", st.ID)
		s.evt = &event{reason: v1.EventDriftRepaired, message: fmt.Sprintf("%s (SCIM id %s) was deleted in Databricks", s.rm.describe(), st.ID)}
		st.ID, st.Adopted = "", false
	}
	cur, err := s.rm.byKey(ctx)
	if err == nil && cur == nil && s.ownCreate {
		cur, err = s.rm.lookup(ctx)
	}
	if err != nil {
		return lookupFailed(s.rm.describe(), err)
	}
	if cur == nil {
		return next()
	}
	return e.adopt(s, cur)
}

// adopt takes over an existing remote object: our own unrecorded create, or
// with adoptionPolicy IfExists (checkPermissions ran before). Otherwise it
// ends with AlreadyExists.
func (e *engine[R]) adopt(s *identityState[R], cur *R) outcome {
	st := s.obj.GetIdentityStatus()
	switch {
	case s.ownCreate:
		st.ID, st.Adopted = s.rm.id(cur), false
	case s.obj.GetAdoptionPolicy() == v1.AdoptionIfExists:
		st.ID, st.Adopted = s.rm.id(cur), true
		s.evt = &event{reason: v1.EventAdopted, message: fmt.Sprintf("Adopted existing %s (SCIM id %s)", s.rm.describe(), st.ID)}
	default:
		return blocked(v1.ReasonAlreadyExists, fmt.Sprintf("%s already exists in the account (SCIM id %s); set spec.adoptionPolicy: IfExists to adopt it", s.rm.describe(), s.rm.id(cur)), blockedWait)
	}
	s.cur = cur
	return next()
}

// lookupFailed reports a failed natural-key lookup; several service
// principals sharing a displayName are never adopted.
func lookupFailed(describe string, err error) outcome {
	var amb *ambiguousError
	if errors.As(err, &amb) {
		return blocked(v1.ReasonAmbiguous, amb.Error()+"; give the resource spec.applicationId to name one", blockedWait)
	}
	return failed("look up "+describe, err)
}

// ensureFinalizer persists the finalizer before the first remote write.
func (e *engine[R]) ensureFinalizer(ctx context.Context, s *identityState[R]) outcome {
	if controllerutil.ContainsFinalizer(s.obj, v1.Finalizer) {
		return next()
	}
	if err := e.patchFinalizer(ctx, s.obj, true); err != nil {
		return retry(v1.ReasonProgressing, "failed to add the finalizer: "+err.Error(), err)
	}
	return next()
}

// create records the create-pending marker in status, then creates. An
// "already exists" answer is looked up again and adopted or reported, never
// created a second time.
func (e *engine[R]) create(ctx context.Context, s *identityState[R]) outcome {
	if s.cur != nil {
		return next()
	}
	if err := e.recordCreatePending(ctx, s, s.rm.naturalKey()); err != nil {
		return retry(v1.ReasonProgressing, err.Error(), err)
	}
	created, err := s.rm.create(ctx)
	if err == nil {
		s.cur = created
		s.obj.GetIdentityStatus().ID = s.rm.id(created)
		if s.evt != nil && s.evt.reason == v1.EventDriftRepaired {
			s.evt = &event{reason: s.evt.reason, message: s.evt.message + fmt.Sprintf("; recreated it as SCIM id %s", s.rm.id(created))}
		} else {
			s.evt = &event{reason: v1.EventCreated, message: fmt.Sprintf("Created %s (SCIM id %s)", s.rm.describe(), s.rm.id(created))}
		}
		return next()
	}
	if !scim.IsAlreadyExists(err) {
		return failed("create "+s.rm.describe(), err)
	}
	if !s.ownCreate {
		// This create certainly did not happen: drop the marker, so the
		// existing object is never later taken for one of ours.
		if err := e.recordCreatePending(ctx, s, ""); err != nil {
			return retry(v1.ReasonProgressing, err.Error(), err)
		}
	}
	found, err := s.rm.lookup(ctx)
	if err != nil {
		return lookupFailed(s.rm.describe(), err)
	}
	if found == nil {
		return wait(v1.ReasonProgressing, fmt.Sprintf("Databricks reports %s exists but does not show it yet; retrying", s.rm.describe()), createRetry)
	}
	return e.adopt(s, found)
}

// update patches only the attributes that drifted.
func (e *engine[R]) update(ctx context.Context, s *identityState[R]) outcome {
	after, changed, err := s.rm.update(ctx, s.cur)
	if err != nil {
		s.rm.mirror(s.cur)
		return failed("update "+s.rm.describe(), err)
	}
	s.cur = after
	s.rm.mirror(after)
	if len(changed) > 0 {
		ctrl.LoggerFrom(ctx).V(1).Info("Patched drifted attributes", "scimID", s.rm.id(after), "attributes", changed)
		if s.evt == nil {
			s.evt = &event{reason: v1.EventUpdated, message: fmt.Sprintf("Updated %s: %s", strings.Join(changed, ", "), s.rm.describe())}
		}
	}
	return next()
}

// partialSync lets a kind report a sync that applied only part of the spec
// (a group with unresolved members), and ask for a look sooner than the
// sync interval (recheck > 0: a group holding back removals).
type partialSync interface {
	unapplied() (reason, message string, recheck time.Duration, partial bool)
}

// summarize concludes a converged sync: Synced, or the kind's own reason
// when part of the spec could not be applied.
func (e *engine[R]) summarize(_ context.Context, s *identityState[R]) outcome {
	if p, ok := s.rm.(partialSync); ok {
		if reason, msg, recheck, partial := p.unapplied(); partial {
			after := jitter(s.acc.SyncInterval)
			if recheck > 0 && recheck < after {
				after = recheck
			}
			return partly(reason, msg, after, s.evt)
		}
	}
	return ready(v1.ReasonSynced, fmt.Sprintf("%s is in sync (SCIM id %s)", s.rm.describe(), s.rm.id(s.cur)), s.acc.SyncInterval, s.evt)
}

// observe mirrors the remote object found by natural key (managementPolicy Observe).
func (e *engine[R]) observe(ctx context.Context, s *identityState[R]) outcome {
	cur, err := s.rm.byKey(ctx)
	if err != nil {
		return lookupFailed(s.rm.describe(), err)
	}
	st := s.obj.GetIdentityStatus()
	if cur == nil {
		st.ID = ""
		return wait(v1.ReasonNotFound, fmt.Sprintf("No %s in the account (managementPolicy Observe never creates)", s.rm.describe()), jitter(s.acc.SyncInterval))
	}
	st.ID = s.rm.id(cur)
	s.rm.mirror(cur)
	return ready(v1.ReasonObserved, fmt.Sprintf("Observing %s (SCIM id %s); managementPolicy Observe never writes", s.rm.describe(), st.ID), s.acc.SyncInterval, nil)
}

// applyDeletionPolicy runs the deletion policy on the remote object this
// resource manages. A rejected delete is retried with back-off, never
// abandoned; a SCIM id another resource holds is never written.
func (e *engine[R]) applyDeletionPolicy(ctx context.Context, s *identityState[R]) outcome {
	if !controllerutil.ContainsFinalizer(s.obj, v1.Finalizer) || s.obj.GetManagementPolicy() != v1.ManagementManage {
		return next()
	}
	id, o := e.managedID(ctx, s)
	if o.done() || id == "" {
		return o
	}
	if o := e.claim(ctx, s, id, true); o.done() {
		ctrl.LoggerFrom(ctx).Info("Not applying the deletion policy: another resource holds the remote object", "scimID", id, "reason", o.message)
		return next()
	}
	reason, err := s.rm.remove(ctx, id)
	if err != nil && !scim.IsNotFound(err) {
		if o := failed("apply the deletion policy", err); o.kind != stalledKind {
			return o
		}
		return retry(v1.ReasonDeleting, "failed to apply the deletion policy: "+err.Error(), err)
	}
	if reason != "" && err == nil {
		e.event(s.obj, corev1EventNormal, reason, fmt.Sprintf("%s %s (SCIM id %s)", reason, s.rm.describe(), id))
	}
	return next()
}

// managedID is the SCIM id the deletion policy applies to: the recorded
// one, or the object of our own create whose id was never recorded.
func (e *engine[R]) managedID(ctx context.Context, s *identityState[R]) (string, outcome) {
	st := s.obj.GetIdentityStatus()
	if st.ID != "" {
		return st.ID, next()
	}
	cp := st.CreatePending
	if cp == nil || cp.UID != s.obj.GetUID() || cp.NaturalKey != s.rm.naturalKey() {
		return "", next()
	}
	if o := e.refreshInventory(ctx, s); o.done() {
		return "", o
	}
	cur, err := s.rm.byKey(ctx)
	if err == nil && cur == nil {
		cur, err = s.rm.lookup(ctx)
	}
	if err != nil {
		return "", lookupFailed(s.rm.describe(), err)
	}
	if cur == nil {
		return "", next()
	}
	return s.rm.id(cur), next()
}

// releaseFinalizer lets Kubernetes delete the object.
func (e *engine[R]) releaseFinalizer(ctx context.Context, s *identityState[R]) outcome {
	if !controllerutil.ContainsFinalizer(s.obj, v1.Finalizer) {
		return release()
	}
	if err := e.patchFinalizer(ctx, s.obj, false); err != nil {
		return retry(v1.ReasonDeleting, "failed to remove the finalizer: "+err.Error(), err)
	}
	return release()
}

// createPendingNow is the marker for a create about to be sent.
func createPendingNow(obj identityObject, key string) *v1.CreatePending {
	if key == "" {
		return nil
	}
	return &v1.CreatePending{UID: obj.GetUID(), NaturalKey: key, Since: metav1.Now()}
}
