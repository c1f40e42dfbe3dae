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

package tfstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

func readFile(t *testing.T, path string) (*Result, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Read(f)
}

func mustRead(t *testing.T, state string) *Result {
	t.Helper()
	res, err := Read(strings.NewReader(state))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return res
}

// fixture is the expected Result of testdata/account.tfstate.
func fixture() *Result {
	const (
		alice, bob, carol, dave = "4702183465829301", "5813294576930412", "6924305687041523", "7035416798152634"
		erin, frank             = "8146527809263745", "9257638910374856"
		etl, ci                 = "1368749021485967", "2479850132596078"
		engineers, analysts     = "3001847362951740", "3112958473062851"
		admins, team            = "3224069584173962", "3335170695285073"
	)
	admin := []scim.ComplexValue{{Value: "account_admin"}}
	user := func(id string) scim.ComplexValue { return scim.ComplexValue{Value: id, Ref: "Users/" + id} }
	return &Result{
		Users: []scim.User{
			{ID: alice, UserName: "alice@example.com", DisplayName: "Alice Adams", Active: scim.Bool(true), Roles: admin},
			{ID: bob, UserName: "bob@example.com", DisplayName: "Bob Brown", Active: scim.Bool(true), ExternalID: "00u1a2b3c4d5e6f7g8h9"},
			{ID: carol, UserName: "carol@example.com", DisplayName: "Carol Chen", Active: scim.Bool(true)},
			{ID: dave, UserName: "dave@example.com", DisplayName: "Dave Davis", Active: scim.Bool(false)},
			{ID: erin, UserName: "erin@example.com", DisplayName: "Erin Evans", Active: scim.Bool(true)},
			{ID: frank, UserName: "frank@example.com", DisplayName: "Frank Fischer", Active: scim.Bool(true)},
		},
		ServicePrincipals: []scim.ServicePrincipal{
			{ID: etl, ApplicationID: "6a1f4c3e-2b7d-4e0a-9c55-0f3e8b1d2a47", DisplayName: "etl-pipeline", Active: scim.Bool(true)},
			{ID: ci, ApplicationID: "0b9e7d5c-3a1f-4e2d-8c6b-5a4f3e2d1c0b", DisplayName: "ci-deployer", Active: scim.Bool(true), ExternalID: "ci-deployer-entra-7f3a", Roles: admin},
		},
		Groups: []scim.Group{
			{ID: engineers, DisplayName: "Data Engineers", Members: []scim.ComplexValue{
				{Value: etl, Ref: "ServicePrincipals/" + etl},
				{Value: team, Ref: "Groups/" + team},
				user(alice),
			}},
			{ID: analysts, DisplayName: "Analysts", ExternalID: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", Members: []scim.ComplexValue{
				{Value: "1122334455667788"}, // not in the state: kept by id, with no kind
				user(bob), user(dave),
			}},
			{ID: admins, DisplayName: "Platform Admins", Roles: admin, Members: []scim.ComplexValue{
				{Value: ci, Ref: "ServicePrincipals/" + ci},
				user(carol),
			}},
			{ID: team, DisplayName: "Team Data", Members: []scim.ComplexValue{user(erin), user(frank)}},
		},
		DeletionPolicies: map[string]v1alpha1.PrincipalDeletionPolicy{
			alice: v1alpha1.PrincipalDeactivate, // unset: account-level default
			bob:   v1alpha1.PrincipalDeactivate, // true
			carol: v1alpha1.PrincipalDelete,     // false
			dave:  v1alpha1.PrincipalDeactivate, // unset
			erin:  v1alpha1.PrincipalDelete,     // false
			frank: v1alpha1.PrincipalDeactivate, // true
			etl:   v1alpha1.PrincipalDeactivate, // true
			ci:    v1alpha1.PrincipalDelete,     // false
		},
		Unmapped: []Unmapped{
			{"databricks_group.ws_local", `workspace-level (provider_config.workspace_id = "1234567890123456"): it manages a workspace's identities, not the account's`},
			{"databricks_group_member.analysts_contractor", "member_id 1122334455667788 is not a user, service principal or group this state manages; it stays in databricks_group.analysts by SCIM id only: name it by userName, applicationId or groupDisplayName yourself"},
			{"databricks_group_member.finance_alice", "group_id 5557392817407295 is the group read by data.databricks_group.finance, which this state does not manage; only members of groups imported from this state are mapped"},
			{"databricks_group_member.ws_local_dave", `workspace-level (provider_config.workspace_id = "1234567890123456"): it manages a workspace's identities, not the account's`},
			{"databricks_mws_permission_assignment.analysts_analytics", "workspace assignments are not managed by this operator (keep them in Terraform)"},
			{"databricks_mws_workspaces.analytics", "databricks_mws_workspaces is not an account identity resource; not managed by this operator"},
			{"databricks_user.carol", "allow_cluster_create = true is dropped: entitlements are workspace-level and not managed by this operator (keep them in Terraform with databricks_entitlements)"},
			{"databricks_user.carol", "databricks_sql_access = true is dropped: entitlements are workspace-level and not managed by this operator (keep them in Terraform with databricks_entitlements)"},
			{"databricks_user_role.bob_instance_profile", `role "arn:aws:iam::123456789012:instance-profile/databricks-data-readers" is not account_admin: instance profiles and other roles are not managed by this operator (keep them in Terraform)`},
			{"random_id.bucket_suffix", "a resource of the hashicorp/random provider, not of databricks/databricks"},
		},
	}
}

