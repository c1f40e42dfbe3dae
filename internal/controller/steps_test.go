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

// Step-level tests: single steps and short step sequences of the identity
// engine and the DatabricksAccount reconciler, against the controller-runtime
// fake client and a scimtest.Client that fails on any call a test did not
// set up. They need no API server (run them with -run TestStep).

import (
	"bytes"
	"context"
	"errors"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
	"github.com/scimops/databricks-scim-operator/internal/inventory"
	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimtest"
)

const (
	stepNamespace   = "team-a"
	stepAccountName = "acct-a"
	stepAccountID   = "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"
	stepHost        = "https://accounts.cloud.databricks.com"
	stepUserName    = "alice@example.com"
	stepUserKey     = "userName=alice@example.com" // the create-pending marker's value
	stepSecretNS    = "scim-system"
	stepSecretName  = "dbx-token"
)

// stepEpoch is every object's creationTimestamp unless a test says otherwise.
var stepEpoch = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

// newStepClient is the controller-runtime fake client with the project's
// scheme, status subresources, and the field indexes SetupIndexes registers.
func newStepClient(t testing.TB, objs ...client.Object) client.WithWatch {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := v1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	b := fake.NewClientBuilder().WithScheme(s).
		WithStatusSubresource(&v1.User{}, &v1.ServicePrincipal{}, &v1.Group{}, &v1.DatabricksAccount{}).
		WithObjects(objs...)
	for _, ix := range fieldIndexes() {
		b = b.WithIndex(ix.obj, ix.field, ix.stored)
	}
	return b.Build()
}

func stepNamespaceObj(labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: stepNamespace, Labels: labels}}
}

// stepAccount is a Ready DatabricksAccount of the test Databricks account.
func stepAccount(name string, mutate ...func(*v1.DatabricksAccount)) *v1.DatabricksAccount {
	a := &v1.DatabricksAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), Generation: 1, CreationTimestamp: stepEpoch},
		Spec: v1.DatabricksAccountSpec{
			AccountID: stepAccountID, Host: stepHost,
			TokenSecretRef: v1.SecretKeyReference{Name: stepSecretName},
		},
		Status: v1.DatabricksAccountStatus{Conditions: []metav1.Condition{{
			Type: v1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1.ReasonConnected,
			Message: "ok", LastTransitionTime: stepEpoch, ObservedGeneration: 1,
		}}},
	}
	for _, m := range mutate {
		m(a)
	}
	return a
}

// stepUser is a User in stepNamespace bound to stepAccountName, named alice
// unless mutate says otherwise.
func stepUser(name string, mutate ...func(*v1.User)) *v1.User {
	u := &v1.User{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: stepNamespace, UID: types.UID("uid-" + name), Generation: 1, CreationTimestamp: stepEpoch,
		},
		Spec: v1.UserSpec{AccountRef: v1.AccountReference{Name: stepAccountName}, UserName: stepUserName},
	}
	for _, m := range mutate {
		m(u)
	}
	return u
}

func withFinalizer(u *v1.User) { controllerutil.AddFinalizer(u, v1.Finalizer) }
func withIfExists(u *v1.User)  { u.Spec.AdoptionPolicy = v1.AdoptionIfExists }
func withID(id string) func(*v1.User) {
	return func(u *v1.User) { u.Status.ID = id }
}

func withMarker(uid types.UID, key string) func(*v1.User) {
	return func(u *v1.User) {
		u.Status.CreatePending = &v1.CreatePending{UID: uid, NaturalKey: key, Since: stepEpoch}
	}
}

func remoteAlice(id string) scim.User {
	return scim.User{ID: id, UserName: stepUserName, Active: scim.Bool(true)}
}

// stepEnv is one test's world: the fake API server, the SCIM client under
// test and the account whose inventory was loaded from a listing.
type stepEnv struct {
	ctx  context.Context
	c    client.WithWatch
	scim *scimtest.Client
	acc  *account.Account
	rec  *events.FakeRecorder
}

// newStepEnv adds the Ready DatabricksAccount stepAccountName unless objs
// has one, and loads the account's inventory with the remote users through a
// separate lister, so the client under test starts with no calls; the
// inventory is fresh for the account's sync interval, so no step re-lists.
func newStepEnv(t *testing.T, remote []scim.User, objs ...client.Object) *stepEnv {
	t.Helper()
	ctx := ctrl.LoggerInto(context.Background(), ctrl.Log)
	inv := inventory.New(0)
	lister := scimtest.New(t)
	lister.Lists(remote, nil, nil)
	if err := inv.EnsureFresh(ctx, lister, time.Hour); err != nil {
		t.Fatal(err)
	}
	acct := stepAccount(stepAccountName)
	if !slices.ContainsFunc(objs, func(o client.Object) bool {
		a, ok := o.(*v1.DatabricksAccount)
		return ok && a.Name == stepAccountName
	}) {
		objs = append(objs, acct)
	}
	return &stepEnv{
		ctx:  ctx,
		c:    newStepClient(t, objs...),
		scim: scimtest.New(t),
		acc: &account.Account{
			Name: stepAccountName, Endpoint: endpointOf(acct),
			Inventory: inv, SyncInterval: 10 * time.Minute,
		},
		rec: events.NewFakeRecorder(32),
	}
}

// userEngine is the User engine as setupUserController builds it; every
// DatabricksAccount name resolves to the one test account.
func (env *stepEnv) userEngine() *engine[scim.User] {
	env.acc.Client = env.scim
	accounts := &account.Fake{Accounts: map[string]*account.Account{stepAccountName: env.acc, "acct-b": env.acc}}
	return &engine[scim.User]{
		identityReconciler: &identityReconciler{Client: env.c, Accounts: accounts, Recorder: env.rec},
		kind:               userKind,
		newRemote:          newUserRemote,
	}
}

// userState reads the User as Reconcile does and runs resolveAccount, the
// step that binds the account and the remote.
func (env *stepEnv) userState(t *testing.T, e *engine[scim.User], name string) *identityState[scim.User] {
	t.Helper()
	obj := &v1.User{}
	if err := env.c.Get(env.ctx, types.NamespacedName{Namespace: stepNamespace, Name: name}, obj); err != nil {
		t.Fatal(err)
	}
	s := &identityState[scim.User]{obj: obj, before: obj.DeepCopyObject().(identityObject)}
	if o := e.resolveAccount(env.ctx, s); o.done() {
		t.Fatalf("resolveAccount ended the reconcile: %s %s", o.reason, o.message)
	}
	return s
}

