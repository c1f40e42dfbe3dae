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

package manifest

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Snapshot is a set of account identities as the SCIM API returns them
// (see the package documentation for what a producer puts in it).
type Snapshot struct {
	Users             []scim.User
	ServicePrincipals []scim.ServicePrincipal
	// Groups carry their Members by SCIM id: scim.ComplexValue{Value: id,
	// Ref: "Users/<id>" | "ServicePrincipals/<id>" | "Groups/<id>"}.
	Groups []scim.Group
	// DeletionPolicies are the deletionPolicy of users and service
	// principals, by SCIM id; an absent id keeps the default (Deactivate).
	DeletionPolicies map[string]v1.PrincipalDeletionPolicy
}

// Kind is one of the identity kinds Build writes.
type Kind string

// The identity kinds, in the order Build returns them.
const (
	KindUser             Kind = "User"
	KindServicePrincipal Kind = "ServicePrincipal"
	KindGroup            Kind = "Group"
)

// Kinds lists every kind in output order.
var Kinds = []Kind{KindUser, KindServicePrincipal, KindGroup}

// NamespaceRule places the objects whose name matches Pattern in Namespace.
type NamespaceRule struct {
	// Kind restricts the rule to one kind; "" applies it to all.
	Kind Kind
	// Pattern is a glob ("*" any text, "?" one character), matched
	// case-insensitively against the object's name in Databricks: a user's
	// userName or displayName, a service principal's displayName or
	// applicationId, a group's displayName. "data-*" is a prefix rule.
	Pattern string
	// Namespace the matching objects go to.
	Namespace string
}

// Options control Build.
type Options struct {
	// Account is spec.accountRef.name: the DatabricksAccount of every object.
	Account string
	// Namespace receives every object no NamespaceRule places.
	Namespace string
	// NamespaceRules are tried in order; the first match wins.
	NamespaceRules []NamespaceRule
	// Adopt writes managed objects with adoptionPolicy: IfExists; without
	// it every object is managementPolicy: Observe (read-only).
	Adopt bool
	// Kinds limits the kinds written; empty means all.
	Kinds []Kind
	// Match, when set, is a glob (as in NamespaceRule.Pattern) an object's
	// name must match to be written.
	Match string
	// Retain writes deletionPolicy: Retain on every object, overriding
	// Snapshot.DeletionPolicies: deleting a resource then never touches
	// Databricks.
	Retain bool
}

// Validate checks the options.
func (o Options) Validate() error {
	var errs []error
	if msgs := validation.IsDNS1123Subdomain(o.Account); o.Account == "" || len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("the DatabricksAccount name %q is not a valid object name", o.Account))
	}
	if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("namespace %q: %s", o.Namespace, strings.Join(msgs, "; ")))
	}
	for _, r := range o.NamespaceRules {
		if msgs := validation.IsDNS1123Label(r.Namespace); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("namespace rule %q: namespace %q: %s", r.Pattern, r.Namespace, strings.Join(msgs, "; ")))
		}
		if r.Kind != "" && !knownKind(r.Kind) {
			errs = append(errs, fmt.Errorf("namespace rule %q: unknown kind %q", r.Pattern, r.Kind))
		}
		if r.Pattern == "" {
			errs = append(errs, errors.New("a namespace rule has an empty pattern"))
		}
	}
	for _, k := range o.Kinds {
		if !knownKind(k) {
			errs = append(errs, fmt.Errorf("unknown kind %q", k))
		}
	}
	return errors.Join(errs...)
}

func knownKind(k Kind) bool { return k == KindUser || k == KindServicePrincipal || k == KindGroup }

// Selects reports whether an object of kind with these names (see
// NamespaceRule.Pattern) is written, apart from the built-in groups, which
// never are (see WantsGroup).
func (o Options) Selects(kind Kind, names ...string) bool {
	if len(o.Kinds) > 0 {
		found := false
		for _, k := range o.Kinds {
			found = found || k == kind
		}
		if !found {
			return false
		}
	}
	return o.Match == "" || globAny(o.Match, names)
}

