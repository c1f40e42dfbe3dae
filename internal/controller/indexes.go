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
	"hash/maphash"
	"slices"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
	"github.com/scimops/databricks-scim-operator/internal/inventory"
)

// Field indexes on the manager's cache.
const (
	// indexNaturalKey: "<account>/<natural key>", to find resources that
	// target the same remote object (conflicts).
	indexNaturalKey = ".spec.naturalKey"
	// indexSCIMID: "<account>/<status.id>", to find the resource holding a remote object.
	indexSCIMID = ".status.id"
	// indexAccount: spec.accountRef.name, to wake identities when their account changes.
	indexAccount = ".spec.accountRef.name"
	// indexMemberRef: "<kind>/<name>" of each Group member reference, to wake a
	// group when a referenced resource changes.
	indexMemberRef = ".spec.members.ref"
	// indexEndpoint: the Databricks account (host and account id) a
	// DatabricksAccount names, to find the objects sharing one account.
	indexEndpoint = ".spec.endpoint"
)

// The scope an index answers queries for. controller-runtime's IndexField
// stores every value of a namespaced object twice, for queries in its
// namespace and across all of them; each value of the natural-key and
// SCIM-id indexes is an index entry of its own, so at 10,000 identities
// the unused half is tens of megabytes. These indexes store only the form
// their queries use.
type indexScope int

const (
	// clusterWide: queried without a namespace (client.MatchingFields alone).
	clusterWide indexScope = iota
	// inNamespace: queried with client.InNamespace.
	inNamespace
)

// allNamespacesKey is the namespace controller-runtime's cache reader puts in
// front of the value of a query without a namespace (its internal
// KeyToNamespacedKey); field indexes are named fieldIndexPrefix + field.
const (
	allNamespacesKey = "__all_namespaces"
	fieldIndexPrefix = "field:"
)

// fieldIndex is one field index: the kind it indexes, its name, the scope of
// the queries it answers, and its values.
type fieldIndex struct {
	obj    client.Object // of the kind indexed
	field  string
	scope  indexScope
	values client.IndexerFunc
}

// hashedIndexes keep a set of objects per bucket of values instead of per
// value. client-go keeps a set of object keys per index value; where values
// are nearly as many as the objects (a natural key or SCIM id per identity,
// a member reference per group member) that is a small set and a value
// string per value. 2,048 buckets hold about 5 users each at 10,000 users,
// 25 at 50,000; listMatching drops a bucket's other objects. At 10,000
// users the natural-key and SCIM-id indexes went from 14.9 to 6.2 MB. The
// hash has a random seed per process, so a tenant cannot choose names that
// fill one bucket.
var hashedIndexes = map[string]hashedIndex{
	indexNaturalKey: {values: naturalKeyIndexValue, has: hasNaturalKey},
	indexSCIMID:     {values: scimIDIndexValue, has: hasSCIMID},
	indexMemberRef:  {values: memberRefValues, has: referencesMember},
}

// hashedIndex is a hashed index's values and the exact test listMatching
// applies to each object of a bucket.
type hashedIndex struct {
	values client.IndexerFunc
	// has says whether o has value; it runs for every object of a bucket at
	// every query, so it should not allocate per object.
	has func(o client.Object, value string) bool
}

// hasNaturalKey is naturalKeyIndexValue's test without building the value:
// the conflict check of every reconcile runs it on a whole bucket, and
// building each object's key was a tenth of the allocations of a resync.
func hasNaturalKey(o client.Object, value string) bool {
	id := o.(identityObject)
	prefix, name := kindOf(o).keyName(id)
	rest, ok := cutPrefixes(value, id.GetAccountName(), "/", prefix)
	return ok && name != "" && rest == inventory.Key(name)
}

// hasSCIMID is scimIDIndexValue's test without building the value.
func hasSCIMID(o client.Object, value string) bool {
	id := o.(v1.Identity)
	rest, ok := cutPrefixes(value, id.GetAccountName(), "/")
	return ok && id.GetIdentityStatus().ID != "" && rest == id.GetIdentityStatus().ID
}

// cutPrefixes removes prefixes from the front of s in turn; ok is false
// when one is not there.
func cutPrefixes(s string, prefixes ...string) (rest string, ok bool) {
	for _, p := range prefixes {
		if s, ok = strings.CutPrefix(s, p); !ok {
			return "", false
		}
	}
	return s, true
}

const indexBuckets = 2048

var indexSeed = maphash.MakeSeed()

// bucketOf is the bucket a hashed index keeps value in.
func bucketOf(value string) string {
	return "#" + strconv.FormatUint(maphash.String(indexSeed, value)%indexBuckets, 16)
}

