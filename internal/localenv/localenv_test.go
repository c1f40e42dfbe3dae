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

package localenv

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// The in-memory overlay must render config/rbac exactly as the shipped
// config/default does.
func TestRenderRBACMatchesConfigDefault(t *testing.T) {
	root := repoRoot(t)
	got, err := RenderRBAC(root)
	if err != nil {
		t.Fatal(err)
	}
	all, err := RenderKustomization(filesys.MakeFsOnDisk(), filepath.Join(root, "config", "default"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(operatorRBAC) {
		t.Fatalf("RenderRBAC returned %d objects, want %d", len(got), len(operatorRBAC))
	}
	for _, o := range got {
		want := Find(all, o.GetKind(), o.GetName())
		if want == nil {
			t.Errorf("config/default renders no %s %s", o.GetKind(), o.GetName())
			continue
		}
		if want.GetNamespace() != o.GetNamespace() {
			t.Errorf("%s %s: namespace %q, config/default says %q", o.GetKind(), o.GetName(), o.GetNamespace(), want.GetNamespace())
		}
		for _, field := range []string{"rules", "roleRef", "subjects"} {
			if !equalJSON(want.Object[field], o.Object[field]) {
				t.Errorf("%s %s: %s differ from config/default:\n got %v\nwant %v", o.GetKind(), o.GetName(), field, o.Object[field], want.Object[field])
			}
		}
	}
}

func equalJSON(a, b any) bool { return equality.Semantic.DeepEqual(a, b) }

func TestRenderRBACBindsTheServiceAccount(t *testing.T) {
	objs, err := RenderRBAC(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	sa := Find(objs, "ServiceAccount", ServiceAccountName)
	if sa == nil || sa.GetNamespace() != OperatorNamespace {
		t.Fatalf("no ServiceAccount %s/%s in %v", OperatorNamespace, ServiceAccountName, Kinds(objs))
	}
	bindings := 0
	for _, o := range objs {
		if o.GetKind() != "RoleBinding" && o.GetKind() != "ClusterRoleBinding" {
			continue
		}
		bindings++
		subjects, _, _ := unstructured.NestedSlice(o.Object, "subjects")
		if len(subjects) != 1 {
			t.Errorf("%s %s has %d subjects", o.GetKind(), o.GetName(), len(subjects))
			continue
		}
		s := subjects[0].(map[string]any)
		if s["kind"] != "ServiceAccount" || s["name"] != ServiceAccountName || s["namespace"] != OperatorNamespace {
			t.Errorf("%s %s binds %v", o.GetKind(), o.GetName(), s)
		}
		refKind, _, _ := unstructured.NestedString(o.Object, "roleRef", "kind")
		refName, _, _ := unstructured.NestedString(o.Object, "roleRef", "name")
		if Find(objs, refKind, refName) == nil {
			t.Errorf("%s %s refers to %s %s, which is not rendered", o.GetKind(), o.GetName(), refKind, refName)
		}
		if o.GetKind() == "RoleBinding" && o.GetNamespace() != OperatorNamespace {
			t.Errorf("RoleBinding %s is in namespace %q", o.GetName(), o.GetNamespace())
		}
	}
	if bindings != 3 {
		t.Errorf("%d bindings, want 3", bindings)
	}
	secrets := Find(objs, "Role", NamePrefix+"manager-role")
	if secrets == nil || secrets.GetNamespace() != OperatorNamespace {
		t.Fatalf("the Secret Role is not in %s", OperatorNamespace)
	}
	if cr := Find(objs, "ClusterRole", NamePrefix+"manager-role"); strings.Contains(toJSON(t, cr), `"secrets"`) {
		t.Error("the manager ClusterRole grants Secrets cluster-wide")
	}
}

func toJSON(t *testing.T, o *unstructured.Unstructured) string {
	raw, err := o.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestRemoveRule(t *testing.T) {
	objs, err := DecodeManifests([]byte(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
rules:
- apiGroups: [g]
  resources: [a/status, users/status]
  verbs: [patch]
- apiGroups: [g]
  resources: [users/status]
  verbs: [get]
- apiGroups: [other]
  resources: [users/status]
  verbs: [get]
`))
	if err != nil {
		t.Fatal(err)
	}
	removed, err := RemoveRule(objs, "ClusterRole", "r", "g", "users/status")
	if err != nil || !removed {
		t.Fatalf("RemoveRule = %v, %v", removed, err)
	}
	rules, _, _ := unstructured.NestedSlice(objs[0].Object, "rules")
	if len(rules) != 2 {
		t.Fatalf("rules = %v", rules)
	}
	if res := rules[0].(map[string]any)["resources"].([]any); len(res) != 1 || res[0] != "a/status" {
		t.Errorf("first rule resources = %v", res)
	}
	if g := rules[1].(map[string]any)["apiGroups"].([]any); g[0] != "other" {
		t.Errorf("the other group's rule was changed: %v", rules[1])
	}
	if removed, _ := RemoveRule(objs, "ClusterRole", "r", "g", "users/status"); removed {
		t.Error("removed twice")
	}
	if _, err := RemoveRule(objs, "Role", "r", "g", "x"); err == nil {
		t.Error("no error for a missing Role")
	}
}

func TestDecodeManifests(t *testing.T) {
	objs, err := DecodeManifests([]byte(`
---
# only a comment
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: b}
- apiVersion: v1
  kind: Secret
  metadata: {name: c}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := Kinds(objs); !slices.Equal(got, []string{"ConfigMap/a", "ConfigMap/b", "Secret/c"}) {
		t.Errorf("decoded %v", got)
	}
	if _, err := DecodeManifests([]byte("metadata: {name: x}\n")); err == nil {
		t.Error("no error for a document without apiVersion and kind")
	}
}

func TestReadSamples(t *testing.T) {
	objs, err := ReadManifests(SamplesDir(repoRoot(t)))
	if err != nil {
		t.Fatal(err)
	}
	if Find(objs, "DatabricksAccount", "main") == nil {
		t.Fatalf("config/samples has no DatabricksAccount main: %v", Kinds(objs))
	}
	for _, o := range WithoutKind(objs, "DatabricksAccount") {
		ref, _, _ := unstructured.NestedString(o.Object, "spec", "accountRef", "name")
		if ref != "main" {
			t.Errorf("%s references account %q, want main", Describe(o), ref)
		}
	}
	fake := &Fake{URL: "http://127.0.0.1:1", AccountID: "00000000-0000-4000-8000-000000000009"}
	if n, err := PointAccountsAtFake(objs, fake); err != nil || n != 1 {
		t.Fatalf("PointAccountsAtFake = %d, %v", n, err)
	}
	host, _, _ := unstructured.NestedString(Find(objs, "DatabricksAccount", "main").Object, "spec", "host")
	if host != fake.URL {
		t.Errorf("host = %q", host)
	}
}

func TestStatusReadiness(t *testing.T) {
	obj := func(gen, observed int64, status string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": "x", "namespace": "ns", "generation": gen},
			"status": map[string]any{
				"observedGeneration": observed,
				"conditions": []any{map[string]any{
					"type": "Ready", "status": status, "reason": "Synced", "message": "in sync",
				}},
			},
		}}
	}
	for _, tc := range []struct {
		gen, observed int64
		status        string
		ready         bool
	}{
		{1, 1, "True", true},
		{2, 1, "True", false},
		{1, 1, "False", false},
	} {
		s := statusOf("User", obj(tc.gen, tc.observed, tc.status))
		if s.Ready != tc.ready {
			t.Errorf("gen %d observed %d Ready=%s: ready=%t", tc.gen, tc.observed, tc.status, s.Ready)
		}
		if !strings.Contains(s.Describe(), "Ready="+tc.status+" Synced: in sync") {
			t.Errorf("Describe() = %q", s.Describe())
		}
	}
	empty := statusOf("User", &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "y"}}})
	if empty.Ready || !strings.Contains(empty.Describe(), "no status conditions") {
		t.Errorf("an object without status: %+v %q", empty, empty.Describe())
	}
	err := &NotReadyError{Timeout: time.Second, Total: 2, Want: 1, NotReady: []ObjectStatus{statusOf("User", obj(2, 1, "False"))}}
	if msg := err.Error(); !strings.Contains(msg, "1 of 2 objects did not become Ready") || !strings.Contains(msg, "User ns/x: Ready=False Synced") {
		t.Errorf("NotReadyError = %q", msg)
	}
}

