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

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
	"github.com/scimops/databricks-scim-operator/internal/diff"
	"github.com/scimops/databricks-scim-operator/internal/inventory"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// groupRemote binds the sync algorithm to one Group.
type groupRemote struct {
	g        *v1.Group
	acc      *account.Account
	members  diff.Resolver
	resolved *diff.Members
	// grace is the member grace window (memberGraceWindow unless configured).
	grace time.Duration
	// held: member references not applied yet, for which update removed
	// nothing; heldFor: how much of the window is left.
	held    []string
	heldFor time.Duration
}

// memberGraceWindow is how long, from its creationTimestamp, a group waits
// for member resources it names that do not exist yet: a one-shot apply in
// name order (kubectl apply -f dir/, Argo CD, Flux) creates Groups before
// the Users they reference. Meanwhile a new group is not created and an
// existing one removes no members; after it, the group converges on what
// resolves. Member resources that exist but have no SCIM id yet are waited
// for without this bound (waitBeforeCreate).
const memberGraceWindow = 30 * time.Second

func newGroupRemote(c client.Reader, grace time.Duration) func(identityObject, *account.Account) remote[scim.Group] {
	if grace <= 0 {
		grace = memberGraceWindow
	}
	return func(obj identityObject, acc *account.Account) remote[scim.Group] {
		g := obj.(*v1.Group)
		return &groupRemote{g: g, acc: acc, members: diff.Resolver{Resources: clusterResources{c}, Directory: acc.Inventory, Group: g}, grace: grace}
	}
}

func (r *groupRemote) describe() string { return fmt.Sprintf("group %q", r.g.Spec.DisplayName) }
func (r *groupRemote) naturalKey() string {
	return "displayName=" + inventory.Key(r.g.Spec.DisplayName)
}
func (r *groupRemote) id(g *scim.Group) string { return g.ID }

