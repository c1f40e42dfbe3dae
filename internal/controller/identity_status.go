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
	"math/rand/v2"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// outcomeKind is how a reconcile ended, which decides the kstatus
// conditions and what controller-runtime does next.
type outcomeKind int

const (
	// proceed: the step succeeded; the next step runs.
	proceed outcomeKind = iota
	// converged: Ready=True; look again after the sync interval.
	converged
	// waiting: Ready=False, Reconciling; look again after a pause, no error.
	waiting
	// retrying: Ready=False, Reconciling; a transient error, so
	// controller-runtime backs off exponentially.
	retrying
	// stalledKind: Ready=False, Stalled; nothing to do until the spec changes.
	stalledKind
	// blockedKind: Ready=False, Stalled; blocked by something outside the
	// spec (an owner, a permission), so look again later, quietly.
	blockedKind
	// released: a deleted object was let go; there is no status to record.
	released
)

// outcome is what a step or a whole reconcile concluded. It is built once by
// one of the constructors below and never edited; status and the
// controller-runtime result are derived from it in one place.
type outcome struct {
	kind         outcomeKind
	reason       string
	message      string
	err          error
	requeueAfter time.Duration
	// event, when set, is emitted as a Normal event (an action that happened).
	event *event
}

type event struct{ reason, message string }

// next lets the following step run.
func next() outcome { return outcome{} }

func ready(reason, message string, every time.Duration, evt *event) outcome {
	return outcome{kind: converged, reason: reason, message: message, requeueAfter: jitter(every), event: evt}
}

func wait(reason, message string, after time.Duration) outcome {
	return outcome{kind: waiting, reason: reason, message: message, requeueAfter: after}
}

// partly reports work that was done (evt) while the spec is not fully
// applied yet (a group with unresolved members).
func partly(reason, message string, after time.Duration, evt *event) outcome {
	return outcome{kind: waiting, reason: reason, message: message, requeueAfter: after, event: evt}
}

func retry(reason, message string, err error) outcome {
	return outcome{kind: retrying, reason: reason, message: message, err: err}
}

func stalled(reason, message string) outcome {
	return outcome{kind: stalledKind, reason: reason, message: message}
}

func blocked(reason, message string, after time.Duration) outcome {
	return outcome{kind: blockedKind, reason: reason, message: message, requeueAfter: after}
}

// release ends the reconcile of an object that is going away.
func release() outcome { return outcome{kind: released} }

func (o outcome) done() bool  { return o.kind != proceed }
func (o outcome) ready() bool { return o.kind == converged }

func (o outcome) stalled() bool { return o.kind == stalledKind || o.kind == blockedKind }

// concluded says whether this generation is finished (converged or stalled),
// which is when observedGeneration may advance.
func (o outcome) concluded() bool { return o.ready() || o.stalled() }

// jitter spreads periodic resyncs over +10% so a large account does not
// re-read everything in the same second.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// failed turns an error into an outcome: throttling waits for Retry-After,
// credentials and invalid specs stall or wait, everything else backs off.
func failed(action string, err error) outcome {
	msg := fmt.Sprintf("failed to %s: %s", action, err.Error())
	var (
		secretErr *account.SecretError
		later     *retryLater
		invisible *membersNotVisible
	)
	switch {
	case errors.As(err, &secretErr):
		return wait(v1.ReasonTokenSecretNotFound, msg, time.Minute)
	case scim.IsHostNotAllowed(err):
		return stalled(v1.ReasonHostNotAllowed, msg)
	case errors.As(err, &invisible):
		return retry(v1.ReasonProgressing, msg, err)
	case errors.As(err, &later):
		return wait(v1.ReasonProgressing, msg, later.after)
	case scim.IsThrottled(err):
		after := time.Second
		if apiErr, ok := scim.AsAPIError(err); ok && apiErr.RetryAfter > 0 {
			after = apiErr.RetryAfter
		}
		return wait(v1.ReasonThrottled, msg, after)
	case scim.IsNotFound(err):
		// Deleted between our read and our write: the next reconcile recreates it.
		return retry(v1.ReasonProgressing, msg, err)
	case scim.IsUnauthorized(err):
		return retry(v1.ReasonTokenInvalid, msg, err)
	case scim.IsRetryable(err):
		return retry(v1.ReasonUnreachable, msg, err)
	}
	if apiErr, ok := scim.AsAPIError(err); ok && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 {
		return stalled(v1.ReasonInvalidSpec, msg)
	}
	return retry(v1.ReasonUnreachable, msg, err)
}

// retryLater marks an error that Databricks' eventual consistency explains
// (an object not visible yet): look again after a pause, neither stalling
// nor backing off from milliseconds.
type retryLater struct {
	err   error
	after time.Duration
}

func (e *retryLater) Error() string { return e.err.Error() }
func (e *retryLater) Unwrap() error { return e.err }

// consistencyRetry is how long to wait for Databricks' reads to catch up.
const consistencyRetry = 30 * time.Second

// result maps an outcome to what controller-runtime should do next.
func (o outcome) result() (ctrl.Result, error) {
	switch o.kind {
	case stalledKind:
		return ctrl.Result{}, reconcile.TerminalError(errors.New(o.message))
	case retrying:
		return ctrl.Result{}, o.err
	default:
		return ctrl.Result{RequeueAfter: o.requeueAfter}, nil
	}
}

