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
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	"github.com/scimops/databricks-scim-operator/internal/account"
	"github.com/scimops/databricks-scim-operator/internal/metrics"
	"github.com/scimops/databricks-scim-operator/internal/recorder"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Options configures each controller (concurrency, back-off).
type Options = controller.Options

// Config is what the manager passes to SetupWithManager.
type Config struct {
	// SecretNamespace is the only namespace token Secrets are read from.
	SecretNamespace string
	UserAgent       string
	Controller      Options
	// NewClient builds SCIM clients; nil means the HTTP client.
	NewClient account.ClientFactory
	// Hosts decides which hosts may receive a token (zero value: the
	// Databricks account consoles only, no loopback).
	Hosts scim.HostPolicy
	// WriteShield: how long local writes outrank stale reads (0: the default).
	WriteShield time.Duration
	// Shard limits the manager to some DatabricksAccounts (zero value: all).
	// The manager's cache must be built with Shard.ApplyToCache.
	Shard Shard
	// MemberGraceWindow: how long a new group waits for member resources
	// that do not exist yet (0: memberGraceWindow, 30 s).
	MemberGraceWindow time.Duration
}

// SetupWithManager registers the field indexes and all four controllers,
// sharing one account registry, which it returns.
func SetupWithManager(ctx context.Context, mgr ctrl.Manager, cfg Config) (*account.Registry, error) {
	if err := SetupIndexes(ctx, mgr); err != nil {
		return nil, fmt.Errorf("failed to set up field indexes: %w", err)
	}
	var dir *accountDirectory
	if cfg.Shard.selective() {
		d, err := newAccountDirectory(ctx, mgr, cfg.Shard.AccountSelector)
		if err != nil {
			return nil, err
		}
		dir = d
	}
	c := mgr.GetClient()
	tokens := &account.TokenReader{Reader: c, Namespace: cfg.SecretNamespace}
	changes := newChangeRouter(cachedReader{mgr.GetCache(), c})
	reg := &account.Registry{
		Tokens:      tokens,
		NewClient:   cfg.NewClient,
		Hosts:       cfg.Hosts,
		WriteShield: cfg.WriteShield,
		UserAgent:   cfg.UserAgent,
		Observer:    metrics.ObserveSCIMCall,
		Synced:      metrics.RecordSync,
		Notify:      changes.notify,
	}
	events := recorder.NewBroadcaster(c, mgr.GetScheme(), metrics.EventDropped)
	if err := mgr.Add(events); err != nil {
		return nil, fmt.Errorf("failed to add the event recorder: %w", err)
	}
	accounts := &DatabricksAccountReconciler{Client: c, Registry: reg, Tokens: tokens, Recorder: events.NewRecorder("databricksaccount-controller"), Options: cfg.Controller, Informers: mgr.GetCache()}
	identities := func(name string) *identityReconciler {
		return &identityReconciler{Client: c, Accounts: reg, Recorder: events.NewRecorder(name + "-controller"), Options: cfg.Controller, Directory: dir, Informers: mgr.GetCache()}
	}
	setups := []struct {
		name  string
		setup func() error
	}{
		{"databricksaccount", func() error { return accounts.SetupWithManager(mgr) }},
		{"user", func() error { return setupUserController(mgr, identities("user"), changes) }},
		{"serviceprincipal", func() error { return setupServicePrincipalController(mgr, identities("serviceprincipal"), changes) }},
		{"group", func() error { return setupGroupController(mgr, identities("group"), changes, cfg.MemberGraceWindow) }},
	}
	for _, s := range setups {
		if err := s.setup(); err != nil {
			return nil, fmt.Errorf("failed to set up the %s controller: %w", s.name, err)
		}
	}
	return reg, nil
}
