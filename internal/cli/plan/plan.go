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

// Package plan says what the operator would do with a set of resources
// against an account, without writing anything: for each User,
// ServicePrincipal and Group, create, adopt, patch (which attributes, old
// and new), which members to add and remove, or why it would do nothing
// (conflict, not permitted, not found, ambiguous, invalid).
//
// The attribute and membership changes are computed by package diff, the
// code the controllers run; member resolution is diff.Resolver over the
// planned resources. The decisions before a diff (permissions, conflicts,
// locating the remote object, adoption) follow the controllers' steps
// (validateKeys, resolveAccount, checkPermissions, checkConflict, locate,
// adopt, claimID, observe) over the planned resources and, when the cluster
// can be read, the resources already in it, whose status says which remote
// objects they manage.
package plan

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/cli/manifest"
	"github.com/scimops/databricks-scim-operator/internal/diff"
	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Action is what the operator would do with one resource.
type Action string

// The actions. Create, Adopt and Patch act on the remote object (an
// adoption without changes writes only the resource's status); the others
// do not.
const (
	Create    Action = "create"
	Adopt     Action = "adopt"
	Patch     Action = "patch"
	Unchanged Action = "unchanged"
	// Observe: managementPolicy Observe found the remote object; never writes.
	Observe Action = "observe"
	// Conflict: another resource owns the natural key or the SCIM id, or the
	// remote object exists and adoptionPolicy is Never (AlreadyExists).
	Conflict Action = "conflict"
	// NotPermitted: the DatabricksAccount does not grant the namespace
	// accountAdmin or adoption, or does not admit it at all.
	NotPermitted Action = "not permitted"
	// NotFound: managementPolicy Observe and nothing has the natural key.
	NotFound Action = "not found"
	// Ambiguous: several service principals share the displayName.
	Ambiguous Action = "ambiguous"
	// Invalid: a natural key the operator refuses, or a built-in group.
	Invalid Action = "invalid"
	// Suspended: spec.suspend; nothing is read or written.
	Suspended Action = "suspended"
	// Skipped: the resource belongs to another DatabricksAccount.
	Skipped Action = "skipped"
)

// Change is one attribute, as Databricks has it (Old) and as the spec asks (New).
type Change struct {
	Attribute string `json:"attribute"`
	Old       string `json:"old,omitempty"`
	New       string `json:"new"`
}

// Item is the plan for one resource.
type Item struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Key is the natural key, e.g. userName=alice@example.com.
	Key    string `json:"key"`
	Action Action `json:"action"`
	// ID is the SCIM id of the remote object found, if any.
	ID string `json:"id,omitempty"`
	// Changes are the attributes a create sets or a patch changes.
	Changes []Change `json:"changes,omitempty"`
	// Added and Removed describe the members a group gains and loses.
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
	// Unresolved members are left out (the group reports MembersUnresolved).
	Unresolved []v1.UnresolvedMember `json:"unresolved,omitempty"`
	// Drift is what a managed resource would change; shown for Observe only.
	Drift []Change `json:"drift,omitempty"`
	// Message explains the action (the owner of a conflict, the missing permission).
	Message string `json:"message,omitempty"`
	// Notes are what the plan could not check.
	Notes []string `json:"notes,omitempty"`
}

// Acts reports whether the operator would act on the remote object: create
// it, take it over, or change it.
func (it Item) Acts() bool {
	return it.Action == Create || it.Action == Adopt || it.Action == Patch
}

// InSync reports whether the resource needs nothing: unchanged, observed
// without drift worth acting on, suspended or not planned.
func (it Item) InSync() bool {
	switch it.Action {
	case Unchanged, Observe, Suspended, Skipped:
		return len(it.Unresolved) == 0
	}
	return false
}

// Plan is the plan for every resource, ordered by kind, namespace and name.
type Plan struct {
	Items []Item `json:"items"`
	// Notes apply to the whole plan (what could not be read).
	Notes []string `json:"notes,omitempty"`
}