// WantsGroup reports whether Build writes the group: a reader needs its
// members (one GET) only then.
func (o Options) WantsGroup(displayName string) bool {
	return !v1.IsReservedGroupName(displayName) && o.Selects(KindGroup, displayName)
}

// namespaceFor applies the rules.
func (o Options) namespaceFor(kind Kind, names ...string) string {
	for _, r := range o.NamespaceRules {
		if (r.Kind == "" || r.Kind == kind) && globAny(r.Pattern, names) {
			return r.Namespace
		}
	}
	return o.Namespace
}

// globAny matches a case-insensitive glob against any non-empty name.
func globAny(pattern string, names []string) bool {
	re := globRegexp(pattern)
	for _, n := range names {
		if n != "" && re.MatchString(n) {
			return true
		}
	}
	return false
}

// globs caches compiled patterns: a pattern is matched against every principal.
var globs sync.Map // string -> *regexp.Regexp

func globRegexp(pattern string) *regexp.Regexp {
	if re, ok := globs.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	var b strings.Builder
	b.WriteString(`(?is)^`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	re := regexp.MustCompile(b.String())
	globs.Store(pattern, re)
	return re
}

// principal is one snapshot entry that may be written, with where it goes.
type principal struct {
	kind      Kind
	id        string
	key       string // natural key (userName, applicationId or displayName, displayName)
	nameFrom  string // what the object name is derived from
	names     []string
	namespace string
	name      string // object name, set by assignNames
	selected  bool
	// memberKey is how a group member names it by natural key: a user by
	// userName, a service principal by applicationId, a group by
	// displayName. Empty when it cannot be named that way (a service
	// principal without applicationId).
	memberKey string
}

// Build turns a Snapshot into typed v1alpha1 objects (*v1.User,
// *v1.ServicePrincipal, *v1.Group with TypeMeta set), sorted by kind,
// namespace and name, so the same input always gives the same output.
// notes list what could not be written as it is in the Snapshot (skipped
// objects, dropped attributes, members that could not be named); they are
// for the user to read. An error is returned only for invalid options.
func Build(s Snapshot, o Options) ([]client.Object, []string, error) {
	if err := o.Validate(); err != nil {
		return nil, nil, err
	}
	b := &builder{o: o, s: s, byID: map[Kind]map[string]*principal{}}
	for _, k := range Kinds {
		b.byID[k] = map[string]*principal{}
	}
	b.index()
	if err := b.assignNames(); err != nil {
		return nil, b.notes, err
	}
	var objs []client.Object
	for _, u := range s.Users {
		if p := b.byID[KindUser][u.ID]; p != nil && p.selected {
			objs = append(objs, b.user(p, u))
		}
	}
	for _, sp := range s.ServicePrincipals {
		if p := b.byID[KindServicePrincipal][sp.ID]; p != nil && p.selected {
			objs = append(objs, b.servicePrincipal(p, sp))
		}
	}
	for _, g := range s.Groups {
		if p := b.byID[KindGroup][g.ID]; p != nil && p.selected {
			objs = append(objs, b.group(p, g))
		}
	}
	sort.SliceStable(objs, func(i, j int) bool { return objectLess(objs[i], objs[j]) })
	sort.Strings(b.notes)
	return objs, b.notes, nil
}

func objectLess(a, b client.Object) bool {
	ka, kb := kindRank(a.GetObjectKind().GroupVersionKind().Kind), kindRank(b.GetObjectKind().GroupVersionKind().Kind)
	if ka != kb {
		return ka < kb
	}
	if a.GetNamespace() != b.GetNamespace() {
		return a.GetNamespace() < b.GetNamespace()
	}
	return a.GetName() < b.GetName()
}

func kindRank(kind string) int {
	for i, k := range Kinds {
		if string(k) == kind {
			return i
		}
	}
	return len(Kinds)
}

type builder struct {
	o     Options
	s     Snapshot
	byID  map[Kind]map[string]*principal
	notes []string
}

func (b *builder) note(format string, args ...any) {
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}

// index records every known principal and decides which are written.
func (b *builder) index() {
	seen := map[string]string{} // kind + natural key -> SCIM id, for duplicates
	add := func(p *principal, why string) {
		if p.id == "" {
			b.note("%s %q has no SCIM id: skipped", p.kind, p.nameFrom)
			return
		}
		if _, dup := b.byID[p.kind][p.id]; dup {
			b.note("%s SCIM id %s appears twice: the second is skipped", p.kind, p.id)
			return
		}
		b.byID[p.kind][p.id] = p
		if !p.selected {
			return
		}
		switch {
		case why != "":
			p.selected = false
			b.note("%s %q (SCIM id %s): %s", p.kind, p.nameFrom, p.id, why)
		case seen[string(p.kind)+"\x00"+naturalkey.Key(p.key)] != "":
			p.selected = false
			b.note("%s %q (SCIM id %s) has the same natural key as SCIM id %s: skipped (the operator would find both and adopt neither)",
				p.kind, p.key, p.id, seen[string(p.kind)+"\x00"+naturalkey.Key(p.key)])
		default:
			seen[string(p.kind)+"\x00"+naturalkey.Key(p.key)] = p.id
		}
	}
	for _, u := range b.s.Users {
		p := &principal{kind: KindUser, id: u.ID, key: u.UserName, nameFrom: u.UserName, memberKey: u.UserName,
			names: []string{u.UserName, u.DisplayName}}
		p.selected = b.o.Selects(KindUser, p.names...)
		add(p, keyProblem("userName", u.UserName))
	}
	for _, sp := range b.s.ServicePrincipals {
		p := &principal{kind: KindServicePrincipal, id: sp.ID, key: sp.ApplicationID, nameFrom: sp.DisplayName,
			memberKey: sp.ApplicationID, names: []string{sp.DisplayName, sp.ApplicationID}}
		if p.key == "" {
			p.key = sp.DisplayName
		}
		if p.nameFrom == "" {
			p.nameFrom = sp.ApplicationID
		}
		p.selected = b.o.Selects(KindServicePrincipal, p.names...)
		why := keyProblem("displayName", sp.DisplayName)
		if sp.ApplicationID != "" {
			why = keyProblem("applicationId", sp.ApplicationID)
			if why == "" && sp.DisplayName != "" {
				why = keyProblem("displayName", sp.DisplayName)
			}
		}
		add(p, why)
	}
	for _, g := range b.s.Groups {
		p := &principal{kind: KindGroup, id: g.ID, key: g.DisplayName, nameFrom: g.DisplayName, memberKey: g.DisplayName,
			names: []string{g.DisplayName}}
		p.selected = b.o.Selects(KindGroup, p.names...)
		why := keyProblem("displayName", g.DisplayName)
		if why == "" && v1.IsReservedGroupName(g.DisplayName) {
			why = "a built-in group, which the operator never manages: skipped"
		}
		add(p, why)
	}
	for _, k := range Kinds {
		for _, p := range b.byID[k] {
			p.namespace = b.o.namespaceFor(k, p.names...)
		}
	}
}

// keyProblem says why a natural key cannot be written ("" when it can).
func keyProblem(field, v string) string {
	if v == "" {
		return field + " is empty: skipped"
	}
	if err := naturalkey.Validate(v); err != nil {
		return fmt.Sprintf("%s is not accepted by the operator (%v): skipped", field, err)
	}
	return ""
}

// assignNames names the selected objects, per kind (see Name).
func (b *builder) assignNames() error {
	for _, k := range Kinds {
		var ps []*principal
		for _, p := range b.byID[k] {
			if p.selected {
				ps = append(ps, p)
			}
		}
		named, err := names(k, ps)
		if err != nil {
			return err
		}
		for _, p := range ps {
			p.name = named[p]
		}
	}
	return nil
}

func (b *builder) meta(kind Kind, p *principal) (metav1.TypeMeta, metav1.ObjectMeta) {
	return metav1.TypeMeta{APIVersion: v1.GroupVersion.String(), Kind: string(kind)},
		metav1.ObjectMeta{Name: p.name, Namespace: p.namespace}
}

// policies returns the management and adoption policy of every object.
func (b *builder) policies() (v1.ManagementPolicy, v1.AdoptionPolicy) {
	if b.o.Adopt {
		return "", v1.AdoptionIfExists
	}
	return v1.ManagementObserve, ""
}

func (b *builder) principalDeletion(id string) v1.PrincipalDeletionPolicy {
	if b.o.Retain {
		return v1.PrincipalRetain
	}
	return b.s.DeletionPolicies[id]
}

func (b *builder) user(p *principal, u scim.User) *v1.User {
	tm, om := b.meta(KindUser, p)
	obj := &v1.User{TypeMeta: tm, ObjectMeta: om}
	spec := &obj.Spec
	spec.AccountRef.Name = b.o.Account
	spec.UserName = u.UserName
	spec.DisplayName = b.text(p, "displayName", u.DisplayName, 255)
	if u.Name != nil {
		spec.GivenName = b.text(p, "givenName", u.Name.GivenName, 255)
		spec.FamilyName = b.text(p, "familyName", u.Name.FamilyName, 255)
	}
	spec.Active = inactive(u.IsActive())
	spec.ExternalID = b.externalID(p, u.ExternalID)
	spec.AccountAdmin = admin(u.HasRole(scim.RoleAccountAdmin))
	spec.ManagementPolicy, spec.AdoptionPolicy = b.policies()
	spec.DeletionPolicy = b.principalDeletion(u.ID)
	return obj
}

func (b *builder) servicePrincipal(p *principal, sp scim.ServicePrincipal) *v1.ServicePrincipal {
	tm, om := b.meta(KindServicePrincipal, p)
	obj := &v1.ServicePrincipal{TypeMeta: tm, ObjectMeta: om}
	spec := &obj.Spec
	spec.AccountRef.Name = b.o.Account
	spec.ApplicationID = sp.ApplicationID
	spec.DisplayName = sp.DisplayName
	spec.Active = inactive(sp.IsActive())
	spec.ExternalID = b.externalID(p, sp.ExternalID)
	spec.AccountAdmin = admin(sp.HasRole(scim.RoleAccountAdmin))
	spec.ManagementPolicy, spec.AdoptionPolicy = b.policies()
	spec.DeletionPolicy = b.principalDeletion(sp.ID)
	return obj
}

func (b *builder) group(p *principal, g scim.Group) *v1.Group {
	tm, om := b.meta(KindGroup, p)
	obj := &v1.Group{TypeMeta: tm, ObjectMeta: om}
	spec := &obj.Spec
	spec.AccountRef.Name = b.o.Account
	spec.DisplayName = g.DisplayName
	spec.ExternalID = b.externalID(p, g.ExternalID)
	spec.AccountAdmin = admin(g.HasRole(scim.RoleAccountAdmin))
	spec.ManagementPolicy, spec.AdoptionPolicy = b.policies()
	if b.o.Retain {
		spec.DeletionPolicy = v1.GroupRetain
	}
	seen := map[string]bool{}
	unnamed := 0
	for _, m := range g.Members {
		member, ok := b.member(p, m)
		if !ok {
			unnamed++
			continue
		}
		if k := memberKey(member); !seen[k] {
			seen[k] = true
			spec.Members = append(spec.Members, member)
		}
	}
	sort.SliceStable(spec.Members, func(i, j int) bool { return memberKey(spec.Members[i]) < memberKey(spec.Members[j]) })
	if unnamed > 0 {
		spec.MembershipPolicy = v1.MembershipAdditive
		b.note("Group %s/%s (%q): %d member(s) could not be named (see above); written with membershipPolicy: Additive so applying it removes no member",
			p.namespace, p.name, g.DisplayName, unnamed)
	}
	if len(spec.Members) > maxMembers {
		b.note("Group %s/%s (%q) has %d members; the API server admits at most %d", p.namespace, p.name, g.DisplayName, len(spec.Members), maxMembers)
	}
	return obj
}

// maxMembers is the schema's limit on Group spec.members.
const maxMembers = 10000

// member names one group member: by reference when it is written in the
// group's namespace, by natural key otherwise.
func (b *builder) member(g *principal, m scim.ComplexValue) (v1.GroupMember, bool) {
	var kinds []Kind
	switch scim.MemberResource(m) {
	case scim.ResourceUsers:
		kinds = []Kind{KindUser}
	case scim.ResourceServicePrincipals:
		kinds = []Kind{KindServicePrincipal}
	case scim.ResourceGroups:
		kinds = []Kind{KindGroup}
	default:
		kinds = Kinds
	}
	var p *principal
	for _, k := range kinds {
		if p = b.byID[k][m.Value]; p != nil {
			break
		}
	}
	if p == nil {
		b.note("Group %q: member SCIM id %s is not in the snapshot, so it cannot be named", g.key, m.Value)
		return v1.GroupMember{}, false
	}
	if p.selected && p.namespace == g.namespace {
		ref := &v1.LocalObjectReference{Name: p.name}
		switch p.kind {
		case KindUser:
			return v1.GroupMember{UserRef: ref}, true
		case KindServicePrincipal:
			return v1.GroupMember{ServicePrincipalRef: ref}, true
		default:
			return v1.GroupMember{GroupRef: ref}, true
		}
	}
	if p.memberKey == "" || keyProblem("", p.memberKey) != "" {
		b.note("Group %q: member %s %q (SCIM id %s) is not written in the group's namespace and has no natural key a member can name (a service principal needs an applicationId)",
			g.key, p.kind, p.nameFrom, p.id)
		return v1.GroupMember{}, false
	}
	switch p.kind {
	case KindUser:
		return v1.GroupMember{UserName: p.memberKey}, true
	case KindServicePrincipal:
		return v1.GroupMember{ApplicationID: p.memberKey}, true
	default:
		return v1.GroupMember{GroupDisplayName: p.memberKey}, true
	}
}

// memberKey orders and de-duplicates members: references first, by kind.
func memberKey(m v1.GroupMember) string {
	switch {
	case m.UserRef != nil:
		return "0/" + m.UserRef.Name
	case m.ServicePrincipalRef != nil:
		return "1/" + m.ServicePrincipalRef.Name
	case m.GroupRef != nil:
		return "2/" + m.GroupRef.Name
	case m.UserName != "":
		return "3/" + naturalkey.Key(m.UserName)
	case m.ApplicationID != "":
		return "4/" + naturalkey.Key(m.ApplicationID)
	default:
		return "5/" + naturalkey.Key(m.GroupDisplayName)
	}
}

// text returns a free-text attribute if the schema admits it, else "" and a note.
func (b *builder) text(p *principal, field, v string, maxLen int) string {
	switch {
	case v == "":
		return ""
	case len([]rune(v)) > maxLen:
		b.note("%s %q: %s is longer than %d characters and is left unmanaged", p.kind, p.nameFrom, field, maxLen)
		return ""
	case strings.ContainsFunc(v, invisible):
		b.note("%s %q: %s holds control or invisible format characters, which the schema refuses; it is left unmanaged", p.kind, p.nameFrom, field)
		return ""
	}
	return v
}

// invisible matches the characters the schema's free-text rule refuses:
// control and format characters other than the zero-width (non-)joiner.
func invisible(r rune) bool {
	return r != '\u200c' && r != '\u200d' && (unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r))
}

func (b *builder) externalID(p *principal, v string) string {
	if len(v) > 64 {
		b.note("%s %q: externalId is longer than 64 bytes and is left unmanaged", p.kind, p.nameFrom)
		return ""
	}
	return v
}

// inactive is spec.active: written only when false (true is the default).
func inactive(active bool) *bool {
	if active {
		return nil
	}
	return new(false)
}

// admin is spec.accountAdmin: written only when the role is held.
func admin(has bool) *bool {
	if !has {
		return nil
	}
	return new(true)
}
