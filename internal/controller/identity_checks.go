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
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
)

// validateKeys refuses natural keys that admission would refuse today
// (objects stored before the rule existed keep their old values) and the
// built-in groups in any spelling that shares their key. Ends with
// InvalidSpec (Stalled).
func (e *engine[R]) validateKeys(_ context.Context, s *identityState[R]) outcome {
	for i, k := range e.kind.keys(s.obj) {
		if err := naturalkey.Validate(k); err != nil {
			return stalled(v1.ReasonInvalidSpec, fmt.Sprintf("natural key %d of the spec is not allowed: %s", i+1, err.Error()))
		}
	}
	if g, ok := s.obj.(*v1.Group); ok && v1.IsReservedGroupName(g.Spec.DisplayName) {
		return stalled(v1.ReasonInvalidSpec, "displayName names a built-in group (account users, users, admins), which the operator never manages")
	}
	return next()
}

// resolveAccount finds the identity's DatabricksAccount and checks that it
// admits the namespace and is Ready; it binds the remote to the account.
func (e *engine[R]) resolveAccount(ctx context.Context, s *identityState[R]) outcome {
	name := s.obj.GetAccountName()
	var acct v1.DatabricksAccount
	if err := e.Get(ctx, types.NamespacedName{Name: name}, &acct); err != nil {
		if client.IgnoreNotFound(err) != nil {
			return retry(v1.ReasonUnreachable, err.Error(), err)
		}
		// Sharded, the cache holds only this shard's accounts: one it lacks may
		// be another shard's, and then nothing here is ours to write.
		if o, ok := e.Directory.notHere(ctx, name); ok {
			return o
		}
		return wait(v1.ReasonAccountNotFound, fmt.Sprintf("DatabricksAccount %q not found", name), accountWait)
	}
	allowed, err := e.namespaceMatches(ctx, acct.Spec.NamespaceSelector, true, s.obj.GetNamespace())
	if err != nil {
		return retry(v1.ReasonUnreachable, err.Error(), err)
	}
	if !allowed {
		return blocked(v1.ReasonNamespaceNotAllowed, fmt.Sprintf("DatabricksAccount %q does not admit namespace %q (namespaceSelector)", name, s.obj.GetNamespace()), blockedWait)
	}
	if !accountUsable(&acct) {
		msg := fmt.Sprintf("DatabricksAccount %q is not Ready", name)
		if c := meta.FindStatusCondition(acct.Status.Conditions, v1.ConditionReady); c != nil {
			msg += ": " + c.Message
		}
		return wait(v1.ReasonAccountNotReady, msg, accountWait)
	}
	acc, err := e.Accounts.For(&acct)
	if err != nil {
		return failed("use DatabricksAccount "+name, err)
	}
	s.acct, s.acc, s.rm = &acct, acc, e.newRemote(s.obj, acc)
	return next()
}

// resolveAccountForDeletion is resolveAccount for an object being deleted:
// with no account, or no authority over it any more, nothing may be written,
// so the object is released without touching Databricks. An object whose
// account is another shard's is left to that shard, finalizer and all.
func (e *engine[R]) resolveAccountForDeletion(ctx context.Context, s *identityState[R]) outcome {
	o := e.resolveAccount(ctx, s)
	if o.reason != v1.ReasonAccountNotFound && o.reason != v1.ReasonNamespaceNotAllowed {
		return o
	}
	ctrl.LoggerFrom(ctx).Info("Releasing the resource without touching Databricks", "reason", o.reason)
	return e.releaseFinalizer(ctx, s)
}

// accountUsable: Ready, or being deleted while identities remain (InUse),
// which must not stop those identities from running their deletion policies.
func accountUsable(acct *v1.DatabricksAccount) bool {
	c := meta.FindStatusCondition(acct.Status.Conditions, v1.ConditionReady)
	return c != nil && (c.Status == metav1.ConditionTrue || c.Reason == v1.ReasonInUse)
}

// namespaceMatches applies a namespace selector; a nil selector matches
// every namespace when nilMatches, none otherwise.
func (e *engine[R]) namespaceMatches(ctx context.Context, selector *metav1.LabelSelector, nilMatches bool, namespace string) (bool, error) {
	if selector == nil {
		return nilMatches, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return false, fmt.Errorf("invalid namespace selector: %w", err)
	}
	var ns corev1.Namespace
	if err := e.Get(ctx, types.NamespacedName{Name: namespace}, &ns); err != nil {
		return false, fmt.Errorf("failed to read namespace %q: %w", namespace, err)
	}
	return sel.Matches(labels.Set(ns.Labels)), nil
}

