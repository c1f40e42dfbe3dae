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
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/helmchart"
	"github.com/scimops/databricks-scim-operator/internal/installer"
	"github.com/scimops/databricks-scim-operator/internal/localenv"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// installerBinary is `make build-installer`'s program.
var installerBinary = localenv.Binary{Name: "installer", Package: "./hack/installer"}

// leaseName is the manager's leader-election Lease (cmd/manager).
const leaseName = "databricks-scim-operator.scimops.dev"

// TestPackagedInstall installs what users install into one local control
// plane that starts without CRDs: the Helm chart's default render (Helm Go
// SDK), whose manager reconciles config/samples to Ready; then, after
// removing the chart as `helm uninstall` would (the CRDs and resources
// stay), the release installer (`make build-installer`'s program, writing
// into a temporary directory), whose manager applies the samples' deletion
// policies. The API server also accepts the chart's fully customised render
// in a server-side dry run.
//
// Emulation: the local control plane has no kubelet, so a Deployment never
// gets pods. The test applies every rendered object (CRDs, ServiceAccount,
// RBAC, Service, Deployment), then runs the built manager binary as a
// process with the manager container's args and environment taken from the
// rendered Deployment, authenticated with a token of the rendered
// ServiceAccount, so it runs under the rendered RBAC. Only what a local run
// needs differs: the probe and metrics addresses are loopback ports, and
// --allow-loopback-hosts lets the manager reach the fake SCIM server.
func TestPackagedInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	g := NewWithT(t)
	ctx := t.Context()
	s, step := newStack(t)
	c := func() client.Client { return s.CP.Client }

	step("build the manager, the fake SCIM server and the installer", func() error {
		return s.Build(ctx, localenv.ManagerBinary, localenv.FakeBinary, installerBinary)
	})
	step("start a local control plane without CRDs", func() error {
		return s.StartControlPlaneWith(localenv.ControlPlaneOptions{SkipCRDs: true})
	})
	step("start the fake SCIM server", func() error { return s.StartFake(ctx, localenv.FakeOptions{}) })

	// The Helm chart.
	var chart []*unstructured.Unstructured
	step("render the Helm chart with its default values", func() (err error) {
		chart, err = helmchart.Render(ctx, s.Root, helmchart.Options{})
		return err
	})
	step("apply the chart's render and mint a token for its ServiceAccount", func() error {
		return install(ctx, s, chart)
	})
	t.Run("the API server accepts the chart's fully customised render (server-side dry run)", func(t *testing.T) {
		g := NewWithT(t)
		custom := filepath.Join(s.Root, "internal", "helmchart", "testdata", "custom-values.yaml")
		objs, err := helmchart.Render(ctx, s.Root, helmchart.Options{SkipCRDs: true, ValuesFiles: []string{custom}})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(localenv.EnsureNamespace(ctx, s.CP, "databricks-secrets")).To(Succeed()) // its secretNamespace
		checked := 0
		for _, o := range objs {
			if o.GroupVersionKind().Group == "monitoring.coreos.com" {
				continue // no Prometheus Operator CRDs here
			}
			err := c().Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("dry-run"), client.DryRunAll)
			g.Expect(err).NotTo(HaveOccurred(), "%s", localenv.Describe(o))
			checked++
		}
		g.Expect(checked).To(BeNumerically(">=", 10))
	})
	step("create the token Secret", func() error { return localenv.CreateTokenSecret(ctx, c(), s.Fake) })
	var mgr *localenv.Manager
	var metricsAddr string
	step("run the chart's manager container as a process", func() (err error) {
		mgr, metricsAddr, err = startFromDeployment(ctx, s, chart)
		return err
	})
	samples, err := localenv.ReadManifests(localenv.SamplesDir(s.Root))
	g.Expect(err).NotTo(HaveOccurred())
	step("apply config/samples (the DatabricksAccount pointed at the fake)", func() error {
		if _, err := localenv.PointAccountsAtFake(samples, s.Fake); err != nil {
			return err
		}
		if err := localenv.GrantAccountAdmin(ctx, c(), ns); err != nil {
			return err
		}
		return localenv.Apply(ctx, c(), ns, samples)
	})
	step("wait until every object is Ready", func() error {
		_, err := s.CP.WaitReady(ctx, localenv.WaitOptions{
			Timeout: readyTimeout, MinObjects: len(samples),
			Abort: mgr.Done(), AbortErr: func() error { return fmt.Errorf("the manager exited: %s", mgr.Tail(20)) },
		})
		return err
	})
	var ids map[string]string
	if !t.Run("the chart's manager created the samples in the fake account", func(t *testing.T) {
		ids = checkSamplesInFake(t, s, samples)
	}) {
		t.FailNow()
	}
	t.Run("the chart's manager leads, serves authorized metrics and was refused nothing", func(t *testing.T) {
		g := NewWithT(t)
		lease, err := s.CP.Clientset.CoordinationV1().Leases(localenv.OperatorNamespace).Get(ctx, leaseName, metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(lease.Spec.HolderIdentity).NotTo(BeNil())
		checkMetrics(t, s, metricsAddr, localenv.NamePrefix+"metrics-reader")
		g.Expect(mgr.LogLines("forbidden")).To(BeEmpty(), "the manager was refused something the chart's RBAC should grant")
	})

	// helm uninstall deletes what the templates rendered and keeps crds/.
	step("remove the chart as helm uninstall would (the CRDs and the resources stay)", func() error {
		if err := mgr.Stop(15 * time.Second); err != nil {
			return err
		}
		if err := localenv.Delete(ctx, c(), localenv.OperatorNamespace, localenv.WithoutKind(chart, "CustomResourceDefinition")); err != nil {
			return err
		}
		// The stopped manager does not release its Lease; a new one would
		// wait for it to expire (15 s). Deleting it saves that wait.
		return s.CP.Clientset.CoordinationV1().Leases(localenv.OperatorNamespace).Delete(ctx, leaseName, metav1.DeleteOptions{})
	})
	t.Run("without the manager the resources keep their finalizers and the account is untouched", func(t *testing.T) {
		g := NewWithT(t)
		for _, o := range samples {
			live, err := lookup(ctx, c(), o.GetKind(), o.GetName())
			g.Expect(err).NotTo(HaveOccurred(), "%s/%s", o.GetKind(), o.GetName())
			g.Expect(live.GetFinalizers()).To(ContainElement(v1.Finalizer))
		}
		snap, err := s.Fake.Snapshot(ctx)
		g.Expect(err).NotTo(HaveOccurred())
		for _, name := range []string{"alice", "bob", "carol"} {
			u := snap.User(name + "@example.com")
			g.Expect(u).NotTo(BeNil(), name)
			g.Expect(u.IsActive()).To(BeTrue(), "%s is still active", name)
		}
		g.Expect(snap.Groups).To(HaveLen(4))
	})

	// The release installer.
	var inst []*unstructured.Unstructured
	step("render dist/install.yaml with hack/installer into a temporary directory", func() error {
		bin, err := s.Binary(ctx, installerBinary)
		if err != nil {
			return err
		}
		out := filepath.Join(s.Dir, "dist", "install.yaml")
		cmd := exec.CommandContext(ctx, bin, "-root", s.Root, "-o", out)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w\n%s", cmd, err, b)
		}
		inst, err = localenv.ReadManifests(out)
		return err
	})
	t.Run("the installer pins the release image", func(t *testing.T) {
		g := NewWithT(t)
		version, err := installer.ReadVersion(s.Root)
		g.Expect(err).NotTo(HaveOccurred())
		d := localenv.Find(inst, "Deployment", localenv.NamePrefix+"controller-manager")
		g.Expect(d).NotTo(BeNil())
		dm, err := localenv.ManagerFromDeployment(d)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(dm.Image).To(Equal("ghcr.io/scimops/databricks-scim-operator:" + version))
	})
	step("apply the installer and mint a token for its ServiceAccount", func() error { return install(ctx, s, inst) })
	step("run the installer's manager container as a process (Ready: /readyz answers 200)", func() error {
		mgr, _, err = startFromDeployment(ctx, s, inst)
		return err
	})
	if !t.Run("the installer's manager applies each deletion policy", func(t *testing.T) {
		checkDeletion(t, s, samples, ids)
	}) {
		t.FailNow()
	}
	g.Expect(mgr.LogLines("forbidden")).To(BeEmpty(), "the manager was refused something the installer's RBAC should grant")
}

