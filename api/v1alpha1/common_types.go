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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// AccountReference names the cluster-scoped DatabricksAccount an identity belongs to.
type AccountReference struct {
	// name of the DatabricksAccount.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
}

// LocalObjectReference names an object of a known kind in the same namespace.
type LocalObjectReference struct {
	// name of the object in this namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
}

// AdoptionPolicy says what to do when the remote object already exists before this resource created it.
// +kubebuilder:validation:Enum=Never;IfExists
type AdoptionPolicy string

const (
	// AdoptionNever reports an existing remote object as AlreadyExists and leaves it alone.
	AdoptionNever AdoptionPolicy = "Never"
	// AdoptionIfExists takes an existing remote object over (reactivating it when active is true).
	AdoptionIfExists AdoptionPolicy = "IfExists"
)

// ManagementPolicy says whether the operator may write to the remote object.
// +kubebuilder:validation:Enum=Manage;Observe
type ManagementPolicy string

const (
	// ManagementManage converges the remote object toward the spec.
	ManagementManage ManagementPolicy = "Manage"
	// ManagementObserve only finds the remote object by natural key and mirrors it into status; it never writes.
	ManagementObserve ManagementPolicy = "Observe"
)

// PrincipalDeletionPolicy says what happens to a remote user or service principal when its resource is deleted.
// +kubebuilder:validation:Enum=Deactivate;Delete;Retain
type PrincipalDeletionPolicy string

const (
	// PrincipalDeactivate sets active=false remotely: reversible, keeps ids, memberships and grants.
	PrincipalDeactivate PrincipalDeletionPolicy = "Deactivate"
	// PrincipalDelete deletes the principal from the account and every workspace.
	PrincipalDelete PrincipalDeletionPolicy = "Delete"
	// PrincipalRetain leaves the remote principal untouched.
	PrincipalRetain PrincipalDeletionPolicy = "Retain"
)

// GroupDeletionPolicy says what happens to a remote group when its resource is deleted.
// +kubebuilder:validation:Enum=Delete;Retain
type GroupDeletionPolicy string

const (
	// GroupDelete deletes the remote group (its members stay in the account).
	GroupDelete GroupDeletionPolicy = "Delete"
	// GroupRetain leaves the remote group untouched.
	GroupRetain GroupDeletionPolicy = "Retain"
)

// MembershipPolicy says whether remote members missing from the spec are removed.
// +kubebuilder:validation:Enum=Authoritative;Additive
type MembershipPolicy string

const (
	// MembershipAuthoritative makes the remote group end with exactly the resolved members.
	MembershipAuthoritative MembershipPolicy = "Authoritative"
	// MembershipAdditive only adds members; it never removes one.
	MembershipAdditive MembershipPolicy = "Additive"
)

// IdentityStatus is the status every identity kind shares.
type IdentityStatus struct {
	// conditions: Ready is always present; Reconciling and Stalled only while true.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation whose reconcile last concluded (converged or stalled).
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// id is the SCIM id of the remote object.
	// +optional
	ID string `json:"id,omitempty"`

	// adopted is true when the remote object existed before and was taken over.
	// +optional
	Adopted bool `json:"adopted,omitempty"`

	// lastSyncTime is when the remote object was last confirmed to match the spec.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// createPending is operator state: a create that may have reached
	// Databricks before its id was recorded.
	// +optional
	CreatePending *CreatePending `json:"createPending,omitempty"`
}

// CreatePending records a create sent to Databricks whose id is not yet
// recorded. It binds the natural key to this object's uid, so only the object
// that sent the create can take the remote object as its own.
type CreatePending struct {
	// uid of the object that sent the create.
	// +required
	UID types.UID `json:"uid"`

	// naturalKey of the remote object, e.g. userName=a@example.com.
	// +kubebuilder:validation:MaxLength=1024
	// +required
	NaturalKey string `json:"naturalKey"`

	// since is when the create was about to be sent.
	// +required
	Since metav1.Time `json:"since"`
}
