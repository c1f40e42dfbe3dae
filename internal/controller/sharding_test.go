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
	"net/http"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

// shardLabel is the label the sharding specs split DatabricksAccounts by.
// The suite's own manager is the catch-all shard: accounts without it.
const shardLabel = "databricks.scimops.dev/shard"

// suiteShard is the suite manager's shard: every account no shard label gives elsewhere.
func suiteShard() Shard {
	sel, err := labels.Parse("!" + shardLabel)
	Expect(err).NotTo(HaveOccurred())
	return Shard{AccountSelector: sel}
}

// write is one write a shard manager sent to the API server.
type write struct {
	verb, kind, namespace, name, subresource string
	// about is, for an Event, the object it reports on.
	about *corev1.ObjectReference
}

func (w write) String() string {
	s := fmt.Sprintf("%s %s %s/%s %s", w.verb, w.kind, w.namespace, w.name, w.subresource)
	if w.about != nil {
		s += fmt.Sprintf(" about %s %s/%s", w.about.Kind, w.about.Namespace, w.about.Name)
	}
	return s
}

// writes reports whether w wrote obj, or an Event about it.
func (w write) writes(obj client.Object) bool {
	if w.about != nil {
		return w.about.Kind == kindName(obj) && w.about.Namespace == obj.GetNamespace() && w.about.Name == obj.GetName()
	}
	return w.kind == kindName(obj) && w.namespace == obj.GetNamespace() && w.name == obj.GetName()
}

// writeAudit records every write of one manager's client.
type writeAudit struct {
	mu     sync.Mutex
	writes []write
}

func (a *writeAudit) add(verb string, obj client.Object, subresource string) {
	kind := fmt.Sprintf("%T", obj)
	kind = kind[strings.LastIndex(kind, ".")+1:]
	w := write{verb: verb, kind: kind, namespace: obj.GetNamespace(), name: obj.GetName(), subresource: subresource}
	if ev, ok := obj.(*eventsv1.Event); ok {
		w.about = ev.Regarding.DeepCopy()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.writes = append(a.writes, w)
}

func (a *writeAudit) all() []write {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]write(nil), a.writes...)
}

// to lists the writes to objs, and of Events about them.
func (a *writeAudit) to(objs ...client.Object) []write {
	var out []write
	for _, w := range a.all() {
		for _, o := range objs {
			if w.writes(o) {
				out = append(out, w)
			}
		}
	}
	return out
}

func kindName(obj client.Object) string {
	k := fmt.Sprintf("%T", obj)
	return k[strings.LastIndex(k, ".")+1:]
}

func (a *writeAudit) funcs() interceptor.Funcs {
	return interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			a.add("create", obj, "")
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			a.add("update", obj, "")
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			a.add("patch", obj, "")
			return c.Patch(ctx, obj, patch, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			a.add("delete", obj, "")
			return c.Delete(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			a.add("update", obj, sub)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			a.add("patch", obj, sub)
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	}
}

// shardManager is one shard: its own manager, cache, registry, Lease, and
// a name it signs its Kubernetes writes (managedFields) and SCIM requests
// (User-Agent) with.
type shardManager struct {
	name   string
	audit  *writeAudit
	lease  string
	cancel context.CancelFunc
	done   chan struct{}
}

// kubeAgent is the field manager of the shard's Kubernetes writes.
func (m *shardManager) kubeAgent() string { return "shard-" + m.name }

// scimAgent is the User-Agent of the shard's SCIM requests.
func (m *shardManager) scimAgent() string { return "databricks-scim-operator/shard-" + m.name }

// startShard runs a manager for the accounts labelled shardLabel=name, with
// leader election on, as a Deployment of that shard would.
func startShard(name string, namespaces []string) *shardManager {
	GinkgoHelper()
	sel, err := labels.Parse(shardLabel + "=" + name)
	Expect(err).NotTo(HaveOccurred())
	shard := Shard{AccountSelector: sel, Namespaces: namespaces}
	m := &shardManager{name: name, audit: &writeAudit{}, lease: shard.LeaderElectionID("databricks-scim-operator.scimops.dev"), done: make(chan struct{})}

	cfg := rest.CopyConfig(env.Config)
	cfg.UserAgent = m.kubeAgent()
	cacheOpts := cache.Options{ByObject: map[client.Object]cache.ByObject{&corev1.Secret{}: account.SecretCache(secretNamespace)}}
	shard.ApplyToCache(&cacheOpts)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme.Scheme,
		Metrics:                       metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:        "0",
		LeaderElection:                true,
		LeaderElectionID:              m.lease,
		LeaderElectionNamespace:       secretNamespace,
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cacheOpts,
		NewClient: func(config *rest.Config, options client.Options) (client.Client, error) {
			c, err := client.NewWithWatch(config, options)
			if err != nil {
				return nil, err
			}
			return interceptor.NewClient(c, m.audit.funcs()), nil
		},
	})
	Expect(err).NotTo(HaveOccurred())
	var ctx context.Context
	ctx, m.cancel = context.WithCancel(context.Background())
	_, err = SetupWithManager(ctx, mgr, Config{
		SecretNamespace: secretNamespace,
		UserAgent:       m.scimAgent(),
		WriteShield:     testWriteShield,
		Hosts:           scim.HostPolicy{AllowLoopback: true},
		Shard:           shard,
		Controller: Options{
			// The suite's manager registered these controller names already.
			SkipNameValidation:      ptr.To(true),
			MaxConcurrentReconciles: 2,
			RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](50*time.Millisecond, 2*time.Second),
		},
	})
	Expect(err).NotTo(HaveOccurred())
	go func() {
		defer GinkgoRecover()
		defer close(m.done)
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	// Each shard leads its own Lease: were the Leases shared, one shard would wait here.
	Eventually(mgr.Elected()).Should(BeClosed(), "shard %s elected", name)
	return m
}

