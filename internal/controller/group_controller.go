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
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	cevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// GroupReconciler converges Databricks account groups and their membership.
type GroupReconciler struct {
	identityBase
	Options controller.Options
}

// NewGroupReconciler wires a GroupReconciler.
func NewGroupReconciler(c client.Client, reg *Registry, rec eventRecorder, opts controller.Options, remoteChanges <-chan cevent.GenericEvent) *GroupReconciler {
	return &GroupReconciler{identityBase: identityBase{Client: c, Registry: reg, Recorder: rec, remoteChanges: remoteChanges}, Options: opts}
}

// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=groups,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=groups/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=groups/finalizers,verbs=update

// Reconcile converges one Group.
func (r *GroupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var g v1.Group
	if err := r.Get(ctx, req.NamespacedName, &g); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return reconcileIdentity(ctx, &r.identityBase, &g, kindBinding[scim.Group]{
		newList: func() client.ObjectList { return &v1.GroupList{} },
		remote: func(obj identityObject, acc *Account) remote[scim.Group] {
			grp := obj.(*v1.Group)
			return &groupRemote{g: grp, members: memberResolver{c: r.Client, acc: acc, g: grp}}
		},
	})
}

// SetupWithManager adds to the shared identity watches the member resources
// a group references: a member getting its SCIM id re-queues the group.
func (r *GroupReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return identityController(mgr, "group", &v1.Group{}, func() client.ObjectList { return &v1.GroupList{} }, r.Options, r.remoteChanges).
		Watches(&v1.User{}, handler.EnqueueRequestsFromMapFunc(groupsReferencing(r.Client, refUser)), builder.WithPredicates(scimIDChanged())).
		Watches(&v1.ServicePrincipal{}, handler.EnqueueRequestsFromMapFunc(groupsReferencing(r.Client, refSP)), builder.WithPredicates(scimIDChanged())).
		Watches(&v1.Group{}, handler.EnqueueRequestsFromMapFunc(groupsReferencing(r.Client, refGroup)), builder.WithPredicates(scimIDChanged())).
		Complete(r)
}

// groupRemote binds syncRemote to one Group.
type groupRemote struct {
	g        *v1.Group
	members  memberResolver
	resolved *resolvedMembers
}

func (r *groupRemote) describe() string        { return fmt.Sprintf("group %q", r.g.Spec.DisplayName) }
func (r *groupRemote) naturalKey() string      { return "displayName=" + key(r.g.Spec.DisplayName) }
func (r *groupRemote) id(g *scim.Group) string { return g.ID }