// InSync reports whether applying the resources would change nothing and
// every resource would be Ready: `plan` exits 0 then, 2 otherwise.
func (p *Plan) InSync() bool {
	for _, it := range p.Items {
		if !it.InSync() {
			return false
		}
	}
	return true
}

// Input is what a plan compares with the account.
type Input struct {
	// Objects are the planned User, ServicePrincipal and Group resources
	// (typed, namespace set).
	Objects []client.Object
	// Live are the identity resources already in the cluster (any
	// namespace). Live is nil when the cluster was not read: every planned
	// resource then counts as new, so an object the operator created before
	// shows as a conflict (AlreadyExists) unless its adoptionPolicy is IfExists.
	Live []client.Object
	// AccountName is the DatabricksAccount planned; resources of other accounts are skipped.
	AccountName string
	// Account is that DatabricksAccount, for its namespaceSelector and
	// permissions; nil when unknown (then permissions are not checked).
	Account *v1.DatabricksAccount
	// Namespaces are namespace labels by name; a namespace missing here
	// cannot be matched against a selector (then that check is skipped with a note).
	Namespaces map[string]map[string]string
}

// Compute plans in against the account read into snap. c, if not nil, is
// used as the controllers use it before a PATCH: a user or service principal
// whose listed attributes differ from the spec is read again (GET), because
// lists may leave attributes out. Nothing is ever written.
func Compute(ctx context.Context, in Input, snap manifest.Snapshot, c scim.Client) (*Plan, error) {
	p := &planner{in: in, dir: newDirectory(snap), c: c, world: map[string]*entry{}}
	p.load()
	for _, e := range p.planned {
		p.decide(e)
	}
	objs := make([]client.Object, 0, len(p.world))
	for _, e := range p.world {
		objs = append(objs, e.obj)
	}
	resources := diff.NewObjects(objs...)
	out := &Plan{Notes: p.notes}
	for _, e := range p.planned {
		if err := p.diff(ctx, e, resources); err != nil {
			return nil, err
		}
		out.Items = append(out.Items, e.item)
	}
	return out, nil
}

// identity is a User, ServicePrincipal or Group resource.
type identity interface {
	client.Object
	v1.Identity
}

// entry is one resource of the world: planned, live, or both.
type entry struct {
	obj     identity
	kind    string
	planned bool
	live    bool
	item    Item
	// cur is the remote object (*scim.User, *scim.ServicePrincipal, *scim.Group).
	cur     any
	adopted bool
	// liveID is status.id as the cluster has it.
	liveID string
}

type planner struct {
	in      Input
	dir     *directory
	c       scim.Client
	world   map[string]*entry // by kind/namespace/name
	planned []*entry
	notes   []string
}

func worldKey(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *v1.User:
		return "User"
	case *v1.ServicePrincipal:
		return "ServicePrincipal"
	case *v1.Group:
		return "Group"
	}
	return ""
}

