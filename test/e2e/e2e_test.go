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

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/scimops/databricks-scim-operator/internal/localenv"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

const (
	group         = "databricks.scimops.dev"
	version       = "v1alpha1"
	ns            = "default"
	accountAdmin  = "account_admin"
	readyTimeout  = 60 * time.Second
	changeTimeout = 20 * time.Second
	// quietPeriod: no SCIM write for this long means no reconcile is about to write.
	quietPeriod = 3 * time.Second
)

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	g := NewWithT(t)
	ctx := t.Context()
	s, step := newStack(t)

	step("build the manager and the fake SCIM server", func() error { return s.Build(ctx) })
	step("start the local control plane", s.StartControlPlane)
	step("start the fake SCIM server", func() error { return s.StartFake(ctx, localenv.FakeOptions{}) })
	step("bind the operator's ServiceAccount to config/rbac", func() error {
		return s.InstallOperatorRBAC(ctx, localenv.RBACOptions{})
	})
	c := s.CP.Client

	t.Run("the ServiceAccount has only config/rbac's permissions", func(t *testing.T) {
		checkOperatorPermissions(t, s)
	})

	step("create the token Secret", func() error { return localenv.CreateTokenSecret(ctx, c, s.Fake) })
	var mgr *localenv.Manager
	step("start the manager as its own process", func() (err error) {
		mgr, err = s.StartManager(ctx, localenv.ManagerOptions{})
		return err
	})

	samples, err := localenv.ReadManifests(localenv.SamplesDir(s.Root))
	g.Expect(err).NotTo(HaveOccurred())
	step("apply config/samples (the DatabricksAccount pointed at the fake)", func() error {
		n, err := localenv.PointAccountsAtFake(samples, s.Fake)
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("config/samples has %d DatabricksAccounts, want 1", n)
		}
		if err := localenv.GrantAccountAdmin(ctx, c, ns); err != nil {
			return err
		}
		return localenv.Apply(ctx, c, ns, samples)
	})
	step("wait until every object is Ready", func() error {
		_, err := s.CP.WaitReady(ctx, localenv.WaitOptions{
			Timeout: readyTimeout, MinObjects: len(samples),
			Abort: mgr.Done(), AbortErr: func() error { return fmt.Errorf("the manager exited: %s", mgr.Tail(20)) },
		})
		return err
	})

	var ids map[string]string // "User/alice" → SCIM id
	if !t.Run("the fake account holds the samples", func(t *testing.T) {
		ids = checkSamplesInFake(t, s, samples)
	}) {
		t.FailNow()
	}

	if !t.Run("a spec change reaches the fake as a PATCH", func(t *testing.T) {
		checkSpecChange(t, s, ids["User/bob"])
	}) {
		t.FailNow()
	}

	t.Run("the SCIM token reaches no log, event or condition", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(mgr.LogLines(s.Fake.Token)).To(BeEmpty(), "manager log")
		events, err := s.CP.Clientset.EventsV1().Events("").List(ctx, metav1.ListOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(events.Items).NotTo(BeEmpty())
		for _, e := range events.Items {
			g.Expect(e.Note).NotTo(ContainSubstring(s.Fake.Token), "event %s", e.Name)
		}
		acct := &unstructured.Unstructured{}
		acct.SetGroupVersionKind(schema.GroupVersionKind{Group: group, Version: version, Kind: "DatabricksAccount"})
		g.Expect(c.Get(ctx, client.ObjectKey{Name: "main"}, acct)).To(Succeed())
		status, err := json.Marshal(acct.Object["status"])
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(status)).To(ContainSubstring("Connected"))
		g.Expect(string(status)).NotTo(ContainSubstring(s.Fake.Token))
	})

	if !t.Run("deleting the samples applies each deletion policy", func(t *testing.T) {
		checkDeletion(t, s, samples, ids)
	}) {
		t.FailNow()
	}

	t.Run("config/rbac is enough: events recorded, nothing forbidden", func(t *testing.T) {
		g := NewWithT(t)
		g.Eventually(func(g Gomega) {
			events, err := s.CP.Clientset.EventsV1().Events(ns).List(ctx, metav1.ListOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			var reasons []string
			for _, e := range events.Items {
				if e.Regarding.Kind == "User" && e.Regarding.Name == "alice" {
					reasons = append(reasons, e.Reason)
				}
			}
			g.Expect(reasons).To(ContainElement("Created"), "events about User alice")
		}).WithContext(ctx).WithTimeout(changeTimeout).Should(Succeed())
		g.Expect(mgr.LogLines("forbidden")).To(BeEmpty(), "the manager was refused something config/rbac should grant")
	})

	step("stop the manager", func() error { return mgr.Stop(15 * time.Second) })

	t.Run("without the users/status rule Users never become Ready", func(t *testing.T) {
		checkMissingRule(t, s)
	})

	t.Run("leader election works with config/rbac's leader-election Role", func(t *testing.T) {
		checkLeaderElection(t, s)
	})
}

