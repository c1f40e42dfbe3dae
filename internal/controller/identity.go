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
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	cevent "sigs.k8s.io/controller-runtime/pkg/event"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// identityObject is a User, ServicePrincipal or Group.
type identityObject interface {
	client.Object
	v1.Identity
}

// ReconcileTimeout bounds one reconcile, SCIM calls and rate-limit waits included.
const ReconcileTimeout = 2 * time.Minute

// accountWait is how long an identity waits for its account before looking
// again; the account watch usually wakes it sooner.
const accountWait = time.Minute

// identityBase holds what the three identity reconcilers share.
type identityBase struct {
	client.Client
	Registry *Registry
	Recorder events.EventRecorder
	// remoteChanges carries resources whose remote object a re-list found changed.
	remoteChanges <-chan cevent.GenericEvent
}

// resolveAccount finds the identity's account and checks that it is Ready
// and admits the identity's namespace. A non-nil outcome stops the reconcile.
func (r *identityBase) resolveAccount(ctx context.Context, obj identityObject) (*Account, *outcome) {
	var acct v1.DatabricksAccount
	if err := r.Get(ctx, types.NamespacedName{Name: obj.GetAccountName()}, &acct); err != nil {
		if client.IgnoreNotFound(err) != nil {
			o := outcome{reason: v1.ReasonUnreachable, message: err.Error(), err: err}
			return nil, &o
		}
		o := waiting(v1.ReasonAccountNotFound, fmt.Sprintf("DatabricksAccount %q not found", obj.GetAccountName()), accountWait)
		return nil, &o
	}
	allowed, err := r.namespaceAllowed(ctx, &acct, obj.GetNamespace())
	if err != nil {
		o := outcome{reason: v1.ReasonUnreachable, message: err.Error(), err: err}
		return nil, &o
	}
	if !allowed {
		o := stalled(v1.ReasonNamespaceNotAllowed, fmt.Sprintf("DatabricksAccount %q does not admit namespace %q (namespaceSelector)", acct.Name, obj.GetNamespace()))
		o.requeueAfter = accountWait * 10 // namespace label changes also wake it (watch)
		return nil, &o
	}
	if !accountUsable(&acct) {
		msg := fmt.Sprintf("DatabricksAccount %q is not Ready", acct.Name)
		if c := meta.FindStatusCondition(acct.Status.Conditions, v1.ConditionReady); c != nil {
			msg += ": " + c.Message
		}
		o := waiting(v1.ReasonAccountNotReady, msg, accountWait)
		return nil, &o
	}
	a, err := r.Registry.For(&acct)
	if err != nil {
		o := stalled(v1.ReasonInvalidSpec, err.Error())
		return nil, &o
	}
	return a, nil
}

// accountUsable: Ready, or being deleted while identities remain (InUse),
// which must not stop those identities from running their deletion policies.
func accountUsable(acct *v1.DatabricksAccount) bool {
	c := meta.FindStatusCondition(acct.Status.Conditions, v1.ConditionReady)
	return c != nil && (c.Status == metav1.ConditionTrue || c.Reason == v1.ReasonInUse)
}

func (r *identityBase) namespaceAllowed(ctx context.Context, acct *v1.DatabricksAccount, namespace string) (bool, error) {
	if acct.Spec.NamespaceSelector == nil {
		return true, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(acct.Spec.NamespaceSelector)
	if err != nil {
		return false, fmt.Errorf("invalid namespaceSelector on DatabricksAccount %q: %w", acct.Name, err)
	}
	var ns corev1.Namespace
	if err := r.Get(ctx, types.NamespacedName{Name: namespace}, &ns); err != nil {
		return false, fmt.Errorf("failed to read namespace %q: %w", namespace, err)
	}
	return sel.Matches(labels.Set(ns.Labels)), nil
}

// owner returns the resource that owns the remote object with this natural
// key: the oldest one of any namespace (ties broken by namespace/name).
func (r *identityBase) owner(ctx context.Context, list client.ObjectList, indexValue string) (client.Object, error) {
	if err := r.List(ctx, list, client.MatchingFields{indexNaturalKey: indexValue}); err != nil {
		return nil, fmt.Errorf("failed to list resources with natural key %q: %w", indexValue, err)
	}
	var objs []client.Object
	if err := forEachItem(list, func(o client.Object) { objs = append(objs, o) }); err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, nil
	}
	// creationTimestamp has one-second resolution: on a tie the resource that
	// already holds the remote id keeps it, then namespace/name decides.
	sort.Slice(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		ta, tb := a.GetCreationTimestamp().Time, b.GetCreationTimestamp().Time
		if !ta.Equal(tb) {
			return ta.Before(tb)
		}
		if ha, hb := holdsID(a), holdsID(b); ha != hb {
			return ha
		}
		return a.GetNamespace()+"/"+a.GetName() < b.GetNamespace()+"/"+b.GetName()
	})
	return objs[0], nil
}

func holdsID(o client.Object) bool {
	id, ok := o.(v1.Identity)
	return ok && id.GetIdentityStatus().ID != ""
}

