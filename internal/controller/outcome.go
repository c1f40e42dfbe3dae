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
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// outcome is what one reconcile concluded. Steps return it; status and the
// controller-runtime result are derived from it in one place.
type outcome struct {
	ready   bool
	reason  string
	message string
	// stalled: a permanent error; no retry until the spec changes.
	stalled bool
	// err: a transient error, returned so controller-runtime backs off.
	err error
	// requeueAfter schedules the next look (drift detection, a wait).
	requeueAfter time.Duration
	// event, when set, is emitted as a Normal event (an action that happened).
	event *event
}

type event struct{ reason, message string }

func ready(reason, message string, every time.Duration) outcome {
	return outcome{ready: true, reason: reason, message: message, requeueAfter: jitter(every)}
}

func waiting(reason, message string, after time.Duration) outcome {
	return outcome{reason: reason, message: message, requeueAfter: after}
}

func stalled(reason, message string) outcome {
	return outcome{reason: reason, message: message, stalled: true}
}

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
		secretErr *ErrTokenSecret
		later     *retryLater
	)
	switch {
	case errors.As(err, &secretErr):
		return waiting(v1.ReasonTokenSecretNotFound, msg, time.Minute)
	case errors.As(err, &later):
		return waiting(v1.ReasonProgressing, msg, later.after)
	case scim.IsThrottled(err):
		after := time.Second
		if apiErr, ok := scim.AsAPIError(err); ok && apiErr.RetryAfter > 0 {
			after = apiErr.RetryAfter
		}
		return waiting(v1.ReasonThrottled, msg, after)
	case scim.IsNotFound(err):
		// Deleted between our read and our write: the next reconcile recreates it.
		return outcome{reason: v1.ReasonProgressing, message: msg, err: err}
	case scim.IsUnauthorized(err):
		return outcome{reason: v1.ReasonTokenInvalid, message: msg, err: err}
	case scim.IsRetryable(err):
		return outcome{reason: v1.ReasonUnreachable, message: msg, err: err}
	}
	if apiErr, ok := scim.AsAPIError(err); ok && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 {
		return stalled(v1.ReasonInvalidSpec, msg)
	}
	return outcome{reason: v1.ReasonUnreachable, message: msg, err: err}
}

// retryLater marks an error that Databricks' eventual consistency explains
// (an object or member not visible yet): look again after a pause, neither
// stalling nor backing off from milliseconds.
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
	switch {
	case o.stalled && o.requeueAfter > 0: // blocked on something outside the spec: look again later, quietly
		return ctrl.Result{RequeueAfter: o.requeueAfter}, nil
	case o.stalled:
		return ctrl.Result{}, reconcile.TerminalError(errors.New(o.message))
	case o.err != nil:
		return ctrl.Result{}, o.err
	default:
		return ctrl.Result{RequeueAfter: o.requeueAfter}, nil
	}
}

// setConditions writes the kstatus conditions for o: Ready always, Reconciling
// and Stalled only while true. It reports whether Ready's reason changed.
func setConditions(conds *[]metav1.Condition, generation int64, o outcome) (readyChanged bool) {
	status := metav1.ConditionFalse
	if o.ready {
		status = metav1.ConditionTrue
	}
	prev := meta.FindStatusCondition(*conds, v1.ConditionReady)
	readyChanged = prev == nil || prev.Status != status || prev.Reason != o.reason
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: v1.ConditionReady, Status: status, Reason: o.reason, Message: o.message, ObservedGeneration: generation,
	})
	setOnlyWhileTrue(conds, v1.ConditionStalled, o.stalled, o.reason, o.message, generation)
	setOnlyWhileTrue(conds, v1.ConditionReconciling, !o.ready && !o.stalled, o.reason, o.message, generation)
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

// concluded says whether this generation is finished (converged or stalled),
// which is when observedGeneration may advance.
func (o outcome) concluded() bool { return o.ready || o.stalled }
