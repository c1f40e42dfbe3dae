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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
)

// Shard limits a manager to part of the DatabricksAccounts, so that several
// managers (one Deployment each) split them with no overlap. The zero value
// is the whole cluster: every account, every namespace.
type Shard struct {
	// AccountSelector picks, by label, the DatabricksAccounts this manager
	// reconciles, and so the identities bound to them. Nil or empty: all.
	AccountSelector labels.Selector
	// Namespaces, when set, are the only namespaces whose Users, Groups and
	// ServicePrincipals are cached (and so reconciled). It saves memory; it
	// is no shard key: the shard's accounts must have their identities here.
	Namespaces []string
}

// selective says whether the shard leaves some accounts to other managers.
func (s Shard) selective() bool { return s.AccountSelector != nil && !s.AccountSelector.Empty() }

// ApplyToCache restricts the manager's cache to the shard: DatabricksAccounts
// matching the selector, identities in the namespaces. A manager given
// Config.Shard must build its cache with it. Other settings are kept; token
// Secrets keep their own namespace (account.SecretCache), whatever the
// namespaces, and Namespaces stay cluster-wide (namespace selectors).
func (s Shard) ApplyToCache(o *cache.Options) {
	if s.selective() {
		byObject := make(map[client.Object]cache.ByObject, len(o.ByObject)+1)
		for obj, c := range o.ByObject {
			byObject[obj] = c
		}
		byObject[&v1.DatabricksAccount{}] = cache.ByObject{Label: s.AccountSelector}
		o.ByObject = byObject
	}
	if len(s.Namespaces) > 0 {
		o.DefaultNamespaces = make(map[string]cache.Config, len(s.Namespaces))
		for _, ns := range s.Namespaces {
			o.DefaultNamespaces[ns] = cache.Config{}
		}
	}
}

// LeaderElectionID is the shard's own Lease name: base without a selector,
// otherwise base plus a short hash of the normalised selector (labels.Parse
// sorts requirements and values), so shards never share a Lease, and two
// managers given the same selector do.
func (s Shard) LeaderElectionID(base string) string {
	if !s.selective() {
		return base
	}
	sum := sha256.Sum256([]byte(s.AccountSelector.String()))
	return base + "-" + hex.EncodeToString(sum[:5])
}

// placement is where a DatabricksAccount missing from the shard's cache is.
type placement int

const (
	// absent: no such DatabricksAccount in the cluster.
	absent placement = iota
	// elsewhere: it exists, and its labels give it to another shard.
	elsewhere
	// here: its labels match this shard, but the cache has not seen it yet.
	here
)

// cacheLagWait re-checks an account the directory shows in this shard
// while the shard's cache does not hold it yet (the two watches race).
const cacheLagWait = 2 * time.Second

// accountDirectory tells, for a sharded manager, "exists in another shard"
// from "does not exist", which the label-filtered cache cannot: both read
// as NotFound there. It is a second cache holding only the metadata of
// every DatabricksAccount (a few hundred bytes each), so the answer costs no
// API call, and identity events can be filtered before they are queued.
type accountDirectory struct {
	cache    cache.Cache
	selector labels.Selector
}

// newAccountDirectory registers the metadata informer; the manager starts it
// with its caches and waits for it to sync before any controller runs.
func newAccountDirectory(ctx context.Context, mgr ctrl.Manager, selector labels.Selector) (*accountDirectory, error) {
	c, err := cache.New(mgr.GetConfig(), cache.Options{
		HTTPClient:       mgr.GetHTTPClient(),
		Scheme:           mgr.GetScheme(),
		Mapper:           mgr.GetRESTMapper(),
		DefaultTransform: CacheTransform(),
	})
	if err != nil {
		return nil, fmt.Errorf("failed to create the DatabricksAccount directory cache: %w", err)
	}
	d := &accountDirectory{cache: c, selector: selector}
	if _, err := c.GetInformer(ctx, d.newObject()); err != nil {
		return nil, fmt.Errorf("failed to watch DatabricksAccount metadata: %w", err)
	}
	if err := mgr.Add(d); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *accountDirectory) newObject() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(v1.GroupVersion.WithKind("DatabricksAccount"))
	return m
}

// Start runs the directory's cache (manager.Runnable).
func (d *accountDirectory) Start(ctx context.Context) error { return d.cache.Start(ctx) }

// GetCache makes the manager start the directory with its caches and wait
// for its sync before starting the controllers.
func (d *accountDirectory) GetCache() cache.Cache { return d.cache }

// place says where the DatabricksAccount name is, from the directory's cache.
func (d *accountDirectory) place(ctx context.Context, name string) (placement, error) {
	m := d.newObject()
	if err := d.cache.Get(ctx, types.NamespacedName{Name: name}, m); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return absent, nil
		}
		return absent, err
	}
	if d.selector.Matches(labels.Set(m.GetLabels())) {
		return here, nil
	}
	return elsewhere, nil
}

// owned passes the events of identities this shard may reconcile: those
// whose account is not another shard's (a missing account included, so its
// identities report AccountNotFound). Nil: an unsharded manager, all pass.
func (d *accountDirectory) owned() predicate.Predicate {
	return predicate.NewPredicateFuncs(func(o client.Object) bool {
		if d == nil {
			return true
		}
		id, ok := o.(v1.Identity)
		if !ok {
			return true
		}
		p, err := d.place(context.Background(), id.GetAccountName())
		return err != nil || p != elsewhere
	})
}

// notHere decides, for an account missing from the shard's cache, whether
// the identity must be left alone, with no write of any kind (status,
// finalizer, SCIM): its account is another shard's, or this shard's cache is
// about to receive it. ok is false when the account does not exist at all,
// which the caller reports as AccountNotFound.
func (d *accountDirectory) notHere(ctx context.Context, name string) (o outcome, ok bool) {
	if d == nil {
		return outcome{}, false
	}
	p, err := d.place(ctx, name)
	switch {
	case err != nil:
		// Not knowing whose it is, write nothing.
		ctrl.LoggerFrom(ctx).Error(err, "Failed to look the DatabricksAccount up in the directory", "account", name)
		return skip(cacheLagWait), true
	case p == elsewhere:
		ctrl.LoggerFrom(ctx).V(1).Info("Leaving the resource to the shard of its DatabricksAccount", "account", name)
		return skip(0), true
	case p == here:
		return skip(cacheLagWait), true
	}
	return outcome{}, false
}

// skip ends a reconcile with no write at all, looking again after (0: not
// unless an event asks). It is a released outcome: as for an object let go,
// there is no status to record.
func skip(after time.Duration) outcome { return outcome{kind: released, requeueAfter: after} }
