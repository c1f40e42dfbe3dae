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
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=users,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=users/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=users/finalizers,verbs=update
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=serviceprincipals,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=serviceprincipals/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=serviceprincipals/finalizers,verbs=update
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=groups,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=groups/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=databricks.scimops.dev,resources=groups/finalizers,verbs=update

// setupUserController converges Databricks account users.
func setupUserController(mgr ctrl.Manager, base *identityReconciler, changes *changeRouter) error {
	e := &engine[scim.User]{identityReconciler: base, kind: userKind, newRemote: newUserRemote}
	return identityController(mgr, e.kind, base, changes.source(e.kind)).Complete(e)
}

// setupServicePrincipalController converges Databricks account service principals.
func setupServicePrincipalController(mgr ctrl.Manager, base *identityReconciler, changes *changeRouter) error {
	e := &engine[scim.ServicePrincipal]{identityReconciler: base, kind: servicePrincipalKind, newRemote: newServicePrincipalRemote}
	return identityController(mgr, e.kind, base, changes.source(e.kind)).Complete(e)
}

// setupGroupController converges Databricks account groups and their
// membership. A member resource getting its SCIM id re-queues the groups
// that reference it, as bulk work (bulkWakeUps).
// A member resource created later wakes them too (creates pass the
// predicate), which ends a group's member grace window early.
func setupGroupController(mgr ctrl.Manager, base *identityReconciler, changes *changeRouter, grace time.Duration) error {
	e := &engine[scim.Group]{identityReconciler: base, kind: groupKind, newRemote: newGroupRemote(base.Client, grace)}
	return identityController(mgr, e.kind, base, changes.source(e.kind)).
		Watches(&v1.User{}, bulkWakeUps(groupsReferencing(base.cached(), refUser)), builder.WithPredicates(scimIDChanged())).
		Watches(&v1.ServicePrincipal{}, bulkWakeUps(groupsReferencing(base.cached(), refSP)), builder.WithPredicates(scimIDChanged())).
		Watches(&v1.Group{}, bulkWakeUps(groupsReferencing(base.cached(), refGroup)), builder.WithPredicates(scimIDChanged())).
		Complete(e)
}
