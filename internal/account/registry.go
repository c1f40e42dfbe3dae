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

// Package account holds, per Databricks account, the machinery every
// reconciler shares: SCIM clients, rate limiters and the inventory of remote
// state. Ownership is per Databricks account, not per DatabricksAccount
// object: two objects for one account share the limiters and the inventory.
package account

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/inventory"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Getter is the read-only view of the registry that identity reconcilers
// use; tests substitute a Fake.
type Getter interface {
	// For returns the machinery of acct, building it on first use.
	For(acct *v1.DatabricksAccount) (*Account, error)
}

// Account is one DatabricksAccount's view of its Databricks account. It is
// immutable once published: a changed spec yields a new Account that shares
// the client, limiters and inventory where they still apply.
type Account struct {
	Name string
	// Endpoint identifies the Databricks account (host and account id).
	Endpoint     string
	Client       scim.Client
	Inventory    *inventory.Inventory
	SyncInterval time.Duration
}

// ClientFactory builds a SCIM client.
type ClientFactory func(scim.Config) (scim.Client, error)

// DefaultClientFactory builds the HTTP client.
func DefaultClientFactory(cfg scim.Config) (scim.Client, error) { return scim.New(cfg) }

// Registry builds and caches the machinery per DatabricksAccount, sharing
// what belongs to the Databricks account between objects that name it.
type Registry struct {
	Tokens    *TokenReader
	NewClient ClientFactory
	// Hosts decides which hosts may receive a token (zero value: the
	// Databricks account consoles only).
	Hosts     scim.HostPolicy
	UserAgent string
	// WriteShield overrides inventory.DefaultWriteShield (tests shorten it).
	WriteShield time.Duration
	// Notify receives, for the DatabricksAccount names bound to an endpoint,
	// the SCIM ids a background re-list found changed.
	Notify func(accounts []string, ids []string)
	// Observer receives every SCIM call with the DatabricksAccount name, for metrics.
	Observer func(account string, info scim.CallInfo)
	// Synced receives, after every re-list of an endpoint's inventory, the
	// DatabricksAccount names bound to it and when its last successful
	// re-list started (see inventory.Inventory.OnRefresh), for metrics.
	Synced func(accounts []string, lastSuccess time.Time)

	mu        sync.Mutex
	accounts  map[string]*Account // by DatabricksAccount name
	options   map[string]string   // by DatabricksAccount name: what its client was built from
	endpoints map[string]*endpoint
}

// endpoint is what one Databricks account's objects share.
type endpoint struct {
	inventory *inventory.Inventory
	limiters  *scim.Limiters
	limits    map[string]scim.Limits // per DatabricksAccount name
}

var _ Getter = (*Registry)(nil)

// EndpointOf is the key of the Databricks account a spec names: the
// lower-cased scheme and host (without https' default port), and the account id.
func EndpointOf(spec v1.DatabricksAccountSpec) string {
	host := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(spec.Host)), "/")
	if u, err := url.Parse(host); err == nil && u.Host != "" {
		h := u.Host
		if u.Scheme == "https" {
			h = strings.TrimSuffix(h, ":443") // the default port names the same account
		}
		host = u.Scheme + "://" + h
	}
	return host + "|" + strings.ToLower(strings.TrimSpace(spec.AccountID))
}

// For returns the machinery for acct. The host is checked against the allow
// list first: a host outside it gets no client, so no request at all.
func (r *Registry) For(acct *v1.DatabricksAccount) (*Account, error) {
	if err := r.Hosts.Check(acct.Spec.Host); err != nil {
		return nil, err
	}
	limits, err := LimitsFrom(acct.Spec.RateLimits)
	if err != nil {
		return nil, err
	}
	key := EndpointOf(acct.Spec)
	options := fmt.Sprintf("%s|%s|%s/%s", key, acct.Spec.SCIMAPIVersion, acct.Spec.TokenSecretRef.Name, acct.Spec.TokenSecretRef.Key)
	interval := SyncInterval(acct)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.init()
	ep := r.endpointFor(key)
	ep.setLimits(acct.Name, limits)
	existing := r.accounts[acct.Name]
	if existing != nil && r.options[acct.Name] == options {
		if existing.SyncInterval == interval {
			return existing, nil
		}
		next := *existing
		next.SyncInterval = interval
		r.accounts[acct.Name] = &next
		return &next, nil
	}
	if existing != nil && existing.Endpoint != key {
		r.release(acct.Name, existing.Endpoint)
	}
	c, err := r.newClient(acct, ep.limiters)
	if err != nil {
		return nil, err
	}
	a := &Account{Name: acct.Name, Endpoint: key, Client: c, Inventory: ep.inventory, SyncInterval: interval}
	r.accounts[acct.Name], r.options[acct.Name] = a, options
	return a, nil
}

func (r *Registry) init() {
	if r.accounts == nil {
		r.accounts, r.options, r.endpoints = map[string]*Account{}, map[string]string{}, map[string]*endpoint{}
	}
}

