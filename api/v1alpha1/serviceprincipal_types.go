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
	"k8s.io/apimachinery/pkg/runtime"
)

// ServicePrincipalSpec is the desired state of a Databricks account service principal. Fields left
// unset are not managed.
// +kubebuilder:validation:XValidation:rule="has(self.displayName) || has(self.applicationId)",message="displayName is required unless applicationId is set"
// +kubebuilder:validation:XValidation:rule="has(self.applicationId) == has(oldSelf.applicationId)",message="applicationId is immutable: it cannot be added or removed after creation"
type ServicePrincipalSpec struct {
	// accountRef names the DatabricksAccount this service principal belongs to.
	// +required
	AccountRef AccountReference `json:"accountRef"`

	// displayName of the service principal; its natural key when applicationId is unset
	// (Databricks generates the applicationId on AWS and GCP). Control, format and non-ASCII space
	// characters, and leading or trailing spaces, are rejected.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule=`self.matches(r'^[^\pC\pZ](?:\x20*[^\pC\pZ])*$')`,message="must not contain control, format, private-use, unassigned or non-ASCII space characters, nor start or end with a space"
	// +optional
	DisplayName string `json:"displayName,omitempty"`

	// applicationId is the Microsoft Entra application (client) id of an Azure service principal.
	// Leave unset on AWS and GCP, where Databricks assigns one. Immutable.
	// +kubebuilder:validation:MaxLength=36
	// +kubebuilder:validation:XValidation:rule=`self.matches(r'^[^\pC\pZ](?:\x20*[^\pC\pZ])*$')`,message="must not contain control, format, private-use, unassigned or non-ASCII space characters, nor start or end with a space"
	// +kubebuilder:validation:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="applicationId is immutable"
	// +optional
	ApplicationID string `json:"applicationId,omitempty"`

	// active: false deactivates the service principal (it cannot authenticate).
	// +kubebuilder:default=true
	// +optional
	Active *bool `json:"active,omitempty"`

	// externalId links the service principal to an identity-provider object. Unset: not managed.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	ExternalID string `json:"externalId,omitempty"`

	// accountAdmin grants (true) or revokes (false) the account_admin role. Unset: not managed.
	// +optional
	AccountAdmin *bool `json:"accountAdmin,omitempty"`

	// adoptionPolicy: Never (default) reports an existing service principal with the same natural
	// key as AlreadyExists; IfExists takes it over (and reactivates it when active is true).
	// +kubebuilder:default=Never
	// +optional
	AdoptionPolicy AdoptionPolicy `json:"adoptionPolicy,omitempty"`

	// deletionPolicy when this resource is deleted: Deactivate (default, reversible), Delete, or Retain.
	// +kubebuilder:default=Deactivate
	// +optional
	DeletionPolicy PrincipalDeletionPolicy `json:"deletionPolicy,omitempty"`

	// managementPolicy: Manage (default) or Observe (read-only).
	// +kubebuilder:default=Manage
	// +optional
	ManagementPolicy ManagementPolicy `json:"managementPolicy,omitempty"`

	// suspend stops all reads and writes until set back to false.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// ServicePrincipalStatus is the observed state of a ServicePrincipal.
type ServicePrincipalStatus struct {
	IdentityStatus `json:",inline"`

	// applicationId as assigned by Databricks (or given in the spec).
	// +optional
	ApplicationID string `json:"applicationId,omitempty"`

	// active is the remote service principal's active flag as last seen.
	// +optional
	Active *bool `json:"active,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dbxsp,categories=databricks
// +kubebuilder:printcolumn:name="Application ID",type=string,JSONPath=`.status.applicationId`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="SCIM ID",type=string,JSONPath=`.status.id`
// +kubebuilder:printcolumn:name="Status",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ServicePrincipal is a Databricks account service principal.
type ServicePrincipal struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the service principal.
	// +required
	Spec ServicePrincipalSpec `json:"spec"`

	// status is the observed state of the service principal.
	// +optional
	Status ServicePrincipalStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ServicePrincipalList contains a list of ServicePrincipal.
type ServicePrincipalList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ServicePrincipal `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &ServicePrincipal{}, &ServicePrincipalList{})
		return nil
	})
}