// stored is what the index keeps for o (before the scope's prefix).
func (ix fieldIndex) stored(o client.Object) []string {
	vals := ix.values(o)
	if _, hashed := hashedIndexes[ix.field]; !hashed {
		return vals
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = bucketOf(v)
	}
	// A group's 50 members fall in fewer buckets; an object is kept once.
	slices.Sort(out)
	return slices.Compact(out)
}

// listMatching lists the objects whose index field has value, as
// client.MatchingFields would; on a hashed index it lists value's bucket
// and keeps only the objects that have value.
func listMatching(ctx context.Context, r client.Reader, list client.ObjectList, field, value string, opts ...client.ListOption) error {
	ix, hashed := hashedIndexes[field]
	if !hashed {
		return r.List(ctx, list, append(opts, client.MatchingFields{field: value})...)
	}
	var requested client.ListOptions
	requested.ApplyOptions(opts)
	// The bucket's objects are compared in place; only the ones kept are
	// copied (when the caller did not ask for the cached objects), and the
	// copies carry no kind, as with client.UnsafeDisableDeepCopy.
	if err := r.List(ctx, list, append(opts, client.MatchingFields{field: bucketOf(value)}, client.UnsafeDisableDeepCopy)...); err != nil {
		return err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	copyKept := requested.UnsafeDisableDeepCopy == nil || !*requested.UnsafeDisableDeepCopy
	kept := items[:0]
	for _, it := range items {
		if ix.has(it.(client.Object), value) {
			if copyKept {
				it = it.DeepCopyObject()
			}
			kept = append(kept, it)
		}
	}
	return meta.SetList(list, kept)
}

// cachedReader reads field indexes of the manager's cache in place: the
// objects it hands out are the cache's own, to be read and not kept or
// changed. A List copies every match into its Items even without deep
// copies. The account recount, run after every few identity changes of a
// bulk sync, copied all 10,000 users each time (a third of the manager's
// allocations), and the conflict checks of every reconcile and the watches'
// wake-ups copied whole buckets. Without an indexer to read (a plain client
// in tests, a cache of several namespaces) it lists through reader.
type cachedReader struct {
	informers cache.Informers // the manager's cache; nil: always list
	reader    client.Reader
}

// forEach calls fn with each object of kind k whose index field has value,
// as listMatching lists them; namespace is "" for a cluster-wide index.
func (c cachedReader) forEach(ctx context.Context, k kind, namespace, field, value string, fn func(client.Object)) error {
	return c.forEachOf(ctx, k.prototype, k.newList, namespace, field, value, fn)
}

// forEachOf is forEach for any kind: prototype names it to the cache, and
// newList makes a list of it when there is no indexer to read.
func (c cachedReader) forEachOf(ctx context.Context, prototype client.Object, newList func() client.ObjectList, namespace, field, value string, fn func(client.Object)) error {
	indexer, err := c.indexerOf(ctx, prototype)
	if err != nil {
		return err
	}
	if indexer == nil {
		list := newList()
		opts := []client.ListOption{client.UnsafeDisableDeepCopy}
		if namespace != "" {
			opts = append(opts, client.InNamespace(namespace))
		}
		if err := listMatching(ctx, c.reader, list, field, value, opts...); err != nil {
			return err
		}
		return forEachItem(list, fn)
	}
	has, stored := func(client.Object, string) bool { return true }, value
	if ix, hashed := hashedIndexes[field]; hashed {
		has, stored = ix.has, bucketOf(value)
	}
	scope := allNamespacesKey
	if namespace != "" {
		scope = namespace
	}
	objs, err := indexer.ByIndex(fieldIndexPrefix+field, scope+"/"+stored)
	if err != nil {
		return err
	}
	for _, raw := range objs {
		if o, ok := raw.(client.Object); ok && has(o, value) {
			fn(o)
		}
	}
	return nil
}

// getWithCopy reads the object key names, of kind k: cached is the cache's
// own object, to be read and not kept past the reconcile or changed, and obj
// a copy to work on. Every reconcile keeps the object as read to patch its
// status against; taking the cache's object for that saves one deep copy
// per reconcile. Without an indexer to read, cached is a second copy.
func (c cachedReader) getWithCopy(ctx context.Context, k kind, key client.ObjectKey) (cached, obj identityObject, err error) {
	indexer, err := c.indexerOf(ctx, k.prototype)
	if err != nil {
		return nil, nil, err
	}
	if indexer == nil {
		obj = k.newObject()
		if err := c.reader.Get(ctx, key, obj); err != nil {
			return nil, nil, err
		}
		return obj.DeepCopyObject().(identityObject), obj, nil
	}
	raw, exists, err := indexer.GetByKey(key.String())
	if err != nil {
		return nil, nil, err
	}
	if !exists {
		return nil, nil, apierrors.NewNotFound(v1.GroupVersion.WithResource(k.name+"s").GroupResource(), key.Name)
	}
	cached, ok := raw.(identityObject)
	if !ok {
		return nil, nil, fmt.Errorf("the cache holds a %T for %s", raw, key)
	}
	return cached, cached.DeepCopyObject().(identityObject), nil
}

// requests are the reconcile requests of the objects forEach finds.
func (c cachedReader) requests(ctx context.Context, k kind, namespace, field, value string) []reconcile.Request {
	var reqs []reconcile.Request
	if err := c.forEach(ctx, k, namespace, field, value, func(o client.Object) {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)})
	}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list objects to enqueue")
		return nil
	}
	return reqs
}

