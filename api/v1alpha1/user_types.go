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

// UserSpec is the desired state of a Databricks account user. Fields left unset are not managed:
// they are never compared and never cleared.
type UserSpec struct {
	// accountRef names the DatabricksAccount this user belongs to.
	// +required
	AccountRef AccountReference `json:"accountRef"`

	// userName is the user's email address, the natural key in the account. Databricks stores it
	// lower-cased and compares it case-insensitively. Immutable (a change of case is allowed).
	// Control, format and non-ASCII space characters are rejected.
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Pattern=`^[^@\s]+@[^@\s]+\.[^@\s]+$`
	// +kubebuilder:validation:XValidation:rule=`self.matches(r'^[^\pC\pZ](?:\x20*[^\pC\pZ])*$')`,message="must not contain control, format, private-use, unassigned or non-ASCII space characters, nor start or end with a space"
	// +kubebuilder:validation:XValidation:rule="self.lowerAscii() == oldSelf.lowerAscii()",message="userName is immutable: create a new User instead"
	// +required
	UserName string `json:"userName"`

	// displayName shown in Databricks. Unset: Databricks' value is left alone.
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule=`!self.replace('\u200c', '').replace('\u200d', '').matches(r'[\p{Cc}\p{Cf}]')`,message="must not contain control or invisible format characters (only the zero-width joiner and non-joiner are allowed)"
	// +optional
	DisplayName string `json:"displayName,omitempty"`

	// givenName (first name). Unset: not managed.
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule=`!self.replace('\u200c', '').replace('\u200d', '').matches(r'[\p{Cc}\p{Cf}]')`,message="must not contain control or invisible format characters (only the zero-width joiner and non-joiner are allowed)"
	// +optional
	GivenName string `json:"givenName,omitempty"`

	// familyName (last name). Unset: not managed.
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule=`!self.replace('\u200c', '').replace('\u200d', '').matches(r'[\p{Cc}\p{Cf}]')`,message="must not contain control or invisible format characters (only the zero-width joiner and non-joiner are allowed)"
	// +optional
	FamilyName string `json:"familyName,omitempty"`

	// active: false deactivates the user (it cannot log in) while keeping its memberships.
	// +kubebuilder:default=true
	// +optional
	Active *bool `json:"active,omitempty"`

	// externalId links the user to an identity-provider object. Unset: not managed.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	ExternalID string `json:"externalId,omitempty"`

	// accountAdmin grants (true) or revokes (false) the account_admin role. Unset: not managed.
	// +optional
	AccountAdmin *bool `json:"accountAdmin,omitempty"`

	// adoptionPolicy: Never (default) reports an existing user with this userName as AlreadyExists;
	// IfExists takes it over (and reactivates it when active is true).
	// +kubebuilder:default=Never
	// +optional
	AdoptionPolicy AdoptionPolicy `json:"adoptionPolicy,omitempty"`

	// deletionPolicy when this resource is deleted: Deactivate (default, reversible), Delete, or Retain.
	// +kubebuilder:default=Deactivate
	// +optional
	DeletionPolicy PrincipalDeletionPolicy `json:"deletionPolicy,omitempty"`

	// managementPolicy: Manage (default) or Observe (read-only: find by userName, mirror into status, never write).
	// +kubebuilder:default=Manage
	// +optional
	ManagementPolicy ManagementPolicy `json:"managementPolicy,omitempty"`

	// suspend stops all reads and writes for this user until set back to false.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// UserStatus is the observed state of a User.
type UserStatus struct {
	IdentityStatus `json:",inline"`

	// active is the remote user's active flag as last seen.
	// +optional
	Active *bool `json:"active,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dbxuser,categories=databricks
// +kubebuilder:printcolumn:name="User Name",type=string,JSONPath=`.spec.userName`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="SCIM ID",type=string,JSONPath=`.status.id`
// +kubebuilder:printcolumn:name="Status",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// User is a Databricks account user.
type User struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the user.
	// +required
	Spec UserSpec `json:"spec"`

	// status is the observed state of the user.
	// +optional
	Status UserStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// UserList contains a list of User.
type UserList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []User `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &User{}, &UserList{})
		return nil
	})
}
