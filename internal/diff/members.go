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

package diff

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// maxNestingDepth bounds the cycle search through nested groups.
const maxNestingDepth = 64

// Members is a group's spec membership mapped to SCIM ids.
type Members struct {
	IDs        []string // sorted, de-duplicated
	Unresolved []v1.UnresolvedMember
	Cycles     []string
	// MissingByKey: a member named by natural key is not in the account.
	MissingByKey bool
}

// Resources reads the identity resources members refer to: the cluster's
// cache in the controllers, the files being planned in `kubectl databricks plan`.
// The Resolver never modifies what it reads, so what Get and GroupNamed
// return may share memory with a cache.
type Resources interface {
	// Get reads one resource, with a NotFound error when there is none (client.Reader's Get).
	Get(ctx context.Context, key types.NamespacedName, obj client.Object, opts ...client.GetOption) error
	// GroupNamed returns the Group resource of any namespace, bound to the
	// DatabricksAccount account, that names displayName (same natural key),
	// or nil.
	GroupNamed(ctx context.Context, account, displayName string) (*v1.Group, error)
}

// Directory finds principals of the account by natural key (the
// controllers' inventory, or a snapshot read once).
type Directory interface {
	UserByName(userName string) (scim.User, bool)
	SPByApplicationID(appID string) (scim.ServicePrincipal, bool)
	GroupByName(displayName string) (scim.Group, bool)
}

// identity is a User, ServicePrincipal or Group resource.
type identity interface {
	client.Object
	v1.Identity
}

// Resolver maps a group's spec members to SCIM ids: member resources to the
// SCIM id in their status, natural keys through the Directory.
type Resolver struct {
	Resources Resources
	Directory Directory
	Group     *v1.Group
}

// Resolve resolves every member; one that does not resolve is listed with
// the reason and does not keep the others from resolving.
func (m Resolver) Resolve(ctx context.Context) (Members, error) {
	var out Members
	seen := map[string]bool{}
	for _, mem := range m.Group.Spec.Members {
		id, problem, err := m.resolveOne(ctx, mem)
		if err != nil {
			return out, err
		}
		switch {
		case problem != "" && strings.HasPrefix(problem, cyclePrefix):
			out.Cycles = append(out.Cycles, DescribeMember(mem)+": "+problem)
			out.Unresolved = append(out.Unresolved, v1.UnresolvedMember{Member: DescribeMember(mem), Reason: problem})
		case problem != "":
			out.Unresolved = append(out.Unresolved, v1.UnresolvedMember{Member: DescribeMember(mem), Reason: problem})
			out.MissingByKey = out.MissingByKey || byNaturalKey(mem)
		case !seen[id]:
			seen[id] = true
			out.IDs = append(out.IDs, id)
		}
	}
	sort.Strings(out.IDs)
	return out, nil
}

const cyclePrefix = "would form a cycle"

func byNaturalKey(m v1.GroupMember) bool {
	return m.UserName != "" || m.ApplicationID != "" || m.GroupDisplayName != ""
}

// DescribeMember names a spec member as status.unresolvedMembers does, e.g. "userRef:alice".
func DescribeMember(m v1.GroupMember) string {
	switch {
	case m.UserRef != nil:
		return "userRef:" + m.UserRef.Name
	case m.ServicePrincipalRef != nil:
		return "servicePrincipalRef:" + m.ServicePrincipalRef.Name
	case m.GroupRef != nil:
		return "groupRef:" + m.GroupRef.Name
	case m.UserName != "":
		return "userName:" + m.UserName
	case m.ApplicationID != "":
		return "applicationId:" + m.ApplicationID
	default:
		return "groupDisplayName:" + m.GroupDisplayName
	}
}

// resolveOne returns the member's SCIM id, or a human-readable reason it has none.
func (m Resolver) resolveOne(ctx context.Context, mem v1.GroupMember) (string, string, error) {
	dir := m.Directory
	switch {
	case mem.UserRef != nil:
		return m.resourceID(ctx, &v1.User{}, "User", mem.UserRef.Name)
	case mem.ServicePrincipalRef != nil:
		return m.resourceID(ctx, &v1.ServicePrincipal{}, "ServicePrincipal", mem.ServicePrincipalRef.Name)
	case mem.GroupRef != nil:
		var child v1.Group
		if err := m.Resources.Get(ctx, types.NamespacedName{Namespace: m.Group.Namespace, Name: mem.GroupRef.Name}, &child); err == nil {
			if path, err := m.cycleThrough(ctx, &child); err != nil || path != "" {
				return "", path, err
			}
		}
		return m.resourceID(ctx, &v1.Group{}, "Group", mem.GroupRef.Name)
	case mem.UserName != "":
		if u, ok := dir.UserByName(mem.UserName); ok {
			return u.ID, "", nil
		}
		return "", fmt.Sprintf("no user %q in the account", mem.UserName), nil
	case mem.ApplicationID != "":
		if s, ok := dir.SPByApplicationID(mem.ApplicationID); ok {
			return s.ID, "", nil
		}
		return "", fmt.Sprintf("no service principal with applicationId %q in the account", mem.ApplicationID), nil
	default:
		if child, err := m.Resources.GroupNamed(ctx, m.Group.Spec.AccountRef.Name, mem.GroupDisplayName); err != nil {
			return "", "", err
		} else if child != nil {
			if path, err := m.cycleThrough(ctx, child); err != nil || path != "" {
				return "", path, err
			}
		}
		if g, ok := dir.GroupByName(mem.GroupDisplayName); ok {
			return g.ID, "", nil
		}
		return "", fmt.Sprintf("no group %q in the account", mem.GroupDisplayName), nil
	}
}