// stored reads the User as the API server now has it.
func (env *stepEnv) stored(t *testing.T, name string) *v1.User {
	t.Helper()
	u := &v1.User{}
	if err := env.c.Get(env.ctx, types.NamespacedName{Namespace: stepNamespace, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// events drains the events recorded so far ("Type Reason note").
func (env *stepEnv) events() []string {
	return drainEvents(env.rec)
}

func drainEvents(rec *events.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

var outcomeKindNames = map[outcomeKind]string{
	proceed: "next", converged: "ready", waiting: "wait", retrying: "retry",
	stalledKind: "stalled", blockedKind: "blocked", released: "release",
}

// expectOutcome asserts an outcome's kind and reason.
func expectOutcome(g *WithT, o outcome, kind outcomeKind, reason string) {
	g.ExpectWithOffset(1, outcomeKindNames[o.kind]).To(Equal(outcomeKindNames[kind]), "outcome kind (%s: %s)", o.reason, o.message)
	g.ExpectWithOffset(1, o.reason).To(Equal(reason), "outcome reason (%s)", o.message)
}

func userSteps(steps ...identityStep[scim.User]) []identityStep[scim.User] { return steps }

// ---- locate ----------------------------------------------------------------

func TestStepLocateRecordedIDInInventoryProceedsWithoutCalls(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, []scim.User{remoteAlice("u1")},
		stepUser("alice", withFinalizer, withID("u1")))
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := e.locate(env.ctx, s)

	expectOutcome(g, o, proceed, "")
	g.Expect(s.cur).NotTo(BeNil())
	g.Expect(s.cur.ID).To(Equal("u1"))
	g.Expect(s.obj.GetIdentityStatus().ID).To(Equal("u1"))
	g.Expect(s.obj.GetIdentityStatus().Adopted).To(BeFalse())
	g.Expect(s.evt).To(BeNil())
	g.Expect(env.scim.Calls()).To(BeEmpty())
}

func TestStepLocateRecordedIDGoneIsRecreatedAsDriftRepaired(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, nil, stepUser("alice", withFinalizer, withID("u1")))
	env.scim.GetUserFunc = func(context.Context, string) (*scim.User, error) { return nil, scimtest.HTTPError(404) }
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := e.locate(env.ctx, s)

	expectOutcome(g, o, proceed, "")
	g.Expect(env.scim.Calls()).To(Equal([]string{"GetUser(u1)"}), "only a 404 proves it is gone: one direct read")
	g.Expect(s.cur).To(BeNil(), "nothing to adopt: the object must be created")
	g.Expect(s.obj.GetIdentityStatus().ID).To(BeEmpty())
	g.Expect(s.evt).NotTo(BeNil())
	g.Expect(s.evt.reason).To(Equal(v1.EventDriftRepaired))
	g.Expect(s.evt.message).To(Equal(`user "alice@example.com" (SCIM id u1) was deleted in Databricks`))

	// The create that follows names the new id in the same event.
	env.scim.CreateUserFunc = func(_ context.Context, u scim.User) (*scim.User, error) {
		u.ID = "u2"
		return &u, nil
	}
	o = runSteps(env.ctx, s, userSteps(e.ensureFinalizer, e.create))
	expectOutcome(g, o, proceed, "")
	g.Expect(s.obj.GetIdentityStatus().ID).To(Equal("u2"))
	g.Expect(s.evt.reason).To(Equal(v1.EventDriftRepaired))
	g.Expect(s.evt.message).To(HaveSuffix("; recreated it as SCIM id u2"))
	g.Expect(env.scim.Calls()).To(Equal([]string{"GetUser(u1)", "CreateUser(alice@example.com)"}))
}

func TestStepLocateNaturalKeyFoundWithAdoptionNeverIsAlreadyExists(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, []scim.User{remoteAlice("u1")}, stepUser("alice"))
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := e.locate(env.ctx, s)

	expectOutcome(g, o, blockedKind, v1.ReasonAlreadyExists)
	g.Expect(o.stalled()).To(BeTrue())
	g.Expect(o.requeueAfter).To(Equal(blockedWait))
	g.Expect(o.message).To(ContainSubstring("SCIM id u1"))
	g.Expect(o.message).To(ContainSubstring("adoptionPolicy: IfExists"))
	g.Expect(s.cur).To(BeNil())
	g.Expect(s.obj.GetIdentityStatus().ID).To(BeEmpty())
	g.Expect(s.evt).To(BeNil())
	g.Expect(env.scim.Calls()).To(BeEmpty())
}

func TestStepLocateRecordedIDWithoutFinalizerGoesThroughAdoption(t *testing.T) {
	// An id mirrored by managementPolicy Observe is not this resource's own.
	g := NewWithT(t)
	env := newStepEnv(t, []scim.User{remoteAlice("u1")}, stepUser("alice", withID("u1")))
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := e.locate(env.ctx, s)

	expectOutcome(g, o, blockedKind, v1.ReasonAlreadyExists)
	g.Expect(env.scim.Calls()).To(BeEmpty())
}

func TestStepLocateNaturalKeyFoundWithIfExistsAdopts(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, []scim.User{remoteAlice("u1")}, stepUser("alice", withIfExists))
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := e.locate(env.ctx, s)

	expectOutcome(g, o, proceed, "")
	g.Expect(s.cur).NotTo(BeNil())
	g.Expect(s.cur.ID).To(Equal("u1"))
	st := s.obj.GetIdentityStatus()
	g.Expect(st.ID).To(Equal("u1"))
	g.Expect(st.Adopted).To(BeTrue())
	g.Expect(s.evt).To(Equal(&event{reason: v1.EventAdopted, message: `Adopted existing user "alice@example.com" (SCIM id u1)`}))
	g.Expect(env.scim.Calls()).To(BeEmpty())
}

func TestStepReconcileAlreadyExistsStallsWithoutWriting(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, []scim.User{remoteAlice("u1")}, stepAccount(stepAccountName), stepUser("alice"))
	e := env.userEngine()

	res, err := e.Reconcile(env.ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: stepNamespace, Name: "alice"}})

	g.Expect(err).NotTo(HaveOccurred(), "blocked by something outside the spec: look again later, quietly")
	g.Expect(res.RequeueAfter).To(Equal(blockedWait))
	u := env.stored(t, "alice")
	g.Expect(u.Finalizers).To(BeEmpty(), "no write before the first remote write")
	g.Expect(u.Status.ID).To(BeEmpty())
	g.Expect(u.Status.CreatePending).To(BeNil())
	g.Expect(u.Status.ObservedGeneration).To(Equal(int64(1)))
	ready := meta.FindStatusCondition(u.Status.Conditions, v1.ConditionReady)
	g.Expect(ready).NotTo(BeNil())
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Reason).To(Equal(v1.ReasonAlreadyExists))
	g.Expect(meta.IsStatusConditionTrue(u.Status.Conditions, v1.ConditionStalled)).To(BeTrue())
	g.Expect(meta.FindStatusCondition(u.Status.Conditions, v1.ConditionReconciling)).To(BeNil())
	g.Expect(env.scim.Calls()).To(BeEmpty())
	g.Expect(env.events()).To(ConsistOf(HavePrefix("Warning AlreadyExists ")))
}

