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

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
	"github.com/scimops/databricks-scim-operator/internal/diff"
	"github.com/scimops/databricks-scim-operator/internal/inventory"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// principalAPI is what differs between users and service principals: the
// client calls and inventory accessors of the SCIM type R.
type principalAPI[R any] struct {
	get    func(scim.Client, context.Context, string) (*R, error)
	create func(scim.Client, context.Context, R) (*R, error)
	patch  func(scim.Client, context.Context, string, []scim.Operation) error
	delete func(scim.Client, context.Context, string) error
	byID   func(*inventory.Inventory, string) (R, bool)
	// seen records a direct read, put a local write.
	seen, put func(*inventory.Inventory, R)
	id        func(*R) string
	// deactivated returns r with active=false.
	deactivated func(R) R
}

var userAPI = principalAPI[scim.User]{
	get: scim.Client.GetUser, create: scim.Client.CreateUser, patch: scim.Client.PatchUser, delete: scim.Client.DeleteUser,
	byID: (*inventory.Inventory).UserByID, seen: (*inventory.Inventory).SeenUser, put: (*inventory.Inventory).PutUser,
	id:          func(u *scim.User) string { return u.ID },
	deactivated: func(u scim.User) scim.User { u.Active = scim.Bool(false); return u },
}

var spAPI = principalAPI[scim.ServicePrincipal]{
	get: scim.Client.GetServicePrincipal, create: scim.Client.CreateServicePrincipal, patch: scim.Client.PatchServicePrincipal,
	delete: scim.Client.DeleteServicePrincipal,
	byID:   (*inventory.Inventory).SPByID, seen: (*inventory.Inventory).SeenSP, put: (*inventory.Inventory).PutSP,
	id:          func(s *scim.ServicePrincipal) string { return s.ID },
	deactivated: func(s scim.ServicePrincipal) scim.ServicePrincipal { s.Active = scim.Bool(false); return s },
}

// principalRemote binds the sync algorithm to one User or ServicePrincipal.
type principalRemote[R any] struct {
	api      *principalAPI[R]
	acc      *account.Account
	name     string // describe()
	key      string // naturalKey()
	deletion v1.PrincipalDeletionPolicy
	// fromInventory finds the natural key in the inventory.
	fromInventory func(*inventory.Inventory) (*R, error)
	// find asks Databricks for the natural key.
	find func(context.Context) (*R, error)
	// desired is the create body; diff compares the spec with an object.
	desired func() R
	diff    func(R) ([]scim.Operation, R, []string)
	// completeCreated fills in what a create's answer left out from the request.
	completeCreated func(created *R, sent R)
	mirrorStatus    func(*R)
}

func (r *principalRemote[R]) describe() string   { return r.name }
func (r *principalRemote[R]) naturalKey() string { return r.key }
func (r *principalRemote[R]) id(p *R) string     { return r.api.id(p) }
func (r *principalRemote[R]) mirror(p *R)        { r.mirrorStatus(p) }

func (r *principalRemote[R]) byID(_ context.Context, id string) (*R, error) {
	return found(r.api.byID(r.acc.Inventory, id))
}

func (r *principalRemote[R]) byKey(context.Context) (*R, error) {
	return r.fromInventory(r.acc.Inventory)
}

