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

package health

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// Argo CD health statuses.
const (
	healthy     = "Healthy"
	progressing = "Progressing"
	degraded    = "Degraded"
	suspended   = "Suspended"
)

// message says which Argo CD message to expect, computed from the fixture's
// conditions (or literally, for a fixed text).
type message func(f fixture) string

func readyReasonAndMessage(f fixture) string {
	c := f.condition(v1.ConditionReady)
	return c.Reason + ": " + c.Message
}

func stalledReasonAndMessage(f fixture) string {
	c := f.condition(v1.ConditionStalled)
	return c.Reason + ": " + c.Message
}

func readyMessage(f fixture) string { return f.condition(v1.ConditionReady).Message }

func literally(s string) message { return func(fixture) string { return s } }

// want is what docs/gitops.md promises for one captured object: its kind
// and Ready reason (a check that the capture is what its name says); Argo
// CD's health and message; kstatus' status. argoRow and fluxRow name the row
// of the docs' Argo CD and Flux tables that covers the object (text found in
// exactly one row's first column); the test checks that the row promises the
// same verdict.
type want struct {
	kind, reason string
	argo         string
	argoMessage  message
	argoRow      string
	kstatus      status.Status
	fluxRow      string
}

var waitingForGeneration2 = literally("Waiting for the operator to apply generation 2")

// Rows of the docs' tables that do not name a reason.
const (
	rowReady     = "`Ready=True` for the current generation"
	rowSuspend   = "`spec.suspend: true`"
	rowOlder     = "older generation"
	rowFluxOlder = "older than `metadata.generation`"
	rowNoStatus  = "no status yet"
)

// row is the docs row naming a reason.
func row(reason string) string { return "`" + reason + "`" }

// expected is keyed by fixture name (testdata/<name>.yaml). Every fixture
// has an entry and every entry a fixture.
var expected = map[string]want{
	// Ready, for each kind.
	"databricksaccount-ready": {"DatabricksAccount", v1.ReasonConnected, healthy, readyMessage, rowReady, status.CurrentStatus, rowReady},
	"user-ready":              {"User", v1.ReasonSynced, healthy, readyMessage, rowReady, status.CurrentStatus, rowReady},
	"group-ready":             {"Group", v1.ReasonSynced, healthy, readyMessage, rowReady, status.CurrentStatus, rowReady},
	"serviceprincipal-ready":  {"ServicePrincipal", v1.ReasonSynced, healthy, readyMessage, rowReady, status.CurrentStatus, rowReady},

	// Retried or waiting: Ready=False with Reconciling=True.
	"databricksaccount-tokeninvalid":        {"DatabricksAccount", v1.ReasonTokenInvalid, degraded, readyReasonAndMessage, row(v1.ReasonTokenInvalid), status.InProgressStatus, row(v1.ReasonTokenInvalid)},
	"databricksaccount-tokensecretnotfound": {"DatabricksAccount", v1.ReasonTokenSecretNotFound, progressing, readyReasonAndMessage, row(v1.ReasonTokenSecretNotFound), status.InProgressStatus, row(v1.ReasonTokenSecretNotFound)},
	"user-accountnotready":                  {"User", v1.ReasonAccountNotReady, progressing, readyReasonAndMessage, row(v1.ReasonAccountNotReady), status.InProgressStatus, row(v1.ReasonAccountNotReady)},
	"user-throttled":                        {"User", v1.ReasonThrottled, progressing, readyReasonAndMessage, row(v1.ReasonThrottled), status.InProgressStatus, row(v1.ReasonThrottled)},
	"user-observe-notfound":                 {"User", v1.ReasonNotFound, progressing, readyReasonAndMessage, row(v1.ReasonNotFound), status.InProgressStatus, row(v1.ReasonNotFound)},
	"group-membersunresolved":               {"Group", v1.ReasonMembersUnresolved, progressing, readyReasonAndMessage, row(v1.ReasonMembersUnresolved), status.InProgressStatus, row(v1.ReasonMembersUnresolved)},
	"group-membershipcycle":                 {"Group", v1.ReasonMembershipCycle, degraded, readyReasonAndMessage, row(v1.ReasonMembershipCycle), status.InProgressStatus, row(v1.ReasonMembershipCycle)},

	// Stalled=True: every reason docs/gitops.md lists.
	"user-alreadyexists":               {"User", v1.ReasonAlreadyExists, degraded, stalledReasonAndMessage, row(v1.ReasonAlreadyExists), status.FailedStatus, row(v1.ReasonAlreadyExists)},
	"user-conflict":                    {"User", v1.ReasonConflict, degraded, stalledReasonAndMessage, row(v1.ReasonConflict), status.FailedStatus, row(v1.ReasonConflict)},
	"serviceprincipal-invalidspec":     {"ServicePrincipal", v1.ReasonInvalidSpec, degraded, stalledReasonAndMessage, row(v1.ReasonInvalidSpec), status.FailedStatus, row(v1.ReasonInvalidSpec)},
	"user-namespacenotallowed":         {"User", v1.ReasonNamespaceNotAllowed, degraded, stalledReasonAndMessage, row(v1.ReasonNamespaceNotAllowed), status.FailedStatus, row(v1.ReasonNamespaceNotAllowed)},
	"user-notpermitted":                {"User", v1.ReasonNotPermitted, degraded, stalledReasonAndMessage, row(v1.ReasonNotPermitted), status.FailedStatus, row(v1.ReasonNotPermitted)},
	"databricksaccount-hostnotallowed": {"DatabricksAccount", v1.ReasonHostNotAllowed, degraded, stalledReasonAndMessage, row(v1.ReasonHostNotAllowed), status.FailedStatus, row(v1.ReasonHostNotAllowed)},
	"serviceprincipal-ambiguous":       {"ServicePrincipal", v1.ReasonAmbiguous, degraded, stalledReasonAndMessage, row(v1.ReasonAmbiguous), status.FailedStatus, row(v1.ReasonAmbiguous)},

	// A newer generation than the status describes.
	"user-ready-newer-generation":         {"User", v1.ReasonSynced, progressing, waitingForGeneration2, rowOlder, status.InProgressStatus, rowFluxOlder},
	"user-alreadyexists-newer-generation": {"User", v1.ReasonAlreadyExists, progressing, waitingForGeneration2, rowOlder, status.InProgressStatus, rowFluxOlder},

	// Suspended: Argo CD reads spec.suspend; kstatus sees only the status,
	// which the operator leaves as it was.
	"user-suspended":             {"User", v1.ReasonSynced, suspended, literally("spec.suspend is true"), rowSuspend, status.InProgressStatus, rowFluxOlder},
	"user-suspended-at-creation": {"User", "", suspended, literally("spec.suspend is true"), rowSuspend, status.CurrentStatus, rowNoStatus},

	// Not reconciled yet.
	"user-no-status": {"User", "", progressing, literally("Waiting for the operator to report status"), rowNoStatus, status.CurrentStatus, rowNoStatus},
}