func TestStepReconcileAdoptsWithIfExists(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, []scim.User{remoteAlice("u1")},
		stepNamespaceObj(nil),
		stepAccount(stepAccountName, func(a *v1.DatabricksAccount) {
			a.Spec.Permissions = &v1.AccountPermissions{Adoption: &v1.NamespacePermission{NamespaceSelector: &metav1.LabelSelector{}}}
		}),
		stepUser("alice", withIfExists))
	e := env.userEngine()

	res, err := e.Reconcile(env.ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: stepNamespace, Name: "alice"}})

	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.RequeueAfter).To(BeNumerically(">=", env.acc.SyncInterval))
	u := env.stored(t, "alice")
	g.Expect(u.Finalizers).To(ConsistOf(v1.Finalizer))
	g.Expect(u.Status.ID).To(Equal("u1"))
	g.Expect(u.Status.Adopted).To(BeTrue())
	g.Expect(meta.IsStatusConditionTrue(u.Status.Conditions, v1.ConditionReady)).To(BeTrue())
	g.Expect(meta.FindStatusCondition(u.Status.Conditions, v1.ConditionReady).Reason).To(Equal(v1.ReasonSynced))
	g.Expect(env.scim.Calls()).To(BeEmpty(), "the listed user already matches the spec")
	g.Expect(env.events()).To(Equal([]string{`Normal Adopted Adopted existing user "alice@example.com" (SCIM id u1)`}))
}

// ---- create ----------------------------------------------------------------

func TestStepCreateRecordsTheMarkerBeforeCreating(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, nil, stepAccount(stepAccountName), stepUser("alice"))
	e := env.userEngine()
	markerSeen := false
	env.scim.CreateUserFunc = func(_ context.Context, u scim.User) (*scim.User, error) {
		stored := env.stored(t, "alice")
		g.Expect(stored.Finalizers).To(ConsistOf(v1.Finalizer), "the finalizer is persisted before the create")
		cp := stored.Status.CreatePending
		g.Expect(cp).NotTo(BeNil(), "the create-pending marker is persisted before the create")
		g.Expect(cp.UID).To(Equal(types.UID("uid-alice")))
		g.Expect(cp.NaturalKey).To(Equal(stepUserKey))
		markerSeen = true
		g.Expect(u.UserName).To(Equal(stepUserName))
		u.ID = "u9"
		return &u, nil
	}

	res, err := e.Reconcile(env.ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: stepNamespace, Name: "alice"}})

	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.RequeueAfter).To(BeNumerically(">=", env.acc.SyncInterval))
	g.Expect(markerSeen).To(BeTrue())
	g.Expect(env.scim.Calls()).To(Equal([]string{"CreateUser(alice@example.com)"}),
		"no PATCH: the created object is recorded in the inventory with what was sent")
	u := env.stored(t, "alice")
	g.Expect(u.Status.ID).To(Equal("u9"))
	g.Expect(u.Status.Adopted).To(BeFalse())
	g.Expect(u.Status.CreatePending).To(BeNil(), "the marker goes once the id is recorded")
	g.Expect(meta.IsStatusConditionTrue(u.Status.Conditions, v1.ConditionReady)).To(BeTrue())
	g.Expect(env.events()).To(Equal([]string{`Normal Created Created user "alice@example.com" (SCIM id u9)`}))
}

func TestStepCreateRecordsIDAndCreatedEvent(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, nil, stepUser("alice", withFinalizer))
	env.scim.CreateUserFunc = func(_ context.Context, u scim.User) (*scim.User, error) {
		u.ID = "u9"
		return &u, nil
	}
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := runSteps(env.ctx, s, userSteps(e.locate, e.ensureFinalizer, e.create))

	expectOutcome(g, o, proceed, "")
	g.Expect(s.cur).NotTo(BeNil())
	g.Expect(s.cur.ID).To(Equal("u9"))
	g.Expect(s.obj.GetIdentityStatus().ID).To(Equal("u9"))
	g.Expect(s.obj.GetIdentityStatus().CreatePending).NotTo(BeNil(), "finish drops the marker with the status patch that records the id")
	g.Expect(s.evt).To(Equal(&event{reason: v1.EventCreated, message: `Created user "alice@example.com" (SCIM id u9)`}))
	inv, ok := env.acc.Inventory.UserByID("u9")
	g.Expect(ok).To(BeTrue(), "the create is recorded in the inventory")
	g.Expect(inv.UserName).To(Equal(stepUserName))
	g.Expect(env.acc.Inventory.Shielded("u9")).To(BeTrue())
	g.Expect(env.scim.Calls()).To(Equal([]string{"CreateUser(alice@example.com)"}))
}

func TestStepCreateConflictWithoutOwnMarkerDropsMarkerAndReportsAlreadyExists(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, nil, stepUser("alice", withFinalizer))
	env.scim.CreateUserFunc = func(context.Context, scim.User) (*scim.User, error) {
		g.Expect(env.stored(t, "alice").Status.CreatePending).NotTo(BeNil())
		return nil, scimtest.HTTPError(409)
	}
	env.scim.FindUserByUserNameFunc = func(_ context.Context, userName string) (*scim.User, error) {
		g.Expect(env.stored(t, "alice").Status.CreatePending).To(BeNil(), "the marker is dropped before the lookup")
		u := remoteAlice("u1")
		return &u, nil
	}
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := runSteps(env.ctx, s, userSteps(e.locate, e.ensureFinalizer, e.create))

	expectOutcome(g, o, blockedKind, v1.ReasonAlreadyExists)
	g.Expect(o.requeueAfter).To(Equal(blockedWait))
	g.Expect(env.scim.Calls()).To(Equal([]string{"CreateUser(alice@example.com)", "FindUserByUserName(alice@example.com)"}))
	g.Expect(s.obj.GetIdentityStatus().CreatePending).To(BeNil())
	g.Expect(env.stored(t, "alice").Status.CreatePending).To(BeNil(),
		"the existing object must never later be taken for one of ours")
	g.Expect(s.obj.GetIdentityStatus().ID).To(BeEmpty())
	g.Expect(s.cur).To(BeNil())
	_, listed := env.acc.Inventory.UserByID("u1")
	g.Expect(listed).To(BeTrue(), "the lookup's answer is recorded in the inventory")
}