// install applies objs (CRDs first), waits for the CRDs, and binds the
// stack's operator identity to the ServiceAccount among them.
func install(ctx context.Context, s *localenv.Stack, objs []*unstructured.Unstructured) error {
	if err := s.InstallOperatorRBAC(ctx, localenv.RBACOptions{Objects: objs}); err != nil {
		return err
	}
	return s.CP.WaitEstablished(ctx, objs, 30*time.Second)
}

// startFromDeployment runs the manager container of the Deployment among
// objs as a process (see TestPackagedInstall) and returns the loopback
// address of its metrics endpoint ("" when the Deployment serves none).
func startFromDeployment(ctx context.Context, s *localenv.Stack, objs []*unstructured.Unstructured) (*localenv.Manager, string, error) {
	d := localenv.Find(objs, "Deployment", localenv.NamePrefix+"controller-manager")
	if d == nil {
		return nil, "", fmt.Errorf("no manager Deployment among %v", localenv.Kinds(objs))
	}
	dm, err := localenv.ManagerFromDeployment(d)
	if err != nil {
		return nil, "", err
	}
	if dm.Namespace != s.Operator.Namespace || dm.ServiceAccount != s.Operator.ServiceAccount {
		return nil, "", fmt.Errorf("the Deployment runs as %s/%s, but the token is for %s", dm.Namespace, dm.ServiceAccount, s.Operator.Username)
	}
	args := append(dm.Args, scim.AllowLoopbackHostsFlag)
	metrics := ""
	if dm.Metrics {
		if metrics, err = localenv.FreeAddr(); err != nil {
			return nil, "", err
		}
		args = append(args, "--metrics-bind-address="+metrics)
	}
	m, err := s.StartManager(ctx, localenv.ManagerOptions{Args: args, Env: dm.Env})
	return m, metrics, err
}