// checkOperatorPermissions asks the API server what the manager's token may
// do: what config/rbac grants, and nothing it does not.
func checkOperatorPermissions(t *testing.T, s *localenv.Stack) {
	g := NewWithT(t)
	can := func(verb, resourceGroup, resource, subresource, namespace string) bool {
		allowed, err := localenv.CanI(t.Context(), s.Operator.Config, verb, resourceGroup, resource, subresource, namespace)
		g.Expect(err).NotTo(HaveOccurred())
		return allowed
	}
	for _, r := range []string{"users", "groups", "serviceprincipals"} {
		g.Expect(can("watch", group, r, "", ns)).To(BeTrue(), "watch %s", r)
		g.Expect(can("patch", group, r, "status", ns)).To(BeTrue(), "patch %s/status", r)
		g.Expect(can("update", group, r, "finalizers", ns)).To(BeTrue(), "update %s/finalizers", r)
		g.Expect(can("create", group, r, "", ns)).To(BeFalse(), "the manager must not create %s", r)
		g.Expect(can("delete", group, r, "", ns)).To(BeFalse(), "the manager must not delete %s", r)
	}
	g.Expect(can("patch", group, "databricksaccounts", "status", "")).To(BeTrue())
	g.Expect(can("watch", "", "secrets", "", localenv.OperatorNamespace)).To(BeTrue(), "watch Secrets in its own namespace")
	g.Expect(can("get", "", "secrets", "", ns)).To(BeFalse(), "no Secret access outside its namespace")
	g.Expect(can("list", "", "secrets", "", "")).To(BeFalse(), "no cluster-wide Secret access")
	g.Expect(can("create", "", "secrets", "", localenv.OperatorNamespace)).To(BeFalse(), "Secrets are read-only")
	g.Expect(can("create", "events.k8s.io", "events", "", ns)).To(BeTrue(), "record events")
	g.Expect(can("create", "coordination.k8s.io", "leases", "", localenv.OperatorNamespace)).To(BeTrue(), "leader election")
	g.Expect(can("create", "coordination.k8s.io", "leases", "", ns)).To(BeFalse(), "leader election only in its namespace")
	g.Expect(can("list", "", "namespaces", "", "")).To(BeTrue(), "namespace selectors")
}

