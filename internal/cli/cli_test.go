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

package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
	"github.com/scimops/databricks-scim-operator/internal/cli"
	"github.com/scimops/databricks-scim-operator/internal/controller"
	"github.com/scimops/databricks-scim-operator/internal/kubeyaml"
	"github.com/scimops/databricks-scim-operator/internal/localenv"
	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
	"github.com/scimops/databricks-scim-operator/internal/testenv"
)

// The operator's namespace in these tests.
const secretNamespace = "databricks-scim-system"

// world is the local control plane with the operator running in-process,
// started once for the package by cluster().
type world struct {
	env        *envtest.Environment
	cfg        *rest.Config
	c          client.Client
	kubeconfig string
	stop       context.CancelFunc
	done       chan struct{}
}

var (
	worldOnce sync.Once
	theWorld  *world
	worldErr  error
	seq       atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if theWorld != nil {
		theWorld.stop()
		<-theWorld.done
		_ = theWorld.env.Stop()
		_ = os.RemoveAll(filepath.Dir(theWorld.kubeconfig))
	}
	os.Exit(code)
}

// cluster starts (once) the control plane and the manager.
func cluster(t *testing.T) *world {
	t.Helper()
	worldOnce.Do(func() { theWorld, worldErr = startWorld() })
	if worldErr != nil {
		t.Fatalf("starting the local control plane and the operator: %v", worldErr)
	}
	return theWorld
}

func startWorld() (*world, error) {
	ctrl.SetLogger(logr.Discard())
	env, cfg, err := testenv.Start()
	if err != nil {
		return nil, err
	}
	w := &world{env: env, cfg: cfg, done: make(chan struct{})}
	if w.c, err = client.New(cfg, client.Options{Scheme: scheme.Scheme}); err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := w.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: secretNamespace}}); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kubectl-databricks-test-")
	if err != nil {
		return nil, err
	}
	w.kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := localenv.WriteKubeconfig(w.kubeconfig, cfg, "test"); err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: account.SecretCache(secretNamespace),
		}},
	})
	if err != nil {
		return nil, err
	}
	mctx, cancel := context.WithCancel(ctx)
	w.stop = cancel
	if _, err := controller.SetupWithManager(mctx, mgr, controller.Config{
		SecretNamespace: secretNamespace,
		UserAgent:       "databricks-scim-operator/cli-test",
		WriteShield:     3 * time.Second,
		Hosts:           scim.HostPolicy{AllowLoopback: true},
		Controller: controller.Options{
			MaxConcurrentReconciles: 4,
			RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](50*time.Millisecond, 2*time.Second),
		},
	}); err != nil {
		cancel()
		return nil, err
	}
	go func() {
		defer close(w.done)
		_ = mgr.Start(mctx)
	}()
	return w, nil
}

// tenant is one test's fake Databricks account, DatabricksAccount, token
// Secret, token file and namespace.
type tenant struct {
	w         *world
	fake      *scimfake.Server
	account   string
	namespace string
	token     string
	tokenFile string
}

const adminLabel = "cli-test/admin"