func (r *principalRemote[R]) get(ctx context.Context, id string) (*R, error) {
	p, err := r.api.get(r.acc.Client, ctx, id)
	if scim.IsNotFound(err) {
		r.acc.Inventory.Forget(id)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.api.seen(r.acc.Inventory, *p)
	return p, nil
}

func (r *principalRemote[R]) lookup(ctx context.Context) (*R, error) {
	p, err := r.find(ctx)
	if err != nil || p == nil {
		return nil, err
	}
	r.api.seen(r.acc.Inventory, *p)
	return p, nil
}

func (r *principalRemote[R]) create(ctx context.Context) (*R, error) {
	want := r.desired()
	p, err := r.api.create(r.acc.Client, ctx, want)
	if err != nil {
		return nil, err
	}
	// An answer may leave out what was sent; take the request's values
	// rather than PATCHing them again at once.
	r.completeCreated(p, want)
	r.api.put(r.acc.Inventory, *p)
	return p, nil
}

func (r *principalRemote[R]) update(ctx context.Context, cur *R) (*R, []string, error) {
	id := r.api.id(cur)
	ops, after, changed := r.diff(*cur)
	if len(ops) > 0 && !r.acc.Inventory.Shielded(id) {
		// Lists may drop attributes (roles, name): confirm drift on the object itself.
		fresh, err := r.get(ctx, id)
		if err != nil || fresh == nil {
			return nil, nil, orGone(err, id)
		}
		cur = fresh
		ops, after, changed = r.diff(*cur)
	}
	if len(ops) == 0 {
		return cur, nil, nil
	}
	if err := r.api.patch(r.acc.Client, ctx, id, ops); err != nil {
		return nil, nil, patchFailed(r.acc, id, err)
	}
	r.api.put(r.acc.Inventory, after)
	return &after, changed, nil
}

func (r *principalRemote[R]) remove(ctx context.Context, id string) (string, error) {
	switch r.deletion {
	case v1.PrincipalRetain:
		return "", nil
	case v1.PrincipalDelete:
		err := r.api.delete(r.acc.Client, ctx, id)
		if err == nil || scim.IsNotFound(err) {
			r.acc.Inventory.Forget(id)
		}
		return v1.EventDeleted, err
	default:
		err := r.api.patch(r.acc.Client, ctx, id, []scim.Operation{scim.ReplaceActive(false)})
		if p, ok := r.api.byID(r.acc.Inventory, id); ok && err == nil {
			r.api.put(r.acc.Inventory, r.api.deactivated(p))
		}
		return v1.EventDeactivated, err
	}
}

// patchFailed classifies a failed PATCH. A 404 for an object we wrote
// moments ago is Databricks not showing it yet: retry later. Otherwise the
// object is gone: forget it so the next reconcile recreates it.
func patchFailed(acc *account.Account, id string, err error) error {
	if !scim.IsNotFound(err) {
		return err
	}
	if acc.Inventory.Shielded(id) {
		return &retryLater{err: err, after: consistencyRetry}
	}
	acc.Inventory.Forget(id)
	return err
}

// newUserRemote binds a User.
func newUserRemote(obj identityObject, acc *account.Account) remote[scim.User] {
	u := obj.(*v1.User)
	return &principalRemote[scim.User]{
		api: &userAPI, acc: acc, deletion: u.Spec.DeletionPolicy,
		name: fmt.Sprintf("user %q", u.Spec.UserName),
		key:  "userName=" + inventory.Key(u.Spec.UserName),
		fromInventory: func(inv *inventory.Inventory) (*scim.User, error) {
			return found(inv.UserByName(u.Spec.UserName))
		},
		find: func(ctx context.Context) (*scim.User, error) {
			return acc.Client.FindUserByUserName(ctx, u.Spec.UserName)
		},
		desired: func() scim.User { return diff.DesiredUser(u.Spec) },
		diff:    func(cur scim.User) ([]scim.Operation, scim.User, []string) { return diff.User(u.Spec, cur) },
		completeCreated: func(created *scim.User, sent scim.User) {
			created.DisplayName = orElse(created.DisplayName, sent.DisplayName)
			created.ExternalID = orElse(created.ExternalID, sent.ExternalID)
			if created.Name == nil {
				created.Name = sent.Name
			}
		},
		mirrorStatus: func(p *scim.User) { u.Status.Active = scim.Bool(p.IsActive()) },
	}
}

// newServicePrincipalRemote binds a ServicePrincipal. Its natural key is
// the applicationId when given (Azure), else the displayName, which is not
// unique in Databricks.
func newServicePrincipalRemote(obj identityObject, acc *account.Account) remote[scim.ServicePrincipal] {
	s := obj.(*v1.ServicePrincipal)
	r := &principalRemote[scim.ServicePrincipal]{
		api: &spAPI, acc: acc, deletion: s.Spec.DeletionPolicy,
		desired: func() scim.ServicePrincipal { return diff.DesiredServicePrincipal(s.Spec) },
		diff: func(cur scim.ServicePrincipal) ([]scim.Operation, scim.ServicePrincipal, []string) {
			return diff.ServicePrincipal(s.Spec, cur)
		},
		completeCreated: func(created *scim.ServicePrincipal, sent scim.ServicePrincipal) {
			created.DisplayName = orElse(created.DisplayName, sent.DisplayName)
			created.ExternalID = orElse(created.ExternalID, sent.ExternalID)
		},
		mirrorStatus: func(p *scim.ServicePrincipal) {
			s.Status.Active = scim.Bool(p.IsActive())
			s.Status.ApplicationID = p.ApplicationID
		},
	}
	if appID := s.Spec.ApplicationID; appID != "" {
		r.name = fmt.Sprintf("service principal with applicationId %q", appID)
		r.key = "applicationId=" + inventory.Key(appID)
		r.fromInventory = func(inv *inventory.Inventory) (*scim.ServicePrincipal, error) {
			return found(inv.SPByApplicationID(appID))
		}
		r.find = func(ctx context.Context) (*scim.ServicePrincipal, error) {
			return acc.Client.FindServicePrincipalByApplicationID(ctx, appID)
		}
		return r
	}
	r.name = fmt.Sprintf("service principal %q", s.Spec.DisplayName)
	r.key = "displayName=" + inventory.Key(s.Spec.DisplayName)
	r.fromInventory = func(inv *inventory.Inventory) (*scim.ServicePrincipal, error) {
		return onlyOne(r.name, inv.SPsByDisplayName(s.Spec.DisplayName), r.api.id)
	}
	// Account SCIM filters service principals by applicationId only, so a
	// displayName is looked up by re-listing.
	r.find = func(ctx context.Context) (*scim.ServicePrincipal, error) {
		acc.Inventory.Invalidate()
		if err := acc.Inventory.EnsureFresh(ctx, acc.Client, acc.SyncInterval); err != nil {
			return nil, err
		}
		return r.fromInventory(acc.Inventory)
	}
	return r
}

// onlyOne returns the single match, nil for none, or an *ambiguousError.
func onlyOne[R any](describe string, matches []R, id func(*R) string) (*R, error) {
	switch len(matches) {
	case 0:
		return nil, nil
	case 1:
		return &matches[0], nil
	}
	ids := make([]string, len(matches))
	for i := range matches {
		ids[i] = id(&matches[i])
	}
	return nil, &ambiguousError{describe: describe, ids: ids}
}

func orElse(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}