// TestReadAccountFixture checks every mapped field, the folded members and
// roles, the deletion policies and the exact unmapped list.
func TestReadAccountFixture(t *testing.T) {
	got, err := readFile(t, "testdata/account.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	want := fixture()
	compareResults(t, got, want)
	// The members name principals of the Result in the form
	// scim.MemberResource understands.
	kinds := map[string]scim.Resource{}
	for _, u := range got.Users {
		kinds[u.ID] = scim.ResourceUsers
	}
	for _, sp := range got.ServicePrincipals {
		kinds[sp.ID] = scim.ResourceServicePrincipals
	}
	for _, g := range got.Groups {
		kinds[g.ID] = scim.ResourceGroups
	}
	for _, g := range got.Groups {
		for _, m := range g.Members {
			// A member this state holds no principal for has no kind (""):
			// the converter must see it to keep the group from removing it.
			if k := scim.MemberResource(m); k != kinds[m.Value] {
				t.Errorf("group %s member %+v: MemberResource = %q, want %q", g.DisplayName, m, k, kinds[m.Value])
			}
		}
	}
}

func compareResults(t *testing.T, got, want *Result) {
	t.Helper()
	if !reflect.DeepEqual(got.Users, want.Users) {
		t.Errorf("Users:\n got %s\nwant %s", dump(got.Users), dump(want.Users))
	}
	if !reflect.DeepEqual(got.ServicePrincipals, want.ServicePrincipals) {
		t.Errorf("ServicePrincipals:\n got %s\nwant %s", dump(got.ServicePrincipals), dump(want.ServicePrincipals))
	}
	if !reflect.DeepEqual(got.Groups, want.Groups) {
		t.Errorf("Groups:\n got %s\nwant %s", dump(got.Groups), dump(want.Groups))
	}
	if !reflect.DeepEqual(got.DeletionPolicies, want.DeletionPolicies) {
		t.Errorf("DeletionPolicies:\n got %v\nwant %v", got.DeletionPolicies, want.DeletionPolicies)
	}
	if !reflect.DeepEqual(got.Unmapped, want.Unmapped) {
		t.Errorf("Unmapped:\n got %s\nwant %s", dumpUnmapped(got.Unmapped), dumpUnmapped(want.Unmapped))
	}
}

func dumpUnmapped(u []Unmapped) string {
	var b strings.Builder
	for _, x := range u {
		fmt.Fprintf(&b, "\n  %s: %s", x.Address, x.Reason)
	}
	return b.String()
}

// TestReadIsDeterministic shuffles the resources and their instances: the
// Result does not depend on the file order.
func TestReadIsDeterministic(t *testing.T) {
	data, err := os.ReadFile("testdata/account.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	first := mustRead(t, string(data))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		var st map[string]any
		if err := json.Unmarshal(data, &st); err != nil {
			t.Fatal(err)
		}
		resources := st["resources"].([]any)
		rng.Shuffle(len(resources), func(a, b int) { resources[a], resources[b] = resources[b], resources[a] })
		for _, r := range resources {
			inst := r.(map[string]any)["instances"].([]any)
			rng.Shuffle(len(inst), func(a, b int) { inst[a], inst[b] = inst[b], inst[a] })
		}
		shuffled, _ := json.Marshal(st)
		got := mustRead(t, string(shuffled))
		if !reflect.DeepEqual(got, first) {
			t.Errorf("shuffle %d: result differs", i)
			compareResults(t, got, first)
			t.FailNow()
		}
	}
	compareResults(t, first, fixture())
}

func TestDeletionPolicyMapping(t *testing.T) {
	res := mustRead(t, state(
		resource("databricks_user", "t", userAttrs("1", "t@example.com", "disable_as_user_deletion", true)),
		resource("databricks_user", "f", userAttrs("2", "f@example.com", "disable_as_user_deletion", false)),
		resource("databricks_user", "null", userAttrs("3", "n@example.com")),
		// A provider older than v1.20.0 did not have the attribute.
		resource("databricks_user", "absent", userAttrs("4", "a@example.com", "disable_as_user_deletion", absent)),
		resource("databricks_service_principal", "t", spAttrs("5", "", "sp-t", "disable_as_user_deletion", true)),
		resource("databricks_service_principal", "f", spAttrs("6", "", "sp-f", "disable_as_user_deletion", false)),
		resource("databricks_service_principal", "null", spAttrs("7", "", "sp-n")),
		resource("databricks_group", "g", groupAttrs("8", "G")),
	))
	want := map[string]v1alpha1.PrincipalDeletionPolicy{
		"1": v1alpha1.PrincipalDeactivate, "2": v1alpha1.PrincipalDelete, "3": v1alpha1.PrincipalDeactivate, "4": v1alpha1.PrincipalDeactivate,
		"5": v1alpha1.PrincipalDeactivate, "6": v1alpha1.PrincipalDelete, "7": v1alpha1.PrincipalDeactivate,
	}
	if !reflect.DeepEqual(res.DeletionPolicies, want) {
		t.Errorf("DeletionPolicies = %v, want %v (groups have none)", res.DeletionPolicies, want)
	}
	if len(res.Unmapped) != 0 {
		t.Errorf("Unmapped = %s", dumpUnmapped(res.Unmapped))
	}
}

func TestServicePrincipalFields(t *testing.T) {
	res := mustRead(t, state(
		// AWS: Databricks generated the application id; active unset in an
		// old state stays nil.
		resource("databricks_service_principal", "aws", spAttrs("1", "11111111-2222-4333-8444-555555555555", "aws-sp", "active", nil)),
		resource("databricks_service_principal", "azure", spAttrs("2", "6a1f4c3e-2b7d-4e0a-9c55-0f3e8b1d2a47", "", "active", false, "external_id", "ext-2")),
	))
	want := []scim.ServicePrincipal{
		{ID: "1", ApplicationID: "11111111-2222-4333-8444-555555555555", DisplayName: "aws-sp"},
		{ID: "2", ApplicationID: "6a1f4c3e-2b7d-4e0a-9c55-0f3e8b1d2a47", Active: scim.Bool(false), ExternalID: "ext-2"},
	}
	if !reflect.DeepEqual(res.ServicePrincipals, want) {
		t.Errorf("ServicePrincipals:\n got %s\nwant %s", dump(res.ServicePrincipals), dump(want))
	}
}

func TestMembersAndRoles(t *testing.T) {
	res := mustRead(t, state(
		resource("databricks_user", "u", userAttrs("10", "u@example.com")),
		resource("databricks_service_principal", "sp", spAttrs("20", "", "sp")),
		resource("databricks_group", "outer", groupAttrs("30", "Outer")),
		resource("databricks_group", "inner", groupAttrs("31", "Inner")),
		resource("databricks_group_member", "outer_inner", memberAttrs("30", "31")),
		resource("databricks_group_member", "outer_u", memberAttrs("30", "10")),
		// A second resource for the same edge (e.g. left over in a module)
		// adds nothing.
		resource("databricks_group_member", "outer_u_again", memberAttrs("30", "10")),
		resource("databricks_group_member", "inner_sp", memberAttrs("31", "20")),
		resource("databricks_group_member", "into_user", memberAttrs("10", "20")),
		resource("databricks_group_member", "empty", memberAttrs("30", "")),
		resource("databricks_user_role", "admin", roleAttrs("user_id", "10", "account_admin")),
		resource("databricks_user_role", "admin_again", roleAttrs("user_id", "10", "account_admin")),
		resource("databricks_user_role", "on_sp", roleAttrs("user_id", "20", "account_admin")),
		resource("databricks_user_role", "unknown", roleAttrs("user_id", "99", "account_admin")),
		resource("databricks_service_principal_role", "admin", roleAttrs("service_principal_id", "20", "account_admin")),
		resource("databricks_service_principal_role", "marketplace", roleAttrs("service_principal_id", "20", "marketplace_admin")),
		resource("databricks_group_role", "admin", roleAttrs("group_id", "31", "account_admin")),
		resource("databricks_group_role", "profile", roleAttrs("group_id", "31", "arn:aws:iam::123456789012:instance-profile/x")),
	))
	admin := []scim.ComplexValue{{Value: "account_admin"}}
	wantGroups := []scim.Group{
		{ID: "30", DisplayName: "Outer", Members: []scim.ComplexValue{{Value: "10", Ref: "Users/10"}, {Value: "31", Ref: "Groups/31"}}},
		{ID: "31", DisplayName: "Inner", Roles: admin, Members: []scim.ComplexValue{{Value: "20", Ref: "ServicePrincipals/20"}}},
	}
	if !reflect.DeepEqual(res.Groups, wantGroups) {
		t.Errorf("Groups:\n got %s\nwant %s", dump(res.Groups), dump(wantGroups))
	}
	if !reflect.DeepEqual(res.Users[0].Roles, admin) || !reflect.DeepEqual(res.ServicePrincipals[0].Roles, admin) {
		t.Errorf("roles: user %v, service principal %v", res.Users[0].Roles, res.ServicePrincipals[0].Roles)
	}
	wantUnmapped := []Unmapped{
		{"databricks_group_member.empty", "member_id is empty"},
		{"databricks_group_member.into_user", "group_id 10 is the user databricks_user.u; only members of groups imported from this state are mapped"},
		{"databricks_group_role.profile", `role "arn:aws:iam::123456789012:instance-profile/x" is not account_admin: instance profiles and other roles are not managed by this operator (keep them in Terraform)`},
		{"databricks_service_principal_role.marketplace", `role "marketplace_admin" is not account_admin: instance profiles and other roles are not managed by this operator (keep them in Terraform)`},
		{"databricks_user_role.on_sp", "user_id 20 is the service principal databricks_service_principal.sp; set accountAdmin on its resource yourself"},
		{"databricks_user_role.unknown", "user_id 99 is not a user, service principal or group this state manages; set accountAdmin on its resource yourself"},
	}
	if !reflect.DeepEqual(res.Unmapped, wantUnmapped) {
		t.Errorf("Unmapped:\n got %s\nwant %s", dumpUnmapped(res.Unmapped), dumpUnmapped(wantUnmapped))
	}
}

func TestAddressesAndModes(t *testing.T) {
	count := resource("databricks_user", "n", nil)
	count["instances"] = []any{
		map[string]any{"index_key": 0, "attributes": userAttrs("1", "a@example.com")},
		map[string]any{"index_key": 1, "attributes": userAttrs("2", "b@example.com", "workspace_access", true)},
	}
	count["module"] = `module.teams["data \"eng\""].module.people`
	data := with(resource("databricks_user", "lookup", userAttrs("3", "c@example.com")), "mode", "data")
	otherData := with(with(resource("aws_caller_identity", "me", map[string]any{"id": "1"}), "mode", "data"), "provider", `provider["tf.example.com/hashicorp/aws"]`)
	deposed := resource("databricks_group", "g", nil)
	deposed["instances"] = []any{
		map[string]any{"attributes": groupAttrs("5", "G")},
		map[string]any{"deposed": "00000001", "attributes": groupAttrs("4", "G")},
	}
	tainted := resource("databricks_group", "t", nil)
	tainted["instances"] = []any{map[string]any{"status": "tainted", "attributes": groupAttrs("6", "T")}}
	flat := resource("databricks_group", "flat", nil)
	flat["instances"] = []any{map[string]any{"attributes_flat": map[string]string{"id": "7", "display_name": "Flat"}}}
	res := mustRead(t, state(count, data, otherData, deposed, tainted, flat))
	if len(res.Users) != 2 || res.Users[0].UserName != "a@example.com" || res.Users[1].UserName != "b@example.com" {
		t.Errorf("Users = %s (the data source must not be mapped)", dump(res.Users))
	}
	if len(res.Groups) != 2 || res.Groups[0].ID != "5" || res.Groups[1].ID != "6" {
		t.Errorf("Groups = %s, want the current object 5 and the tainted 6", dump(res.Groups))
	}
	want := []Unmapped{
		{"databricks_group.flat", "the instance only has legacy flat attributes (a state upgraded from Terraform 0.11): refresh the state with a current Terraform first"},
		{"databricks_group.g", "deposed object 00000001, which Terraform destroys on its next apply; only current objects are imported"},
		{`module.teams["data \"eng\""].module.people.databricks_user.n[1]`, "workspace_access = true is dropped: entitlements are workspace-level and not managed by this operator (keep them in Terraform with databricks_entitlements)"},
	}
	if !reflect.DeepEqual(res.Unmapped, want) {
		t.Errorf("Unmapped:\n got %s\nwant %s", dumpUnmapped(res.Unmapped), dumpUnmapped(want))
	}
}

func TestDuplicateIDsAndBadAttributes(t *testing.T) {
	res := mustRead(t, state(
		resource("databricks_user", "b", userAttrs("1", "x@example.com")),
		resource("databricks_user", "a", userAttrs("1", "x@example.com")),
		resource("databricks_user", "noname", userAttrs("2", "")),
		resource("databricks_user", "noid", userAttrs("", "y@example.com")),
		resource("databricks_user", "badactive", userAttrs("3", "z@example.com", "active", "yes")),
		resource("databricks_user", "badname", userAttrs("4", "z@example.com", "user_name", 42)),
		resource("databricks_service_principal", "nameless", spAttrs("5", "", "")),
		resource("databricks_group", "nameless", groupAttrs("6", "")),
		resource("databricks_group_member", "bad", memberAttrs("6", "2")),
		resource("databricks_user", "numericid", userAttrs("", "n@example.com", "id", 12)),
		resource("databricks_group_member", "numeric", memberAttrs("", "1", "group_id", 6)),
	))
	if len(res.Users) != 1 || res.Users[0].ID != "1" {
		t.Fatalf("Users = %s", dump(res.Users))
	}
	want := []Unmapped{
		{"databricks_group.nameless", "display_name is empty"},
		{"databricks_group_member.bad", "group_id 6 is databricks_group.nameless, which is not imported; only members of groups imported from this state are mapped"},
		{"databricks_group_member.numeric", "attribute group_id is 6, not a string"},
		{"databricks_service_principal.nameless", "application_id and display_name are both empty"},
		{"databricks_user.b", "SCIM id 1 is also held by databricks_user.a, which is imported instead"},
		{"databricks_user.badactive", `attribute active is "yes", not a boolean`},
		{"databricks_user.badname", "attribute user_name is 42, not a string"},
		{"databricks_user.noid", "no SCIM id: the id attribute is empty"},
		{"databricks_user.noname", "user_name is empty"},
		{"databricks_user.numericid", "attribute id is 12, not a string"},
	}
	if !reflect.DeepEqual(res.Unmapped, want) {
		t.Errorf("Unmapped:\n got %s\nwant %s", dumpUnmapped(res.Unmapped), dumpUnmapped(want))
	}
}

func TestWorkspaceLevel(t *testing.T) {
	const ws = dbxProvider + ".workspace"
	onWS := func(r map[string]any) map[string]any { return with(r, "provider", ws) }
	res := mustRead(t, state(
		// Explicit api wins over everything.
		resource("databricks_user", "api_ws", userAttrs("1", "a@example.com", "api", "workspace")),
		onWS(resource("databricks_user", "api_account", userAttrs("2", "b@example.com", "api", "account"))),
		// An old state: no api, no provider_config; the group's url shows
		// the workspace provider configuration, and with it its user.
		onWS(resource("databricks_group", "ws", groupAttrs("3", "WS", "url", "https://dbc-1.cloud.databricks.com/#setting/accounts/groups/3", "provider_config", absent, "api", absent))),
		onWS(resource("databricks_user", "ws_user", userAttrs("4", "c@example.com", "provider_config", absent, "api", absent))),
		onWS(resource("databricks_group_member", "ws_member", memberAttrs("3", "4", "provider_config", absent, "api", absent))),
		// The account configuration shows account level.
		resource("databricks_group", "acc", groupAttrs("5", "Acc", "url", "https://accounts.cloud.databricks.com/users/groups/5/information")),
		resource("databricks_user", "acc_user", userAttrs("6", "d@example.com")),
		// provider_config.workspace_id on the instance itself.
		resource("databricks_group_role", "pc", roleAttrs("group_id", "5", "account_admin", "provider_config", wsConfig)),
	))
	var users []string
	for _, u := range res.Users {
		users = append(users, u.ID)
	}
	if !reflect.DeepEqual(users, []string{"2", "6"}) {
		t.Errorf("users = %v, want [2 6]", users)
	}
	if len(res.Groups) != 1 || res.Groups[0].ID != "5" || len(res.Groups[0].Roles) != 0 {
		t.Errorf("Groups = %s", dump(res.Groups))
	}
	const inferred = "workspace-level (its provider configuration is workspace-level, as databricks_group.ws (url = \"https://dbc-1.cloud.databricks.com/#setting/accounts/groups/3\") shows): it manages a workspace's identities, not the account's"
	want := []Unmapped{
		{"databricks_group.ws", `workspace-level (url = "https://dbc-1.cloud.databricks.com/#setting/accounts/groups/3"): it manages a workspace's identities, not the account's`},
		{"databricks_group_member.ws_member", inferred},
		{"databricks_group_role.pc", `workspace-level (provider_config.workspace_id = "1234567890123456"): it manages a workspace's identities, not the account's`},
		{"databricks_user.api_ws", `workspace-level (api = "workspace"): it manages a workspace's identities, not the account's`},
		{"databricks_user.ws_user", inferred},
	}
	if !reflect.DeepEqual(res.Unmapped, want) {
		t.Errorf("Unmapped:\n got %s\nwant %s", dumpUnmapped(res.Unmapped), dumpUnmapped(want))
	}

	// Conflicting evidence within one provider configuration (its host was
	// changed): instances that do not show their level stay account-level.
	res = mustRead(t, state(
		resource("databricks_group", "ws", groupAttrs("1", "WS", "url", "https://dbc-1.cloud.databricks.com/#setting/accounts/groups/1")),
		resource("databricks_group", "acc", groupAttrs("2", "Acc", "url", "https://accounts.cloud.databricks.com/users/groups/2/information")),
		resource("databricks_user", "u", userAttrs("3", "u@example.com")),
	))
	if len(res.Users) != 1 || len(res.Groups) != 1 || res.Groups[0].ID != "2" {
		t.Errorf("conflict: Users %s Groups %s", dump(res.Users), dump(res.Groups))
	}
}

func TestOtherProviderWithDatabricksTypes(t *testing.T) {
	// A databricks_* type under another provider is not mapped.
	res := mustRead(t, state(
		resource("databricks_user", "ok", userAttrs("1", "a@example.com")),
		with(resource("databricks_user", "fork", userAttrs("2", "b@example.com")), "provider", `provider["tf.example.com/someone/databricks"]`),
	))
	if len(res.Users) != 1 || !reflect.DeepEqual(res.Unmapped, []Unmapped{{"databricks_user.fork", "a resource of the someone/databricks provider, not of databricks/databricks"}}) {
		t.Errorf("Users %s Unmapped %s", dump(res.Users), dumpUnmapped(res.Unmapped))
	}
}

// TestOnlyNonIdentityDatabricksResources: a Databricks state without
// identities is not an error; everything is listed as unmapped.
func TestOnlyNonIdentityDatabricksResources(t *testing.T) {
	res := mustRead(t, state(resource("databricks_cluster", "shared", map[string]any{"id": "0611-123456-abcdefgh"})))
	if len(res.Users)+len(res.ServicePrincipals)+len(res.Groups) != 0 || len(res.DeletionPolicies) != 0 {
		t.Errorf("got identities: %s", dump(res))
	}
	want := []Unmapped{{"databricks_cluster.shared", "databricks_cluster is not an account identity resource; not managed by this operator"}}
	if !reflect.DeepEqual(res.Unmapped, want) {
		t.Errorf("Unmapped = %s", dumpUnmapped(res.Unmapped))
	}
}

func TestReadErrors(t *testing.T) {
	garbage, err := os.ReadFile("testdata/garbage.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	awsOnly, err := os.ReadFile("testdata/aws-only.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	dataOnly := state(with(resource("databricks_group", "admins", groupAttrs("1", "admins")), "mode", "data"),
		with(resource("aws_s3_bucket", "b", map[string]any{"id": "b"}), "provider", `provider["tf.example.com/hashicorp/aws"]`))
	for _, tc := range []struct {
		name, input string
		is          error
		msg         string
	}{
		{"garbage file", string(garbage), ErrInvalidState, `not a Terraform state: the input is not a JSON object (it starts with "# This is a Terr")`},
		// Read returns the decoder's errors as they are (state_test.go has them all).
		{"version 3", `{"version": 3, "modules": []}`, ErrUnsupportedVersion, "unsupported Terraform state format version: the state has format version 3, only version 4 is supported (written by Terraform 0.11 or older; any Terraform 0.12 or newer upgrades it on its next run)"},
		{"another provider only", string(awsOnly), ErrNoDatabricksResources, "no Databricks resources in the Terraform state: it holds only 3 managed resources of other providers (hashicorp/aws: 3)"},
		{"data sources only", dataOnly, ErrNoDatabricksResources, "no Databricks resources in the Terraform state: it holds only 1 managed resource of other providers (hashicorp/aws: 1) and 1 Databricks data source, which Terraform does not manage"},
		{"empty state", state(), ErrNoDatabricksResources, "no Databricks resources in the Terraform state: the state holds no resources"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Read(strings.NewReader(tc.input))
			if err == nil {
				t.Fatalf("Read succeeded: %s", dump(res))
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %q does not wrap %q", err, tc.is)
			}
			if err.Error() != tc.msg {
				t.Errorf("error:\n got %s\nwant %s", err, tc.msg)
			}
		})
	}
}
