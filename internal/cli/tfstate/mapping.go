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

// This file maps the decoded resource instances of the Databricks provider
// onto SCIM-shaped objects. See doc.go and README.md for the mapping table.

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Result is the snapshot of account identities a Terraform state holds.
// Every slice is sorted by SCIM id; members and roles are sorted by value.
type Result struct {
	Users             []scim.User
	ServicePrincipals []scim.ServicePrincipal
	// Groups carry their members as {Value: <SCIM id>, Ref: "Users/<id>" |
	// "ServicePrincipals/<id>" | "Groups/<id>"} (see scim.MemberResource).
	// A member the state holds no principal for has no Ref (and is also in
	// Unmapped): a converter must not treat the group as complete.
	Groups []scim.Group
	// DeletionPolicies holds the deletion policy of every user and service
	// principal, keyed by SCIM id. Groups have none: Terraform always
	// deletes a group, which is the Group default.
	DeletionPolicies map[string]v1alpha1.PrincipalDeletionPolicy
	// Unmapped lists, sorted by address, every resource instance that was
	// not mapped, and every setting of a mapped instance that was dropped
	// (workspace-level entitlements), each with the reason.
	Unmapped []Unmapped
}

// Unmapped is a resource instance (or a setting of one) Read did not map.
type Unmapped struct {
	// Address is the instance address as Terraform prints it, e.g.
	// databricks_mws_workspaces.this or module.x.databricks_user.y["k"].
	Address string
	// Reason says why it was not mapped.
	Reason string
}

// Read parses a Terraform state (format version 4) and returns the account
// identities it holds. Errors wrap ErrInvalidState, ErrUnsupportedVersion or
// ErrNoDatabricksResources.
func Read(r io.Reader) (*Result, error) {
	instances, err := decode(r)
	if err != nil {
		return nil, err
	}
	return convert(instances)
}

// Resource types of the Databricks provider this package maps.
const (
	typeUser                 = "databricks_user"
	typeServicePrincipal     = "databricks_service_principal"
	typeGroup                = "databricks_group"
	typeGroupMember          = "databricks_group_member"
	typeUserRole             = "databricks_user_role"
	typeServicePrincipalRole = "databricks_service_principal_role"
	typeGroupRole            = "databricks_group_role"
)

// identityTypes are the mapped types, all of which the provider runs at
// account or workspace level.
var identityTypes = map[string]bool{
	typeUser: true, typeServicePrincipal: true, typeGroup: true, typeGroupMember: true,
	typeUserRole: true, typeServicePrincipalRole: true, typeGroupRole: true,
}

// dataIdentityTypes are the data sources whose id is a principal's SCIM id;
// they only make reasons more precise.
var dataIdentityTypes = map[string]string{
	"databricks_user":              "user",
	"databricks_current_user":      "user",
	"databricks_service_principal": "service principal",
	"databricks_group":             "group",
}

// entitlementAttributes are the workspace-level entitlement flags of users,
// service principals and groups, in the provider's order.
var entitlementAttributes = []string{
	"allow_cluster_create",
	"allow_instance_pool_create",
	"databricks_sql_access",
	"workspace_access",
	"workspace_consume",
}

// otherReasons explains the Databricks resource types that are related to
// identities but not mapped. Any other type gets a generic reason.
var otherReasons = map[string]string{
	"databricks_entitlements":                       "entitlements are workspace-level; not managed by this operator (keep them in Terraform)",
	"databricks_mws_permission_assignment":          "workspace assignments are not managed by this operator (keep them in Terraform)",
	"databricks_permission_assignment":              "workspace assignments are not managed by this operator (keep them in Terraform)",
	"databricks_user_instance_profile":              "instance profiles are workspace-level; not managed by this operator (keep them in Terraform)",
	"databricks_group_instance_profile":             "instance profiles are workspace-level; not managed by this operator (keep them in Terraform)",
	"databricks_access_control_rule_set":            "access control rule sets are not managed by this operator (keep them in Terraform)",
	"databricks_service_principal_secret":           "service principal secrets are not managed by this operator (keep them in Terraform)",
	"databricks_account_iam_user_v2":                "this newer account identity resource is not imported by this tool; write its User by hand",
	"databricks_account_iam_service_principal_v2":   "this newer account identity resource is not imported by this tool; write its ServicePrincipal by hand",
	"databricks_account_iam_group_v2":               "this newer account identity resource is not imported by this tool; write its Group by hand",
	"databricks_account_iam_direct_group_member_v2": "this newer account identity resource is not imported by this tool; add the member to its Group by hand",
}