// load merges the live and planned resources: a planned resource takes the
// live one's status, finalizers, uid and age, as an apply would.
func (p *planner) load() {
	for _, o := range p.in.Live {
		id, ok := o.(identity)
		if !ok || !o.GetDeletionTimestamp().IsZero() {
			continue
		}
		k := kindOf(o)
		p.world[worldKey(k, o.GetNamespace(), o.GetName())] = &entry{obj: id, kind: k, live: true, liveID: id.GetIdentityStatus().ID}
	}
	for _, o := range p.in.Objects {
		id, ok := o.(identity)
		if !ok {
			continue
		}
		k := kindOf(o)
		key := worldKey(k, o.GetNamespace(), o.GetName())
		obj := id.DeepCopyObject().(identity)
		e := &entry{obj: obj, kind: k, planned: true}
		if live := p.world[key]; live != nil {
			e.live, e.liveID = true, live.liveID
			obj.SetUID(live.obj.GetUID())
			obj.SetCreationTimestamp(live.obj.GetCreationTimestamp())
			obj.SetFinalizers(live.obj.GetFinalizers())
			*obj.GetIdentityStatus() = *live.obj.GetIdentityStatus().DeepCopy()
		} else {
			obj.SetUID(types.UID("planned:" + key))
			obj.SetCreationTimestamp(metav1.Time{})
			obj.SetFinalizers(nil)
			*obj.GetIdentityStatus() = v1.IdentityStatus{}
		}
		e.item = Item{Kind: k, Namespace: o.GetNamespace(), Name: o.GetName(), Key: describeKey(obj)}
		p.world[key] = e
		p.planned = append(p.planned, e)
	}
	sort.Slice(p.planned, func(i, j int) bool {
		a, b := p.planned[i], p.planned[j]
		if kindRank(a.kind) != kindRank(b.kind) {
			return kindRank(a.kind) < kindRank(b.kind)
		}
		return a.item.Namespace+"/"+a.item.Name < b.item.Namespace+"/"+b.item.Name
	})
}

func kindRank(k string) int {
	switch k {
	case "User":
		return 0
	case "ServicePrincipal":
		return 1
	}
	return 2
}

// describeKey is the natural key for people, e.g. userName=alice@example.com.
func describeKey(o identity) string {
	switch x := o.(type) {
	case *v1.User:
		return "userName=" + shown(x.Spec.UserName)
	case *v1.ServicePrincipal:
		if x.Spec.ApplicationID != "" {
			return "applicationId=" + shown(x.Spec.ApplicationID)
		}
		return "displayName=" + shown(x.Spec.DisplayName)
	case *v1.Group:
		return "displayName=" + shown(x.Spec.DisplayName)
	}
	return ""
}

// shown is a name as printed: as is, or Go-quoted in ASCII when it holds
// characters the operator refuses (which could be invisible).
func shown(v string) string {
	if naturalkey.Validate(v) != nil {
		return strconv.QuoteToASCII(v)
	}
	return v
}

// conflictKey is the controllers' natural-key index value (kinds.go).
func conflictKey(o identity) string {
	var prefix, v string
	switch x := o.(type) {
	case *v1.User:
		prefix, v = "user:", x.Spec.UserName
	case *v1.ServicePrincipal:
		prefix, v = "sp-name:", x.Spec.DisplayName
		if x.Spec.ApplicationID != "" {
			prefix, v = "sp-app:", x.Spec.ApplicationID
		}
	case *v1.Group:
		prefix, v = "group:", x.Spec.DisplayName
	}
	if v == "" {
		return ""
	}
	return prefix + naturalkey.Key(v)
}

// naturalKeys are the keys a spec names (its own and its members'), as validateKeys checks them.
func naturalKeys(o identity) []string {
	var keys []string
	add := func(vs ...string) {
		for _, v := range vs {
			if v != "" {
				keys = append(keys, v)
			}
		}
	}
	switch x := o.(type) {
	case *v1.User:
		add(x.Spec.UserName)
	case *v1.ServicePrincipal:
		add(x.Spec.ApplicationID, x.Spec.DisplayName)
	case *v1.Group:
		add(x.Spec.DisplayName)
		for _, m := range x.Spec.Members {
			add(m.UserName, m.ApplicationID, m.GroupDisplayName)
		}
	}
	return keys
}