func TestStepCreateConflictWithNothingVisibleWaits(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, nil, stepUser("alice", withFinalizer))
	env.scim.CreateUserFunc = func(context.Context, scim.User) (*scim.User, error) { return nil, scimtest.HTTPError(409) }
	env.scim.FindUserByUserNameFunc = func(context.Context, string) (*scim.User, error) { return nil, nil }
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := runSteps(env.ctx, s, userSteps(e.locate, e.ensureFinalizer, e.create))

	expectOutcome(g, o, waiting, v1.ReasonProgressing)
	g.Expect(o.requeueAfter).To(Equal(createRetry))
	g.Expect(o.err).NotTo(HaveOccurred())
	g.Expect(env.scim.Calls()).To(Equal([]string{"CreateUser(alice@example.com)", "FindUserByUserName(alice@example.com)"}))
	g.Expect(env.stored(t, "alice").Status.CreatePending).To(BeNil())
	g.Expect(s.obj.GetIdentityStatus().ID).To(BeEmpty())
}

func TestStepCreateConflictWithOwnMarkerKeepsItAndTakesTheObject(t *testing.T) {
	// A create of ours that may have succeeded unrecorded: neither the
	// inventory nor the first lookup shows it, the repeated create is refused,
	// and the second lookup finds it.
	g := NewWithT(t)
	env := newStepEnv(t, nil, stepUser("alice", withFinalizer, withMarker("uid-alice", stepUserKey)))
	lookups := 0
	env.scim.FindUserByUserNameFunc = func(context.Context, string) (*scim.User, error) {
		if lookups++; lookups == 1 {
			return nil, nil
		}
		u := remoteAlice("u1")
		return &u, nil
	}
	env.scim.CreateUserFunc = func(context.Context, scim.User) (*scim.User, error) { return nil, scimtest.HTTPError(409) }
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := runSteps(env.ctx, s, userSteps(e.locate, e.ensureFinalizer, e.create))

	expectOutcome(g, o, proceed, "")
	g.Expect(env.scim.Calls()).To(Equal([]string{
		"FindUserByUserName(alice@example.com)", "CreateUser(alice@example.com)", "FindUserByUserName(alice@example.com)",
	}))
	st := s.obj.GetIdentityStatus()
	g.Expect(st.ID).To(Equal("u1"))
	g.Expect(st.Adopted).To(BeFalse())
	g.Expect(s.evt).To(BeNil(), "taking back our own create is not an adoption")
	cp := env.stored(t, "alice").Status.CreatePending
	g.Expect(cp).NotTo(BeNil(), "our own marker stays until the id is recorded")
	g.Expect(cp.UID).To(Equal(types.UID("uid-alice")))
}

// ---- ownCreate -------------------------------------------------------------

func TestStepOwnCreateMarkerTakesTheObjectAsOwn(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, []scim.User{remoteAlice("u1")},
		stepAccount(stepAccountName),
		stepUser("alice", withFinalizer, withMarker("uid-alice", stepUserKey)))
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := e.locate(env.ctx, s)

	expectOutcome(g, o, proceed, "")
	g.Expect(s.ownCreate).To(BeTrue())
	st := s.obj.GetIdentityStatus()
	g.Expect(st.ID).To(Equal("u1"))
	g.Expect(st.Adopted).To(BeFalse())
	g.Expect(s.evt).To(BeNil())
	g.Expect(env.scim.Calls()).To(BeEmpty())

	// The whole reconcile records the id, drops the marker, and emits no Adopted event.
	res, err := e.Reconcile(env.ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: stepNamespace, Name: "alice"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.RequeueAfter).To(BeNumerically(">=", env.acc.SyncInterval))
	u := env.stored(t, "alice")
	g.Expect(u.Status.ID).To(Equal("u1"))
	g.Expect(u.Status.Adopted).To(BeFalse())
	g.Expect(u.Status.CreatePending).To(BeNil())
	g.Expect(env.events()).To(BeEmpty(), "taking back our own create is not an adoption: no Adopted event")
	g.Expect(env.scim.Calls()).To(BeEmpty())
}

func TestStepOwnCreateMarkerOfAnotherUIDIsAlreadyExists(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, []scim.User{remoteAlice("u1")},
		stepUser("alice", withFinalizer, withMarker("uid-of-a-deleted-alice", stepUserKey)))
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := e.locate(env.ctx, s)

	expectOutcome(g, o, blockedKind, v1.ReasonAlreadyExists)
	g.Expect(s.ownCreate).To(BeFalse())
	g.Expect(s.obj.GetIdentityStatus().ID).To(BeEmpty())
	g.Expect(env.scim.Calls()).To(BeEmpty())
}

func TestStepOwnCreateMarkerForAnotherKeyIsAlreadyExists(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, []scim.User{remoteAlice("u1")},
		stepUser("alice", withFinalizer, withMarker("uid-alice", "userName=bob@example.com")))
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := e.locate(env.ctx, s)

	expectOutcome(g, o, blockedKind, v1.ReasonAlreadyExists)
	g.Expect(s.ownCreate).To(BeFalse())
	g.Expect(env.scim.Calls()).To(BeEmpty())
}

// ---- claimID ---------------------------------------------------------------

func TestStepClaimIDHeldThroughAnotherDatabricksAccountIsConflict(t *testing.T) {
	g := NewWithT(t)
	holder := stepUser("holder", withFinalizer, withID("u1"), func(u *v1.User) {
		u.Namespace = "team-b"
		u.Spec.AccountRef.Name = "acct-b"
		u.Spec.UserName = "bob@example.com"
	})
	env := newStepEnv(t, []scim.User{remoteAlice("u1")},
		stepNamespaceObj(nil),
		stepAccount(stepAccountName, func(a *v1.DatabricksAccount) {
			a.Spec.Permissions = &v1.AccountPermissions{Adoption: &v1.NamespacePermission{NamespaceSelector: &metav1.LabelSelector{}}}
		}),
		stepAccount("acct-b", func(a *v1.DatabricksAccount) { a.Spec.Host = stepHost + "/" }), // same account, other spelling
		holder,
		stepUser("alice", withIfExists))
	e := env.userEngine()

	s := env.userState(t, e, "alice")
	o := runSteps(env.ctx, s, userSteps(e.locate, e.claimID))
	expectOutcome(g, o, blockedKind, v1.ReasonConflict)
	g.Expect(o.requeueAfter).To(Equal(blockedWait))
	g.Expect(o.message).To(Equal("User team-b/holder already holds SCIM id u1; this resource will not write to it"))
	g.Expect(s.obj.GetIdentityStatus().ID).To(BeEmpty(), "the id is not recorded")
	g.Expect(s.obj.GetIdentityStatus().Adopted).To(BeFalse())

	res, err := e.Reconcile(env.ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: stepNamespace, Name: "alice"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.RequeueAfter).To(Equal(blockedWait))
	u := env.stored(t, "alice")
	g.Expect(u.Status.ID).To(BeEmpty())
	g.Expect(u.Status.Adopted).To(BeFalse())
	g.Expect(meta.FindStatusCondition(u.Status.Conditions, v1.ConditionReady).Reason).To(Equal(v1.ReasonConflict))
	g.Expect(meta.IsStatusConditionTrue(u.Status.Conditions, v1.ConditionStalled)).To(BeTrue())
	g.Expect(env.scim.Calls()).To(BeEmpty(), "no PATCH to an object another resource holds")
	g.Expect(env.events()).To(ConsistOf(HavePrefix("Warning Conflict ")), "no Adopted event for an adoption that was refused")
	g.Expect(env.c.Get(env.ctx, client.ObjectKeyFromObject(holder), holder)).To(Succeed())
	g.Expect(holder.Status.ID).To(Equal("u1"), "the holder keeps its id")
}