// checkSamplesInFake compares the fake account with the samples and returns
// the SCIM ids recorded in the objects' status.
func checkSamplesInFake(t *testing.T, s *localenv.Stack, samples []*unstructured.Unstructured) map[string]string {
	g := NewWithT(t)
	ctx := t.Context()
	ids := map[string]string{}
	for _, o := range samples {
		if o.GetKind() == "DatabricksAccount" {
			continue
		}
		live := get(t, s.CP.Client, o.GetKind(), o.GetName())
		id, _, _ := unstructured.NestedString(live.Object, "status", "id")
		g.Expect(id).NotTo(BeEmpty(), "%s/%s has no status.id", o.GetKind(), o.GetName())
		ids[o.GetKind()+"/"+o.GetName()] = id
	}

	snap, err := s.Fake.Snapshot(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(snap.Users).To(HaveLen(3), "users in the fake: %v", userNames(snap))
	g.Expect(snap.ServicePrincipals).To(HaveLen(1))
	g.Expect(snap.Groups).To(HaveLen(4), "groups in the fake: %v", groupNames(snap))

	alice, bob, carol := snap.User("alice@example.com"), snap.User("bob@example.com"), snap.User("carol@example.com")
	g.Expect(alice).NotTo(BeNil())
	g.Expect(bob).NotTo(BeNil())
	g.Expect(carol).NotTo(BeNil())
	g.Expect(alice.ID).To(Equal(ids["User/alice"]))
	g.Expect(bob.ID).To(Equal(ids["User/bob"]))
	g.Expect(carol.ID).To(Equal(ids["User/carol"]))
	for _, u := range []*scim.User{alice, bob, carol} {
		g.Expect(u.IsActive()).To(BeTrue(), "%s active", u.UserName)
	}
	g.Expect(alice.DisplayName).To(Equal("Alice Example"))
	g.Expect(alice.Name).NotTo(BeNil())
	g.Expect(alice.Name.GivenName).To(Equal("Alice"))
	g.Expect(alice.Name.FamilyName).To(Equal("Example"))
	g.Expect(alice.HasRole(accountAdmin)).To(BeTrue(), "alice is an account admin")
	g.Expect(bob.DisplayName).To(Equal("Bob Builder"))
	g.Expect(bob.HasRole(accountAdmin)).To(BeFalse())
	g.Expect(carol.DisplayName).To(Equal("Carol Analyst"))
	g.Expect(carol.ExternalID).To(Equal("7c3f0a52-1d3e-4c55-a0a1-5b8f2e9d1c44"))
	g.Expect(carol.HasRole(accountAdmin)).To(BeFalse())

	sp := snap.ServicePrincipal("etl-pipeline")
	g.Expect(sp).NotTo(BeNil())
	g.Expect(sp.ID).To(Equal(ids["ServicePrincipal/etl-pipeline"]))
	g.Expect(sp.IsActive()).To(BeTrue())
	g.Expect(sp.ApplicationID).NotTo(BeEmpty(), "Databricks assigns the applicationId")
	g.Expect(sp.HasRole(accountAdmin)).To(BeFalse())

	members := func(name string) []string {
		grp := snap.Group(name)
		g.Expect(grp).NotTo(BeNil(), "group %s", name)
		var out []string
		for _, id := range grp.MemberIDs() {
			out = append(out, snap.DisplayNameOf(id))
		}
		sort.Strings(out)
		return out
	}
	g.Expect(members("data-engineers")).To(Equal([]string{"sp:etl-pipeline", "user:bob@example.com"}))
	g.Expect(members("analysts")).To(Equal([]string{"user:carol@example.com"}))
	g.Expect(members("data-platform")).To(Equal([]string{"group:analysts", "group:data-engineers"}))
	g.Expect(members("platform-admins")).To(Equal([]string{"user:alice@example.com"}))
	for _, name := range []string{"data-engineers", "analysts", "data-platform", "platform-admins"} {
		grp := snap.Group(name)
		g.Expect(grp.ID).To(Equal(ids["Group/"+name]))
		g.Expect(grp.HasRole(accountAdmin)).To(Equal(name == "platform-admins"), "account_admin on group %s", name)
	}
	return ids
}

// checkSpecChange edits bob's displayName as `kubectl edit` would and waits
// for the PATCH to land in the fake.
func checkSpecChange(t *testing.T, s *localenv.Stack, bobID string) {
	g := NewWithT(t)
	ctx := t.Context()
	g.Expect(s.Fake.ResetRequests(ctx)).To(Succeed())
	bob := get(t, s.CP.Client, "User", "bob")
	patch := []byte(`{"spec":{"displayName":"Robert Builder"}}`)
	start := time.Now()
	g.Expect(s.CP.Client.Patch(ctx, bob, client.RawPatch(types.MergePatchType, patch))).To(Succeed())

	sc, err := s.Fake.Client()
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func(g Gomega) {
		u, err := sc.GetUser(ctx, bobID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(u.DisplayName).To(Equal("Robert Builder"))
	}).WithContext(ctx).WithTimeout(changeTimeout).WithPolling(50 * time.Millisecond).Should(Succeed())
	t.Logf("the displayName change reached the fake %s after the spec change", localenv.Round(time.Since(start)))

	_, err = s.CP.WaitReady(ctx, localenv.WaitOptions{Timeout: readyTimeout})
	g.Expect(err).NotTo(HaveOccurred(), "Ready again for the new generation")
	// Exact counts only once no write has reached the fake for a while: a
	// second PATCH would otherwise go unseen, or a late one break the count.
	writes := func() (int, error) {
		st, err := s.Fake.Stats(ctx)
		return st.Writes, err
	}
	g.Eventually(func(g Gomega) {
		n, err := writes()
		g.Expect(err).NotTo(HaveOccurred())
		g.Consistently(writes).WithContext(ctx).WithTimeout(quietPeriod).WithPolling(100 * time.Millisecond).Should(Equal(n))
	}).WithContext(ctx).WithTimeout(changeTimeout).Should(Succeed(), "SCIM writes never stopped for %s", quietPeriod)

	reqs, err := s.Fake.Requests(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	var patches, written []string
	for _, r := range reqs {
		if r.Class == "" {
			continue // the admin endpoints
		}
		if r.Method != "GET" {
			written = append(written, r.Method+" "+r.Path)
		}
		if r.Method == "PATCH" && strings.HasSuffix(r.Path, "/Users/"+bobID) && r.Status/100 == 2 {
			patches = append(patches, r.Path)
		}
	}
	g.Expect(patches).To(HaveLen(1), "exactly one PATCH of bob; writes seen: %v", written)
	g.Expect(written).To(HaveLen(1), "no other SCIM write for one changed field")
}

// checkDeletion deletes the samples as `kubectl delete -k config/samples`
// would and checks each deletion policy's effect in the fake.
func checkDeletion(t *testing.T, s *localenv.Stack, samples []*unstructured.Unstructured, ids map[string]string) {
	g := NewWithT(t)
	ctx := t.Context()
	c := s.CP.Client
	for _, o := range samples {
		obj := o.DeepCopy()
		if obj.GetKind() != "DatabricksAccount" {
			obj.SetNamespace(ns)
		}
		g.Expect(client.IgnoreNotFound(c.Delete(ctx, obj))).To(Succeed(), "delete %s", localenv.Describe(obj))
	}
	g.Eventually(func(g Gomega) {
		var left []string
		for _, o := range samples {
			if _, err := lookup(ctx, c, o.GetKind(), o.GetName()); err == nil {
				left = append(left, o.GetKind()+"/"+o.GetName())
			} else if !apierrors.IsNotFound(err) {
				g.Expect(err).NotTo(HaveOccurred())
			}
		}
		g.Expect(left).To(BeEmpty(), "objects still present (finalizers not released)")
	}).WithContext(ctx).WithTimeout(readyTimeout).WithPolling(200 * time.Millisecond).Should(Succeed())

	snap, err := s.Fake.Snapshot(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	// Users and SPs: Deactivate by default (reversible); carol asks for Delete.
	for _, name := range []string{"alice", "bob"} {
		u := snap.User(name + "@example.com")
		g.Expect(u).NotTo(BeNil(), "%s is kept (deletionPolicy Deactivate)", name)
		g.Expect(u.ID).To(Equal(ids["User/"+name]))
		g.Expect(u.IsActive()).To(BeFalse(), "%s is deactivated", name)
	}
	g.Expect(snap.User("carol@example.com")).To(BeNil(), "carol is deleted (deletionPolicy Delete)")
	sp := snap.ServicePrincipal("etl-pipeline")
	g.Expect(sp).NotTo(BeNil(), "the service principal is kept (deletionPolicy Deactivate)")
	g.Expect(sp.IsActive()).To(BeFalse(), "the service principal is deactivated")
	g.Expect(groupNames(snap)).To(BeEmpty(), "groups are deleted (deletionPolicy Delete)")
}

// checkMissingRule shows that the shipped RBAC is needed: with the
// users/status rule removed from the manager ClusterRole, the manager's
// status writes are forbidden and Users never become Ready, while the
// account (whose rules are intact) does.
func checkMissingRule(t *testing.T, s *localenv.Stack) {
	g := NewWithT(t)
	ctx := t.Context()
	c := s.CP.Client
	g.Expect(s.InstallOperatorRBAC(ctx, localenv.RBACOptions{Mutate: func(objs []*unstructured.Unstructured) error {
		removed, err := localenv.RemoveRule(objs, "ClusterRole", localenv.NamePrefix+"manager-role", group, "users/status")
		if err == nil && !removed {
			err = fmt.Errorf("config/rbac grants no users/status rule to remove")
		}
		return err
	}})).To(Succeed())
	allowed, err := localenv.CanI(ctx, s.Operator.Config, "patch", group, "users", "status", ns)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(allowed).To(BeFalse(), "users/status must no longer be granted")

	g.Expect(localenv.CreateAccount(ctx, c, "main", s.Fake)).To(Succeed())
	dave := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": group + "/" + version, "kind": "User",
		"metadata": map[string]any{"name": "dave", "namespace": ns},
		"spec":     map[string]any{"accountRef": map[string]any{"name": "main"}, "userName": "dave@example.com"},
	}}
	g.Expect(c.Create(ctx, dave)).To(Succeed())

	mgr, err := s.StartManager(ctx, localenv.ManagerOptions{})
	g.Expect(err).NotTo(HaveOccurred())

	g.Eventually(func(g Gomega) {
		g.Expect(readyStatus(ctx, c, "DatabricksAccount", "main")).To(Equal("True"))
		g.Expect(forbiddenUserStatus(mgr)).To(ContainElement(ContainSubstring(s.Operator.Username)),
			"the manager authenticates as its ServiceAccount and is refused users/status")
	}).WithContext(ctx).WithTimeout(changeTimeout).WithPolling(200 * time.Millisecond).Should(Succeed())
	g.Consistently(func() string {
		return readyStatus(ctx, c, "User", "dave")
	}).WithContext(ctx).WithTimeout(3 * time.Second).WithPolling(250 * time.Millisecond).ShouldNot(Equal("True"))
	t.Logf("User default/dave is not Ready; the manager logs: %s", logError(forbiddenUserStatus(mgr)[0]))
}

// logError returns the error of a JSON log line, or the line.
func logError(line string) string {
	var entry struct {
		Msg   string `json:"msg"`
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(line), &entry) != nil || entry.Error == "" {
		return line
	}
	return entry.Msg + ": " + entry.Error
}

// checkLeaderElection runs a manager with --leader-elect (as
// config/manager does) and waits for it to hold its Lease in the operator
// namespace, which only the leader-election Role allows.
func checkLeaderElection(t *testing.T, s *localenv.Stack) {
	g := NewWithT(t)
	ctx := t.Context()
	for _, m := range s.Managers {
		g.Expect(m.Stop(15 * time.Second)).To(Succeed())
	}
	g.Expect(s.InstallOperatorRBAC(ctx, localenv.RBACOptions{})).To(Succeed(), "restore the unmodified RBAC")
	args := append(localenv.DefaultManagerArgs(), "--leader-elect=true")
	m, err := s.StartManager(ctx, localenv.ManagerOptions{Args: args, StartTimeout: 30 * time.Second})
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func(g Gomega) {
		lease, err := s.CP.Clientset.CoordinationV1().Leases(localenv.OperatorNamespace).Get(ctx, "databricks-scim-operator.scimops.dev", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(lease.Spec.HolderIdentity).NotTo(BeNil())
	}).WithContext(ctx).WithTimeout(changeTimeout).Should(Succeed())
	g.Expect(m.LogLines("forbidden")).To(BeEmpty())
}

// forbiddenUserStatus returns the manager's log lines about a forbidden users/status write.
func forbiddenUserStatus(m *localenv.Manager) []string {
	return slices.DeleteFunc(m.LogLines("forbidden"), func(l string) bool { return !strings.Contains(l, "users/status") })
}

func readyStatus(ctx context.Context, c client.Client, kind, name string) string {
	o, err := lookup(ctx, c, kind, name)
	if err != nil {
		return "error: " + err.Error()
	}
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, raw := range conds {
		if m, ok := raw.(map[string]any); ok && m["type"] == "Ready" {
			st, _ := m["status"].(string)
			return st
		}
	}
	return "missing"
}

func lookup(ctx context.Context, c client.Client, kind, name string) (*unstructured.Unstructured, error) {
	o := &unstructured.Unstructured{}
	o.SetAPIVersion(group + "/" + version)
	o.SetKind(kind)
	key := types.NamespacedName{Name: name}
	if kind != "DatabricksAccount" {
		key.Namespace = ns
	}
	return o, c.Get(ctx, key, o)
}

func get(t *testing.T, c client.Client, kind, name string) *unstructured.Unstructured {
	t.Helper()
	o, err := lookup(t.Context(), c, kind, name)
	if err != nil {
		t.Fatalf("get %s %s: %v", kind, name, err)
	}
	return o
}

func userNames(s *localenv.Snapshot) []string {
	var out []string
	for _, u := range s.Users {
		out = append(out, u.UserName)
	}
	return out
}

func groupNames(s *localenv.Snapshot) []string {
	var out []string
	for _, grp := range s.Groups {
		out = append(out, grp.DisplayName)
	}
	return out
}

// dumpLogs shows the end of every process log when the test failed.
func dumpLogs(t *testing.T, s *localenv.Stack) {
	for _, m := range s.Managers {
		t.Logf("last lines of %s:\n%s", m.LogPath, m.Tail(80))
	}
	if s.Fake != nil {
		t.Logf("last lines of %s:\n%s", s.Fake.LogPath, s.Fake.Tail(20))
	}
	if s.CP != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if st, err := s.CP.Statuses(ctx, localenv.Category, ""); err == nil {
			for _, o := range st {
				t.Logf("%s: ready=%t %s", o.Ref(), o.Ready, o.Describe())
			}
		}
	}
}

// newStack is a local environment stopped when the test ends (its logs
// shown if the test failed), and step, which runs one titled step of it and
// stops the test when the step fails.
func newStack(t *testing.T) (*localenv.Stack, func(title string, fn func() error)) {
	t.Helper()
	s, err := localenv.NewStack(localenv.StackOptions{Out: t.Output()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			dumpLogs(t, s)
		}
		if err := s.Stop(); err != nil {
			t.Errorf("stopping the local environment: %v", err)
		}
	})
	return s, func(title string, fn func() error) {
		t.Helper()
		if err := s.Step(title, fn); err != nil {
			t.Fatalf("%s: %v", title, err)
		}
	}
}
