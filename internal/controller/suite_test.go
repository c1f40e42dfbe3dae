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
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
	"github.com/scimops/databricks-scim-operator/internal/testenv"
)

// testWriteShield replaces the 90 s production shield in this suite.
const testWriteShield = 3 * time.Second

// testMemberGrace is the suite's member grace window: long enough to see a
// group hold, short enough that a member that never appears costs little.
const testMemberGrace = 5 * time.Second

// secretNamespace plays the operator's own namespace.
const secretNamespace = "databricks-scim-system"

var (
	env       *envtest.Environment
	k8sClient client.Client
	// managerCache reads the suite manager's cache, with its field indexes.
	managerCache client.Reader
	registry     *account.Registry
	cancelMgr    context.CancelFunc
	seq          atomic.Int64
)

func apierrorsIsNotFound(err error) bool { return apierrors.IsNotFound(err) }

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	RunSpecs(t, "Controller suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	e, cfg, err := testenv.Start()
	Expect(err).NotTo(HaveOccurred())
	env = e
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme.Scheme})
	Expect(err).NotTo(HaveOccurred())
	Expect(k8sClient.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: secretNamespace}})).To(Succeed())

	// The suite's manager is the catch-all shard: every DatabricksAccount
	// without the shard label (sharding_test.go runs the labelled shards).
	shard := suiteShard()
	cacheOpts := cache.Options{DefaultTransform: CacheTransform(), ByObject: map[client.Object]cache.ByObject{
		&corev1.Secret{}: account.SecretCache(secretNamespace),
	}}
	shard.ApplyToCache(&cacheOpts)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cacheOpts,
	})
	Expect(err).NotTo(HaveOccurred())
	managerCache = mgr.GetCache()
	var ctx context.Context
	ctx, cancelMgr = context.WithCancel(context.Background())
	registry, err = SetupWithManager(ctx, mgr, Config{
		SecretNamespace: secretNamespace,
		UserAgent:       "databricks-scim-operator/test",
		// Short, so drift tests run in seconds; still longer than the
		// eventual-consistency delays the fake is given below.
		WriteShield: testWriteShield,
		// The fakes listen on loopback.
		Hosts:             scim.HostPolicy{AllowLoopback: true},
		Shard:             shard,
		MemberGraceWindow: testMemberGrace,
		Controller: Options{
			MaxConcurrentReconciles: 4,
			RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](50*time.Millisecond, 2*time.Second),
		},
	})
	Expect(err).NotTo(HaveOccurred())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
})

var _ = AfterSuite(func() {
	if cancelMgr != nil {
		cancelMgr()
	}
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

// scenario is one isolated world: its own fake Databricks account, token
// Secret, DatabricksAccount and namespace.
type scenario struct {
	fake      *scimfake.Server
	account   string
	namespace string
	secret    string
}

type scenarioOption func(*v1.DatabricksAccount, *scimfake.Options)

func withSyncInterval(d time.Duration) scenarioOption {
	return func(a *v1.DatabricksAccount, _ *scimfake.Options) {
		a.Spec.SyncInterval = &metav1.Duration{Duration: d}
	}
}

// withPermissions grants every admitted namespace both account permissions
// (accountAdmin and adoption).
func withPermissions() scenarioOption {
	return func(a *v1.DatabricksAccount, _ *scimfake.Options) {
		all := &v1.NamespacePermission{NamespaceSelector: &metav1.LabelSelector{}}
		a.Spec.Permissions = &v1.AccountPermissions{AccountAdmin: all, Adoption: all}
	}
}

func withFakeOptions(fn func(*scimfake.Options)) scenarioOption {
	return func(_ *v1.DatabricksAccount, o *scimfake.Options) { fn(o) }
}

// newScenario starts a fake account and a Ready DatabricksAccount for it.
func newScenario(opts ...scenarioOption) *scenario {
	ctx := context.Background()
	n := seq.Add(1)
	s := &scenario{account: fmt.Sprintf("acct-%d", n), namespace: fmt.Sprintf("team-%d", n), secret: fmt.Sprintf("token-%d", n)}
	acct := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: s.account}}
	acct.Spec.AccountID = fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	acct.Spec.TokenSecretRef = v1.SecretKeyReference{Name: s.secret, Key: "token"}
	acct.Spec.SyncInterval = &metav1.Duration{Duration: time.Hour}
	fo := scimfake.Options{AccountID: acct.Spec.AccountID, Tokens: []string{"token-a"}, Seed: n}
	for _, o := range opts {
		o(acct, &fo)
	}
	s.fake = scimfake.New(fo)
	srv := s.fake.Start()
	acct.Spec.Host = srv.URL
	DeferCleanup(srv.Close)

	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.namespace, Labels: map[string]string{"team": s.namespace}}})).To(Succeed())
	Expect(k8sClient.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: s.secret, Namespace: secretNamespace, Labels: map[string]string{v1.LabelToken: "true"}},
		Data:       map[string][]byte{"token": []byte("token-a")},
	})).To(Succeed())
	Expect(k8sClient.Create(ctx, acct)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(acct), acct)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(acct.Status.Conditions, v1.ConditionReady)).To(BeTrue(), "account Ready")
	}).Should(Succeed())
	DeferCleanup(s.cleanup)
	return s
}

