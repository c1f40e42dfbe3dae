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
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/controller"
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
	NewClient ClientFactory
	// WriteShield: how long local writes outrank stale reads (0: DefaultWriteShield).
	WriteShield time.Duration
}

// SetupWithManager registers the field indexes and all four controllers,
// sharing one account registry. It returns the registry (tests inspect it).
func SetupWithManager(ctx context.Context, mgr ctrl.Manager, cfg Config) (*Registry, error) {
	if err := SetupIndexes(ctx, mgr); err != nil {
		return nil, fmt.Errorf("failed to set up field indexes: %w", err)
	}
	reg := &Registry{
		Reader:          mgr.GetClient(),
		SecretNamespace: cfg.SecretNamespace,
		NewClient:       cfg.NewClient,
		WriteShield:     cfg.WriteShield,
		UserAgent:       cfg.UserAgent,
		Observer:        ObserveSCIMCall,
	}
	c := mgr.GetClient()
	changes := newChangeRouter(c)
	reg.Notify = changes.notify
	userChanges := changes.route(func() client.ObjectList { return &v1.UserList{} })
	spChanges := changes.route(func() client.ObjectList { return &v1.ServicePrincipalList{} })
	groupChanges := changes.route(func() client.ObjectList { return &v1.GroupList{} })
	setups := []struct {
		name  string
		setup func(ctrl.Manager) error
	}{
		{"databricksaccount", (&DatabricksAccountReconciler{Client: c, Registry: reg, Recorder: mgr.GetEventRecorder("databricksaccount-controller"), Options: cfg.Controller}).SetupWithManager},
		{"user", NewUserReconciler(c, reg, mgr.GetEventRecorder("user-controller"), cfg.Controller, userChanges).SetupWithManager},
		{"serviceprincipal", NewServicePrincipalReconciler(c, reg, mgr.GetEventRecorder("serviceprincipal-controller"), cfg.Controller, spChanges).SetupWithManager},
		{"group", NewGroupReconciler(c, reg, mgr.GetEventRecorder("group-controller"), cfg.Controller, groupChanges).SetupWithManager},
	}
	for _, s := range setups {
		if err := s.setup(mgr); err != nil {
			return nil, fmt.Errorf("failed to set up the %s controller: %w", s.name, err)
		}
	}
	return reg, nil
}
