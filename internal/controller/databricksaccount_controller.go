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
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
	"github.com/scimops/databricks-scim-operator/internal/metrics"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// inUseWait is how often a deleted account re-checks for remaining identities.
const inUseWait = 30 * time.Second

// DatabricksAccountReconciler verifies each account's token and reports the
// identities bound to it.
type DatabricksAccountReconciler struct {
	client.Client
	Registry *account.Registry
	Tokens   *account.TokenReader
	Recorder events.EventRecorder
	Options  controller.Options
	// Informers, when set, is the manager's cache: identities are counted
	// in place there instead of listed (see cachedReader).
	Informers cache.Informers

	verified account.Verifications
}

// accountState is one account reconcile's working state.
type accountState struct {
	acct          *v1.DatabricksAccount
	counts        v1.IdentityCounts
	secretVersion string
}

type accountStep func(ctx context.Context, s *accountState) outcome

// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=databricksaccounts,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=databricksaccounts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=databricksaccounts/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",namespace=system,resources=secrets,verbs=get;list;watch

// Reconcile verifies one DatabricksAccount: count its identities, then
// either hold its deletion while identities remain, or add the finalizer and
// verify the token. Status is patched once.
func (r *DatabricksAccountReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, ReconcileTimeout)
	defer cancel()
	var acct v1.DatabricksAccount
	if err := r.Get(ctx, req.NamespacedName, &acct); err != nil {
		if client.IgnoreNotFound(err) == nil {
			r.forget(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := acct.DeepCopy()
	s := &accountState{acct: &acct}
	steps := []accountStep{r.countIdentities, r.ensureFinalizer, r.checkToken, r.verify}
	if !acct.DeletionTimestamp.IsZero() {
		steps = []accountStep{r.countIdentities, r.finalize}
	}
	o := runSteps(ctx, s, steps)
	if o.kind == released {
		return ctrl.Result{}, nil
	}
	if err := r.finish(ctx, &acct, before, o); err != nil {
		return ctrl.Result{}, err
	}
	return o.result()
}

// countIdentities records the identities bound to the account and exports
// their readiness.
func (r *DatabricksAccountReconciler) countIdentities(ctx context.Context, s *accountState) outcome {
	reader := cachedReader{r.Informers, r.Client}
	tallies := make(map[string]metrics.Readiness, len(identityKinds))
	for _, k := range identityKinds {
		var rd metrics.Readiness
		// Read in place: this runs after every few identity changes of a sync.
		if err := reader.forEach(ctx, k, "", indexAccount, s.acct.Name, func(o client.Object) { tallyReadiness(&rd, o) }); err != nil {
			return retry(v1.ReasonUnreachable, "failed to count identities: "+err.Error(), err)
		}
		tallies[k.kindName] = rd
	}
	for kind, rd := range tallies {
		metrics.RecordReadiness(s.acct.Name, kind, rd)
	}
	total := func(k kind) int32 { return int32(tallies[k.kindName].Ready + tallies[k.kindName].NotReady) }
	s.counts = v1.IdentityCounts{Users: total(userKind), Groups: total(groupKind), ServicePrincipals: total(servicePrincipalKind)}
	s.acct.Status.Identities = s.counts
	return next()
}

func (r *DatabricksAccountReconciler) ensureFinalizer(ctx context.Context, s *accountState) outcome {
	if controllerutil.ContainsFinalizer(s.acct, v1.Finalizer) {
		return next()
	}
	patch := client.MergeFrom(s.acct.DeepCopy())
	controllerutil.AddFinalizer(s.acct, v1.Finalizer)
	if err := r.Patch(ctx, s.acct, patch); err != nil {
		return retry(v1.ReasonProgressing, "failed to add the finalizer: "+err.Error(), err)
	}
	return next()
}

// checkToken checks that the token Secret exists, carries the token label
// and has the key; it forgets the last verification otherwise.
func (r *DatabricksAccountReconciler) checkToken(ctx context.Context, s *accountState) outcome {
	secret, err := r.Tokens.Secret(ctx, s.acct.Spec.TokenSecretRef)
	if err != nil {
		r.verified.Forget(s.acct.Name)
		var secretErr *account.SecretError
		if errors.As(err, &secretErr) {
			return wait(v1.ReasonTokenSecretNotFound, err.Error(), accountWait)
		}
		return retry(v1.ReasonUnreachable, err.Error(), err)
	}
	s.secretVersion = secret.ResourceVersion
	return next()
}

// verify checks the token with one cheap authenticated call, unless the same
// spec and Secret were verified within the sync interval. A host outside
// the allow list gets no request at all (HostNotAllowed).
func (r *DatabricksAccountReconciler) verify(ctx context.Context, s *accountState) outcome {
	acct := s.acct
	interval := account.SyncInterval(acct)
	connected := ready(v1.ReasonConnected, "The SCIM token authenticates against the account", interval, nil)
	if r.verified.Fresh(acct.Name, acct.Generation, s.secretVersion, interval) {
		return connected
	}
	acc, err := r.Registry.For(acct)
	if err != nil {
		return failed("use the account", err)
	}
	if err := acc.Client.Ping(ctx); err != nil {
		r.verified.Forget(acct.Name)
		return pingFailed(err)
	}
	now := metav1.Now()
	acct.Status.LastVerifiedTime = &now
	r.verified.Remember(acct.Name, acct.Generation, s.secretVersion, now.Time)
	return connected
}

// pingFailed classifies a failed token check: any refusal other than
// throttling or an outage is a credentials problem, and waits for a new
// token (the Secret watch wakes it) rather than hammering the endpoint.
func pingFailed(err error) outcome {
	o := failed("verify the SCIM token", err)
	// A 404 here is no object gone missing: the account id or API path is wrong.
	if o.reason == v1.ReasonInvalidSpec || o.reason == v1.ReasonTokenInvalid || scim.IsNotFound(err) {
		return wait(v1.ReasonTokenInvalid, o.message, accountWait)
	}
	return o
}

// finalize keeps the account while identities reference it.
func (r *DatabricksAccountReconciler) finalize(ctx context.Context, s *accountState) outcome {
	c := s.counts
	if n := c.Users + c.Groups + c.ServicePrincipals; n > 0 {
		return wait(v1.ReasonInUse, fmt.Sprintf("%d identities (%d users, %d groups, %d service principals) still reference this account; delete them first",
			n, c.Users, c.Groups, c.ServicePrincipals), inUseWait)
	}
	patch := client.MergeFrom(s.acct.DeepCopy())
	controllerutil.RemoveFinalizer(s.acct, v1.Finalizer)
	if err := r.Patch(ctx, s.acct, patch); client.IgnoreNotFound(err) != nil {
		return retry(v1.ReasonInUse, err.Error(), err)
	}
	r.forget(s.acct.Name)
	return release()
}

// forget drops what this manager holds for an account it no longer
// reconciles: deleted, or (sharded) moved to another shard's selector.
func (r *DatabricksAccountReconciler) forget(name string) {
	r.Registry.Forget(name)
	r.verified.Forget(name)
	metrics.ForgetAccount(name)
}

// recordReadiness exports how many identities of a kind are Ready, and since
// when the longest-waiting other one (not suspended) has not been.
func tallyReadiness(r *metrics.Readiness, o client.Object) {
	id := o.(v1.Identity)
	c := meta.FindStatusCondition(id.GetIdentityStatus().Conditions, v1.ConditionReady)
	if c != nil && c.Status == metav1.ConditionTrue {
		r.Ready++
		return
	}
	r.NotReady++
	if id.IsSuspended() {
		return
	}
	since := o.GetCreationTimestamp().Time
	if c != nil {
		since = c.LastTransitionTime.Time
	}
	if r.OldestNotReady.IsZero() || since.Before(r.OldestNotReady) {
		r.OldestNotReady = since
	}
}

func (r *DatabricksAccountReconciler) finish(ctx context.Context, acct *v1.DatabricksAccount, before *v1.DatabricksAccount, o outcome) error {
	readyChanged := setConditions(&acct.Status.Conditions, acct.Generation, o)
	if o.concluded() {
		acct.Status.ObservedGeneration = acct.Generation
	}
	metrics.RecordAccount(acct.Name, o.ready(), o.reason, account.SyncInterval(acct))
	if readyChanged {
		eventType := corev1.EventTypeNormal
		if !o.ready() {
			eventType = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(acct, nil, eventType, o.reason, "Verify", "%s", truncate(o.message, v1.MaxMessageLength))
	}
	if equality.Semantic.DeepEqual(before.Status, acct.Status) {
		return nil
	}
	return client.IgnoreNotFound(r.Status().Patch(ctx, acct, client.MergeFrom(before)))
}

// SetupWithManager watches accounts, the token Secrets in the operator's
// namespace (rotation takes effect at once), and identities coming and going.
func (r *DatabricksAccountReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1.DatabricksAccount{}, builder.WithPredicates(specOrRequestChanged())).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.accountsUsingSecret)).
		Watches(&v1.User{}, recountAccountOf(), builder.WithPredicates(countsOrReadinessChanged())).
		Watches(&v1.ServicePrincipal{}, recountAccountOf(), builder.WithPredicates(countsOrReadinessChanged())).
		Watches(&v1.Group{}, recountAccountOf(), builder.WithPredicates(countsOrReadinessChanged())).
		WithOptions(r.Options).
		Named("databricksaccount").
		Complete(r)
}

func (r *DatabricksAccountReconciler) accountsUsingSecret(ctx context.Context, obj client.Object) []reconcile.Request {
	if obj.GetNamespace() != r.Tokens.Namespace {
		return nil
	}
	var accts v1.DatabricksAccountList
	if err := r.List(ctx, &accts); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list accounts for a Secret change")
		return nil
	}
	var reqs []reconcile.Request
	for _, a := range accts.Items {
		if a.Spec.TokenSecretRef.Name == obj.GetName() {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: a.Name}})
		}
	}
	return reqs
}
