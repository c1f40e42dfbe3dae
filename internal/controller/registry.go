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
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// ClientFactory builds a SCIM client; tests may substitute their own.
type ClientFactory func(scim.Config) (scim.Client, error)

// DefaultClientFactory builds the HTTP client.
func DefaultClientFactory(cfg scim.Config) (scim.Client, error) { return scim.New(cfg) }

// Registry holds, per DatabricksAccount, one SCIM client (with its rate
// limiters) and one inventory. The token is read from the cached Secret on
// every request, so a rotated token is used by the very next call.
type Registry struct {
	// Reader reads Secrets from the manager's cache (the operator's namespace only).
	Reader          client.Reader
	SecretNamespace string
	NewClient       ClientFactory
	UserAgent       string
	// WriteShield overrides DefaultWriteShield (tests shorten it).
	WriteShield time.Duration
	// Notify receives the SCIM ids an account's background re-list found
	// changed, so the resources holding them are reconciled at once.
	Notify func(account string, ids []string)
	// Observer receives every SCIM call with the account name, for metrics.
	Observer func(account string, info scim.CallInfo)

	mu       sync.Mutex
	accounts map[string]*Account
}

// Account is one account's shared machinery.
type Account struct {
	Name         string
	Client       scim.Client
	Inventory    *Inventory
	SyncInterval time.Duration

	endpoint string // host, account id and API version: a new endpoint needs a new inventory
	options  string // everything else the client was built from
}

// DefaultSyncInterval applies when spec.syncInterval is unset.
const DefaultSyncInterval = 10 * time.Minute

// For returns the machinery for acct, building it or rebuilding the client
// when the account's coordinates, token reference or rate limits changed.
func (r *Registry) For(acct *v1.DatabricksAccount) (*Account, error) {
	endpoint := acct.Spec.Host + "|" + acct.Spec.AccountID + "|" + acct.Spec.SCIMAPIVersion
	limits, err := limitsFrom(acct.Spec.RateLimits)
	if err != nil {
		return nil, err
	}
	options := fmt.Sprintf("%s/%s|%+v", acct.Spec.TokenSecretRef.Name, acct.Spec.TokenSecretRef.Key, limits)

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.accounts == nil {
		r.accounts = map[string]*Account{}
	}
	existing := r.accounts[acct.Name]
	if existing != nil && existing.endpoint == endpoint && existing.options == options {
		existing.SyncInterval = syncInterval(acct)
		return existing, nil
	}
	c, err := r.newClient(acct, limits)
	if err != nil {
		return nil, err
	}
	a := &Account{Name: acct.Name, Client: c, SyncInterval: syncInterval(acct), endpoint: endpoint, options: options}
	if existing != nil && existing.endpoint == endpoint {
		a.Inventory = existing.Inventory
	} else {
		a.Inventory = r.newInventory(acct.Name)
	}
	r.accounts[acct.Name] = a
	return a, nil
}

func (r *Registry) newInventory(account string) *Inventory {
	inv := NewInventory(r.WriteShield)
	log := ctrl.Log.WithName("inventory").WithValues("account", account)
	inv.OnError = func(err error) { log.Error(err, "Background re-list failed; the next reconcile retries") }
	if r.Notify != nil {
		inv.OnChange = func(ids []string) {
			log.V(1).Info("Re-list found remote changes", "objects", len(ids))
			r.Notify(account, ids)
		}
	}
	return inv
}

// Forget drops an account that no longer exists.
func (r *Registry) Forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.accounts, name)
}

func (r *Registry) newClient(acct *v1.DatabricksAccount, limits scim.Limits) (scim.Client, error) {
	name := acct.Name
	ref := acct.Spec.TokenSecretRef
	newClient := r.NewClient
	if newClient == nil {
		newClient = DefaultClientFactory
	}
	cfg := scim.Config{
		Host:       acct.Spec.Host,
		AccountID:  acct.Spec.AccountID,
		APIVersion: acct.Spec.SCIMAPIVersion,
		Token:      func(ctx context.Context) (string, error) { return r.token(ctx, ref) },
		UserAgent:  r.UserAgent,
		Limits:     limits,
	}
	if r.Observer != nil {
		cfg.Observer = func(info scim.CallInfo) { r.Observer(name, info) }
	}
	return newClient(cfg)
}

// ErrTokenSecret reports a missing token Secret or key; its message names
// the Secret and key, never the token.
type ErrTokenSecret struct{ msg string }

func (e *ErrTokenSecret) Error() string { return e.msg }

func (r *Registry) token(ctx context.Context, ref v1.SecretKeyReference) (string, error) {
	secretKey := ref.Key
	if secretKey == "" {
		secretKey = "token"
	}
	var s corev1.Secret
	if err := r.Reader.Get(ctx, types.NamespacedName{Namespace: r.SecretNamespace, Name: ref.Name}, &s); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return "", &ErrTokenSecret{msg: fmt.Sprintf("Secret %s/%s not found", r.SecretNamespace, ref.Name)}
		}
		return "", fmt.Errorf("failed to read Secret %s/%s: %w", r.SecretNamespace, ref.Name, err)
	}
	// Secrets made with `echo token > file` end in a newline that is not part of the token.
	token := strings.TrimSpace(string(s.Data[secretKey]))
	if token == "" {
		return "", &ErrTokenSecret{msg: fmt.Sprintf("Secret %s/%s has no key %q", r.SecretNamespace, ref.Name, secretKey)}
	}
	return token, nil
}

func syncInterval(acct *v1.DatabricksAccount) time.Duration {
	if acct.Spec.SyncInterval == nil || acct.Spec.SyncInterval.Duration <= 0 {
		return DefaultSyncInterval
	}
	return acct.Spec.SyncInterval.Duration
}

func limitsFrom(rl *v1.RateLimits) (scim.Limits, error) {
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
