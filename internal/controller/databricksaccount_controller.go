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
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	cevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// inUseWait is how often a deleted account re-checks for remaining identities.
const inUseWait = 30 * time.Second

// DatabricksAccountReconciler verifies each account's token and reports the
// identities bound to it.
type DatabricksAccountReconciler struct {
	client.Client
	Registry *Registry
	Recorder eventRecorder
	Options  controller.Options

	mu       sync.Mutex
	verified map[string]verification
}

// verification remembers the last successful check, so identity churn
// (which re-counts) does not cost a SCIM call each time.
type verification struct {
	generation    int64
	secretVersion string
	at            time.Time
}

// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=databricksaccounts,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=databricksaccounts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=databricksaccounts/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",namespace=system,resources=secrets,verbs=get;list;watch

// Reconcile verifies one DatabricksAccount.
func (r *DatabricksAccountReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, ReconcileTimeout)
	defer cancel()
	var acct v1.DatabricksAccount
	if err := r.Get(ctx, req.NamespacedName, &acct); err != nil {
		if client.IgnoreNotFound(err) == nil {
			r.Registry.Forget(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := acct.DeepCopy()
	counts, err := r.countIdentities(ctx, acct.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	acct.Status.Identities = counts

	var o outcome
	switch {
	case !acct.DeletionTimestamp.IsZero():
		if o = r.finalize(ctx, &acct, counts); o.reason == "" {
			return ctrl.Result{}, nil
		}
	case !controllerutil.ContainsFinalizer(&acct, v1.Finalizer):
		patch := client.MergeFrom(acct.DeepCopy())
		controllerutil.AddFinalizer(&acct, v1.Finalizer)
		if err := r.Patch(ctx, &acct, patch); err != nil {
			return ctrl.Result{}, err
		}
		o = r.verify(ctx, &acct)
	default:
		o = r.verify(ctx, &acct)
	}
	if err := r.finish(ctx, &acct, before, o); err != nil {
		return ctrl.Result{}, err
	}
	return o.result()
}

// verify checks the token with one cheap authenticated call, unless the same
// spec and Secret were verified within the sync interval.
func (r *DatabricksAccountReconciler) verify(ctx context.Context, acct *v1.DatabricksAccount) outcome {
	secretVersion, o := r.secretVersion(ctx, acct)
	if o != nil {
		r.forgetVerification(acct.Name)
		return *o
	}
	interval := syncInterval(acct)
	if r.stillVerified(acct, secretVersion, interval) {
		return ready(v1.ReasonConnected, "The SCIM token authenticates against the account", interval)
	}
	acc, err := r.Registry.For(acct)
	if err != nil {
		return stalled(v1.ReasonInvalidSpec, err.Error())
	}
	if err := acc.Client.Ping(ctx); err != nil {
		r.forgetVerification(acct.Name)
		return r.pingFailed(err)
	}
	now := metav1.Now()
	acct.Status.LastVerifiedTime = &now
	r.mu.Lock()
	if r.verified == nil {
		r.verified = map[string]verification{}
	}
	r.verified[acct.Name] = verification{generation: acct.Generation, secretVersion: secretVersion, at: now.Time}
	r.mu.Unlock()
	return ready(v1.ReasonConnected, "The SCIM token authenticates against the account", interval)
}

func (r *DatabricksAccountReconciler) pingFailed(err error) outcome {
	o := failed("verify the SCIM token", err)
	if o.reason == v1.ReasonInvalidSpec { // a 4xx other than auth from the health check: still a credentials problem
		o = outcome{reason: v1.ReasonTokenInvalid, message: o.message, err: err}
	}
	if o.reason == v1.ReasonTokenInvalid {
		// Wait for a new token (the Secret watch wakes us) rather than hammering the endpoint.
		o.err, o.requeueAfter = nil, accountWait
	}
	return o
}

func (r *DatabricksAccountReconciler) stillVerified(acct *v1.DatabricksAccount, secretVersion string, interval time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.verified[acct.Name]
	return ok && v.generation == acct.Generation && v.secretVersion == secretVersion && time.Since(v.at) < interval
}

func (r *DatabricksAccountReconciler) forgetVerification(name string) {
	r.mu.Lock()
	delete(r.verified, name)
	r.mu.Unlock()
}

// secretVersion checks that the token Secret and key exist and returns the
// Secret's resourceVersion.
func (r *DatabricksAccountReconciler) secretVersion(ctx context.Context, acct *v1.DatabricksAccount) (string, *outcome) {
	var s corev1.Secret
	ref := acct.Spec.TokenSecretRef
	if err := r.Get(ctx, types.NamespacedName{Namespace: r.Registry.SecretNamespace, Name: ref.Name}, &s); err != nil {
		if client.IgnoreNotFound(err) != nil {
			o := outcome{reason: v1.ReasonUnreachable, message: err.Error(), err: err}
			return "", &o
		}
		o := waiting(v1.ReasonTokenSecretNotFound, fmt.Sprintf("Secret %s/%s not found", r.Registry.SecretNamespace, ref.Name), accountWait)
		return "", &o
	}
	k := ref.Key
	if k == "" {
		k = "token"
	}
	if len(s.Data[k]) == 0 {
		o := waiting(v1.ReasonTokenSecretNotFound, fmt.Sprintf("Secret %s/%s has no key %q", r.Registry.SecretNamespace, ref.Name, k), accountWait)
		return "", &o
	}
	return s.ResourceVersion, nil
}

// finalize keeps the account while identities reference it.
func (r *DatabricksAccountReconciler) finalize(ctx context.Context, acct *v1.DatabricksAccount, counts v1.IdentityCounts) outcome {
	if n := counts.Users + counts.Groups + counts.ServicePrincipals; n > 0 {
		return waiting(v1.ReasonInUse, fmt.Sprintf("%d identities (%d users, %d groups, %d service principals) still reference this account; delete them first",
			n, counts.Users, counts.Groups, counts.ServicePrincipals), inUseWait)
	}
	patch := client.MergeFrom(acct.DeepCopy())
	controllerutil.RemoveFinalizer(acct, v1.Finalizer)
	if err := r.Patch(ctx, acct, patch); err != nil {
		return outcome{reason: v1.ReasonInUse, message: err.Error(), err: client.IgnoreNotFound(err)}
	}
	r.Registry.Forget(acct.Name)
	r.forgetVerification(acct.Name)
	return outcome{}
}

func (r *DatabricksAccountReconciler) countIdentities(ctx context.Context, name string) (v1.IdentityCounts, error) {
	var (
		users  v1.UserList
		groups v1.GroupList
		sps    v1.ServicePrincipalList
	)
	for _, l := range []client.ObjectList{&users, &groups, &sps} {
		// Read-only and re-run on every identity create or delete: no copies of
		// 10,000 cached objects each time.
		if err := r.List(ctx, l, client.MatchingFields{indexAccount: name}, client.UnsafeDisableDeepCopy); err != nil {
			return v1.IdentityCounts{}, fmt.Errorf("failed to count identities: %w", err)
		}
	}
	recordReadiness(name, "User", &users)
	recordReadiness(name, "Group", &groups)
	recordReadiness(name, "ServicePrincipal", &sps)
	return v1.IdentityCounts{Users: int32(len(users.Items)), Groups: int32(len(groups.Items)), ServicePrincipals: int32(len(sps.Items))}, nil
}

// recordReadiness exports how many identities of a kind are Ready.
func recordReadiness(account, kind string, list client.ObjectList) {
	var ready, notReady float64
	_ = forEachItem(list, func(o client.Object) {
		if meta.IsStatusConditionTrue(o.(v1.Identity).GetIdentityStatus().Conditions, v1.ConditionReady) {
			ready++
		} else {
			notReady++
		}
	})
	managedIdentities.WithLabelValues(account, kind, "true").Set(ready)
	managedIdentities.WithLabelValues(account, kind, "false").Set(notReady)
}

func (r *DatabricksAccountReconciler) finish(ctx context.Context, acct *v1.DatabricksAccount, before *v1.DatabricksAccount, o outcome) error {
	readyChanged := setConditions(&acct.Status.Conditions, acct.Generation, o)
	if o.concluded() {
		acct.Status.ObservedGeneration = acct.Generation
	}
	if readyChanged {
		eventType := corev1.EventTypeNormal
		if !o.ready {
			eventType = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(acct, nil, eventType, o.reason, "Verify", o.message)
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
		Watches(&v1.User{}, handler.EnqueueRequestsFromMapFunc(accountOf), builder.WithPredicates(createdOrDeleted())).
		Watches(&v1.ServicePrincipal{}, handler.EnqueueRequestsFromMapFunc(accountOf), builder.WithPredicates(createdOrDeleted())).
		Watches(&v1.Group{}, handler.EnqueueRequestsFromMapFunc(accountOf), builder.WithPredicates(createdOrDeleted())).
		WithOptions(r.Options).
		Named("databricksaccount").
		Complete(r)
}

func (r *DatabricksAccountReconciler) accountsUsingSecret(ctx context.Context, obj client.Object) []reconcile.Request {
	if obj.GetNamespace() != r.Registry.SecretNamespace {
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

func accountOf(_ context.Context, obj client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: obj.(v1.Identity).GetAccountName()}}}
}

// createdOrDeleted passes creations, deletions and the start of a deletion.
func createdOrDeleted() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e cevent.UpdateEvent) bool {
			return e.ObjectOld.GetDeletionTimestamp().IsZero() != e.ObjectNew.GetDeletionTimestamp().IsZero()
		},
	}
}