// checkPermissions refuses, before any SCIM call, what the account does not
// grant this namespace: the account_admin role and adoption. Ends with
// NotPermitted (Stalled) when a permission is missing.
func (e *engine[R]) checkPermissions(ctx context.Context, s *identityState[R]) outcome {
	perms := s.acct.Spec.Permissions
	if perms == nil {
		perms = &v1.AccountPermissions{}
	}
	for _, need := range []struct {
		wanted bool
		grant  *v1.NamespacePermission
		what   string
		field  string
	}{
		{s.obj.WantsAccountAdmin(), perms.AccountAdmin, "set accountAdmin: true", "accountAdmin"},
		{s.obj.GetAdoptionPolicy() == v1.AdoptionIfExists, perms.Adoption, "adopt existing principals (adoptionPolicy: IfExists)", "adoption"},
	} {
		if !need.wanted {
			continue
		}
		var selector *metav1.LabelSelector
		if need.grant != nil {
			selector = need.grant.NamespaceSelector
		}
		ok, err := e.namespaceMatches(ctx, selector, false, s.obj.GetNamespace())
		if err != nil {
			return retry(v1.ReasonUnreachable, err.Error(), err)
		}
		if !ok {
			return blocked(v1.ReasonNotPermitted, fmt.Sprintf("namespace %q may not %s: DatabricksAccount %q grants it through spec.permissions.%s.namespaceSelector",
				s.obj.GetNamespace(), need.what, s.acct.Name, need.field), blockedWait)
		}
	}
	return next()
}

// checkConflict picks one owner among the resources of any namespace that
// target the same natural key in the same Databricks account; every other
// one ends with Conflict (Stalled) and never writes. The resource already
// managing the remote object with that key keeps it; otherwise the oldest
// resource that has not been refused owns it. So no resource can take over a
// managed principal by being older or by being renamed onto its key, and a
// resource refused for its namespace or permissions blocks nobody.
func (e *engine[R]) checkConflict(ctx context.Context, s *identityState[R]) outcome {
	key := e.kind.naturalKey(s.obj)
	if key == "" {
		return next()
	}
	candidates, err := e.sameAccountResources(ctx, s, indexNaturalKey, key)
	if err != nil {
		return failed("check for conflicts", err)
	}
	if len(candidates) == 1 && candidates[0].GetUID() == s.obj.GetUID() {
		return next() // the usual case: nobody else names this key
	}
	own := e.holderOf(ctx, s, candidates)
	if own == nil {
		own = oldest(eligible(candidates, s.obj))
	}
	if own != nil && own.GetUID() != s.obj.GetUID() {
		return blocked(v1.ReasonConflict, fmt.Sprintf("%s/%s already manages this remote object; this resource will not write to it", own.GetNamespace(), own.GetName()), blockedWait)
	}
	return next()
}

// holderOf returns the resource that manages the remote object now bearing
// the natural key: it recorded that object's SCIM id and holds the finalizer.
func (e *engine[R]) holderOf(ctx context.Context, s *identityState[R], candidates []client.Object) client.Object {
	cur, err := s.rm.byKey(ctx)
	if err != nil || cur == nil {
		return nil
	}
	id := s.rm.id(cur)
	for _, c := range candidates {
		if scimIDOf(c) == id && controllerutil.ContainsFinalizer(c, v1.Finalizer) {
			return c
		}
	}
	return nil
}

// refusedReasons are the Ready reasons of resources that may not own a
// remote object: they were refused before any write.
var refusedReasons = map[string]bool{
	v1.ReasonNamespaceNotAllowed: true, v1.ReasonNotPermitted: true, v1.ReasonAlreadyExists: true,
	v1.ReasonAmbiguous: true, v1.ReasonInvalidSpec: true, v1.ReasonAccountNotFound: true,
}

// eligible drops the resources refused for their namespace, permissions or
// spec, except self, whose own refusal may be lifted by this reconcile.
func eligible(objs []client.Object, self client.Object) []client.Object {
	var out []client.Object
	for _, o := range objs {
		if o.GetUID() != self.GetUID() {
			if c := meta.FindStatusCondition(o.(v1.Identity).GetIdentityStatus().Conditions, v1.ConditionReady); c != nil && refusedReasons[c.Reason] {
				continue
			}
		}
		out = append(out, o)
	}
	return out
}

