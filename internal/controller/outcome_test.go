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
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

func TestSetConditionsFollowsKstatus(t *testing.T) {
	tests := []struct {
		name                 string
		o                    outcome
		ready                metav1.ConditionStatus
		reconciling, stalled bool
	}{
		{"ready", ready(v1.ReasonSynced, "ok", time.Minute, nil), metav1.ConditionTrue, false, false},
		{"waiting", wait(v1.ReasonAccountNotReady, "wait", time.Minute), metav1.ConditionFalse, true, false},
		{"partly applied", partly(v1.ReasonMembersUnresolved, "some", time.Minute, nil), metav1.ConditionFalse, true, false},
		{"stalled", stalled(v1.ReasonAlreadyExists, "exists"), metav1.ConditionFalse, false, true},
		{"blocked", blocked(v1.ReasonConflict, "owner", time.Minute), metav1.ConditionFalse, false, true},
		{"transient", retry(v1.ReasonUnreachable, "x", errors.New("x")), metav1.ConditionFalse, true, false},
	}
	// Every case starts once from each earlier state, so a condition that
	// should go away is proven present before and absent after.
	earlier := []outcome{stalled("Old", "old"), wait("Old", "old", time.Minute), ready("Old", "old", time.Minute, nil)}
	for _, tt := range tests {
		for _, from := range earlier {
			t.Run(tt.name+" after "+stateName(from), func(t *testing.T) {
				g := NewWithT(t)
				conds := []metav1.Condition{}
				setConditions(&conds, 1, from)
				g.Expect(meta.FindStatusCondition(conds, v1.ConditionStalled) != nil).To(Equal(from.stalled()), "seeded state")
				g.Expect(meta.FindStatusCondition(conds, v1.ConditionReconciling) != nil).To(Equal(!from.ready() && !from.stalled()), "seeded state")

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
}

func stateName(o outcome) string {
	switch {
	case o.ready():
		return "ready"
	case o.stalled():
		return "stalled"
	}
	return "reconciling"
}

func TestSetConditionsBoundsMessages(t *testing.T) {
	g := NewWithT(t)
	conds := []metav1.Condition{}
	long := strings.Repeat("é", 2000) // 4,000 bytes of two-byte runes
	setConditions(&conds, 1, wait(v1.ReasonMembersUnresolved, long, time.Minute))
	for _, c := range conds {
		g.Expect(len(c.Message)).To(BeNumerically("<=", v1.MaxMessageLength), c.Type)
		g.Expect(utf8.ValidString(c.Message)).To(BeTrue(), "cut on a rune boundary")
		g.Expect(c.Message).To(HaveSuffix("(truncated)"))
	}
}

func TestOutcomeResult(t *testing.T) {
	g := NewWithT(t)
	res, err := blocked(v1.ReasonConflict, "owner", time.Minute).result()
	g.Expect(err).NotTo(HaveOccurred(), "blocked looks again quietly")
	g.Expect(res.RequeueAfter).To(Equal(time.Minute))
	_, err = stalled(v1.ReasonInvalidSpec, "bad").result()
	g.Expect(errors.Is(err, reconcile.TerminalError(nil))).To(BeTrue(), "stalled is terminal")
	boom := errors.New("boom")
	_, err = retry(v1.ReasonUnreachable, "x", boom).result()
	g.Expect(err).To(MatchError(boom), "transient errors back off")
	g.Expect(next().done()).To(BeFalse())
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
		{"missing Secret waits", &account.SecretError{}, v1.ReasonTokenSecretNotFound, false, false},
		{"disallowed host stalls", &scim.HostNotAllowedError{Host: "https://x", Reason: "not listed"}, v1.ReasonHostNotAllowed, true, false},
		{"members not visible back off", &membersNotVisible{err: &scim.APIError{StatusCode: 400}}, v1.ReasonProgressing, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			o := failed("do it", tt.err)
			g.Expect(o.reason).To(Equal(tt.reason))
			g.Expect(o.stalled()).To(Equal(tt.stalled))
			g.Expect(o.err != nil).To(Equal(tt.retry))
			g.Expect(o.message).To(HavePrefix("failed to do it: "))
		})
	}
	g := NewWithT(t)
	g.Expect(failed("x", &scim.APIError{StatusCode: 429, RetryAfter: 7 * time.Second}).requeueAfter).To(Equal(7 * time.Second))
}