func (m *shardManager) stop() {
	m.cancel()
	Eventually(m.done).Should(BeClosed())
}

func withAccountLabels(l map[string]string) scenarioOption {
	return func(a *v1.DatabricksAccount, _ *scimfake.Options) { a.Labels = l }
}

// userAgents counts the fake's requests by User-Agent.
func userAgents(f *scimfake.Server) map[string]int {
	out := map[string]int{}
	for _, r := range f.Requests() {
		out[r.UserAgent]++
	}
	return out
}

// expectWrittenOnlyBy checks, through managedFields, that the operator
// state of obj (status, finalizers) was written by one field manager.
func expectWrittenOnlyBy(obj client.Object, manager string) {
	GinkgoHelper()
	Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
	wroteStatus := false
	for _, e := range obj.GetManagedFields() {
		fields := ""
		if e.FieldsV1 != nil {
			fields = string(e.FieldsV1.Raw)
		}
		if e.Manager == manager {
			wroteStatus = wroteStatus || e.Subresource == "status"
			continue
		}
		Expect(e.Subresource).NotTo(Equal("status"), "%s %s wrote the status of %s", e.Manager, e.Operation, obj.GetName())
		Expect(fields).NotTo(ContainSubstring("f:finalizers"), "%s wrote the finalizers of %s", e.Manager, obj.GetName())
	}
	Expect(wroteStatus).To(BeTrue(), "%s never wrote the status of %s", manager, obj.GetName())
}

// deleteIdentities deletes objs and waits until they are gone.
func deleteIdentities(objs ...client.Object) {
	GinkgoHelper()
	ctx := context.Background()
	for _, o := range objs {
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, o))).To(Succeed())
	}
	for _, o := range objs {
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(o), o))
		}).Should(BeTrue(), "%s/%s deleted", o.GetNamespace(), o.GetName())
	}
}