// fixture is one captured object.
type fixture struct {
	name string
	raw  []byte
	obj  *unstructured.Unstructured
}

// condition returns the fixture's condition of type t, failing the test run
// if it has none.
func (f fixture) condition(t string) metav1.Condition {
	typed := decodeStrict(f.raw)
	id, ok := typed.(v1.Identity)
	var conds []metav1.Condition
	if ok {
		conds = id.GetIdentityStatus().Conditions
	} else if acct, ok := typed.(*v1.DatabricksAccount); ok {
		conds = acct.Status.Conditions
	}
	c := meta.FindStatusCondition(conds, t)
	if c == nil {
		panic(f.name + " has no " + t + " condition")
	}
	return *c
}

// decodeStrict decodes a captured object into the current API types,
// refusing unknown and duplicate fields; it panics when it cannot.
func decodeStrict(raw []byte) runtime.Object {
	obj, err := decodeStrictErr(raw)
	if err != nil {
		panic(err)
	}
	return obj
}

func decodeStrictErr(raw []byte) (runtime.Object, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(raw, &tm); err != nil {
		return nil, err
	}
	sch := runtime.NewScheme()
	if err := v1.AddToScheme(sch); err != nil {
		return nil, err
	}
	obj, err := sch.New(schema.FromAPIVersionAndKind(tm.APIVersion, tm.Kind))
	if err != nil {
		return nil, err
	}
	return obj, yaml.UnmarshalStrict(raw, obj)
}

// loadFixtures reads testdata/*.yaml.
func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata (%v): run `make health-fixtures`", err)
	}
	var out []fixture
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		// As the API server hands it to clients: JSON, integers as int64.
		js, err := yaml.YAMLToJSON(raw)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if err := u.UnmarshalJSON(js); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, fixture{name: strings.TrimSuffix(filepath.Base(p), ".yaml"), raw: raw, obj: u})
	}
	return out
}

// TestFixturesMatchTheCurrentAPI keeps the captured objects from rotting:
// each decodes strictly into the current API types, is the kind and Ready
// reason its entry says, and every expectation has its fixture.
func TestFixturesMatchTheCurrentAPI(t *testing.T) {
	g := NewWithT(t)
	var names []string
	for _, f := range loadFixtures(t) {
		names = append(names, f.name)
		w, ok := expected[f.name]
		g.Expect(ok).To(BeTrue(), "testdata/%s.yaml has no expectation in this package", f.name)
		if !ok {
			continue
		}
		_, err := decodeStrictErr(f.raw)
		g.Expect(err).NotTo(HaveOccurred(), "testdata/%s.yaml no longer decodes into the API types: run `make health-fixtures`", f.name)
		if err != nil {
			continue
		}
		g.Expect(f.obj.GetKind()).To(Equal(w.kind), f.name)
		g.Expect(f.obj.GetManagedFields()).To(BeEmpty(), f.name)
		if w.reason == "" {
			_, found, _ := unstructured.NestedSlice(f.obj.Object, "status", "conditions")
			g.Expect(found).To(BeFalse(), "%s: no conditions", f.name)
		} else {
			g.Expect(f.condition(v1.ConditionReady).Reason).To(Equal(w.reason), f.name)
		}
	}
	for name := range expected {
		g.Expect(slices.Contains(names, name)).To(BeTrue(), "no testdata/%s.yaml: run `make health-fixtures`", name)
	}
}

// repoFile reads a file of the repository (tests run in test/health).
func repoFile(t *testing.T, rel string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
