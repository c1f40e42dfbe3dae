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

// Package tfstate reads a Terraform state file (format version 4, as
// `terraform state pull` prints it) written by the Databricks provider for
// account-level identities, and returns the users, service principals and
// groups it holds as SCIM-shaped objects, with their group members, their
// account_admin role and their deletion policy. It does no I/O besides
// reading the state and never talks to Databricks.
//
// Mapping (README.md has the full table):
//
//   - databricks_user: id, user_name, display_name, external_id, active →
//     scim.User ID, UserName, DisplayName, ExternalID, Active.
//   - databricks_service_principal: id, application_id, display_name,
//     external_id, active → scim.ServicePrincipal.
//   - databricks_group: id, display_name, external_id → scim.Group.
//   - databricks_group_member: group_id, member_id → a member of that group,
//     {Value: <member id>, Ref: "Users/<id>" | "ServicePrincipals/<id>" |
//     "Groups/<id>"}, when both ids are principals mapped from the state.
//   - databricks_user_role, databricks_service_principal_role,
//     databricks_group_role with role "account_admin" → Roles
//     [{Value: "account_admin"}] of that principal.
//   - disable_as_user_deletion of users and service principals: true or
//     unset → Deactivate (the provider's account-level default), false →
//     Delete, in Result.DeletionPolicies.
//
// Everything else is listed in Result.Unmapped with a reason: other roles
// (instance profiles), members or roles naming a principal the state does
// not manage (such as a group only read by a data source),
// other Databricks resource types, resources of other providers, deposed
// objects, workspace-level identities, and workspace-level entitlements set
// to true on a mapped principal (the principal is mapped, the entitlement is
// dropped). Data sources are skipped without a note: Terraform does not
// manage them.
//
// The provider runs these resources at account or workspace level. An
// instance is workspace-level when its api attribute is "workspace", when
// the provider filled in provider_config.workspace_id (it does so only at
// workspace level), when a group's url points at a workspace rather than at
// the account console, or when another identity instance of the same
// provider configuration shows one of the last two and none shows account
// level. Otherwise it is taken to be account-level.
//
// Provider addresses are matched without their host, so mirrored or
// rehosted copies of databricks/databricks (and its former name
// databrickslabs/databricks) are recognized.
package tfstate