// decide runs the controllers' steps up to locating the remote object and
// records the predicted status.id, which member resolution reads.
func (p *planner) decide(e *entry) {
	obj, it := e.obj, &e.item
	st := obj.GetIdentityStatus()
	switch {
	case obj.GetAccountName() != p.in.AccountName:
		it.Action, it.Message = Skipped, fmt.Sprintf("belongs to DatabricksAccount %q, not to %q", obj.GetAccountName(), p.in.AccountName)
		return
	case obj.IsSuspended():
		it.Action, it.ID = Suspended, st.ID
		return
	}
	for i, k := range naturalKeys(obj) {
		if err := naturalkey.Validate(k); err != nil {
			p.block(e, Invalid, fmt.Sprintf("natural key %d of the spec is not allowed: %s", i+1, err.Error()))
			return
		}
	}
	if g, ok := obj.(*v1.Group); ok && v1.IsReservedGroupName(g.Spec.DisplayName) {
		p.block(e, Invalid, "displayName names a built-in group (account users, users, admins), which the operator never manages")
		return
	}
	if !p.namespaceAllowed(e) {
		return
	}
	observe := obj.GetManagementPolicy() == v1.ManagementObserve
	if !observe && !p.permitted(e) {
		return
	}
	if !p.ownsKey(e) {
		return
	}
	if observe {
		cur, id, amb := p.byKey(e)
		switch {
		case amb != "":
			p.block(e, Ambiguous, amb)
		case cur == nil:
			p.block(e, NotFound, fmt.Sprintf("nothing in the account has %s (managementPolicy Observe never creates)", it.Key))
		default:
			e.cur, it.Action, it.ID, st.ID = cur, Observe, id, id
		}
		return
	}
	p.locate(e)
}

// note records a plan-wide note once.
func (p *planner) note(n string) {
	for _, have := range p.notes {
		if have == n {
			return
		}
	}
	p.notes = append(p.notes, n)
}

// block ends a resource's plan with an action that writes nothing; it keeps
// no SCIM id, so groups naming it see it unresolved, as in the cluster.
func (p *planner) block(e *entry, a Action, msg string) {
	e.item.Action, e.item.Message = a, msg
	e.obj.GetIdentityStatus().ID = ""
}

// namespaceAllowed is resolveAccount's namespaceSelector check.
func (p *planner) namespaceAllowed(e *entry) bool {
	if p.in.Account == nil {
		p.note(fmt.Sprintf("DatabricksAccount %q could not be read: its namespaceSelector and permissions are not checked", p.in.AccountName))
		return true
	}
	ok, known := p.matches(p.in.Account.Spec.NamespaceSelector, true, e.item.Namespace)
	switch {
	case !known:
		p.note(fmt.Sprintf("the labels of namespace %q are unknown: the account's namespaceSelector is not checked there", e.item.Namespace))
	case !ok:
		p.block(e, NotPermitted, fmt.Sprintf("DatabricksAccount %q does not admit namespace %q (namespaceSelector)", p.in.AccountName, e.item.Namespace))
		return false
	}
	return true
}

// permitted is checkPermissions: accountAdmin: true and adoptionPolicy
// IfExists need the account's grant for the namespace.
func (p *planner) permitted(e *entry) bool {
	if p.in.Account == nil {
		return true
	}
	perms := p.in.Account.Spec.Permissions
	if perms == nil {
		perms = &v1.AccountPermissions{}
	}
	for _, need := range []struct {
		wanted bool
		grant  *v1.NamespacePermission
		what   string
		field  string
	}{
		{e.obj.WantsAccountAdmin(), perms.AccountAdmin, "set accountAdmin: true", "accountAdmin"},
		{e.obj.GetAdoptionPolicy() == v1.AdoptionIfExists, perms.Adoption, "adopt existing principals (adoptionPolicy: IfExists)", "adoption"},
	} {
		if !need.wanted {
			continue
		}
		var selector *metav1.LabelSelector
		if need.grant != nil {
			selector = need.grant.NamespaceSelector
		}
		ok, known := p.matches(selector, false, e.item.Namespace)
		if !known {
			p.note(fmt.Sprintf("the labels of namespace %q are unknown: whether it may %s is not checked", e.item.Namespace, need.what))
			continue
		}
		if !ok {
			p.block(e, NotPermitted, fmt.Sprintf("namespace %q may not %s: DatabricksAccount %q grants it through spec.permissions.%s.namespaceSelector",
				e.item.Namespace, need.what, p.in.AccountName, need.field))
			return false
		}
	}
	return true
}