// byID returns the group with members: listed groups get one GET per sync
// interval; a group missing from the listing was deleted.
func (r *groupRemote) byID(ctx context.Context, acc *Account, id string) (*scim.Group, error) {
	if _, ok := acc.Inventory.GroupByID(id); !ok {
		return nil, nil
	}
	g, err := acc.Inventory.GroupDetail(ctx, acc.Client, id, acc.SyncInterval)
	if scim.IsNotFound(err) {
		acc.Inventory.Forget(id)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &g, nil
}

func (r *groupRemote) get(ctx context.Context, acc *Account, id string) (*scim.Group, error) {
	g, err := acc.Client.GetGroup(ctx, id)
	if scim.IsNotFound(err) {
		acc.Inventory.Forget(id)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	acc.Inventory.SeenGroup(*g)
	return g, nil
}

func (r *groupRemote) byKey(ctx context.Context, acc *Account) (*scim.Group, error) {
	listed, ok := acc.Inventory.GroupByName(r.g.Spec.DisplayName)
	if !ok {
		return nil, nil
	}
	return r.byID(ctx, acc, listed.ID)
}

func (r *groupRemote) lookup(ctx context.Context, acc *Account) (*scim.Group, error) {
	g, err := acc.Client.FindGroupByDisplayName(ctx, r.g.Spec.DisplayName)
	if err != nil || g == nil {
		return nil, err
	}
	detail, err := acc.Client.GetGroup(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	acc.Inventory.SeenGroup(*detail)
	return detail, nil
}

// memberWait is how long a new group waits for its member resources at most
// between looks; their getting a SCIM id wakes it sooner (watches).
const memberWait = time.Minute

// waitBeforeCreate holds a new group back while member resources are still
// being created, so they go into the create instead of a PATCH per arrival.
func (r *groupRemote) waitBeforeCreate(ctx context.Context) (*outcome, error) {
	n, err := r.members.pending(ctx)
	if err != nil || n == 0 {
		return nil, err
	}
	o := waiting(v1.ReasonProgressing, "Waiting for member resources to get their SCIM ids, so the group is created with them", memberWait)
	return &o, nil
}

func (r *groupRemote) resolve(ctx context.Context) (*resolvedMembers, error) {
	if r.resolved == nil {
		res, err := r.members.resolve(ctx)
		if err != nil {
			return nil, fmt.Errorf("failed to resolve members: %w", err)
		}
		r.resolved = &res
	}
	return r.resolved, nil
}

func (r *groupRemote) create(ctx context.Context, acc *Account) (*scim.Group, error) {
	res, err := r.resolve(ctx)
	if err != nil {
		return nil, err
	}
	want := desiredGroup(r.g.Spec, res.ids)
	g, err := acc.Client.CreateGroup(ctx, want)
	if err != nil {
		return nil, err
	}
	if len(g.Members) == 0 {
		g.Members = want.Members
	}
	acc.Inventory.PutGroup(*g)
	return g, nil
}

func (r *groupRemote) update(ctx context.Context, acc *Account, cur *scim.Group) (*scim.Group, []string, error) {
	res, err := r.resolve(ctx)
	if err != nil {
		return nil, nil, err
	}
	spec := r.g.Spec
	if res.missingByKey {
		// A member named by natural key is not in the inventory (new, or a
		// list skipped it): removing unknown members now could remove it.
		spec.MembershipPolicy = v1.MembershipAdditive
	}
	ch := diffGroup(spec, res.ids, *cur)
	for _, ops := range ch.requests {
		if err := acc.Client.PatchGroup(ctx, cur.ID, ops); err != nil {
			// Partly applied, perhaps: re-read the members before the next diff.
			acc.Inventory.ForgetDetail(cur.ID)
			if ch.added > 0 && isMemberNotVisible(err) {
				return nil, nil, &retryLater{err: err, after: consistencyRetry}
			}
			return nil, nil, patchFailed(acc, cur.ID, err)
		}
	}
	if len(ch.requests) > 0 {
		acc.Inventory.PutGroup(ch.after)
	}
	return &ch.after, ch.changed, nil
}

// isMemberNotVisible: a 400 or 404 on a PATCH that adds members usually
// names a principal Databricks does not show yet (created moments ago).
func isMemberNotVisible(err error) bool {
	apiErr, ok := scim.AsAPIError(err)
	return ok && (apiErr.StatusCode == http.StatusBadRequest || apiErr.StatusCode == http.StatusNotFound)
}

func (r *groupRemote) remove(ctx context.Context, acc *Account, id string) (string, error) {
	if r.g.Spec.DeletionPolicy == v1.GroupRetain {
		return "", nil
	}
	err := acc.Client.DeleteGroup(ctx, id)
	if err == nil || scim.IsNotFound(err) {
		acc.Inventory.Forget(id)
	}
	return v1.EventDeleted, err
}

func (r *groupRemote) mirror(g *scim.Group) {
	r.g.Status.MemberCount = int32(len(g.Members))
	if r.resolved != nil {
		r.g.Status.UnresolvedMembers = r.resolved.unresolved
	}
}

// amend turns a synced group with unresolved members into Ready=False: the
// rest converged, but the spec is not fully applied.
func (r *groupRemote) amend(o outcome) outcome {
	if !o.ready || r.resolved == nil || len(r.resolved.unresolved) == 0 {
		return o
	}
	reason := v1.ReasonMembersUnresolved
	if len(r.resolved.cycles) > 0 {
		reason = v1.ReasonMembershipCycle
	}
	var parts []string
	for _, u := range r.resolved.unresolved {
		parts = append(parts, u.Member+" ("+u.Reason+")")
	}
	msg := fmt.Sprintf("%d of %d members unresolved; the rest are applied: %s", len(r.resolved.unresolved), len(r.g.Spec.Members), strings.Join(parts, "; "))
	return outcome{reason: reason, message: msg, requeueAfter: o.requeueAfter, event: o.event}
}