// ---- checkPermissions --------------------------------------------------------

func TestStepCheckPermissions(t *testing.T) {
	everyNamespace := &metav1.LabelSelector{}
	tests := []struct {
		name   string
		perms  *v1.AccountPermissions
		user   func(*v1.User)
		want   outcomeKind
		reason string
		field  string
	}{
		{"accountAdmin without permissions", nil, wantsAdmin, blockedKind, v1.ReasonNotPermitted, "accountAdmin"},
		{"accountAdmin with a grant without a selector", &v1.AccountPermissions{AccountAdmin: &v1.NamespacePermission{}},
			wantsAdmin, blockedKind, v1.ReasonNotPermitted, "accountAdmin"},
		{"accountAdmin granted to other namespaces", &v1.AccountPermissions{AccountAdmin: &v1.NamespacePermission{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "b"}}}},
			wantsAdmin, blockedKind, v1.ReasonNotPermitted, "accountAdmin"},
		{"accountAdmin granted to every namespace", &v1.AccountPermissions{AccountAdmin: &v1.NamespacePermission{NamespaceSelector: everyNamespace}},
			wantsAdmin, proceed, "", ""},
		{"accountAdmin granted to this namespace's labels", &v1.AccountPermissions{AccountAdmin: &v1.NamespacePermission{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}}},
			wantsAdmin, proceed, "", ""},
		{"accountAdmin false needs nothing", nil, func(u *v1.User) { u.Spec.AccountAdmin = new(false) }, proceed, "", ""},
		{"adoption without permissions", nil, withIfExists, blockedKind, v1.ReasonNotPermitted, "adoption"},
		{"adoption granted, accountAdmin not", &v1.AccountPermissions{Adoption: &v1.NamespacePermission{NamespaceSelector: everyNamespace}},
			func(u *v1.User) { withIfExists(u); wantsAdmin(u) }, blockedKind, v1.ReasonNotPermitted, "accountAdmin"},
		{"adoption granted to every namespace", &v1.AccountPermissions{Adoption: &v1.NamespacePermission{NamespaceSelector: everyNamespace}},
			withIfExists, proceed, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			env := newStepEnv(t, nil,
				stepNamespaceObj(map[string]string{"team": "a"}),
				stepAccount(stepAccountName, func(a *v1.DatabricksAccount) { a.Spec.Permissions = tt.perms }),
				stepUser("alice", tt.user))
			e := env.userEngine()
			s := env.userState(t, e, "alice")

			o := e.checkPermissions(env.ctx, s)

			expectOutcome(g, o, tt.want, tt.reason)
			if tt.want == blockedKind {
				g.Expect(o.requeueAfter).To(Equal(blockedWait))
				g.Expect(o.message).To(ContainSubstring("spec.permissions." + tt.field + ".namespaceSelector"))
			}
			g.Expect(env.scim.Calls()).To(BeEmpty(), "permissions are checked before any SCIM call")
		})
	}
}

func wantsAdmin(u *v1.User) { u.Spec.AccountAdmin = new(true) }

// ---- applyDeletionPolicy -----------------------------------------------------