// byID returns the listed group with its members: a managed group costs one
// GET per sync interval; a group the listing does not show is confirmed by get.
func (r *groupRemote) byID(ctx context.Context, id string) (*scim.Group, error) {
	if _, ok := r.acc.Inventory.GroupByID(id); !ok {
		return nil, nil
	}
	g, err := r.acc.Inventory.GroupDetail(ctx, r.acc.Client, id, r.acc.SyncInterval)
	if scim.IsNotFound(err) {
		r.acc.Inventory.Forget(id)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &g, nil
}

func (r *groupRemote) get(ctx context.Context, id string) (*scim.Group, error) {
	g, err := r.acc.Client.GetGroup(ctx, id)
	if scim.IsNotFound(err) {
		r.acc.Inventory.Forget(id)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.acc.Inventory.SeenGroup(*g)
	return g, nil
}

func (r *groupRemote) byKey(ctx context.Context) (*scim.Group, error) {
	listed, ok := r.acc.Inventory.GroupByName(r.g.Spec.DisplayName)
	if !ok {
		return nil, nil
	}
	return r.byID(ctx, listed.ID)
}

func (r *groupRemote) lookup(ctx context.Context) (*scim.Group, error) {
	g, err := r.acc.Client.FindGroupByDisplayName(ctx, r.g.Spec.DisplayName)
	if err != nil || g == nil {
		return nil, err
	}
	return r.get(ctx, g.ID)
}

// memberWait is how long a new group waits for its member resources at most
// between looks; their getting a SCIM id wakes it sooner (watches).
const memberWait = time.Minute

// waitBeforeCreate holds a new group back while member resources are still
// being created, so they go into the create instead of a PATCH per arrival.
// Within the member grace window it also waits for member resources that do
// not exist yet (which also holds back adopting an existing group, so its
// members are never removed only because their resources come later).
func (r *groupRemote) waitBeforeCreate(ctx context.Context) (outcome, error) {
	pending, err := r.members.AnyPending(ctx)
	if err != nil {
		return next(), err
	}
	if pending {
		return wait(v1.ReasonProgressing, "Waiting for member resources to get their SCIM ids, so the group is created with them", memberWait), nil
	}
	absent, left, err := r.awaited(ctx)
	if err != nil || len(absent) == 0 {
		return next(), err
	}
	// The message names no members and no time left: it stays the same
	// while they arrive, so waking on each costs no status write.
	return wait(v1.ReasonProgressing, fmt.Sprintf("Waiting up to %s from the group's creation for member resources that do not exist yet, so the group is created or adopted with them; after that it converges on the members that resolve",
		r.grace), left), nil
}

// awaited returns the member references whose resources do not exist yet
// while the group is within its member grace window, and what is left of it
// (rounded up, so a look at its end finds it over).
func (r *groupRemote) awaited(ctx context.Context) ([]string, time.Duration, error) {
	left := time.Until(r.g.CreationTimestamp.Add(r.grace))
	if left <= 0 {
		return nil, 0, nil
	}
	absent, err := r.members.Absent(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("failed to read member resources: %w", err)
	}
	return absent, left.Truncate(100*time.Millisecond) + 100*time.Millisecond, nil
}

// listed names up to listedInMessage items.
func listed(items []string) string {
	out := strings.Join(items[:min(len(items), listedInMessage)], ", ")
	if more := len(items) - listedInMessage; more > 0 {
		out += fmt.Sprintf(" and %d more", more)
	}
	return out
}

func (r *groupRemote) resolve(ctx context.Context) (*diff.Members, error) {
	if r.resolved == nil {
		res, err := r.members.Resolve(ctx)
		if err != nil {
			return nil, fmt.Errorf("failed to resolve members: %w", err)
		}
		r.resolved = &res
	}
	return r.resolved, nil
}

func (r *groupRemote) create(ctx context.Context) (*scim.Group, error) {
	res, err := r.resolve(ctx)
	if err != nil {
		return nil, err
	}
	want := diff.DesiredGroup(r.g.Spec, res.IDs)
	g, err := r.acc.Client.CreateGroup(ctx, want)
	if err != nil {
		return nil, err
	}
	if len(g.Members) == 0 {
		g.Members = want.Members
	}
	r.acc.Inventory.PutGroup(*g)
	return g, nil
}

func (r *groupRemote) update(ctx context.Context, cur *scim.Group) (*scim.Group, []string, error) {
	res, err := r.resolve(ctx)
	if err != nil {
		return nil, nil, err
	}
	spec := r.g.Spec
	if spec.MembershipPolicy != v1.MembershipAdditive {
		absent, left, err := r.awaited(ctx)
		if err != nil {
			return nil, nil, err
		}
		if len(absent) > 0 {
			// Within the grace window: add what resolves, remove nothing.
			spec.MembershipPolicy = v1.MembershipAdditive
			r.held, r.heldFor = absent, left
		}
	}
	ch := diff.Group(spec, *res, *cur)
	for _, ops := range ch.Requests {
		if err := r.acc.Client.PatchGroup(ctx, cur.ID, ops); err != nil {
			// Partly applied, perhaps: re-read the members before the next diff.
			r.acc.Inventory.ForgetDetail(cur.ID)
			if len(ch.Added) > 0 && isMemberNotVisible(err) {
				return nil, nil, &membersNotVisible{err: err}
			}
			return nil, nil, patchFailed(r.acc, cur.ID, err)
		}
	}
	if len(ch.Requests) > 0 {
		r.acc.Inventory.PutGroup(ch.After)
	}
	return &ch.After, ch.Changed, nil
}

// membersNotVisible: a PATCH adding members was refused with 400 or 404,
// which usually names a principal Databricks does not show yet (created
// moments ago), or one that will never resolve. Either way it is retried
// with the controller's exponential back-off, up to its maximum.
type membersNotVisible struct{ err error }

func (e *membersNotVisible) Error() string { return e.err.Error() }
func (e *membersNotVisible) Unwrap() error { return e.err }

func isMemberNotVisible(err error) bool {
	apiErr, ok := scim.AsAPIError(err)
	return ok && (apiErr.StatusCode == http.StatusBadRequest || apiErr.StatusCode == http.StatusNotFound)
}

func (r *groupRemote) remove(ctx context.Context, id string) (string, error) {
	if r.g.Spec.DeletionPolicy == v1.GroupRetain {
		return "", nil
	}
	err := r.acc.Client.DeleteGroup(ctx, id)
	if err == nil || scim.IsNotFound(err) {
		r.acc.Inventory.Forget(id)
	}
	return v1.EventDeleted, err
}

func (r *groupRemote) mirror(g *scim.Group) {
	r.g.Status.MemberCount = int32(len(g.Members))
	if r.resolved == nil {
		return
	}
	unresolved := r.resolved.Unresolved
	r.g.Status.UnresolvedMemberCount = int32(len(unresolved))
	r.g.Status.UnresolvedMembers = unresolved[:min(len(unresolved), v1.MaxUnresolvedMembers)]
}

// listedInMessage is how many unresolved members the Ready message names.
const listedInMessage = 5

// unapplied reports a synced group with unresolved members as not Ready:
// the rest converged, but the spec is not fully applied.
func (r *groupRemote) unapplied() (string, string, time.Duration, bool) {
	if r.resolved == nil || len(r.resolved.Unresolved) == 0 {
		return "", "", 0, false
	}
	reason := v1.ReasonMembersUnresolved
	if len(r.resolved.Cycles) > 0 {
		reason = v1.ReasonMembershipCycle
	}
	unresolved := r.resolved.Unresolved
	var parts []string
	for _, u := range unresolved[:min(len(unresolved), listedInMessage)] {
		parts = append(parts, u.Member+" ("+u.Reason+")")
	}
	if more := len(unresolved) - listedInMessage; more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more (see status.unresolvedMembers)", more))
	}
	msg := fmt.Sprintf("%d of %d members unresolved; the rest are applied: %s", len(unresolved), len(r.g.Spec.Members), strings.Join(parts, "; "))
	if len(r.held) > 0 {
		msg = fmt.Sprintf("No members are removed within %s of the group's creation while member resources do not exist yet (%s); ", r.grace, listed(r.held)) + msg
	}
	return reason, msg, r.heldFor, true
}

// clusterResources is what member resolution reads from the manager's cache.
type clusterResources struct{ client.Reader }

// Get reads the cached object without a deep copy: member resolution only
// reads, and a group of 50 members would otherwise copy 50 objects on each
// check.
func (c clusterResources) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return c.Reader.Get(ctx, key, obj, append(opts, client.UnsafeDisableDeepCopy)...)
}

// GroupNamed finds, through the natural-key index, the Group resource bound
// to the DatabricksAccount account that manages displayName.
func (c clusterResources) GroupNamed(ctx context.Context, account, displayName string) (*v1.Group, error) {
	var list v1.GroupList
	if err := listMatching(ctx, c, &list, indexNaturalKey, account+"/"+keyed("group:", displayName), client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	if len(list.Items) == 0 {
		return nil, nil
	}
	return &list.Items[0], nil
}