// matches applies a selector to a namespace; known is false when the
// namespace's labels are needed and unknown.
func (p *planner) matches(selector *metav1.LabelSelector, nilMatches bool, namespace string) (ok, known bool) {
	if selector == nil {
		return nilMatches, true
	}
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return false, true
	}
	lbls, found := p.in.Namespaces[namespace]
	if !found {
		return false, false
	}
	return sel.Matches(labels.Set(lbls)), true
}

// ownsKey is checkConflict: among the resources naming the same natural
// key in this account, the one managing the remote object keeps it;
// otherwise the oldest not refused. New resources count as newer than every
// existing one, and among themselves by namespace/name.
func (p *planner) ownsKey(e *entry) bool {
	key := conflictKey(e.obj)
	if key == "" {
		return true
	}
	var candidates []*entry
	for _, o := range p.world {
		if o.kind == e.kind && o.obj.GetAccountName() == e.obj.GetAccountName() && conflictKey(o.obj) == key {
			candidates = append(candidates, o)
		}
	}
	if len(candidates) == 1 {
		return true
	}
	var owner *entry
	if _, id, _ := p.byKey(e); id != "" {
		for _, c := range candidates {
			if c.obj.GetIdentityStatus().ID == id && controllerutil.ContainsFinalizer(c.obj, v1.Finalizer) {
				owner = c
			}
		}
	}
	if owner == nil {
		owner = oldest(eligible(candidates, e))
	}
	if owner != nil && owner != e {
		p.block(e, Conflict, fmt.Sprintf("%s/%s %s; this resource would not write to it", owner.obj.GetNamespace(), owner.obj.GetName(),
			map[bool]string{true: "already manages this remote object", false: "names the same remote object and would be created first"}[owner.live]))
		return false
	}
	return true
}

// refused are the Ready reasons of resources that may not own a remote object.
var refused = map[string]bool{
	v1.ReasonNamespaceNotAllowed: true, v1.ReasonNotPermitted: true, v1.ReasonAlreadyExists: true,
	v1.ReasonAmbiguous: true, v1.ReasonInvalidSpec: true, v1.ReasonAccountNotFound: true,
}

// eligible drops the resources refused in the cluster, or earlier in this
// plan, except self.
func eligible(es []*entry, self *entry) []*entry {
	var out []*entry
	for _, o := range es {
		if o != self {
			if c := meta.FindStatusCondition(o.obj.GetIdentityStatus().Conditions, v1.ConditionReady); c != nil && refused[c.Reason] {
				continue
			}
			if o.planned && refusedAction[o.item.Action] {
				continue
			}
		}
		out = append(out, o)
	}
	return out
}

// refusedAction are the plan's counterparts of refused.
var refusedAction = map[Action]bool{NotPermitted: true, Invalid: true, Ambiguous: true}

func oldest(es []*entry) *entry {
	if len(es) == 0 {
		return nil
	}
	sorted := append([]*entry(nil), es...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		ta, tb := a.obj.GetCreationTimestamp(), b.obj.GetCreationTimestamp()
		if ta.IsZero() != tb.IsZero() {
			return !ta.IsZero()
		}
		if !ta.Equal(&tb) {
			return ta.Before(&tb)
		}
		if ha, hb := a.obj.GetIdentityStatus().ID != "", b.obj.GetIdentityStatus().ID != ""; ha != hb {
			return ha
		}
		return a.obj.GetNamespace()+"/"+a.obj.GetName() < b.obj.GetNamespace()+"/"+b.obj.GetName()
	})
	return sorted[0]
}