var _ = Describe("Sharding", Ordered, func() {
	ctx := context.Background()
	// Identities of every shard live side by side in these two namespaces.
	east, west := "shards-east", "shards-west"
	var shardA, shardB *shardManager

	BeforeAll(func() {
		for _, ns := range []string{east, west} {
			Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		}
		// Shard a caches identities of the two namespaces only; shard b all of them.
		shardA = startShard("a", []string{east, west})
		DeferCleanup(shardA.stop)
		shardB = startShard("b", nil)
		DeferCleanup(shardB.stop)
		Expect(shardA.lease).NotTo(Equal(shardB.lease))
	})

	user := func(ns, name, acct, userName string) *v1.User {
		u := &v1.User{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
		u.Spec.AccountRef.Name, u.Spec.UserName = acct, userName
		return u
	}
	robot := func(ns, name, acct string) *v1.ServicePrincipal {
		sp := &v1.ServicePrincipal{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
		sp.Spec.AccountRef.Name, sp.Spec.DisplayName = acct, name
		return sp
	}
	team := func(ns, name, acct, member string) *v1.Group {
		g := &v1.Group{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
		g.Spec.AccountRef.Name, g.Spec.DisplayName = acct, name
		g.Spec.Members = []v1.GroupMember{{UserRef: &v1.LocalObjectReference{Name: member}}}
		return g
	}

	It("splits the accounts between shards with no overlap", func() {
		a := newScenario(withAccountLabels(map[string]string{shardLabel: "a"}))
		b := newScenario(withAccountLabels(map[string]string{shardLabel: "b"}))

		// An account no manager is given, and an identity bound to it.
		nobodys := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: "shard-c-account", Labels: map[string]string{shardLabel: "c"}}}
		nobodys.Spec.AccountID = "00000000-0000-4000-8000-00000000000c"
		nobodys.Spec.Host = "http://127.0.0.1:1"
		nobodys.Spec.TokenSecretRef = v1.SecretKeyReference{Name: "no-token"}
		Expect(k8sClient.Create(ctx, nobodys)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, nobodys))).To(Succeed()) })

		objsA := []identityObject{
			user(east, "a-east", a.account, "a-east@corp.com"),
			user(west, "a-west", a.account, "a-west@corp.com"),
			robot(west, "a-robot", a.account),
			team(east, "a-team", a.account, "a-east"),
		}
		objsB := []identityObject{
			user(east, "b-east", b.account, "b-east@corp.com"),
			user(west, "b-west", b.account, "b-west@corp.com"),
			robot(east, "b-robot", b.account),
			team(west, "b-team", b.account, "b-west"),
		}
		orphan := user(east, "orphan", "no-such-account", "orphan@corp.com")
		stray := user(west, "stray", nobodys.Name, "stray@corp.com")
		var all []client.Object
		for _, o := range append(append(append([]identityObject{}, objsA...), objsB...), orphan, stray) {
			all = append(all, o)
		}
		DeferCleanup(func() { deleteIdentities(all...) })
		for _, o := range all {
			Expect(k8sClient.Create(ctx, o)).To(Succeed())
		}

		for _, o := range append(append([]identityObject{}, objsA...), objsB...) {
			expectCurrent(o)
		}
		// An identity of a missing account is still told so (by whichever shard sees it).
		expectReason(orphan, metav1.ConditionFalse, v1.ReasonAccountNotFound)
		expectQuiet(a.fake)
		expectQuiet(b.fake)

		By("each fake account heard from its own shard alone")
		Expect(userAgents(a.fake)).To(HaveKey(shardA.scimAgent()))
		Expect(userAgents(a.fake)).To(HaveLen(1), "requests to account a by %v", userAgents(a.fake))
		Expect(userAgents(b.fake)).To(HaveKey(shardB.scimAgent()))
		Expect(userAgents(b.fake)).To(HaveLen(1), "requests to account b by %v", userAgents(b.fake))
		for _, n := range []string{"a-east@corp.com", "a-west@corp.com"} {
			_, inA := a.fake.UserByName(n)
			_, inB := b.fake.UserByName(n)
			Expect(inA && !inB).To(BeTrue(), "%s only in account a", n)
		}
		for _, n := range []string{"b-east@corp.com", "b-west@corp.com"} {
			_, inA := a.fake.UserByName(n)
			_, inB := b.fake.UserByName(n)
			Expect(inB && !inA).To(BeTrue(), "%s only in account b", n)
		}

		By("each shard wrote only its own objects")
		acctA := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: a.account}}
		acctB := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: b.account}}
		expectOnlyOwnWrites := func() {
			GinkgoHelper()
			var ownA, ownB []client.Object
			for _, o := range objsA {
				ownA = append(ownA, o)
			}
			for _, o := range objsB {
				ownB = append(ownB, o)
			}
			ownA = append(ownA, acctA, orphan)
			ownB = append(ownB, acctB, orphan)
			Expect(shardA.audit.to(ownA...)).To(HaveLen(len(shardA.audit.all())), "shard a wrote %v", shardA.audit.all())
			Expect(shardB.audit.to(ownB...)).To(HaveLen(len(shardB.audit.all())), "shard b wrote %v", shardB.audit.all())
		}
		expectOnlyOwnWrites()
		Expect(shardA.audit.to(acctA)).NotTo(BeEmpty())
		Expect(shardB.audit.to(acctB)).NotTo(BeEmpty())
		for _, o := range objsA {
			Expect(shardA.audit.to(o)).NotTo(BeEmpty(), "shard a wrote %s", o.GetName())
			expectWrittenOnlyBy(o, shardA.kubeAgent())
		}
		for _, o := range objsB {
			Expect(shardB.audit.to(o)).NotTo(BeEmpty(), "shard b wrote %s", o.GetName())
			expectWrittenOnlyBy(o, shardB.kubeAgent())
		}
		expectWrittenOnlyBy(acctA, shardA.kubeAgent())
		expectWrittenOnlyBy(acctB, shardB.kubeAgent())

		By("an account no shard selects is left alone by all, and so are its identities")
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(stray), stray)).To(Succeed())
		Expect(stray.Status.Conditions).To(BeEmpty())
		Expect(stray.Finalizers).To(BeEmpty())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(nobodys), nobodys)).To(Succeed())
		Expect(nobodys.Status.Conditions).To(BeEmpty())
		Expect(nobodys.Finalizers).To(BeEmpty())

		By("deletion policies run in the owning shard only")
		deleteIdentities(all...)
		for _, n := range []string{"a-east@corp.com", "a-west@corp.com"} {
			u, ok := a.fake.UserByName(n)
			Expect(ok).To(BeTrue())
			Expect(u.IsActive()).To(BeFalse(), "%s deactivated", n)
		}
		for _, n := range []string{"b-east@corp.com", "b-west@corp.com"} {
			u, ok := b.fake.UserByName(n)
			Expect(ok).To(BeTrue())
			Expect(u.IsActive()).To(BeFalse(), "%s deactivated", n)
		}
		expectOnlyOwnWrites()
		Expect(userAgents(a.fake)).To(HaveLen(1))
		Expect(userAgents(b.fake)).To(HaveLen(1))
	})

	It("hands an account over when its shard label changes", func() {
		x := newScenario(withAccountLabels(map[string]string{shardLabel: "a"}))
		acct := &v1.DatabricksAccount{ObjectMeta: metav1.ObjectMeta{Name: x.account}}
		u1 := user(east, "x-east", x.account, "x-east@corp.com")
		u2 := user(west, "x-west", x.account, "x-west@corp.com")
		DeferCleanup(func() { deleteIdentities(u1, u2) })
		Expect(k8sClient.Create(ctx, u1)).To(Succeed())
		Expect(k8sClient.Create(ctx, u2)).To(Succeed())
		expectCurrent(u1)
		expectCurrent(u2)
		expectWrittenOnlyBy(u1, shardA.kubeAgent())
		Expect(userAgents(x.fake)).To(HaveKey(shardA.scimAgent()))
		Expect(userAgents(x.fake)).NotTo(HaveKey(shardB.scimAgent()))

		By("relabelling the account for shard b")
		patchObject(acct, func(a *v1.DatabricksAccount) { a.Labels[shardLabel] = "b" })
		// Shard b takes the account's identities up (its inventory reads the account).
		Eventually(func() map[string]int { return userAgents(x.fake) }).Should(HaveKey(shardB.scimAgent()))
		patchObject(u1, func(u *v1.User) { u.Spec.DisplayName = "X East" })
		expectCurrent(u1)
		Eventually(func() string {
			u, _ := x.fake.UserByName("x-east@corp.com")
			return u.DisplayName
		}).Should(Equal("X East"))

		By("shard a has stopped")
		fromA := func() int {
			return userAgents(x.fake)[shardA.scimAgent()] + len(shardA.audit.to(acct, u1, u2))
		}
		awaitUnchanged(quietPeriod, fromA, "shard a's requests and writes")
		before := fromA()
		patchObject(u2, func(u *v1.User) { u.Spec.DisplayName = "X West" })
		expectCurrent(u2)
		Eventually(func() string {
			u, _ := x.fake.UserByName("x-west@corp.com")
			return u.DisplayName
		}).Should(Equal("X West"))
		for _, r := range x.fake.Requests() {
			if r.Method == http.MethodPatch {
				Expect(r.UserAgent).To(Equal(shardB.scimAgent()), "PATCH %s", r.Path)
			}
		}
		Expect(shardB.audit.to(u2)).NotTo(BeEmpty())

		By("the new shard runs the deletion policy")
		deleteIdentities(u1)
		u, ok := x.fake.UserByName("x-east@corp.com")
		Expect(ok).To(BeTrue())
		Expect(u.IsActive()).To(BeFalse(), "deactivated by shard b")
		Expect(fromA()).To(Equal(before), "shard a touched the account after it left")
	})
})
