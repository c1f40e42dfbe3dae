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

// Condition types, following kstatus: Ready is always present, Reconciling and
// Stalled only while true.
const (
	ConditionReady       = "Ready"
	ConditionReconciling = "Reconciling"
	ConditionStalled     = "Stalled"
)

// Reasons. Each is also the Event reason for the transition it names.
const (
	// ReasonConnected: the account's token authenticated a cheap SCIM call.
	ReasonConnected = "Connected"
	// ReasonTokenSecretNotFound: the token Secret or its key is missing.
	ReasonTokenSecretNotFound = "TokenSecretNotFound"
	// ReasonTokenInvalid: Databricks refused the token (401/403, an auth failure page).
	ReasonTokenInvalid = "TokenInvalid"
	// ReasonUnreachable: the SCIM endpoint could not be reached or answered 5xx.
	ReasonUnreachable = "Unreachable"
	// ReasonThrottled: Databricks answered 429 or REQUEST_LIMIT_EXCEEDED.
	ReasonThrottled = "Throttled"
	// ReasonInUse: the account cannot be deleted while identities reference it.
	ReasonInUse = "InUse"

	// ReasonSynced: the remote object matches the spec.
	ReasonSynced = "Synced"
	// ReasonObserved: managementPolicy Observe found the remote object and mirrored it.
	ReasonObserved = "Observed"
	// ReasonProgressing: a change is being applied.
	ReasonProgressing = "Progressing"
	// ReasonAccountNotFound: accountRef names no DatabricksAccount.
	ReasonAccountNotFound = "AccountNotFound"
	// ReasonAccountNotReady: the DatabricksAccount is not Ready yet.
	ReasonAccountNotReady = "AccountNotReady"
	// ReasonNamespaceNotAllowed: the account's namespaceSelector excludes this namespace.
	ReasonNamespaceNotAllowed = "NamespaceNotAllowed"
	// ReasonAlreadyExists: the remote object exists and adoptionPolicy is Never.
	ReasonAlreadyExists = "AlreadyExists"
	// ReasonConflict: an older resource already manages the same remote object.
	ReasonConflict = "Conflict"
	// ReasonNotFound: with managementPolicy Observe, no remote object has the natural key.
	ReasonNotFound = "NotFound"
	// ReasonMembersUnresolved: some members could not be resolved; the rest converged.
	ReasonMembersUnresolved = "MembersUnresolved"
	// ReasonMembershipCycle: the nested groups would form a cycle.
	ReasonMembershipCycle = "MembershipCycle"
	// ReasonSuspended: spec.suspend is true, nothing is read or written.
	ReasonSuspended = "Suspended"
	// ReasonInvalidSpec: Databricks rejected the spec (4xx); fix the spec.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonDeleting: the remote object is being deleted or deactivated.
	ReasonDeleting = "Deleting"
	// ReasonNotPermitted: the spec asks for a permission (accountAdmin,
	// adoption) the DatabricksAccount does not grant this namespace.
	ReasonNotPermitted = "NotPermitted"
	// ReasonHostNotAllowed: the account's host is not in the manager's allow list.
	ReasonHostNotAllowed = "HostNotAllowed"
	// ReasonAmbiguous: several remote service principals share the displayName.
	ReasonAmbiguous = "Ambiguous"
)

// Event reasons for successful transitions.
const (
	EventCreated       = "Created"
	EventAdopted       = "Adopted"
	EventUpdated       = "Updated"
	EventDeactivated   = "Deactivated"
	EventDeleted       = "Deleted"
	EventDriftRepaired = "DriftRepaired"
)

// Finalizer is set on every resource before the first remote write.
const Finalizer = "databricks.scimops.dev/finalizer"

// LabelToken marks a Secret in the operator's namespace as a SCIM token; the
// manager reads no other Secret.
const LabelToken = "databricks.scimops.dev/token"

// MaxMessageLength bounds condition and Event messages (the API server
// refuses Events over 1 KiB), so a status write is never refused for size.
const MaxMessageLength = 1024

// MaxUnresolvedMembers bounds status.unresolvedMembers.
const MaxUnresolvedMembers = 20