// byKey finds the remote object with the resource's natural key: the
// object, its id, or why several match.
func (p *planner) byKey(e *entry) (any, string, string) {
	switch x := e.obj.(type) {
	case *v1.User:
		if u, ok := p.dir.UserByName(x.Spec.UserName); ok {
			return &u, u.ID, ""
		}
	case *v1.ServicePrincipal:
		if x.Spec.ApplicationID != "" {
			if s, ok := p.dir.SPByApplicationID(x.Spec.ApplicationID); ok {
				return &s, s.ID, ""
			}
			return nil, "", ""
		}
		matches := p.dir.spsByDisplayName(x.Spec.DisplayName)
		switch len(matches) {
		case 0:
		case 1:
			return &matches[0], matches[0].ID, ""
		default:
			ids := make([]string, len(matches))
			for i := range matches {
				ids[i] = matches[i].ID
			}
			return nil, "", fmt.Sprintf("%d remote objects match service principal %q (SCIM ids %s); none is adopted; give the resource spec.applicationId to name one",
				len(ids), x.Spec.DisplayName, strings.Join(ids, ", "))
		}
	case *v1.Group:
		if g, ok := p.dir.groupByKey(x.Spec.DisplayName); ok {
			return &g, g.ID, ""
		}
	}
	return nil, "", ""
}

// byID finds the remote object with a SCIM id.
func (p *planner) byID(e *entry, id string) any {
	switch e.kind {
	case "User":
		if u, ok := p.dir.users[id]; ok {
			return &u
		}
	case "ServicePrincipal":
		if s, ok := p.dir.sps[id]; ok {
			return &s
		}
	default:
		if g, ok := p.dir.groups[id]; ok {
			return &g
		}
	}
	return nil
}

// locate is the controllers' locate, adopt and claimID.
func (p *planner) locate(e *entry) {
	st, it := e.obj.GetIdentityStatus(), &e.item
	if st.ID != "" {
		cur := p.byID(e, st.ID)
		switch {
		case cur != nil && controllerutil.ContainsFinalizer(e.obj, v1.Finalizer):
			e.cur, it.ID = cur, st.ID
			p.claim(e)
			return
		case cur != nil: // an id mirrored by managementPolicy Observe is not ours
			p.adopt(e, cur, st.ID)
			return
		}
		it.Message = fmt.Sprintf("SCIM id %s was deleted in Databricks; it would be created again", st.ID)
		st.ID = ""
	}
	cur, id, amb := p.byKey(e)
	switch {
	case amb != "":
		p.block(e, Ambiguous, amb)
	case cur == nil:
		it.Action = Create
		st.ID = "planned:" + worldKey(e.kind, e.item.Namespace, e.item.Name)
	default:
		p.adopt(e, cur, id)
	}
}

func (p *planner) adopt(e *entry, cur any, id string) {
	if e.obj.GetAdoptionPolicy() != v1.AdoptionIfExists {
		p.block(e, Conflict, fmt.Sprintf("%s already exists in the account (SCIM id %s); set spec.adoptionPolicy: IfExists to adopt it (AlreadyExists)", e.item.Key, id))
		return
	}
	e.cur, e.adopted, e.item.ID = cur, true, id
	e.obj.GetIdentityStatus().ID = id
	p.claim(e)
}

// claim is claimID: no other resource of the account may hold the SCIM id:
// one that recorded it in the cluster, or a planned one that takes it
// earlier in this plan.
func (p *planner) claim(e *entry) {
	id := e.item.ID
	self := e.obj.GetIdentityStatus()
	var others []*entry
	for _, o := range p.world {
		if o != e && o.obj.GetAccountName() == e.obj.GetAccountName() &&
			(o.liveID == id || (o.planned && o.obj.GetIdentityStatus().ID == id)) {
			others = append(others, o)
		}
	}
	if len(others) == 0 {
		self.ID = id
		return
	}
	if e.liveID == id && oldest(append(others, e)) == e {
		self.ID = id
		return
	}
	h := oldest(others)
	p.block(e, Conflict, fmt.Sprintf("%s %s/%s already holds SCIM id %s; this resource would not write to it", h.kind, h.obj.GetNamespace(), h.obj.GetName(), id))
	e.item.ID, e.cur = "", nil
}