// resourceID reads a member resource in the group's namespace and returns its SCIM id.
func (m Resolver) resourceID(ctx context.Context, obj identity, kind, name string) (string, string, error) {
	ns := m.Group.Namespace
	if err := m.Resources.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return "", fmt.Sprintf("%s %s/%s not found", kind, ns, name), nil
		}
		return "", "", err
	}
	if obj.GetAccountName() != m.Group.Spec.AccountRef.Name {
		return "", fmt.Sprintf("%s %s/%s belongs to account %q", kind, ns, name, obj.GetAccountName()), nil
	}
	if id := obj.GetIdentityStatus().ID; id != "" {
		return id, "", nil
	}
	return "", fmt.Sprintf("%s %s/%s has no SCIM id yet (not Ready)", kind, ns, name), nil
}

// cycleThrough reports the path when child (transitively) contains the group.
func (m Resolver) cycleThrough(ctx context.Context, child *v1.Group) (string, error) {
	visited := map[types.UID]bool{}
	var walk func(g *v1.Group, path []string, depth int) (string, error)
	walk = func(g *v1.Group, path []string, depth int) (string, error) {
		path = append(path, g.Spec.DisplayName)
		if g.UID == m.Group.UID {
			return fmt.Sprintf("%s: %s", cyclePrefix, strings.Join(path, " -> ")), nil
		}
		if visited[g.UID] || depth > maxNestingDepth {
			return "", nil
		}
		visited[g.UID] = true
		for _, mem := range g.Spec.Members {
			var next *v1.Group
			switch {
			case mem.GroupRef != nil:
				var n v1.Group
				if err := m.Resources.Get(ctx, types.NamespacedName{Namespace: g.Namespace, Name: mem.GroupRef.Name}, &n); err != nil {
					if client.IgnoreNotFound(err) != nil {
						return "", err
					}
					continue
				}
				next = &n
			case mem.GroupDisplayName != "":
				n, err := m.Resources.GroupNamed(ctx, m.Group.Spec.AccountRef.Name, mem.GroupDisplayName)
				if err != nil {
					return "", err
				}
				next = n
			}
			if next == nil {
				continue
			}
			if p, err := walk(next, path, depth+1); err != nil || p != "" {
				return p, err
			}
		}
		return "", nil
	}
	return walk(child, []string{m.Group.Spec.DisplayName}, 0)
}

// Absent names the member references (as DescribeMember does) whose
// resources do not exist in the group's namespace, e.g. not applied yet.
func (m Resolver) Absent(ctx context.Context) ([]string, error) {
	var out []string
	for _, mem := range m.Group.Spec.Members {
		var obj client.Object
		var name string
		switch {
		case mem.UserRef != nil:
			obj, name = &v1.User{}, mem.UserRef.Name
		case mem.ServicePrincipalRef != nil:
			obj, name = &v1.ServicePrincipal{}, mem.ServicePrincipalRef.Name
		case mem.GroupRef != nil:
			obj, name = &v1.Group{}, mem.GroupRef.Name
		default:
			continue
		}
		err := m.Resources.Get(ctx, types.NamespacedName{Namespace: m.Group.Namespace, Name: name}, obj)
		if client.IgnoreNotFound(err) != nil {
			return nil, err
		}
		if err != nil {
			out = append(out, DescribeMember(mem))
		}
	}
	return out, nil
}

// AnyPending reports whether a member resource exists in this account and
// is still being created (no SCIM id, not stalled): worth waiting for before
// a create. Members that would form a cycle never count, so a cycle cannot
// deadlock. It stops at the first: a waiting group is checked on every
// member's progress, so the check must not read all of its members.
func (m Resolver) AnyPending(ctx context.Context) (bool, error) {
	for _, mem := range m.Group.Spec.Members {
		var obj identity
		var name string
		switch {
		case mem.UserRef != nil:
			obj, name = &v1.User{}, mem.UserRef.Name
		case mem.ServicePrincipalRef != nil:
			obj, name = &v1.ServicePrincipal{}, mem.ServicePrincipalRef.Name
		case mem.GroupRef != nil:
			obj, name = &v1.Group{}, mem.GroupRef.Name
		default:
			continue
		}
		if err := m.Resources.Get(ctx, types.NamespacedName{Namespace: m.Group.Namespace, Name: name}, obj); err != nil {
			if client.IgnoreNotFound(err) != nil {
				return false, err
			}
			continue
		}
		st := obj.GetIdentityStatus()
		if st.ID != "" || obj.GetAccountName() != m.Group.Spec.AccountRef.Name || obj.IsSuspended() ||
			obj.GetManagementPolicy() == v1.ManagementObserve || apimeta.IsStatusConditionTrue(st.Conditions, v1.ConditionStalled) {
			continue
		}
		if child, ok := obj.(*v1.Group); ok {
			if path, err := m.cycleThrough(ctx, child); err != nil || path != "" {
				if err != nil {
					return false, err
				}
				continue
			}
		}
		return true, nil
	}
	return false, nil
}