// setConditions writes the kstatus conditions for o: Ready always, Reconciling
// and Stalled only while true. It reports whether Ready's status or reason
// changed. Messages are cut to v1.MaxMessageLength.
func setConditions(conds *[]metav1.Condition, generation int64, o outcome) (readyChanged bool) {
	status := metav1.ConditionFalse
	if o.ready() {
		status = metav1.ConditionTrue
	}
	msg := truncate(o.message, v1.MaxMessageLength)
	prev := meta.FindStatusCondition(*conds, v1.ConditionReady)
	readyChanged = prev == nil || prev.Status != status || prev.Reason != o.reason
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: v1.ConditionReady, Status: status, Reason: o.reason, Message: msg, ObservedGeneration: generation,
	})
	setOnlyWhileTrue(conds, v1.ConditionStalled, o.stalled(), o.reason, msg, generation)
	setOnlyWhileTrue(conds, v1.ConditionReconciling, !o.ready() && !o.stalled(), o.reason, msg, generation)
	return readyChanged
}

func setOnlyWhileTrue(conds *[]metav1.Condition, t string, on bool, reason, message string, generation int64) {
	if !on {
		meta.RemoveStatusCondition(conds, t)
		return
	}
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: t, Status: metav1.ConditionTrue, Reason: reason, Message: message, ObservedGeneration: generation,
	})
}

// truncate cuts s to at most limit bytes on a rune boundary, marking the cut.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const mark = " …(truncated)"
	cut := limit - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

const corev1EventNormal = corev1.EventTypeNormal

// finish records the outcome in status, in one patch skipped when nothing
// changed, and emits events for actions and for transitions into a failure.
func (e *engine[R]) finish(ctx context.Context, s *identityState[R], o outcome) error {
	obj := s.obj
	st := obj.GetIdentityStatus()
	readyChanged := setConditions(&st.Conditions, obj.GetGeneration(), o)
	if o.concluded() {
		st.ObservedGeneration = obj.GetGeneration()
	}
	if o.ready() && (o.event != nil || readyChanged || st.LastSyncTime == nil) {
		// Only when something changed: a resync that finds nothing to do writes
		// nothing to the API server either.
		now := metav1.Now()
		st.LastSyncTime = &now
	}
	if st.ID != "" {
		st.CreatePending = nil
	}
	if o.event != nil {
		e.event(obj, corev1.EventTypeNormal, o.event.reason, o.event.message)
	}
	if readyChanged && !o.ready() && o.reason != v1.ReasonProgressing {
		e.event(obj, corev1.EventTypeWarning, o.reason, o.message)
	}
	if equality.Semantic.DeepEqual(statusOf(s.before), statusOf(obj)) {
		return nil
	}
	err := e.Status().Patch(ctx, obj, client.MergeFrom(s.before))
	if apierrors.IsInvalid(err) || apierrors.IsRequestEntityTooLargeError(err) {
		// Never lose the SCIM id to a refused status write: without it the
		// deletion policy could not find the remote object.
		ctrl.LoggerFrom(ctx).Error(err, "Status refused; recording the SCIM id alone")
		return e.recordIdentity(ctx, s)
	}
	return client.IgnoreNotFound(err)
}

// recordIdentity patches only what identifies the remote object.
func (e *engine[R]) recordIdentity(ctx context.Context, s *identityState[R]) error {
	minimal := s.before.DeepCopyObject().(identityObject)
	st, want := minimal.GetIdentityStatus(), s.obj.GetIdentityStatus()
	st.ID, st.Adopted, st.CreatePending = want.ID, want.Adopted, want.CreatePending
	return client.IgnoreNotFound(e.Status().Patch(ctx, minimal, client.MergeFrom(s.before)))
}

// recordCreatePending persists (key != "") or clears the create-pending
// marker in status before the remote write it protects.
func (e *engine[R]) recordCreatePending(ctx context.Context, s *identityState[R], key string) error {
	marker := createPendingNow(s.obj, key)
	cur := s.before.GetIdentityStatus().CreatePending
	if marker == nil && cur == nil {
		return nil
	}
	if marker != nil && cur != nil && cur.UID == marker.UID && cur.NaturalKey == marker.NaturalKey {
		return nil // an earlier attempt's marker still stands
	}
	next := s.before.DeepCopyObject().(identityObject)
	next.GetIdentityStatus().CreatePending = marker
	if err := e.Status().Patch(ctx, next, client.MergeFrom(s.before)); err != nil {
		return fmt.Errorf("failed to record the create-pending marker: %w", err)
	}
	s.before = next
	s.obj.GetIdentityStatus().CreatePending = marker
	s.obj.SetResourceVersion(next.GetResourceVersion())
	return nil
}

// event records an Event with its note cut to what the API server accepts.
func (e *engine[R]) event(obj runtime.Object, eventType, reason, message string) {
	e.Recorder.Eventf(obj, nil, eventType, reason, reason, "%s", truncate(message, v1.MaxMessageLength))
}

// statusOf returns the whole status of an identity, for comparison.
func statusOf(obj identityObject) any {
	switch o := obj.(type) {
	case *v1.User:
		return o.Status
	case *v1.ServicePrincipal:
		return o.Status
	case *v1.Group:
		return o.Status
	}
	return nil
}