// conflict reports whether another, older resource owns the same remote object.
func (r *identityBase) conflict(ctx context.Context, obj identityObject, list client.ObjectList, indexValue string) (*outcome, error) {
	own, err := r.owner(ctx, list, indexValue)
	if err != nil || own == nil || own.GetUID() == obj.GetUID() {
		return nil, err
	}
	o := stalled(v1.ReasonConflict, fmt.Sprintf("%s/%s (older) already manages this remote object; this resource will not write to it", own.GetNamespace(), own.GetName()))
	o.requeueAfter = accountWait * 10
	return &o, nil
}

// prepareWrite persists, in one patch, the finalizer and, right before a
// create, the create-pending marker (marker != ""): both must be durable
// before the remote write they protect.
func (r *identityBase) prepareWrite(ctx context.Context, obj identityObject, marker string) error {
	wantMarker := marker != "" && obj.GetAnnotations()[v1.AnnotationCreatePending] != marker
	if controllerutil.ContainsFinalizer(obj, v1.Finalizer) && !wantMarker {
		return nil
	}
	err := r.patchMetadata(ctx, obj, func(o client.Object) {
		controllerutil.AddFinalizer(o, v1.Finalizer)
		if wantMarker {
			setAnnotation(o, v1.AnnotationCreatePending, marker)
		}
	})
	if err != nil {
		return fmt.Errorf("failed to record the finalizer and create-pending marker: %w", err)
	}
	return nil
}

// patchMetadata patches finalizers and annotations through a copy, so the
// status being computed in obj is not replaced by the server's.
func (r *identityBase) patchMetadata(ctx context.Context, obj client.Object, mutate func(client.Object)) error {
	cp := obj.DeepCopyObject().(client.Object)
	patch := client.MergeFrom(cp.DeepCopyObject().(client.Object))
	mutate(cp)
	if err := r.Patch(ctx, cp, patch); err != nil {
		return err
	}
	obj.SetFinalizers(cp.GetFinalizers())
	obj.SetAnnotations(cp.GetAnnotations())
	obj.SetResourceVersion(cp.GetResourceVersion())
	return nil
}

func setAnnotation(obj client.Object, key, value string) {
	ann := obj.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	if value == "" {
		delete(ann, key)
	} else {
		ann[key] = value
	}
	obj.SetAnnotations(ann)
}

// removeFinalizer lets Kubernetes delete the object.
func (r *identityBase) removeFinalizer(ctx context.Context, obj client.Object) error {
	if !controllerutil.ContainsFinalizer(obj, v1.Finalizer) {
		return nil
	}
	err := r.patchMetadata(ctx, obj, func(o client.Object) { controllerutil.RemoveFinalizer(o, v1.Finalizer) })
	return client.IgnoreNotFound(err)
}

// setCreatePending persists (value != "") or clears the create-pending marker.
func (r *identityBase) setCreatePending(ctx context.Context, obj client.Object, value string) error {
	if obj.GetAnnotations()[v1.AnnotationCreatePending] == value {
		return nil
	}
	if err := r.patchMetadata(ctx, obj, func(o client.Object) { setAnnotation(o, v1.AnnotationCreatePending, value) }); err != nil {
		return fmt.Errorf("failed to record the create-pending marker: %w", err)
	}
	return nil
}

// finish records the outcome in status (one patch, skipped when nothing
// changed) and emits events for actions and for Ready transitions.
func (r *identityBase) finish(ctx context.Context, obj identityObject, before client.Object, o outcome) error {
	st := obj.GetIdentityStatus()
	readyChanged := setConditions(&st.Conditions, obj.GetGeneration(), o)
	if o.concluded() {
		st.ObservedGeneration = obj.GetGeneration()
	}
	if o.ready && (o.event != nil || readyChanged || st.LastSyncTime == nil) {
		// Only when something changed: a resync that finds nothing to do writes
		// nothing to the API server either.
		now := metav1.Now()
		st.LastSyncTime = &now
	}
	if o.event != nil {
		r.Recorder.Eventf(obj, nil, corev1.EventTypeNormal, o.event.reason, o.event.reason, o.event.message)
	}
	if readyChanged && !o.ready && o.reason != v1.ReasonProgressing {
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, o.reason, "Reconcile", o.message)
	}
	if !statusChanged(before, obj) {
		return nil
	}
	if err := r.Status().Patch(ctx, obj, client.MergeFrom(before)); err != nil {
		return client.IgnoreNotFound(err)
	}
	return nil
}

// statusChanged compares the whole status of before and after.
func statusChanged(before, after client.Object) bool {
	switch a := after.(type) {
	case *v1.User:
		return !equality.Semantic.DeepEqual(before.(*v1.User).Status, a.Status)
	case *v1.ServicePrincipal:
		return !equality.Semantic.DeepEqual(before.(*v1.ServicePrincipal).Status, a.Status)
	case *v1.Group:
		return !equality.Semantic.DeepEqual(before.(*v1.Group).Status, a.Status)
	}
	return true
}

func forEachItem(list client.ObjectList, fn func(client.Object)) error {
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	for _, it := range items {
		fn(it.(client.Object))
	}
	return nil
}
