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

// GroupSpec is the desired state of a Databricks account group.
type GroupSpec struct {
	// accountRef names the DatabricksAccount this group belongs to.
	// +required
	AccountRef AccountReference `json:"accountRef"`

	// displayName is the group's name, unique in the account (case-insensitively). The built-in
	// groups "account users", "users" and "admins" cannot be managed. Control, format and non-ASCII
	// space characters, and leading or trailing spaces, are rejected.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule=`self.matches(r'^[^\pC\pZ](?:\x20*[^\pC\pZ])*$')`,message="must not contain control, format, private-use, unassigned or non-ASCII space characters, nor start or end with a space"
	// +kubebuilder:validation:XValidation:rule="!(self.lowerAscii().trim() in ['account users', 'users', 'admins'])",message="the built-in groups 'account users', 'users' and 'admins' are reserved and cannot be managed"
	// +required
	DisplayName string `json:"displayName"`

	// externalId links the group to an identity-provider object. Unset: not managed.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	ExternalID string `json:"externalId,omitempty"`

	// accountAdmin grants (true) or revokes (false) the account_admin role for every member. Unset: not managed.
	// +optional
	AccountAdmin *bool `json:"accountAdmin,omitempty"`

	// members of the group. Each names exactly one principal, either a resource in this namespace
	// (userRef, servicePrincipalRef, groupRef) or any principal of the account by natural key
	// (userName, applicationId, groupDisplayName).
	// +kubebuilder:validation:MaxItems=10000
	// +listType=atomic
	// +optional
	Members []GroupMember `json:"members,omitempty"`

	// membershipPolicy: Authoritative (default) makes the remote group end with exactly these
	// members; Additive only adds and never removes.
	// +kubebuilder:default=Authoritative
	// +optional
	MembershipPolicy MembershipPolicy `json:"membershipPolicy,omitempty"`

	// adoptionPolicy: Never (default) reports an existing group with this displayName as
	// AlreadyExists; IfExists takes it over.
	// +kubebuilder:default=Never
	// +optional
	AdoptionPolicy AdoptionPolicy `json:"adoptionPolicy,omitempty"`

	// deletionPolicy when this resource is deleted: Delete (default) or Retain.
	// +kubebuilder:default=Delete
	// +optional
	DeletionPolicy GroupDeletionPolicy `json:"deletionPolicy,omitempty"`

	// managementPolicy: Manage (default) or Observe (read-only).
	// +kubebuilder:default=Manage
	// +optional
	ManagementPolicy ManagementPolicy `json:"managementPolicy,omitempty"`

	// suspend stops all reads and writes until set back to false.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// GroupMember names exactly one principal.
// +kubebuilder:validation:XValidation:rule="[has(self.userRef), has(self.servicePrincipalRef), has(self.groupRef), has(self.userName), has(self.applicationId), has(self.groupDisplayName)].filter(x, x).size() == 1",message="a member must name exactly one of userRef, servicePrincipalRef, groupRef, userName, applicationId, groupDisplayName"
type GroupMember struct {
	// userRef names a User resource in this namespace.
	// +optional
	UserRef *LocalObjectReference `json:"userRef,omitempty"`

	// servicePrincipalRef names a ServicePrincipal resource in this namespace.
	// +optional
	ServicePrincipalRef *LocalObjectReference `json:"servicePrincipalRef,omitempty"`

	// groupRef names a Group resource in this namespace (a nested group).
	// +optional
	GroupRef *LocalObjectReference `json:"groupRef,omitempty"`

	// userName of any user in the account, managed here or not.
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Pattern=`^[^@\s]+@[^@\s]+\.[^@\s]+$`
	// +kubebuilder:validation:XValidation:rule=`self.matches(r'^[^\pC\pZ](?:\x20*[^\pC\pZ])*$')`,message="must not contain control, format, private-use, unassigned or non-ASCII space characters, nor start or end with a space"
	// +optional
	UserName string `json:"userName,omitempty"`

	// applicationId of any service principal in the account.
	// +kubebuilder:validation:MaxLength=36
	// +kubebuilder:validation:XValidation:rule=`self.matches(r'^[^\pC\pZ](?:\x20*[^\pC\pZ])*$')`,message="must not contain control, format, private-use, unassigned or non-ASCII space characters, nor start or end with a space"
	// +kubebuilder:validation:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	// +optional
	ApplicationID string `json:"applicationId,omitempty"`

	// groupDisplayName of any group in the account (a nested group).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule=`self.matches(r'^[^\pC\pZ](?:\x20*[^\pC\pZ])*$')`,message="must not contain control, format, private-use, unassigned or non-ASCII space characters, nor start or end with a space"
	// +optional
	GroupDisplayName string `json:"groupDisplayName,omitempty"`
}

// UnresolvedMember is a member that could not be resolved to a remote principal.
type UnresolvedMember struct {
	// member describes the member as written in the spec, e.g. "userRef:alice".
	Member string `json:"member"`
	// reason it did not resolve.
	Reason string `json:"reason"`
}

// GroupStatus is the observed state of a Group.
type GroupStatus struct {
	IdentityStatus `json:",inline"`

	// memberCount is the number of direct members the remote group has.
	// +optional
	MemberCount int32 `json:"memberCount,omitempty"`

	// unresolvedMembers lists the first members that did not resolve (at most
	// 20, so status stays small); the others are applied.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	// +optional
	UnresolvedMembers []UnresolvedMember `json:"unresolvedMembers,omitempty"`

	// unresolvedMemberCount is how many members did not resolve in all.
	// +optional
	UnresolvedMemberCount int32 `json:"unresolvedMemberCount,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dbxgroup,categories=databricks
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.memberCount`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="SCIM ID",type=string,JSONPath=`.status.id`
// +kubebuilder:printcolumn:name="Status",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Group is a Databricks account group with its membership.
type Group struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the group.
	// +required
	Spec GroupSpec `json:"spec"`

	// status is the observed state of the group.
	// +optional
	Status GroupStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// GroupList contains a list of Group.
type GroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Group `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &Group{}, &GroupList{})
		return nil
	})
}
