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

// DatabricksAccountSpec is one Databricks account and the credentials to reach its SCIM API.
type DatabricksAccountSpec struct {
	// accountID is the Databricks account id (a UUID), shown in the account console. Immutable.
	// +kubebuilder:validation:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="accountID is immutable"
	// +required
	AccountID string `json:"accountID"`

	// host is the account console URL: https://accounts.cloud.databricks.com (AWS),
	// https://accounts.azuredatabricks.net (Azure) or https://accounts.gcp.databricks.com (GCP).
	// http is accepted only for loopback hosts, which exist for local runs and tests.
	// +kubebuilder:default="https://accounts.cloud.databricks.com"
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getHostname() != '' && (url(self).getScheme() == 'https' || url(self).getScheme() == 'http')",message="host must be an absolute http(s) URL such as https://accounts.cloud.databricks.com"
	// +kubebuilder:validation:XValidation:rule="url(self).getQuery().size() == 0 && !self.contains('#') && !self.contains('@')",message="host must not carry a query, fragment or credentials"
	// +kubebuilder:validation:XValidation:rule="url(self).getEscapedPath() == '' || url(self).getEscapedPath() == '/'",message="host must not have a path: give only the scheme, host and port, e.g. https://accounts.cloud.databricks.com"
	// +kubebuilder:validation:XValidation:rule="self.startsWith('https://') || self.matches('^http://(localhost|127[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}|[[]::1[]])(:[0-9]{1,5})?(/.*)?$')",message="host must use https unless it is a loopback address (localhost, 127.0.0.0/8, ::1)"
	// +optional
	Host string `json:"host,omitempty"`

	// scimAPIVersion selects the SCIM path: "2.1" (/api/2.1/accounts/{id}/scim/v2, the path the
	// console shows next to the SCIM token) or "2.0".
	// +kubebuilder:validation:Enum="2.0";"2.1"
	// +kubebuilder:default="2.1"
	// +optional
	SCIMAPIVersion string `json:"scimAPIVersion,omitempty"`

	// tokenSecretRef names the Secret, in the operator's own namespace, that holds the account SCIM token.
	// The Secret must carry the label databricks.scimops.dev/token: "true".
	// +required
	TokenSecretRef SecretKeyReference `json:"tokenSecretRef"`

	// namespaceSelector limits which namespaces' identities may use this account. Unset means all namespaces.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`

	// permissions grants admitted namespaces what reaches beyond managing new
	// principals of their own. Unset: no namespace has either permission.
	// +optional
	Permissions *AccountPermissions `json:"permissions,omitempty"`

	// rateLimits overrides the client-side request rates (requests per second) per verb class.
	// Defaults follow Databricks' published account SCIM limits.
	// +optional
	RateLimits *RateLimits `json:"rateLimits,omitempty"`

	// syncInterval is how often remote state is re-read to find drift made outside the operator.
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s')",message="syncInterval must be at least 1s"
	// +optional
	SyncInterval *metav1.Duration `json:"syncInterval,omitempty"`
}

// AccountPermissions says which admitted namespaces may do more than manage
// new principals of their own.
type AccountPermissions struct {
	// accountAdmin: namespaces whose identities may set accountAdmin: true
	// (the account_admin role). Unset: none.
	// +optional
	AccountAdmin *NamespacePermission `json:"accountAdmin,omitempty"`

	// adoption: namespaces whose identities may use adoptionPolicy: IfExists
	// to take over principals that already exist in the account. Unset: none.
	// +optional
	Adoption *NamespacePermission `json:"adoption,omitempty"`
}

// NamespacePermission grants a permission to the admitted namespaces its
// selector matches.
type NamespacePermission struct {
	// namespaceSelector selects the namespaces granted the permission; an
	// empty selector ({}) matches every namespace the account admits. Unset:
	// none.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
}

// SecretKeyReference names a key of a Secret in the operator's namespace.
type SecretKeyReference struct {
	// name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// key in the Secret's data that holds the token.
	// +kubebuilder:default="token"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Key string `json:"key,omitempty"`
}

// RateLimits are client-side request rates in requests per second, written as
// positive decimals ("20", "0.5"); unset fields keep the default.
type RateLimits struct {
	// get is the rate of single-object GETs (Databricks: 20/s).
	// +optional
	Get RequestRate `json:"get,omitempty"`
	// list is the rate of list pages (Databricks: 240/min, i.e. 4/s).
	// +optional
	List RequestRate `json:"list,omitempty"`
	// patch is the rate of PATCH requests (Databricks: 2/s).
	// +optional
	Patch RequestRate `json:"patch,omitempty"`
	// write is the rate of POST, PUT and DELETE requests (Databricks: 5/s).
	// +optional
	Write RequestRate `json:"write,omitempty"`
}

// RequestRate is a positive decimal number of requests per second.
// +kubebuilder:validation:Pattern=`^([1-9][0-9]{0,5}(\.[0-9]{1,3})?|0\.[0-9]{0,2}[1-9])$`
// +kubebuilder:validation:MaxLength=10
type RequestRate string

// IdentityCounts counts the identities bound to an account.
type IdentityCounts struct {
	// users bound to this account.
	// +optional
	Users int32 `json:"users"`
	// groups bound to this account.
	// +optional
	Groups int32 `json:"groups"`
	// servicePrincipals bound to this account.
	// +optional
	ServicePrincipals int32 `json:"servicePrincipals"`
}

// DatabricksAccountStatus is the observed state of a DatabricksAccount.
type DatabricksAccountStatus struct {
	// conditions: Ready is always present; Reconciling and Stalled only while true.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation whose reconcile last concluded.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// lastVerifiedTime is when the token last authenticated a SCIM call.
	// +optional
	LastVerifiedTime *metav1.Time `json:"lastVerifiedTime,omitempty"`

	// identities counts the User, Group and ServicePrincipal resources bound to this account.
	// +optional
	Identities IdentityCounts `json:"identities,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=dbxaccount,categories=databricks
// +kubebuilder:printcolumn:name="Account",type=string,JSONPath=`.spec.accountID`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Status",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// DatabricksAccount is one Databricks account whose identities this operator manages.
type DatabricksAccount struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the account's coordinates and credentials.
	// +required
	Spec DatabricksAccountSpec `json:"spec"`

	// status is the observed state of the account.
	// +optional
	Status DatabricksAccountStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// DatabricksAccountList contains a list of DatabricksAccount.
type DatabricksAccountList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DatabricksAccount `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &DatabricksAccount{}, &DatabricksAccountList{})
		return nil
	})
}