func TestWriteTable(t *testing.T) {
	table := &metav1.Table{
		ColumnDefinitions: []metav1.TableColumnDefinition{
			{Name: "Name"}, {Name: "Ready"}, {Name: "Status", Priority: 1}, {Name: "Age"},
		},
		Rows: []metav1.TableRow{
			{Cells: []any{"alice", "True", "in sync", "5s"}, Object: runtime.RawExtension{Raw: []byte(`{"metadata":{"namespace":"default"}}`)}},
			{Cells: []any{"bob", nil, "", "4s"}, Object: runtime.RawExtension{Raw: []byte(`{"metadata":{"namespace":"team"}}`)}},
		},
	}
	var b strings.Builder
	writeTable(&b, table, "user.databricks.scimops.dev", true, true)
	want := "NAMESPACE   NAME                                READY   AGE\n" +
		"default     user.databricks.scimops.dev/alice   True    5s\n" +
		"team        user.databricks.scimops.dev/bob             4s\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestCheckAddrFree(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = CheckAddrFree(ln.Addr().String(), "a test")
	if !errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("CheckAddrFree on a used port = %v", err)
	}
	free, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckAddrFree(free, "a test"); err != nil {
		t.Errorf("CheckAddrFree(%s) = %v", free, err)
	}
}