func TestStepApplyDeletionPolicy(t *testing.T) {
	tests := []struct {
		name     string
		policy   v1.PrincipalDeletionPolicy
		answer   error
		calls    []string
		want     outcomeKind
		reason   string
		released bool
		event    string
	}{
		{"deactivate refused with 400 backs off", v1.PrincipalDeactivate, scimtest.HTTPError(400),
			[]string{"PatchUser(u1)"}, retrying, v1.ReasonDeleting, false, ""},
		{"delete refused with 400 backs off", v1.PrincipalDelete, scimtest.HTTPError(400),
			[]string{"DeleteUser(u1)"}, retrying, v1.ReasonDeleting, false, ""},
		{"deactivate answered 404 is done", v1.PrincipalDeactivate, scimtest.HTTPError(404),
			[]string{"PatchUser(u1)"}, proceed, "", true, ""},
		{"delete answered 404 is done", v1.PrincipalDelete, scimtest.HTTPError(404),
			[]string{"DeleteUser(u1)"}, proceed, "", true, ""},
		{"deactivate", v1.PrincipalDeactivate, nil,
			[]string{"PatchUser(u1)"}, proceed, "", true, `Normal Deactivated Deactivated user "alice@example.com" (SCIM id u1)`},
		{"delete", v1.PrincipalDelete, nil,
			[]string{"DeleteUser(u1)"}, proceed, "", true, `Normal Deleted Deleted user "alice@example.com" (SCIM id u1)`},
		{"deactivate is the default", "", nil,
			[]string{"PatchUser(u1)"}, proceed, "", true, `Normal Deactivated Deactivated user "alice@example.com" (SCIM id u1)`},
		{"deactivate throttled waits", v1.PrincipalDeactivate, scimtest.HTTPError(429),
			[]string{"PatchUser(u1)"}, waiting, v1.ReasonThrottled, false, ""},
		{"retain makes no call", v1.PrincipalRetain, nil, nil, proceed, "", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			now := metav1.Now()
			deleting := func(u *v1.User) {
				u.Spec.DeletionPolicy = tt.policy
				u.DeletionTimestamp = &now
			}
			env := newStepEnv(t, []scim.User{remoteAlice("u1")},
				stepAccount(stepAccountName), stepUser("alice", withFinalizer, withID("u1"), deleting))
			// Only the call the policy makes is set up.
			var ops []scim.Operation
			switch tt.policy {
			case v1.PrincipalDelete:
				env.scim.DeleteUserFunc = func(context.Context, string) error { return tt.answer }
			case v1.PrincipalRetain:
			default:
				env.scim.PatchUserFunc = func(_ context.Context, _ string, o []scim.Operation) error {
					ops = o
					return tt.answer
				}
			}
			e := env.userEngine()
			s := env.userState(t, e, "alice")

			o := e.applyDeletionPolicy(env.ctx, s)

			expectOutcome(g, o, tt.want, tt.reason)
			g.Expect(env.scim.Calls()).To(Equal(tt.calls))
			if tt.want == retrying {
				g.Expect(o.err).To(HaveOccurred())
				g.Expect(o.message).To(HavePrefix("failed to apply the deletion policy: "))
				_, err := o.result()
				g.Expect(err).To(HaveOccurred())
				g.Expect(errors.Is(err, reconcile.TerminalError(nil))).To(BeFalse(), "a refused delete is retried with back-off, never abandoned")
			}
			if tt.policy != v1.PrincipalDelete && tt.policy != v1.PrincipalRetain {
				g.Expect(ops).To(Equal([]scim.Operation{scim.ReplaceActive(false)}))
			}
			if tt.answer == nil && tt.policy == v1.PrincipalDeactivate {
				inv, _ := env.acc.Inventory.UserByID("u1")
				g.Expect(inv.IsActive()).To(BeFalse(), "the deactivation is recorded in the inventory")
			}
			if tt.policy == v1.PrincipalDelete && (tt.answer == nil || scim.IsNotFound(tt.answer)) {
				_, listed := env.acc.Inventory.UserByID("u1")
				g.Expect(listed).To(BeFalse(), "a deleted user is forgotten")
			}
			if tt.event != "" {
				g.Expect(env.events()).To(Equal([]string{tt.event}))
			} else {
				g.Expect(env.events()).To(BeEmpty())
			}

			// The whole reconcile of the deleted object, from the stored state.
			env.scim.Reset()
			res, err := e.Reconcile(env.ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: stepNamespace, Name: "alice"}})
			g.Expect(env.scim.Calls()).To(Equal(tt.calls))
			u := &v1.User{}
			getErr := env.c.Get(env.ctx, types.NamespacedName{Namespace: stepNamespace, Name: "alice"}, u)
			if tt.released {
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(res).To(Equal(ctrl.Result{}))
				g.Expect(apierrorsIsNotFound(getErr)).To(BeTrue(), "the finalizer is released, so the object is gone")
				return
			}
			g.Expect(getErr).NotTo(HaveOccurred())
			g.Expect(u.Finalizers).To(ConsistOf(v1.Finalizer), "the object is kept until the policy is applied")
			ready := meta.FindStatusCondition(u.Status.Conditions, v1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Reason).To(Equal(tt.reason))
			g.Expect(meta.FindStatusCondition(u.Status.Conditions, v1.ConditionStalled)).To(BeNil())
			g.Expect(meta.IsStatusConditionTrue(u.Status.Conditions, v1.ConditionReconciling)).To(BeTrue())
			if tt.want == retrying {
				g.Expect(err).To(HaveOccurred())
				g.Expect(errors.Is(err, reconcile.TerminalError(nil))).To(BeFalse())
			} else {
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(res.RequeueAfter).To(Equal(time.Second))
			}
		})
	}
}

func TestStepApplyDeletionPolicySkipsAnIDAnotherResourceHolds(t *testing.T) {
	g := NewWithT(t)
	now := metav1.Now()
	older := stepUser("older", withFinalizer, withID("u1"), func(u *v1.User) {
		u.Namespace = "team-b"
		u.CreationTimestamp = metav1.NewTime(stepEpoch.Add(-time.Hour))
	})
	env := newStepEnv(t, []scim.User{remoteAlice("u1")},
		stepAccount(stepAccountName), older,
		stepUser("alice", withFinalizer, withID("u1"), func(u *v1.User) { u.DeletionTimestamp = &now }))
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := e.applyDeletionPolicy(env.ctx, s)

	expectOutcome(g, o, proceed, "")
	g.Expect(env.scim.Calls()).To(BeEmpty(), "an older resource holds the SCIM id: never deactivate it")
}

func TestStepApplyDeletionPolicySkipsAnIDEvenAYoungerResourceHolds(t *testing.T) {
	g := NewWithT(t)
	now := metav1.Now()
	// Same creationTimestamp, and "team-a-b/alice" sorts before "team-a/...":
	// the tie-break that decides who may write must not decide who may delete.
	younger := stepUser("owner", withFinalizer, withID("u1"), func(u *v1.User) {
		u.CreationTimestamp = metav1.NewTime(stepEpoch.Add(time.Hour))
	})
	env := newStepEnv(t, []scim.User{remoteAlice("u1")},
		stepAccount(stepAccountName), younger,
		stepUser("alice", withFinalizer, withID("u1"), func(u *v1.User) {
			u.DeletionTimestamp = &now
			u.Spec.DeletionPolicy = v1.PrincipalDelete
		}))
	e := env.userEngine()
	s := env.userState(t, e, "alice")

	o := e.applyDeletionPolicy(env.ctx, s)

	expectOutcome(g, o, proceed, "")
	g.Expect(env.scim.Calls()).To(BeEmpty(), "another resource holds the SCIM id: never delete it, whoever is older")
}

// ---- DatabricksAccount: verify, pingFailed, finalize -------------------------

// accountEnv is a DatabricksAccountReconciler whose registry hands out the
// scimtest client, with a labelled token Secret.
type accountEnv struct {
	ctx        context.Context
	c          client.WithWatch
	r          *DatabricksAccountReconciler
	scim       *scimtest.Client
	rec        *events.FakeRecorder
	newClients int
}

const stepLoopbackHost = "http://127.0.0.1:8443"

func newAccountEnv(t *testing.T, hosts scim.HostPolicy, objs ...client.Object) *accountEnv {
	t.Helper()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: stepSecretName, Namespace: stepSecretNS, ResourceVersion: "7",
			Labels: map[string]string{v1.LabelToken: "true"},
		},
		Data: map[string][]byte{"token": []byte("dapi-test\n")},
	}
	env := &accountEnv{
		ctx:  ctrl.LoggerInto(context.Background(), ctrl.Log),
		c:    newStepClient(t, append(objs, secret)...),
		scim: scimtest.New(t),
		rec:  events.NewFakeRecorder(32),
	}
	tokens := &account.TokenReader{Reader: env.c, Namespace: stepSecretNS}
	env.r = &DatabricksAccountReconciler{
		Client: env.c,
		Registry: &account.Registry{
			Tokens: tokens,
			NewClient: func(cfg scim.Config) (scim.Client, error) {
				env.newClients++
				return env.scim, nil
			},
			Hosts: hosts,
		},
		Tokens:   tokens,
		Recorder: env.rec,
	}
	return env
}

// unverifiedAccount is a new DatabricksAccount: no status, no finalizer.
func unverifiedAccount(host string) *v1.DatabricksAccount {
	a := stepAccount(stepAccountName, func(a *v1.DatabricksAccount) { a.Spec.Host = host })
	a.Status = v1.DatabricksAccountStatus{}
	return a
}