// principal is a mapped user, service principal or group.
type principal struct {
	kind    scim.Resource
	address string
	user    *scim.User
	sp      *scim.ServicePrincipal
	group   *scim.Group
}

func (p *principal) noun() string {
	switch p.kind {
	case scim.ResourceUsers:
		return "the user"
	case scim.ResourceServicePrincipals:
		return "the service principal"
	}
	return "the group"
}

// roles returns the principal's role list for appending.
func (p *principal) roles() *[]scim.ComplexValue {
	switch p.kind {
	case scim.ResourceUsers:
		return &p.user.Roles
	case scim.ResourceServicePrincipals:
		return &p.sp.Roles
	}
	return &p.group.Roles
}

// hostEvidence is what the instances of one provider configuration tell
// about its host: the first address proving account level and workspace
// level ("" when none does).
type hostEvidence struct {
	account, workspace string
}

type converter struct {
	res *Result
	// principals are the mapped principals by SCIM id.
	principals map[string]*principal
	// skipped describes the principal instances that were not mapped, by
	// SCIM id, for the reasons of the members and roles naming them.
	skipped map[string]string
	// data describes the identity data sources by SCIM id.
	data map[string]string
	// hosts holds the host evidence by provider configuration address.
	hosts map[string]hostEvidence
}

func convert(all []instance) (*Result, error) {
	c := &converter{
		res:        &Result{DeletionPolicies: map[string]v1alpha1.PrincipalDeletionPolicy{}},
		principals: map[string]*principal{},
		skipped:    map[string]string{},
		data:       map[string]string{},
		hosts:      map[string]hostEvidence{},
	}
	var managed []instance
	foreign := map[string]int{}
	dataSources := 0
	for _, in := range all {
		switch {
		case !in.Provider.isDatabricks():
			if in.Mode == modeManaged {
				foreign[in.Provider.Name()]++
				c.unmapped(in.Address, fmt.Sprintf("a resource of the %s provider, not of databricks/databricks", in.Provider.Name()))
			}
		case in.Mode == modeData:
			dataSources++
			c.recordDataSource(in)
		default:
			managed = append(managed, in)
		}
	}
	if len(managed) == 0 {
		return nil, noDatabricksError(foreign, dataSources)
	}
	// Address order makes every choice below (which of two instances with
	// the same SCIM id is mapped) independent of the file order.
	slices.SortStableFunc(managed, func(a, b instance) int {
		return cmp.Or(strings.Compare(a.Address, b.Address), strings.Compare(a.Deposed, b.Deposed))
	})
	c.collectHostEvidence(managed)
	for _, in := range managed {
		switch in.Type {
		case typeUser, typeServicePrincipal, typeGroup:
			c.addPrincipal(in)
		}
	}
	for _, in := range managed {
		switch in.Type {
		case typeUser, typeServicePrincipal, typeGroup:
		case typeGroupMember:
			c.addMember(in)
		case typeUserRole:
			c.addRole(in, "user_id", scim.ResourceUsers)
		case typeServicePrincipalRole:
			c.addRole(in, "service_principal_id", scim.ResourceServicePrincipals)
		case typeGroupRole:
			c.addRole(in, "group_id", scim.ResourceGroups)
		default:
			c.unmapped(in.Address, otherReason(in.Type))
		}
	}
	return c.finish(), nil
}