// cleanup deletes every identity (running the deletion policies) and then the account.
func (s *scenario) cleanup() {
	ctx := context.Background()
	for _, obj := range []client.Object{&v1.Group{}, &v1.User{}, &v1.ServicePrincipal{}} {
		Expect(k8sClient.DeleteAllOf(ctx, obj, client.InNamespace(s.namespace))).To(Succeed())
	}
	acct := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: s.account}}
	Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, acct))).To(Succeed())
	Eventually(func() bool {
		return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(acct), acct))
	}).Should(BeTrue(), "account %s deleted once its identities are gone", s.account)
}

func (s *scenario) user(name, userName string, mutate ...func(*v1.User)) *v1.User {
	u := &v1.User{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.namespace}}
	u.Spec.AccountRef.Name = s.account
	u.Spec.UserName = userName
	for _, m := range mutate {
		m(u)
	}
	return u
}

func (s *scenario) servicePrincipal(name, displayName string, mutate ...func(*v1.ServicePrincipal)) *v1.ServicePrincipal {
	sp := &v1.ServicePrincipal{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.namespace}}
	sp.Spec.AccountRef.Name = s.account
	sp.Spec.DisplayName = displayName
	for _, m := range mutate {
		m(sp)
	}
	return sp
}

func (s *scenario) group(name, displayName string, members []v1.GroupMember, mutate ...func(*v1.Group)) *v1.Group {
	g := &v1.Group{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.namespace}}
	g.Spec.AccountRef.Name = s.account
	g.Spec.DisplayName = displayName
	g.Spec.Members = members
	for _, m := range mutate {
		m(g)
	}
	return g
}

// readyCondition fetches obj and returns its Ready condition (nil if absent).
func readyCondition(g Gomega, obj identityObject) *metav1.Condition {
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
	return meta.FindStatusCondition(obj.GetIdentityStatus().Conditions, v1.ConditionReady)
}

// expectReason waits until obj's Ready condition has status and reason.
func expectReason(obj identityObject, status metav1.ConditionStatus, reason string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		c := readyCondition(g, obj)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(reason), "message: %s", c.Message)
		g.Expect(c.Status).To(Equal(status))
	}).Should(Succeed())
}

// expectCurrent waits until obj is Ready for its current generation, with
// no Reconciling or Stalled condition: kstatus "Current".
func expectCurrent(obj identityObject) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		c := readyCondition(g, obj)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "reason %s: %s", c.Reason, c.Message)
		st := obj.GetIdentityStatus()
		g.Expect(st.ObservedGeneration).To(Equal(obj.GetGeneration()))
		g.Expect(meta.FindStatusCondition(st.Conditions, v1.ConditionReconciling)).To(BeNil())
		g.Expect(meta.FindStatusCondition(st.Conditions, v1.ConditionStalled)).To(BeNil())
	}).Should(Succeed())
}

// eventsFor lists the reasons of the Events recorded for obj.
func eventsFor(obj client.Object) []string {
	var reasons []string
	for _, e := range eventList(obj) {
		reasons = append(reasons, e.Reason)
	}
	return reasons
}

func eventNamespace(obj client.Object) string {
	if obj.GetNamespace() == "" {
		return metav1.NamespaceDefault
	}
	return obj.GetNamespace()
}
