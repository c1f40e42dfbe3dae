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

// UserReconciler converges Databricks account users.
type UserReconciler struct {
	identityBase
	Options controller.Options
}

// NewUserReconciler wires a UserReconciler.
func NewUserReconciler(c client.Client, reg *Registry, rec eventRecorder, opts controller.Options, remoteChanges <-chan cevent.GenericEvent) *UserReconciler {
	return &UserReconciler{identityBase: identityBase{Client: c, Registry: reg, Recorder: rec, remoteChanges: remoteChanges}, Options: opts}
}

// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=users,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=users/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=users/finalizers,verbs=update

// Reconcile converges one User.
func (r *UserReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var u v1.User
	if err := r.Get(ctx, req.NamespacedName, &u); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = ctrl.LoggerInto(ctx, ctrl.LoggerFrom(ctx).WithValues("userName", u.Spec.UserName))
	return reconcileIdentity(ctx, &r.identityBase, &u, kindBinding[scim.User]{
		newList: func() client.ObjectList { return &v1.UserList{} },
		remote:  func(obj identityObject, _ *Account) remote[scim.User] { return &userRemote{u: obj.(*v1.User)} },
	})
}

// SetupWithManager watches Users with the shared identity watches.
func (r *UserReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return identityController(mgr, "user", &v1.User{}, func() client.ObjectList { return &v1.UserList{} }, r.Options, r.remoteChanges).Complete(r)
}

// userRemote binds syncRemote to one User.
type userRemote struct{ u *v1.User }

func (r *userRemote) describe() string       { return fmt.Sprintf("user %q", r.u.Spec.UserName) }
func (r *userRemote) naturalKey() string     { return "userName=" + key(r.u.Spec.UserName) }
func (r *userRemote) id(u *scim.User) string { return u.ID }

func (r *userRemote) byID(_ context.Context, acc *Account, id string) (*scim.User, error) {
	return found(acc.Inventory.UserByID(id))
}

func (r *userRemote) byKey(_ context.Context, acc *Account) (*scim.User, error) {
	return found(acc.Inventory.UserByName(r.u.Spec.UserName))
}

func (r *userRemote) get(ctx context.Context, acc *Account, id string) (*scim.User, error) {
	u, err := acc.Client.GetUser(ctx, id)
	if scim.IsNotFound(err) {
		acc.Inventory.Forget(id)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	acc.Inventory.SeenUser(*u)
	return u, nil
}

func (r *userRemote) lookup(ctx context.Context, acc *Account) (*scim.User, error) {
	u, err := acc.Client.FindUserByUserName(ctx, r.u.Spec.UserName)
	if err != nil || u == nil {
		return nil, err
	}
	acc.Inventory.SeenUser(*u)
	return u, nil
}

func (r *userRemote) create(ctx context.Context, acc *Account) (*scim.User, error) {
	want := desiredUser(r.u.Spec)
	u, err := acc.Client.CreateUser(ctx, want)
	if err != nil {
		return nil, err
	}
	// An answer may leave out what was sent; take the request's values
	// rather than PATCHing them again at once.
	if u.DisplayName == "" {
		u.DisplayName = want.DisplayName
	}
	if u.Name == nil {
		u.Name = want.Name
	}
	if u.ExternalID == "" {
		u.ExternalID = want.ExternalID
	}
	acc.Inventory.PutUser(*u)
	return u, nil
}

func (r *userRemote) update(ctx context.Context, acc *Account, cur *scim.User) (*scim.User, []string, error) {
	ops, after, changed := diffUser(r.u.Spec, *cur)
	if len(ops) > 0 && !acc.Inventory.Shielded(cur.ID) {
		// Lists may drop attributes (roles, name): confirm drift on the object itself.
		fresh, err := r.get(ctx, acc, cur.ID)
		if err != nil || fresh == nil {
			return nil, nil, orGone(err, cur.ID)
		}
		cur = fresh
		ops, after, changed = diffUser(r.u.Spec, *cur)
	}
	if len(ops) == 0 {
		return cur, nil, nil
	}
	if err := acc.Client.PatchUser(ctx, cur.ID, ops); err != nil {
		return nil, nil, patchFailed(acc, cur.ID, err)
	}
	acc.Inventory.PutUser(after)
	return &after, changed, nil
}

func (r *userRemote) remove(ctx context.Context, acc *Account, id string) (string, error) {
	switch r.u.Spec.DeletionPolicy {
	case v1.PrincipalRetain:
		return "", nil
	case v1.PrincipalDelete:
		err := acc.Client.DeleteUser(ctx, id)
		if err == nil || scim.IsNotFound(err) {
			acc.Inventory.Forget(id)
		}
		return v1.EventDeleted, err
	default:
		err := acc.Client.PatchUser(ctx, id, []scim.Operation{scim.ReplaceActive(false)})
		if err == nil {
			if u, ok := acc.Inventory.UserByID(id); ok {
				u.Active = scim.Bool(false)
				acc.Inventory.PutUser(u)
			}
		}
		return v1.EventDeactivated, err
	}
}

func (r *userRemote) mirror(u *scim.User) {
	if u == nil {
		return
	}
	r.u.Status.Active = scim.Bool(u.IsActive())
}

// patchFailed classifies a failed PATCH. A 404 for an object we wrote
// moments ago is Databricks not showing it yet: retry later. Otherwise the
// object is gone: forget it so the next reconcile recreates it.
func patchFailed(acc *Account, id string, err error) error {
	if !scim.IsNotFound(err) {
		return err
	}
	if acc.Inventory.Shielded(id) {
		return &retryLater{err: err, after: consistencyRetry}
	}
	acc.Inventory.Forget(id)
	return err
}

// orGone turns a confirming read that found nothing into a not-found error.
func orGone(err error, id string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("SCIM id %s no longer exists", id)
}

// found adapts an inventory lookup to the remote interface.
func found[R any](v R, ok bool) (*R, error) {
	if !ok {
		return nil, nil
	}
	return &v, nil
}