func TestFlagValue(t *testing.T) {
	args := []string{"--a=1", "-b", "2", "--c"}
	for flag, want := range map[string]string{"a": "1", "b": "2", "c": "", "d": ""} {
		if got := flagValue(args, flag); got != want {
			t.Errorf("flagValue(%s) = %q, want %q", flag, got, want)
		}
	}
}

func TestProcessStop(t *testing.T) {
	dir := t.TempDir()
	// A process that ignores SIGTERM is killed after the grace period.
	p, err := StartProcess("stubborn", "/bin/sh", []string{"-c", `trap "" TERM; echo started; while :; do sleep 0.05; done`}, nil, filepath.Join(dir, "p.log"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.Log(), "started") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if err := p.Stop(200 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop = %v, want a 'killed' error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %s", d)
	}
	if exited, _ := p.Exited(); !exited {
		t.Error("still running")
	}
	if err := p.Stop(time.Second); err != nil {
		t.Errorf("second Stop = %v", err)
	}
	if p.Tail(1) != "started" {
		t.Errorf("Tail = %q", p.Tail(1))
	}

	// A process that exits on SIGTERM stops cleanly.
	q, err := StartProcess("sleeper", "/bin/sleep", []string{"60"}, []string{"FOO=bar"}, filepath.Join(dir, "q.log"))
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Stop(5 * time.Second); err != nil {
		t.Errorf("Stop = %v", err)
	}
}

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"A=1", "B=2", "KUBECONFIG=/home/x"}, []string{"KUBECONFIG=/tmp/k", "C=3"})
	if want := []string{"A=1", "B=2", "KUBECONFIG=/tmp/k", "C=3"}; !slices.Equal(got, want) {
		t.Errorf("mergeEnv = %v, want %v", got, want)
	}
}

// The fake runs as its own process, answers with its token only, and an
// address in use is reported as such.
func TestStartFake(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs cmd/scimfake")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	root := repoRoot(t)
	bin, err := Build(ctx, root, FakeBinary, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f, err := StartFake(ctx, bin, dir, FakeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := f.Stop(5 * time.Second); err != nil {
			t.Error(err)
		}
	}()
	if strings.Contains(strings.Join(f.cmd.Args, " "), f.Token) {
		t.Error("the token is on the fake's command line")
	}
	c, err := f.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	snap, err := f.Snapshot(ctx)
	if err != nil || len(snap.Users)+len(snap.Groups)+len(snap.ServicePrincipals) != 0 {
		t.Fatalf("Snapshot = %+v, %v", snap, err)
	}
	stats, err := f.Stats(ctx)
	if err != nil || stats.Users != 0 {
		t.Fatalf("Stats = %+v, %v", stats, err)
	}
	if err := f.ResetRequests(ctx); err != nil {
		t.Fatal(err)
	}
	wrong := &Fake{URL: f.URL, AccountID: f.AccountID, Token: "wrong"}
	if _, err := wrong.Stats(ctx); err == nil {
		t.Error("the fake accepted a wrong token")
	}

	addr := strings.TrimPrefix(f.URL, "http://")
	_, err = StartFake(ctx, bin, t.TempDir(), FakeOptions{Addr: addr})
	if !errors.Is(err, ErrPortInUse) {
		t.Errorf("StartFake on a used address = %v, want ErrPortInUse", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "scimfake.token")); err != nil {
		t.Error(err)
	}
}