func (env *accountEnv) reconcile() (ctrl.Result, error) {
	return env.r.Reconcile(env.ctx, ctrl.Request{NamespacedName: types.NamespacedName{Name: stepAccountName}})
}

func (env *accountEnv) stored(t *testing.T) *v1.DatabricksAccount {
	t.Helper()
	a := &v1.DatabricksAccount{}
	if err := env.c.Get(env.ctx, types.NamespacedName{Name: stepAccountName}, a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestStepPingFailed(t *testing.T) {
	tests := []struct {
		status int
		want   outcomeKind
		reason string
		after  time.Duration
	}{
		{401, waiting, v1.ReasonTokenInvalid, accountWait},
		{403, waiting, v1.ReasonTokenInvalid, accountWait},
		{400, waiting, v1.ReasonTokenInvalid, accountWait},
		{404, waiting, v1.ReasonTokenInvalid, accountWait}, // a wrong account id or API path
		{429, waiting, v1.ReasonThrottled, time.Second},
		{502, retrying, v1.ReasonUnreachable, 0},
	}
	for _, tt := range tests {
		t.Run(scimtest.HTTPError(tt.status).Message, func(t *testing.T) {
			g := NewWithT(t)
			o := pingFailed(scimtest.HTTPError(tt.status))
			expectOutcome(g, o, tt.want, tt.reason)
			g.Expect(o.requeueAfter).To(Equal(tt.after))
			g.Expect(o.message).To(HavePrefix("failed to verify the SCIM token: "))
		})
	}
}

func TestStepAccountVerifyPingFailures(t *testing.T) {
	tests := []struct {
		status  int
		reason  string
		after   time.Duration
		wantErr bool
	}{
		{401, v1.ReasonTokenInvalid, accountWait, false},
		{403, v1.ReasonTokenInvalid, accountWait, false},
		{400, v1.ReasonTokenInvalid, accountWait, false},
		{429, v1.ReasonThrottled, time.Second, false},
		{502, v1.ReasonUnreachable, 0, true},
	}
	for _, tt := range tests {
		t.Run(scimtest.HTTPError(tt.status).Message, func(t *testing.T) {
			g := NewWithT(t)
			env := newAccountEnv(t, scim.HostPolicy{AllowLoopback: true}, unverifiedAccount(stepLoopbackHost))
			env.scim.PingFunc = func(context.Context) error { return scimtest.HTTPError(tt.status) }

			res, err := env.reconcile()

			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
				g.Expect(errors.Is(err, reconcile.TerminalError(nil))).To(BeFalse(), "an outage backs off")
			} else {
				g.Expect(err).NotTo(HaveOccurred(), "a refused token waits for a new one, without an error")
				g.Expect(res.RequeueAfter).To(Equal(tt.after))
			}
			g.Expect(env.scim.Calls()).To(Equal([]string{"Ping"}))
			a := env.stored(t)
			g.Expect(a.Finalizers).To(ConsistOf(v1.Finalizer))
			g.Expect(a.Status.LastVerifiedTime).To(BeNil())
			ready := meta.FindStatusCondition(a.Status.Conditions, v1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(ready.Reason).To(Equal(tt.reason))
			g.Expect(meta.IsStatusConditionTrue(a.Status.Conditions, v1.ConditionReconciling)).To(BeTrue())
			g.Expect(meta.FindStatusCondition(a.Status.Conditions, v1.ConditionStalled)).To(BeNil())
			g.Expect(drainEvents(env.rec)).To(ConsistOf(HavePrefix("Warning " + tt.reason + " failed to verify the SCIM token: ")))

			// Not remembered as verified: the next reconcile pings again.
			_, _ = env.reconcile()
			g.Expect(env.scim.Count("Ping")).To(Equal(2))
		})
	}
}

func TestStepAccountVerifyHostNotAllowedSendsNothing(t *testing.T) {
	g := NewWithT(t)
	env := newAccountEnv(t, scim.HostPolicy{Allowed: []string{"accounts.azuredatabricks.net"}}, unverifiedAccount(stepHost))

	res, err := env.reconcile()

	g.Expect(err).To(HaveOccurred())
	g.Expect(errors.Is(err, reconcile.TerminalError(nil))).To(BeTrue(), "nothing to do until the spec or the allow list changes")
	g.Expect(res).To(Equal(ctrl.Result{}))
	g.Expect(env.scim.Calls()).To(BeEmpty())
	g.Expect(env.newClients).To(BeZero(), "a refused host gets no client at all")
	a := env.stored(t)
	ready := meta.FindStatusCondition(a.Status.Conditions, v1.ConditionReady)
	g.Expect(ready).NotTo(BeNil())
	g.Expect(ready.Reason).To(Equal(v1.ReasonHostNotAllowed))
	g.Expect(meta.IsStatusConditionTrue(a.Status.Conditions, v1.ConditionStalled)).To(BeTrue())
	g.Expect(a.Status.ObservedGeneration).To(Equal(int64(1)))

	// The same through the step itself.
	o := env.r.verify(env.ctx, &accountState{acct: a, secretVersion: "7"})
	expectOutcome(g, o, stalledKind, v1.ReasonHostNotAllowed)
	g.Expect(env.scim.Calls()).To(BeEmpty())
}

func TestStepAccountVerifyConnectsOnceAndRemembers(t *testing.T) {
	g := NewWithT(t)
	env := newAccountEnv(t, scim.HostPolicy{AllowLoopback: true}, unverifiedAccount(stepLoopbackHost))
	env.scim.PingFunc = func(context.Context) error { return nil }

	res, err := env.reconcile()

	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.RequeueAfter).To(BeNumerically(">=", account.DefaultSyncInterval))
	a := env.stored(t)
	g.Expect(a.Status.LastVerifiedTime).NotTo(BeNil())
	g.Expect(meta.FindStatusCondition(a.Status.Conditions, v1.ConditionReady).Reason).To(Equal(v1.ReasonConnected))
	g.Expect(meta.IsStatusConditionTrue(a.Status.Conditions, v1.ConditionReady)).To(BeTrue())
	g.Expect(drainEvents(env.rec)).To(ConsistOf(HavePrefix("Normal Connected ")))

	_, err = env.reconcile()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env.scim.Calls()).To(Equal([]string{"Ping"}), "the same spec and Secret were verified within the sync interval")
	g.Expect(env.newClients).To(Equal(1))
}