// indexerOf is the client-go indexer behind the informer of obj's kind, or
// nil when there is none to read in place.
func (c cachedReader) indexerOf(ctx context.Context, obj client.Object) (toolscache.Indexer, error) {
	if c.informers == nil {
		return nil, nil
	}
	inf, err := c.informers.GetInformer(ctx, obj)
	if err != nil {
		return nil, err
	}
	// A cache restricted to several namespaces (--watch-namespaces) has an
	// informer per namespace behind one that has no indexer: that one lists.
	if i, ok := inf.(interface{ GetIndexer() toolscache.Indexer }); ok {
		return i.GetIndexer(), nil
	}
	return nil, nil
}

// fieldIndexes lists every field index the controllers query.
func fieldIndexes() []fieldIndex {
	var out []fieldIndex
	for _, k := range identityKinds {
		for _, field := range []string{indexNaturalKey, indexSCIMID} {
			out = append(out, fieldIndex{obj: k.newObject(), field: field, scope: clusterWide, values: hashedIndexes[field].values})
		}
		out = append(out, fieldIndex{obj: k.newObject(), field: indexAccount, scope: clusterWide, values: accountIndexValue})
	}
	return append(out,
		fieldIndex{obj: &v1.Group{}, field: indexMemberRef, scope: inNamespace, values: memberRefValues},
		// DatabricksAccount is cluster-scoped: its one form is the cluster-wide one.
		fieldIndex{obj: &v1.DatabricksAccount{}, field: indexEndpoint, scope: clusterWide, values: func(o client.Object) []string {
			return []string{endpointOf(o.(*v1.DatabricksAccount))}
		}})
}

// SetupIndexes registers the field indexes every controller relies on.
func SetupIndexes(ctx context.Context, mgr ctrl.Manager) error {
	for _, ix := range fieldIndexes() {
		if err := addIndex(ctx, mgr.GetCache(), ix); err != nil {
			return err
		}
	}
	return nil
}

// addIndex registers a field index that answers client.MatchingFields
// queries of one scope only.
func addIndex(ctx context.Context, c cache.Cache, ix fieldIndex) error {
	informer, err := c.GetInformer(ctx, ix.obj)
	if err != nil {
		return fmt.Errorf("failed to get the informer to index %s: %w", ix.field, err)
	}
	return informer.AddIndexers(toolscache.Indexers{fieldIndexPrefix + ix.field: func(raw any) ([]string, error) {
		o, ok := raw.(client.Object)
		if !ok {
			return nil, fmt.Errorf("index %s: %T is not an object", ix.field, raw)
		}
		prefix := allNamespacesKey + "/"
		if ix.scope == inNamespace {
			prefix = o.GetNamespace() + "/"
		}
		vals := ix.stored(o)
		keys := make([]string, len(vals))
		for i, v := range vals {
			keys[i] = prefix + v
		}
		return keys, nil
	}})
}

func endpointOf(acct *v1.DatabricksAccount) string { return account.EndpointOf(acct.Spec) }

func naturalKeyIndexValue(o client.Object) []string {
	id := o.(identityObject)
	if k := kindOf(o).naturalKey(id); k != "" {
		return []string{id.GetAccountName() + "/" + k}
	}
	return nil
}

func scimIDIndexValue(o client.Object) []string {
	id := o.(v1.Identity)
	if id.GetIdentityStatus().ID == "" {
		return nil
	}
	return []string{id.GetAccountName() + "/" + id.GetIdentityStatus().ID}
}

func accountIndexValue(o client.Object) []string {
	return []string{o.(v1.Identity).GetAccountName()}
}

// accountPrototype and newAccountList name DatabricksAccount to forEachOf.
var accountPrototype client.Object = &v1.DatabricksAccount{}

func newAccountList() client.ObjectList { return &v1.DatabricksAccountList{} }