func noDatabricksError(foreign map[string]int, dataSources int) error {
	if len(foreign) == 0 && dataSources == 0 {
		return fmt.Errorf("%w: the state holds no resources", ErrNoDatabricksResources)
	}
	var parts []string
	if len(foreign) > 0 {
		names := slices.Sorted(maps.Keys(foreign))
		counts := make([]string, 0, len(names))
		total := 0
		for _, name := range names {
			counts = append(counts, fmt.Sprintf("%s: %d", name, foreign[name]))
			total += foreign[name]
		}
		parts = append(parts, fmt.Sprintf("%d managed %s of other providers (%s)", total, plural(total, "resource"), strings.Join(counts, ", ")))
	}
	if dataSources > 0 {
		parts = append(parts, fmt.Sprintf("%d Databricks data %s, which Terraform does not manage", dataSources, plural(dataSources, "source")))
	}
	return fmt.Errorf("%w: it holds only %s", ErrNoDatabricksResources, strings.Join(parts, " and "))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func otherReason(typ string) string {
	if r, ok := otherReasons[typ]; ok {
		return r
	}
	return fmt.Sprintf("%s is not an account identity resource; not managed by this operator", typ)
}

func (c *converter) unmapped(address, reason string) {
	c.res.Unmapped = append(c.res.Unmapped, Unmapped{Address: address, Reason: reason})
}

func (c *converter) recordDataSource(in instance) {
	noun, ok := dataIdentityTypes[in.Type]
	if !ok {
		return
	}
	if id, ok, _ := in.Attrs.str("id"); ok && id != "" {
		if _, seen := c.data[id]; !seen {
			c.data[id] = fmt.Sprintf("the %s read by %s, which this state does not manage", noun, in.Address)
		}
	}
}

// hostLevel is the level an instance's own computed attributes show its
// provider host ran it at: provider_config.workspace_id is only filled in at
// workspace level, and a group's url points at the account console or at a
// workspace. It returns "" when the attributes do not tell.
func hostLevel(in instance) (level, why string) {
	if ws := in.Attrs.workspaceID(); ws != "" {
		return "workspace", fmt.Sprintf("provider_config.workspace_id = %q", ws)
	}
	if in.Type == typeGroup {
		url, _, _ := in.Attrs.str("url")
		switch {
		case strings.Contains(url, "#setting/accounts/groups/"):
			return "workspace", fmt.Sprintf("url = %q", url)
		case strings.Contains(url, "/users/groups/"):
			return "account", fmt.Sprintf("url = %q", url)
		}
	}
	return "", ""
}

// explicitAPI returns the instance's api attribute ("account", "workspace"
// or "" when unset), which overrides the provider host.
func explicitAPI(in instance) string {
	api, _, _ := in.Attrs.str("api")
	return api
}

func (c *converter) collectHostEvidence(managed []instance) {
	for _, in := range managed {
		if !identityTypes[in.Type] || explicitAPI(in) != "" {
			continue
		}
		level, why := hostLevel(in)
		ev := c.hosts[in.Provider.Raw]
		switch {
		case level == "workspace" && ev.workspace == "":
			ev.workspace = fmt.Sprintf("%s (%s)", in.Address, why)
		case level == "account" && ev.account == "":
			ev.account = fmt.Sprintf("%s (%s)", in.Address, why)
		}
		c.hosts[in.Provider.Raw] = ev
	}
}

// workspaceLevel reports whether the instance was run against a workspace,
// and why. Instances that do not show their level are taken to be
// account-level unless another identity instance of the same provider
// configuration shows that configuration is workspace-level (and none shows
// it is account-level).
func (c *converter) workspaceLevel(in instance) (string, bool) {
	switch explicitAPI(in) {
	case "account":
		return "", false
	case "workspace":
		return `api = "workspace"`, true
	}
	if level, why := hostLevel(in); level != "" {
		return why, level == "workspace"
	}
	if ev := c.hosts[in.Provider.Raw]; ev.workspace != "" && ev.account == "" {
		return "its provider configuration is workspace-level, as " + ev.workspace + " shows", true
	}
	return "", false
}

// importable reports whether an identity instance can be mapped; if not, it
// records it as unmapped with the reason.
func (c *converter) importable(in instance) bool {
	var reason string
	switch {
	case in.Deposed != "":
		reason = fmt.Sprintf("deposed object %s, which Terraform destroys on its next apply; only current objects are imported", in.Deposed)
	case in.Flat:
		reason = "the instance only has legacy flat attributes (a state upgraded from Terraform 0.11): refresh the state with a current Terraform first"
	default:
		if why, ws := c.workspaceLevel(in); ws {
			reason = fmt.Sprintf("workspace-level (%s): it manages a workspace's identities, not the account's", why)
		}
	}
	if reason == "" {
		return true
	}
	c.unmapped(in.Address, reason)
	return false
}

func (c *converter) addPrincipal(in instance) {
	id, _, idErr := in.Attrs.str("id")
	if !c.importable(in) {
		if id != "" {
			c.skip(id, in.Address)
		}
		return
	}
	switch {
	case idErr != nil:
		c.unmapped(in.Address, idErr.Error())
		return
	case id == "":
		c.unmapped(in.Address, "no SCIM id: the id attribute is empty")
		return
	}
	if prev, dup := c.principals[id]; dup {
		c.unmapped(in.Address, fmt.Sprintf("SCIM id %s is also held by %s, which is imported instead", id, prev.address))
		return
	}
	p := &principal{address: in.Address}
	var deletion *bool
	var err error
	switch in.Type {
	case typeUser:
		p.kind = scim.ResourceUsers
		p.user, deletion, err = userFrom(id, in.Attrs)
	case typeServicePrincipal:
		p.kind = scim.ResourceServicePrincipals
		p.sp, deletion, err = servicePrincipalFrom(id, in.Attrs)
	default:
		p.kind = scim.ResourceGroups
		p.group, err = groupFrom(id, in.Attrs)
	}
	if err != nil {
		c.unmapped(in.Address, err.Error())
		c.skip(id, in.Address)
		return
	}
	c.principals[id] = p
	if p.kind != scim.ResourceGroups {
		c.res.DeletionPolicies[id] = deletionPolicy(deletion)
	}
	for _, name := range entitlementAttributes {
		if on, _ := in.Attrs.boolean(name); on != nil && *on {
			c.unmapped(in.Address, fmt.Sprintf("%s = true is dropped: entitlements are workspace-level and not managed by this operator (keep them in Terraform with databricks_entitlements)", name))
		}
	}
}

func (c *converter) skip(id, address string) {
	if _, seen := c.skipped[id]; !seen {
		c.skipped[id] = address + ", which is not imported"
	}
}

// deletionPolicy maps disable_as_user_deletion. Unset (null, or absent in
// states of providers before v1.20.0, which always deleted) maps to the
// account-level default of every provider since: true, deactivate.
func deletionPolicy(disableAsUserDeletion *bool) v1alpha1.PrincipalDeletionPolicy {
	if disableAsUserDeletion != nil && !*disableAsUserDeletion {
		return v1alpha1.PrincipalDelete
	}
	return v1alpha1.PrincipalDeactivate
}

func userFrom(id string, a attributes) (*scim.User, *bool, error) {
	u := &scim.User{ID: id}
	var err error
	var ok bool
	if u.UserName, ok, err = a.str("user_name"); err != nil {
		return nil, nil, err
	} else if !ok || u.UserName == "" {
		return nil, nil, fmt.Errorf("user_name is empty")
	}
	if u.DisplayName, _, err = a.str("display_name"); err != nil {
		return nil, nil, err
	}
	if u.ExternalID, _, err = a.str("external_id"); err != nil {
		return nil, nil, err
	}
	if u.Active, err = a.boolean("active"); err != nil {
		return nil, nil, err
	}
	deletion, err := a.boolean("disable_as_user_deletion")
	if err != nil {
		return nil, nil, err
	}
	return u, deletion, nil
}

func servicePrincipalFrom(id string, a attributes) (*scim.ServicePrincipal, *bool, error) {
	sp := &scim.ServicePrincipal{ID: id}
	var err error
	if sp.ApplicationID, _, err = a.str("application_id"); err != nil {
		return nil, nil, err
	}
	if sp.DisplayName, _, err = a.str("display_name"); err != nil {
		return nil, nil, err
	}
	if sp.ApplicationID == "" && sp.DisplayName == "" {
		return nil, nil, fmt.Errorf("application_id and display_name are both empty")
	}
	if sp.ExternalID, _, err = a.str("external_id"); err != nil {
		return nil, nil, err
	}
	if sp.Active, err = a.boolean("active"); err != nil {
		return nil, nil, err
	}
	deletion, err := a.boolean("disable_as_user_deletion")
	if err != nil {
		return nil, nil, err
	}
	return sp, deletion, nil
}

func groupFrom(id string, a attributes) (*scim.Group, error) {
	g := &scim.Group{ID: id}
	var err error
	var ok bool
	if g.DisplayName, ok, err = a.str("display_name"); err != nil {
		return nil, err
	} else if !ok || g.DisplayName == "" {
		return nil, fmt.Errorf("display_name is empty")
	}
	if g.ExternalID, _, err = a.str("external_id"); err != nil {
		return nil, err
	}
	return g, nil
}

// describe says what the SCIM id an edge names is, when it is not a mapped
// principal of the wanted kind.
func (c *converter) describe(id string) string {
	if p, ok := c.principals[id]; ok {
		return p.noun() + " " + p.address
	}
	if s, ok := c.skipped[id]; ok {
		return s
	}
	if d, ok := c.data[id]; ok {
		return d
	}
	return "not a user, service principal or group this state manages"
}

// edgeAttrs reads the required string attributes of a member or role edge.
func edgeAttrs(in instance, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, name := range names {
		v, _, err := in.Attrs.str(name)
		if err != nil {
			return nil, err
		}
		if v == "" {
			return nil, fmt.Errorf("%s is empty", name)
		}
		out[i] = v
	}
	return out, nil
}

func (c *converter) addMember(in instance) {
	if !c.importable(in) {
		return
	}
	v, err := edgeAttrs(in, "group_id", "member_id")
	if err != nil {
		c.unmapped(in.Address, err.Error())
		return
	}
	groupID, memberID := v[0], v[1]
	g, ok := c.principals[groupID]
	if !ok || g.kind != scim.ResourceGroups {
		c.unmapped(in.Address, fmt.Sprintf("group_id %s is %s; only members of groups imported from this state are mapped", groupID, c.describe(groupID)))
		return
	}
	m, ok := c.principals[memberID]
	if !ok {
		// Kept by id alone: dropping it would let an Authoritative group
		// built from this Result remove the member from Databricks.
		c.unmapped(in.Address, fmt.Sprintf("member_id %s is %s; it stays in %s by SCIM id only: name it by userName, applicationId or groupDisplayName yourself", memberID, c.describe(memberID), g.address))
		addMember(g, scim.ComplexValue{Value: memberID})
		return
	}
	addMember(g, scim.ComplexValue{Value: memberID, Ref: string(m.kind) + "/" + memberID})
}

func addMember(g *principal, member scim.ComplexValue) {
	if !slices.Contains(g.group.Members, member) {
		g.group.Members = append(g.group.Members, member)
	}
}

func (c *converter) addRole(in instance, idAttr string, kind scim.Resource) {
	if !c.importable(in) {
		return
	}
	v, err := edgeAttrs(in, idAttr, "role")
	if err != nil {
		c.unmapped(in.Address, err.Error())
		return
	}
	id, role := v[0], v[1]
	if role != scim.RoleAccountAdmin {
		c.unmapped(in.Address, fmt.Sprintf("role %q is not %s: instance profiles and other roles are not managed by this operator (keep them in Terraform)", role, scim.RoleAccountAdmin))
		return
	}
	p, ok := c.principals[id]
	if !ok || p.kind != kind {
		c.unmapped(in.Address, fmt.Sprintf("%s %s is %s; set accountAdmin on its resource yourself", idAttr, id, c.describe(id)))
		return
	}
	roles := p.roles()
	if !slices.ContainsFunc(*roles, func(r scim.ComplexValue) bool { return r.Value == role }) {
		*roles = append(*roles, scim.ComplexValue{Value: role})
	}
}

// finish builds the sorted Result.
func (c *converter) finish() *Result {
	byValue := func(a, b scim.ComplexValue) int {
		return cmp.Or(strings.Compare(a.Value, b.Value), strings.Compare(a.Ref, b.Ref))
	}
	for _, id := range slices.Sorted(maps.Keys(c.principals)) {
		p := c.principals[id]
		slices.SortFunc(*p.roles(), byValue)
		switch p.kind {
		case scim.ResourceUsers:
			c.res.Users = append(c.res.Users, *p.user)
		case scim.ResourceServicePrincipals:
			c.res.ServicePrincipals = append(c.res.ServicePrincipals, *p.sp)
		default:
			slices.SortFunc(p.group.Members, byValue)
			c.res.Groups = append(c.res.Groups, *p.group)
		}
	}
	slices.SortStableFunc(c.res.Unmapped, func(a, b Unmapped) int {
		return strings.Compare(a.Address, b.Address)
	})
	return c.res
}