// checkMetrics scrapes the manager's HTTPS metrics endpoint as Prometheus
// would: a ServiceAccount bound to the metrics-reader ClusterRole reads it;
// one without that binding is refused, and so is a request without a token.
// The manager decides with TokenReviews and SubjectAccessReviews, which only
// the metrics-auth ClusterRole lets it create.
func checkMetrics(t *testing.T, s *localenv.Stack, addr, readerRole string) {
	g := NewWithT(t)
	ctx := t.Context()
	c := s.CP.Client
	for _, name := range []string{"scraper", "stranger"} {
		g.Expect(c.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}})).To(Succeed())
	}
	g.Expect(c.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "scraper-metrics-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: readerRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "scraper", Namespace: ns}},
	})).To(Succeed())
	token := func(name string) string {
		cfg, err := localenv.ServiceAccountConfig(ctx, s.CP, ns, name, time.Hour)
		g.Expect(err).NotTo(HaveOccurred())
		return cfg.BearerToken
	}
	// The manager's certificate is self-signed (as in a cluster without
	// cert-manager), and the address is loopback.
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	scrape := func(token string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/metrics", nil)
		if err != nil {
			return 0, "", err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	reader, stranger := token("scraper"), token("stranger")
	g.Eventually(func(g Gomega) {
		code, body, err := scrape(reader)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(code).To(Equal(http.StatusOK), "body: %.200s", body)
		g.Expect(body).To(ContainSubstring("databricks_scim_requests_total{"))
	}).WithContext(ctx).WithTimeout(changeTimeout).WithPolling(200 * time.Millisecond).Should(Succeed())
	code, _, err := scrape(stranger)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(code).To(Equal(http.StatusForbidden), "a ServiceAccount without metrics-reader")
	code, _, err = scrape("")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(code).To(Equal(http.StatusUnauthorized), "no token")
	t.Logf("metrics: 200 for %s, 403 without the binding, 401 without a token", readerRole)
}