// claimID makes sure no other resource of the same Databricks account holds
// the SCIM id about to be written (a service principal keyed by
// applicationId in one place and by displayName in another). The id is not
// recorded when another resource holds it.
func (e *engine[R]) claimID(ctx context.Context, s *identityState[R]) outcome {
	if s.cur == nil {
		return next()
	}
	o := e.claim(ctx, s, s.rm.id(s.cur), false)
	if o.reason == v1.ReasonConflict {
		st := s.obj.GetIdentityStatus()
		st.ID, st.Adopted = "", false
	}
	return o
}

// claim reports Conflict when another resource holds id: one that already
// recorded it, unless this resource recorded it too and is older. With
// exclusive, any other holder is a Conflict: the deletion policy never
// deactivates or deletes a remote object another resource also holds.
func (e *engine[R]) claim(ctx context.Context, s *identityState[R], id string, exclusive bool) outcome {
	var holders []client.Object
	for _, k := range identityKinds {
		objs, err := e.sameAccountResourcesOf(ctx, k, s, indexSCIMID, id)
		if err != nil {
			return failed("check who holds SCIM id "+id, err)
		}
		holders = append(holders, objs...)
	}
	var others []client.Object
	for _, h := range holders {
		if h.GetUID() != s.obj.GetUID() {
			others = append(others, h)
		}
	}
	if len(others) == 0 {
		return next()
	}
	if !exclusive && s.before.GetIdentityStatus().ID == id && oldest(append(others, s.obj)).GetUID() == s.obj.GetUID() {
		return next()
	}
	h := oldest(others)
	return blocked(v1.ReasonConflict, fmt.Sprintf("%s %s/%s already holds SCIM id %s; this resource will not write to it",
		kindOf(h).kindName, h.GetNamespace(), h.GetName(), id), blockedWait)
}

// sameAccountResources lists the resources of this kind, bound to any
// DatabricksAccount of the same Databricks account, whose index field has
// value. They may be the cache's own objects: read them, never change or
// keep them.
func (e *engine[R]) sameAccountResources(ctx context.Context, s *identityState[R], field, value string) ([]client.Object, error) {
	return e.sameAccountResourcesOf(ctx, e.kind, s, field, value)
}

func (e *engine[R]) sameAccountResourcesOf(ctx context.Context, k kind, s *identityState[R], field, value string) ([]client.Object, error) {
	peers, err := e.peerAccounts(ctx, s)
	if err != nil {
		return nil, err
	}
	// Every reconcile runs these checks, a resync too, and nearly always
	// finds its own object: the index is read in place and the checks get
	// the cache's own objects, which they only read. Copying the matches was
	// a tenth of a resync's allocations.
	var out []client.Object
	for _, name := range peers {
		if err := e.cached().forEach(ctx, k, "", field, name+"/"+value, func(o client.Object) {
			out = append(out, o)
		}); err != nil {
			return nil, fmt.Errorf("failed to list resources by %s: %w", field, err)
		}
	}
	return out, nil
}

// peerAccounts names the DatabricksAccounts of the same Databricks account
// as s.acct, once per reconcile.
func (e *engine[R]) peerAccounts(ctx context.Context, s *identityState[R]) ([]string, error) {
	if s.peers != nil {
		return s.peers, nil
	}
	peers := []string{}
	if err := e.cached().forEachOf(ctx, accountPrototype, newAccountList, "", indexEndpoint, endpointOf(s.acct), func(o client.Object) {
		peers = append(peers, o.GetName())
	}); err != nil {
		return nil, fmt.Errorf("failed to list the DatabricksAccounts of this account: %w", err)
	}
	s.peers = peers
	return s.peers, nil
}

// oldest returns the owner among objs: the oldest; creationTimestamp has
// one-second resolution, so on a tie the one already holding a SCIM id, then
// namespace/name decides.
func oldest(objs []client.Object) client.Object {
	if len(objs) == 0 {
		return nil
	}
	sorted := append([]client.Object(nil), objs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		ta, tb := a.GetCreationTimestamp().Time, b.GetCreationTimestamp().Time
		if !ta.Equal(tb) {
			return ta.Before(tb)
		}
		if ha, hb := holdsID(a), holdsID(b); ha != hb {
			return ha
		}
		return a.GetNamespace()+"/"+a.GetName() < b.GetNamespace()+"/"+b.GetName()
	})
	return sorted[0]
}

func holdsID(o client.Object) bool {
	id, ok := o.(v1.Identity)
	return ok && id.GetIdentityStatus().ID != ""
}

func forEachItem(list client.ObjectList, fn func(client.Object)) error {
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	for _, it := range items {
		fn(it.(client.Object))
	}
	return nil
}
