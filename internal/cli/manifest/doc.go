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

// Package manifest turns Databricks account identities, as the SCIM API
// returns them, into the operator's resources (User, ServicePrincipal, Group)
// and writes them as a directory ready for Git: one YAML file per object and
// a kustomization.yaml listing them.
//
// Two producers feed it, and both hand over the same value, a Snapshot:
//   - `kubectl databricks export` reads an account over SCIM;
//   - `kubectl databricks import-terraform` reads a Terraform state.
//
// The whole contract is three calls:
//
//	snap := manifest.Snapshot{Users: ..., ServicePrincipals: ..., Groups: ..., DeletionPolicies: ...}
//	objs, notes, err := manifest.Build(snap, manifest.Options{Account: "main", Namespace: "identities", Adopt: true})
//	// print notes (what could not be expressed) to the user
//	err = manifest.WriteDir("identities/", objs, "Imported from terraform.tfstate by kubectl-databricks")
//
// What a producer puts in a Snapshot:
//   - Users, ServicePrincipals and Groups hold every principal the producer
//     knows, exported or not: Build writes group members that are not
//     exported (filtered out, or placed in another namespace) by natural
//     key, and it can only do so for principals it knows.
//   - Attributes are SCIM's: scim.User.UserName, DisplayName, Name, Active,
//     ExternalID and Roles; scim.ServicePrincipal.ApplicationID, DisplayName,
//     Active, ExternalID and Roles; scim.Group.DisplayName, ExternalID, Roles
//     and Members. The account_admin role is a Roles entry with Value
//     scim.RoleAccountAdmin ("account_admin"). Active nil means true.
//   - Group members are given by SCIM id: scim.ComplexValue{Value: id} with
//     Ref "Users/<id>", "ServicePrincipals/<id>" or "Groups/<id>" when known
//     (scim.MemberResource reads it); without a Ref the id is looked up in
//     all three lists. A member whose id the Snapshot does not know cannot be
//     written by name: Build reports it in the notes and makes that group
//     membershipPolicy Additive, so applying the directory never removes
//     the member it could not name.
//   - IDs must be unique per list and non-empty (they only join members to
//     principals; they are not written out).
//   - DeletionPolicies, by SCIM id, set the deletionPolicy of users and
//     service principals (Terraform's disable_as_user_deletion: true is
//     Deactivate, false is Delete). Absent ids keep the operator's default.
//
// What Build writes, so that applying the directory causes no SCIM write
// when the spec already equals the remote state: every attribute the
// Snapshot carries and the operator manages (userName, displayName,
// givenName, familyName, active: false, externalId, accountAdmin: true,
// applicationId, members), and nothing it does not carry (an unset field is
// not managed). accountAdmin is written only when the role is held: writing
// false would make the operator revoke a role granted later in the console.
// Objects are Observe by default (managementPolicy: Observe: read-only), or,
// with Options.Adopt, managed with adoptionPolicy: IfExists. The built-in
// groups ("account users", "users", "admins") are never written.
//
// Names are DNS-1123 labels derived from the natural key (see BaseName), stable
// across runs and independent of the order of the input.
package manifest
