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
	"strings"

	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
)

// ReservedGroupNames are the built-in groups that cannot be managed.
var ReservedGroupNames = []string{"account users", "users", "admins"}

// IsReservedGroupName reports whether displayName names a built-in group
// under naturalkey.Key. The schema's CEL rule only compares ASCII lower case,
// so it admits spellings such as "ＡＤＭＩＮＳ" (full width) or "adminſ"
// (U+017F) that have the same natural key as "admins"; the controllers must
// check this before any lookup, adoption or write.
func IsReservedGroupName(displayName string) bool {
	k := naturalkey.Key(strings.Trim(displayName, " "))
	for _, r := range ReservedGroupNames {
		if k == r {
			return true
		}
	}
	return false
}

// Identity is what User, ServicePrincipal and Group have in common, so the
// controllers can share the steps that do not depend on the kind.
// +kubebuilder:object:generate=false
type Identity interface {
	GetAccountName() string
	GetIdentityStatus() *IdentityStatus
	GetManagementPolicy() ManagementPolicy
	GetAdoptionPolicy() AdoptionPolicy
	IsSuspended() bool
	// WantsAccountAdmin says whether the spec grants the account_admin role.
	WantsAccountAdmin() bool
}

// GetAccountName returns spec.accountRef.name.
func (u *User) GetAccountName() string { return u.Spec.AccountRef.Name }

// GetIdentityStatus returns the shared part of the status.
func (u *User) GetIdentityStatus() *IdentityStatus { return &u.Status.IdentityStatus }

// GetManagementPolicy returns spec.managementPolicy, defaulting to Manage.
func (u *User) GetManagementPolicy() ManagementPolicy { return orManage(u.Spec.ManagementPolicy) }

// GetAdoptionPolicy returns spec.adoptionPolicy, defaulting to Never.
func (u *User) GetAdoptionPolicy() AdoptionPolicy { return orNever(u.Spec.AdoptionPolicy) }

// IsSuspended returns spec.suspend.
func (u *User) IsSuspended() bool { return u.Spec.Suspend }

// GetAccountName returns spec.accountRef.name.
func (s *ServicePrincipal) GetAccountName() string { return s.Spec.AccountRef.Name }

// GetIdentityStatus returns the shared part of the status.
func (s *ServicePrincipal) GetIdentityStatus() *IdentityStatus { return &s.Status.IdentityStatus }

// GetManagementPolicy returns spec.managementPolicy, defaulting to Manage.
func (s *ServicePrincipal) GetManagementPolicy() ManagementPolicy {
	return orManage(s.Spec.ManagementPolicy)
}

// GetAdoptionPolicy returns spec.adoptionPolicy, defaulting to Never.
func (s *ServicePrincipal) GetAdoptionPolicy() AdoptionPolicy { return orNever(s.Spec.AdoptionPolicy) }

// IsSuspended returns spec.suspend.
func (s *ServicePrincipal) IsSuspended() bool { return s.Spec.Suspend }

// GetAccountName returns spec.accountRef.name.
func (g *Group) GetAccountName() string { return g.Spec.AccountRef.Name }

// GetIdentityStatus returns the shared part of the status.
func (g *Group) GetIdentityStatus() *IdentityStatus { return &g.Status.IdentityStatus }

// GetManagementPolicy returns spec.managementPolicy, defaulting to Manage.
func (g *Group) GetManagementPolicy() ManagementPolicy { return orManage(g.Spec.ManagementPolicy) }

// GetAdoptionPolicy returns spec.adoptionPolicy, defaulting to Never.
func (g *Group) GetAdoptionPolicy() AdoptionPolicy { return orNever(g.Spec.AdoptionPolicy) }

// IsSuspended returns spec.suspend.
func (g *Group) IsSuspended() bool { return g.Spec.Suspend }

func orManage(p ManagementPolicy) ManagementPolicy {
	if p == "" {
		return ManagementManage
	}
	return p
}

func orNever(p AdoptionPolicy) AdoptionPolicy {
	if p == "" {
		return AdoptionNever
	}
	return p
}

// WantsAccountAdmin says whether spec.accountAdmin is true.
func (u *User) WantsAccountAdmin() bool { return u.Spec.AccountAdmin != nil && *u.Spec.AccountAdmin }

// WantsAccountAdmin says whether spec.accountAdmin is true.
func (s *ServicePrincipal) WantsAccountAdmin() bool {
	return s.Spec.AccountAdmin != nil && *s.Spec.AccountAdmin
}

// WantsAccountAdmin says whether spec.accountAdmin is true.
func (g *Group) WantsAccountAdmin() bool { return g.Spec.AccountAdmin != nil && *g.Spec.AccountAdmin }
