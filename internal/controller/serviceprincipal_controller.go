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

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	cevent "sigs.k8s.io/controller-runtime/pkg/event"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// ServicePrincipalReconciler converges Databricks account service principals.
type ServicePrincipalReconciler struct {
	identityBase
	Options controller.Options
}

// NewServicePrincipalReconciler wires a ServicePrincipalReconciler.
func NewServicePrincipalReconciler(c client.Client, reg *Registry, rec eventRecorder, opts controller.Options, remoteChanges <-chan cevent.GenericEvent) *ServicePrincipalReconciler {
	return &ServicePrincipalReconciler{identityBase: identityBase{Client: c, Registry: reg, Recorder: rec, remoteChanges: remoteChanges}, Options: opts}
}

// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=serviceprincipals,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=serviceprincipals/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=serviceprincipals/finalizers,verbs=update

// Reconcile converges one ServicePrincipal.
func (r *ServicePrincipalReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var s v1.ServicePrincipal
	if err := r.Get(ctx, req.NamespacedName, &s); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return reconcileIdentity(ctx, &r.identityBase, &s, kindBinding[scim.ServicePrincipal]{
		newList: func() client.ObjectList { return &v1.ServicePrincipalList{} },
		remote: func(obj identityObject, _ *Account) remote[scim.ServicePrincipal] {
			return &spRemote{s: obj.(*v1.ServicePrincipal)}
		},
	})
}

// SetupWithManager watches ServicePrincipals with the shared identity watches.
func (r *ServicePrincipalReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return identityController(mgr, "serviceprincipal", &v1.ServicePrincipal{}, func() client.ObjectList { return &v1.ServicePrincipalList{} }, r.Options, r.remoteChanges).Complete(r)
}

// spRemote binds syncRemote to one ServicePrincipal. Its natural key is the
// applicationId when given (Azure), else the displayName.
type spRemote struct{ s *v1.ServicePrincipal }

func (r *spRemote) describe() string {
	if r.s.Spec.ApplicationID != "" {
		return fmt.Sprintf("service principal with applicationId %q", r.s.Spec.ApplicationID)
	}
	return fmt.Sprintf("service principal %q", r.s.Spec.DisplayName)
}

func (r *spRemote) naturalKey() string {
	if r.s.Spec.ApplicationID != "" {
		return "applicationId=" + key(r.s.Spec.ApplicationID)
	}
	return "displayName=" + key(r.s.Spec.DisplayName)
}

func (r *spRemote) id(s *scim.ServicePrincipal) string { return s.ID }

func (r *spRemote) byID(_ context.Context, acc *Account, id string) (*scim.ServicePrincipal, error) {
	return found(acc.Inventory.SPByID(id))
}

func (r *spRemote) byKey(_ context.Context, acc *Account) (*scim.ServicePrincipal, error) {
	if r.s.Spec.ApplicationID != "" {
		return found(acc.Inventory.SPByApplicationID(r.s.Spec.ApplicationID))
	}
	return found(acc.Inventory.SPByDisplayName(r.s.Spec.DisplayName))
}

func (r *spRemote) get(ctx context.Context, acc *Account, id string) (*scim.ServicePrincipal, error) {
	sp, err := acc.Client.GetServicePrincipal(ctx, id)
	if scim.IsNotFound(err) {
		acc.Inventory.Forget(id)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	acc.Inventory.SeenSP(*sp)
	return sp, nil
}

// lookup asks Databricks directly. Account SCIM 2.1 filters service
// principals by applicationId only, so a displayName is found by re-listing.
func (r *spRemote) lookup(ctx context.Context, acc *Account) (*scim.ServicePrincipal, error) {
	if r.s.Spec.ApplicationID == "" {
		acc.Inventory.Invalidate()
		if err := acc.Inventory.EnsureFresh(ctx, acc.Client, acc.SyncInterval); err != nil {
			return nil, err
		}
		return r.byKey(ctx, acc)
	}
	s, err := acc.Client.FindServicePrincipalByApplicationID(ctx, r.s.Spec.ApplicationID)
	if err != nil || s == nil {
		return nil, err
	}
	acc.Inventory.SeenSP(*s)
	return s, nil
}

func (r *spRemote) create(ctx context.Context, acc *Account) (*scim.ServicePrincipal, error) {
	want := desiredSP(r.s.Spec)
	s, err := acc.Client.CreateServicePrincipal(ctx, want)
	if err != nil {
		return nil, err
	}
	if s.DisplayName == "" {
		s.DisplayName = want.DisplayName
	}
	if s.ExternalID == "" {
		s.ExternalID = want.ExternalID
	}
	acc.Inventory.PutSP(*s)
	return s, nil
}

func (r *spRemote) update(ctx context.Context, acc *Account, cur *scim.ServicePrincipal) (*scim.ServicePrincipal, []string, error) {
	ops, after, changed := diffSP(r.s.Spec, *cur)
	if len(ops) > 0 && !acc.Inventory.Shielded(cur.ID) {
		// Lists may drop attributes (roles): confirm drift on the object itself.
		fresh, err := r.get(ctx, acc, cur.ID)
		if err != nil || fresh == nil {
			return nil, nil, orGone(err, cur.ID)
		}
		cur = fresh
		ops, after, changed = diffSP(r.s.Spec, *cur)
	}
	if len(ops) == 0 {
		return cur, nil, nil
	}
	if err := acc.Client.PatchServicePrincipal(ctx, cur.ID, ops); err != nil {
		return nil, nil, patchFailed(acc, cur.ID, err)
	}
	acc.Inventory.PutSP(after)
	return &after, changed, nil
}

func (r *spRemote) remove(ctx context.Context, acc *Account, id string) (string, error) {
	switch r.s.Spec.DeletionPolicy {
	case v1.PrincipalRetain:
		return "", nil
	case v1.PrincipalDelete:
		err := acc.Client.DeleteServicePrincipal(ctx, id)
		if err == nil || scim.IsNotFound(err) {
			acc.Inventory.Forget(id)
		}
		return v1.EventDeleted, err
	default:
		err := acc.Client.PatchServicePrincipal(ctx, id, []scim.Operation{scim.ReplaceActive(false)})
		if s, ok := acc.Inventory.SPByID(id); ok && err == nil {
			s.Active = scim.Bool(false)
			acc.Inventory.PutSP(s)
		}
		return v1.EventDeactivated, err
	}
}

func (r *spRemote) mirror(s *scim.ServicePrincipal) {
	r.s.Status.Active = scim.Bool(s.IsActive())
	r.s.Status.ApplicationID = s.ApplicationID
}