// newTenant starts a fake account and a Ready DatabricksAccount for it that
// grants adoption to every namespace and accountAdmin to namespaces
// labelled adminLabel, which the tenant's namespace is when admin is true.
func newTenant(t *testing.T, w *world, admin bool) *tenant {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	n := seq.Add(1)
	tn := &tenant{w: w, account: fmt.Sprintf("acct-%d", n), namespace: fmt.Sprintf("ids-%d", n),
		token: fmt.Sprintf("dapi-test-token-%d-0123456789", n)}
	tn.fake = scimfake.New(scimfake.Options{AccountID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n), Tokens: []string{tn.token}, Seed: n})
	srv := tn.fake.Start()
	t.Cleanup(srv.Close)
	// A token file as `echo $TOKEN > file` writes it: with a trailing newline.
	tn.tokenFile = filepath.Join(t.TempDir(), "token")
	g.Expect(os.WriteFile(tn.tokenFile, []byte(tn.token+"\n"), 0o600)).To(Succeed())

	labels := map[string]string{}
	if admin {
		labels[adminLabel] = "true"
	}
	g.Expect(w.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: tn.namespace, Labels: labels}})).To(Succeed())
	secret := fmt.Sprintf("token-%d", n)
	g.Expect(w.c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secret, Namespace: secretNamespace, Labels: map[string]string{v1.LabelToken: "true"}},
		Data:       map[string][]byte{"token": []byte(tn.token)},
	})).To(Succeed())
	acct := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: tn.account}}
	acct.Spec.AccountID, acct.Spec.Host = tn.fake.AccountID(), srv.URL
	acct.Spec.TokenSecretRef = v1.SecretKeyReference{Name: secret, Key: "token"}
	acct.Spec.SyncInterval = &metav1.Duration{Duration: time.Hour}
	acct.Spec.Permissions = &v1.AccountPermissions{
		Adoption:     &v1.NamespacePermission{NamespaceSelector: &metav1.LabelSelector{}},
		AccountAdmin: &v1.NamespacePermission{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{adminLabel: "true"}}},
	}
	g.Expect(w.c.Create(ctx, acct)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(w.c.Get(ctx, client.ObjectKeyFromObject(acct), acct)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(acct.Status.Conditions, v1.ConditionReady)).To(BeTrue())
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed())
	return tn
}

// run runs kubectl-databricks and returns its exit code, stdout and stderr.
func (tn *tenant) run(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{Stdout: &stdout, Stderr: &stderr})
	return code, stdout.String(), stderr.String()
}

// flags are the account flags every command of a test uses.
func (tn *tenant) flags() []string {
	return []string{"--account", tn.account, "--token-file", tn.tokenFile, "--allow-loopback-host", "--kubeconfig", tn.w.kubeconfig}
}

// apply server-side-applies what kustomize renders from dir, as
// `kubectl apply -k dir --server-side` would.
func (tn *tenant) apply(t *testing.T, paths ...string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := kubeyaml.Read(paths...)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	NewWithT(t).Expect(localenv.Apply(context.Background(), tn.w.c, tn.namespace, objs)).To(Succeed())
	return objs
}

// waitReady waits until want objects in the namespace are Ready for their
// generation with the given reason, and returns them.
func (tn *tenant) waitReady(t *testing.T, want int, reason string) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		n := 0
		for _, list := range []client.ObjectList{&v1.UserList{}, &v1.ServicePrincipalList{}, &v1.GroupList{}} {
			g.Expect(tn.w.c.List(context.Background(), list, client.InNamespace(tn.namespace))).To(Succeed())
			items, _ := meta.ExtractList(list)
			for _, it := range items {
				o := it.(client.Object)
				st := it.(v1.Identity).GetIdentityStatus()
				c := meta.FindStatusCondition(st.Conditions, v1.ConditionReady)
				g.Expect(c).NotTo(BeNil(), "%s has no Ready condition", o.GetName())
				g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "%s: %s %s", o.GetName(), c.Reason, c.Message)
				g.Expect(c.Reason).To(Equal(reason), "%s", o.GetName())
				g.Expect(st.ObservedGeneration).To(Equal(o.GetGeneration()), "%s", o.GetName())
				n++
			}
		}
		g.Expect(n).To(Equal(want))
	}, 90*time.Second, 200*time.Millisecond).Should(Succeed())
}

// scimCalls counts the fake's SCIM requests: writes, list pages and GETs.
func scimCalls(fake *scimfake.Server) (writes, lists, gets int) {
	for _, r := range fake.Requests() {
		switch {
		case r.Class == "":
		case r.Method != http.MethodGet:
			writes++
		case r.Class == scim.ClassList:
			lists++
		default:
			gets++
		}
	}
	return writes, lists, gets
}