func TestStepAccountFinalize(t *testing.T) {
	g := NewWithT(t)
	now := metav1.Now()
	acct := stepAccount(stepAccountName, func(a *v1.DatabricksAccount) {
		controllerutil.AddFinalizer(a, v1.Finalizer)
		a.DeletionTimestamp = &now
	})
	env := newAccountEnv(t, scim.HostPolicy{AllowLoopback: true}, acct, stepUser("alice"))

	res, err := env.reconcile()

	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.RequeueAfter).To(Equal(inUseWait))
	a := env.stored(t)
	g.Expect(a.Finalizers).To(ConsistOf(v1.Finalizer))
	g.Expect(a.Status.Identities.Users).To(Equal(int32(1)))
	g.Expect(meta.FindStatusCondition(a.Status.Conditions, v1.ConditionReady).Reason).To(Equal(v1.ReasonInUse))

	g.Expect(env.c.Delete(env.ctx, stepUser("alice"))).To(Succeed())
	res, err = env.reconcile()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res).To(Equal(ctrl.Result{}))
	g.Expect(apierrorsIsNotFound(env.c.Get(env.ctx, types.NamespacedName{Name: stepAccountName}, &v1.DatabricksAccount{}))).To(BeTrue())
	g.Expect(env.scim.Calls()).To(BeEmpty(), "an account being deleted is never pinged")
}

// refusingStatusClient refuses, as Invalid, every status patch that carries
// conditions: a status too large for the API server.
type refusingStatusClient struct {
	client.WithWatch
	refused int
}

func (c *refusingStatusClient) Status() client.SubResourceWriter {
	return &refusingStatusWriter{SubResourceWriter: c.WithWatch.Status(), c: c}
}

type refusingStatusWriter struct {
	client.SubResourceWriter
	c *refusingStatusClient
}

func (w *refusingStatusWriter) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	data, err := patch.Data(obj)
	if err != nil {
		return err
	}
	if bytes.Contains(data, []byte(`"conditions"`)) {
		w.c.refused++
		return apierrors.NewInvalid(v1.GroupVersion.WithKind("User").GroupKind(), obj.GetName(),
			field.ErrorList{field.TooLong(field.NewPath("status", "conditions"), "", v1.MaxMessageLength)})
	}
	return w.SubResourceWriter.Patch(ctx, obj, patch, opts...)
}

func TestStepFinishRecordsTheIDWhenStatusIsRefused(t *testing.T) {
	g := NewWithT(t)
	env := newStepEnv(t, nil, stepUser("alice", withFinalizer))
	refusing := &refusingStatusClient{WithWatch: env.c}
	env.c = refusing
	env.scim.CreateUserFunc = func(_ context.Context, u scim.User) (*scim.User, error) {
		u.ID = "u9"
		return &u, nil
	}
	e := env.userEngine()
	s := env.userState(t, e, "alice")
	o := runSteps(env.ctx, s, userSteps(e.locate, e.ensureFinalizer, e.create, e.summarize))
	expectOutcome(g, o, converged, v1.ReasonSynced)

	g.Expect(e.finish(env.ctx, s, o)).To(Succeed())
	g.Expect(refusing.refused).To(Equal(1), "the full status was refused once")
	stored := env.stored(t, "alice")
	g.Expect(stored.Status.ID).To(Equal("u9"), "the SCIM id is recorded anyway, so the deletion policy can find the object")
	g.Expect(stored.Status.CreatePending).To(BeNil())
	g.Expect(controllerutil.ContainsFinalizer(stored, v1.Finalizer)).To(BeTrue())
}

// groupUpdateEnv is a Group named team, created at created, whose members
// are the User alice (SCIM id u-alice) and the User bob, which does not
// exist; the remote group holds u-alice and u-bob.
func groupUpdateEnv(t *testing.T, created time.Time) (*stepEnv, *groupRemote, scim.Group) {
	t.Helper()
	g := &v1.Group{
		ObjectMeta: metav1.ObjectMeta{Name: "team", Namespace: stepNamespace, UID: "uid-team", Generation: 1, CreationTimestamp: metav1.NewTime(created)},
		Spec: v1.GroupSpec{
			AccountRef: v1.AccountReference{Name: stepAccountName}, DisplayName: "team",
			Members: []v1.GroupMember{{UserRef: &v1.LocalObjectReference{Name: "alice"}}, {UserRef: &v1.LocalObjectReference{Name: "bob"}}},
		},
	}
	g.Status.ID = "g-team"
	env := newStepEnv(t, nil, g, stepUser("alice", withID("u-alice")))
	env.acc.Client = env.scim
	r := newGroupRemote(env.c, 30*time.Second)(g, env.acc).(*groupRemote)
	cur := scim.Group{ID: "g-team", DisplayName: "team", Members: []scim.ComplexValue{{Value: "u-alice"}, {Value: "u-bob"}}}
	return env, r, cur
}

func TestStepGroupUpdateWithinTheGraceWindowRemovesNoMember(t *testing.T) {
	g := NewWithT(t)
	env, r, cur := groupUpdateEnv(t, time.Now())
	// No PatchGroupFunc: any PATCH fails the test.
	after, changed, err := r.update(env.ctx, &cur)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(changed).To(BeEmpty())
	g.Expect(after.MemberIDs()).To(ConsistOf("u-alice", "u-bob"))
	reason, msg, recheck, partial := r.unapplied()
	g.Expect(partial).To(BeTrue())
	g.Expect(reason).To(Equal(v1.ReasonMembersUnresolved))
	g.Expect(msg).To(HavePrefix("No members are removed within 30s of the group's creation while member resources do not exist yet (userRef:bob); "))
	g.Expect(msg).To(ContainSubstring("(userRef:bob)"))
	g.Expect(recheck).To(BeNumerically(">", 0))
	g.Expect(recheck).To(BeNumerically("<=", 30*time.Second+100*time.Millisecond))
}

func TestStepGroupUpdateAfterTheGraceWindowRemovesWhatDoesNotResolve(t *testing.T) {
	g := NewWithT(t)
	env, r, cur := groupUpdateEnv(t, time.Now().Add(-time.Minute))
	var sent [][]scim.Operation
	env.scim.PatchGroupFunc = func(_ context.Context, id string, ops []scim.Operation) error {
		g.Expect(id).To(Equal("g-team"))
		sent = append(sent, ops)
		return nil
	}
	after, changed, err := r.update(env.ctx, &cur)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(changed).To(ConsistOf("members"))
	g.Expect(after.MemberIDs()).To(ConsistOf("u-alice"))
	g.Expect(sent).To(HaveLen(1))
	g.Expect(sent[0]).To(HaveLen(1))
	g.Expect(sent[0][0].Op).To(Equal("remove"))
	_, msg, recheck, partial := r.unapplied()
	g.Expect(partial).To(BeTrue())
	g.Expect(msg).NotTo(ContainSubstring("No members are removed"))
	g.Expect(recheck).To(BeZero())
}