func (r *Registry) endpointFor(key string) *endpoint {
	if ep := r.endpoints[key]; ep != nil {
		return ep
	}
	ep := &endpoint{inventory: r.newInventory(key), limiters: scim.NewLimiters(scim.Limits{}), limits: map[string]scim.Limits{}}
	r.endpoints[key] = ep
	return ep
}

// setLimits records one object's rates and applies, per class, the lowest
// that any object of the account asks for: the account's limits are shared.
func (ep *endpoint) setLimits(name string, l scim.Limits) {
	ep.limits[name] = l
	ep.applyLimits()
}

func (ep *endpoint) applyLimits() { ep.limiters.Set(ep.effectiveLimits()) }

// effectiveLimits is, per class, the lowest rate any object asks for (zero: the default).
func (ep *endpoint) effectiveLimits() scim.Limits {
	var eff scim.Limits
	lowest := func(cur, v float64) float64 {
		if v == 0 || (cur != 0 && cur < v) {
			return cur
		}
		return v
	}
	for _, l := range ep.limits {
		eff = scim.Limits{Get: lowest(eff.Get, l.Get), List: lowest(eff.List, l.List), Patch: lowest(eff.Patch, l.Patch), Write: lowest(eff.Write, l.Write)}
	}
	return eff
}

// release unbinds a DatabricksAccount name from an endpoint, dropping the
// endpoint's state when no object names it any more.
func (r *Registry) release(name, key string) {
	ep := r.endpoints[key]
	if ep == nil {
		return
	}
	delete(ep.limits, name)
	if len(ep.limits) == 0 {
		delete(r.endpoints, key)
		return
	}
	ep.applyLimits()
}

// Forget drops a DatabricksAccount that no longer exists.
func (r *Registry) Forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.init()
	if a := r.accounts[name]; a != nil {
		r.release(name, a.Endpoint)
	}
	delete(r.accounts, name)
	delete(r.options, name)
}

// namesOn lists the DatabricksAccount names bound to an endpoint.
func (r *Registry) namesOn(key string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var names []string
	for name, a := range r.accounts {
		if a.Endpoint == key {
			names = append(names, name)
		}
	}
	return names
}

func (r *Registry) newInventory(key string) *inventory.Inventory {
	inv := inventory.New(r.WriteShield)
	log := ctrl.Log.WithName("inventory").WithValues("endpoint", hostOf(key))
	inv.OnError = func(err error) { log.Error(err, "Background re-list failed; the next reconcile retries") }
	if r.Synced != nil {
		inv.OnRefresh = func(at time.Time) { r.Synced(r.namesOn(key), at) }
	}
	if r.Notify != nil {
		inv.OnChange = func(ids []string) {
			log.V(1).Info("Re-list found remote changes", "objects", len(ids))
			r.Notify(r.namesOn(key), ids)
		}
	}
	return inv
}

// hostOf drops the account id from an endpoint key, for logs.
func hostOf(key string) string { return key[:strings.LastIndex(key, "|")] }

func (r *Registry) newClient(acct *v1.DatabricksAccount, lim *scim.Limiters) (scim.Client, error) {
	name, ref := acct.Name, acct.Spec.TokenSecretRef
	newClient := r.NewClient
	if newClient == nil {
		newClient = DefaultClientFactory
	}
	cfg := scim.Config{
		Host:           acct.Spec.Host,
		AccountID:      acct.Spec.AccountID,
		APIVersion:     acct.Spec.SCIMAPIVersion,
		Token:          func(ctx context.Context) (string, error) { return r.Tokens.Token(ctx, ref) },
		UserAgent:      r.UserAgent,
		Hosts:          r.Hosts,
		SharedLimiters: lim,
	}
	if r.Observer != nil {
		cfg.Observer = func(info scim.CallInfo) { r.Observer(name, info) }
	}
	return newClient(cfg)
}

// DefaultSyncInterval applies when spec.syncInterval is unset.
const DefaultSyncInterval = 10 * time.Minute

// SyncInterval is how often acct's remote state is re-read.
func SyncInterval(acct *v1.DatabricksAccount) time.Duration {
	if acct.Spec.SyncInterval == nil || acct.Spec.SyncInterval.Duration <= 0 {
		return DefaultSyncInterval
	}
	return acct.Spec.SyncInterval.Duration
}

// LimitsFrom parses the spec's rate-limit overrides.
func LimitsFrom(rl *v1.RateLimits) (scim.Limits, error) {
	if rl == nil {
		return scim.Limits{}, nil
	}
	var l scim.Limits
	for _, f := range []struct {
		raw v1.RequestRate
		dst *float64
	}{{rl.Get, &l.Get}, {rl.List, &l.List}, {rl.Patch, &l.Patch}, {rl.Write, &l.Write}} {
		if f.raw == "" {
			continue
		}
		v, err := strconv.ParseFloat(string(f.raw), 64)
		if err != nil || v <= 0 {
			return scim.Limits{}, fmt.Errorf("invalid rate limit %q: want a positive number of requests per second", f.raw)
		}
		*f.dst = v
	}
	return l, nil
}
