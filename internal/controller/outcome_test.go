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
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

func TestSetConditionsFollowsKstatus(t *testing.T) {
	tests := []struct {
		name                 string
		o                    outcome
		ready                metav1.ConditionStatus
		reconciling, stalled bool
	}{
		{"ready", ready(v1.ReasonSynced, "ok", time.Minute), metav1.ConditionTrue, false, false},
		{"waiting", waiting(v1.ReasonAccountNotReady, "wait", time.Minute), metav1.ConditionFalse, true, false},
		{"stalled", stalled(v1.ReasonAlreadyExists, "exists"), metav1.ConditionFalse, false, true},
		{"transient", outcome{reason: v1.ReasonUnreachable, err: errors.New("x")}, metav1.ConditionFalse, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			// Start from the opposite state to prove stale conditions are removed.
			conds := []metav1.Condition{}
			setConditions(&conds, 1, stalled("Old", "old"))
			setConditions(&conds, 1, outcome{reason: "Old"})
			setConditions(&conds, 2, tt.o)
			c := meta.FindStatusCondition(conds, v1.ConditionReady)
			g.Expect(c.Status).To(Equal(tt.ready))
			g.Expect(c.ObservedGeneration).To(Equal(int64(2)))
			g.Expect(meta.IsStatusConditionTrue(conds, v1.ConditionReconciling)).To(Equal(tt.reconciling))
			g.Expect(meta.FindStatusCondition(conds, v1.ConditionReconciling) != nil).To(Equal(tt.reconciling), "present only while true")
			g.Expect(meta.FindStatusCondition(conds, v1.ConditionStalled) != nil).To(Equal(tt.stalled), "present only while true")
			g.Expect(tt.o.concluded()).To(Equal(tt.ready == metav1.ConditionTrue || tt.stalled))
		})
	}
}

func TestFailedClassifiesErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		reason  string
		stalled bool
		retry   bool
	}{
		{"throttled waits for Retry-After", &scim.APIError{StatusCode: 429, RetryAfter: 7 * time.Second}, v1.ReasonThrottled, false, false},
		{"unauthorized backs off", &scim.APIError{StatusCode: 401}, v1.ReasonTokenInvalid, false, true},
		{"server errors back off", &scim.APIError{StatusCode: 502}, v1.ReasonUnreachable, false, true},
		{"503 waits like a 429", &scim.APIError{StatusCode: 503}, v1.ReasonThrottled, false, false},
		{"not visible yet waits", &retryLater{err: &scim.APIError{StatusCode: 404}, after: consistencyRetry}, v1.ReasonProgressing, false, false},
		{"a 404 on write retries", &scim.APIError{StatusCode: 404}, v1.ReasonProgressing, false, true},
		{"bad request stalls", &scim.APIError{StatusCode: 400, Detail: "bad"}, v1.ReasonInvalidSpec, true, false},
		{"missing Secret waits", &ErrTokenSecret{msg: "Secret x/y not found"}, v1.ReasonTokenSecretNotFound, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			o := failed("do it", tt.err)
			g.Expect(o.reason).To(Equal(tt.reason))
			g.Expect(o.stalled).To(Equal(tt.stalled))
			g.Expect(o.err != nil).To(Equal(tt.retry))
			g.Expect(o.message).To(HavePrefix("failed to do it: "))
		})
	}
	g := NewWithT(t)
	g.Expect(failed("x", &scim.APIError{StatusCode: 429, RetryAfter: 7 * time.Second}).requeueAfter).To(Equal(7 * time.Second))
}
