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

package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
)

// maxNestingDepth bounds the cycle search through nested groups.
const maxNestingDepth = 64

// resolvedMembers is a group's spec membership mapped to SCIM ids.
type resolvedMembers struct {
	ids        []string // sorted, de-duplicated
	unresolved []v1.UnresolvedMember
	cycles     []string
	// missingByKey: a member named by natural key is not in the inventory.
	missingByKey bool
}

// memberResolver maps spec members to SCIM ids through the cache (member
// resources) and the inventory (principals named by natural key).
type memberResolver struct {
	c   client.Reader
	acc *account.Account
	g   *v1.Group
}

func (m memberResolver) resolve(ctx context.Context) (resolvedMembers, error) {
	var out resolvedMembers
	seen := map[string]bool{}
	for _, mem := range m.g.Spec.Members {
		id, problem, err := m.resolveOne(ctx, mem)
		if err != nil {
			return out, err
		}
		switch {
		case problem != "" && strings.HasPrefix(problem, cyclePrefix):
			out.cycles = append(out.cycles, describeMember(mem)+": "+problem)
			out.unresolved = append(out.unresolved, v1.UnresolvedMember{Member: describeMember(mem), Reason: problem})
		case problem != "":
			out.unresolved = append(out.unresolved, v1.UnresolvedMember{Member: describeMember(mem), Reason: problem})
			out.missingByKey = out.missingByKey || byNaturalKey(mem)
		case !seen[id]:
			seen[id] = true
			out.ids = append(out.ids, id)
		}
	}
	sort.Strings(out.ids)
	return out, nil
}

const cyclePrefix = "would form a cycle"

func byNaturalKey(m v1.GroupMember) bool {
	return m.UserName != "" || m.ApplicationID != "" || m.GroupDisplayName != ""
}

func describeMember(m v1.GroupMember) string {
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
func (m memberResolver) resolveOne(ctx context.Context, mem v1.GroupMember) (string, string, error) {
	inv := m.acc.Inventory
	switch {
	case mem.UserRef != nil:
		return m.resourceID(ctx, &v1.User{}, "User", mem.UserRef.Name)
	case mem.ServicePrincipalRef != nil:
		return m.resourceID(ctx, &v1.ServicePrincipal{}, "ServicePrincipal", mem.ServicePrincipalRef.Name)
	case mem.GroupRef != nil:
		var child v1.Group
		if err := m.c.Get(ctx, types.NamespacedName{Namespace: m.g.Namespace, Name: mem.GroupRef.Name}, &child); err == nil {
			if path, err := m.cycleThrough(ctx, &child); err != nil || path != "" {
				return "", path, err
			}
		}
		return m.resourceID(ctx, &v1.Group{}, "Group", mem.GroupRef.Name)
	case mem.UserName != "":
		if u, ok := inv.UserByName(mem.UserName); ok {
			return u.ID, "", nil
		}
		return "", fmt.Sprintf("no user %q in the account", mem.UserName), nil
	case mem.ApplicationID != "":
		if s, ok := inv.SPByApplicationID(mem.ApplicationID); ok {
			return s.ID, "", nil
		}
		return "", fmt.Sprintf("no service principal with applicationId %q in the account", mem.ApplicationID), nil
	default:
		if child, err := m.managedGroupNamed(ctx, mem.GroupDisplayName); err != nil {
			return "", "", err
		} else if child != nil {
			if path, err := m.cycleThrough(ctx, child); err != nil || path != "" {
				return "", path, err
			}
		}
		if g, ok := inv.GroupByName(mem.GroupDisplayName); ok {
			return g.ID, "", nil
		}
		return "", fmt.Sprintf("no group %q in the account", mem.GroupDisplayName), nil
	}
}

// resourceID reads a member resource in the group's namespace and returns its SCIM id.
func (m memberResolver) resourceID(ctx context.Context, obj identityObject, kind, name string) (string, string, error) {
	if err := m.c.Get(ctx, types.NamespacedName{Namespace: m.g.Namespace, Name: name}, obj); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return "", fmt.Sprintf("%s %s/%s not found", kind, m.g.Namespace, name), nil
		}
		return "", "", err
	}
	if obj.GetAccountName() != m.g.Spec.AccountRef.Name {
		return "", fmt.Sprintf("%s %s/%s belongs to account %q", kind, m.g.Namespace, name, obj.GetAccountName()), nil
	}
	if id := obj.GetIdentityStatus().ID; id != "" {
		return id, "", nil
	}
	return "", fmt.Sprintf("%s %s/%s has no SCIM id yet (not Ready)", kind, m.g.Namespace, name), nil
}

// managedGroupNamed finds the Group resource (any namespace) that manages the displayName, if any.
func (m memberResolver) managedGroupNamed(ctx context.Context, displayName string) (*v1.Group, error) {
	var list v1.GroupList
	k := m.g.Spec.AccountRef.Name + "/" + keyed("group:", displayName)
	if err := m.c.List(ctx, &list, client.MatchingFields{indexNaturalKey: k}); err != nil {
		return nil, err
	}
	if len(list.Items) == 0 {
		return nil, nil
	}
	return &list.Items[0], nil
}

// cycleThrough reports the path when child (transitively) contains m.g.
func (m memberResolver) cycleThrough(ctx context.Context, child *v1.Group) (string, error) {
	visited := map[types.UID]bool{}
	var walk func(g *v1.Group, path []string, depth int) (string, error)
	walk = func(g *v1.Group, path []string, depth int) (string, error) {
		path = append(path, g.Spec.DisplayName)
		if g.UID == m.g.UID {
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
				if err := m.c.Get(ctx, types.NamespacedName{Namespace: g.Namespace, Name: mem.GroupRef.Name}, &n); err != nil {
					if client.IgnoreNotFound(err) != nil {
						return "", err
					}
					continue
				}
				next = &n
			case mem.GroupDisplayName != "":
				n, err := m.managedGroupNamed(ctx, mem.GroupDisplayName)
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
	return walk(child, []string{m.g.Spec.DisplayName}, 0)
}

// pending counts member resources that exist in this account and are still
// being created (no SCIM id, not stalled): worth waiting for before a create.
// Members that would form a cycle never count, so a cycle cannot deadlock.
func (m memberResolver) pending(ctx context.Context) (int, error) {
	n := 0
	for _, mem := range m.g.Spec.Members {
		var obj identityObject
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
		if err := m.c.Get(ctx, types.NamespacedName{Namespace: m.g.Namespace, Name: name}, obj); err != nil {
			if client.IgnoreNotFound(err) != nil {
				return 0, err
			}
			continue
		}
		st := obj.GetIdentityStatus()
		if st.ID != "" || obj.GetAccountName() != m.g.Spec.AccountRef.Name || obj.IsSuspended() ||
			obj.GetManagementPolicy() == v1.ManagementObserve || apimeta.IsStatusConditionTrue(st.Conditions, v1.ConditionStalled) {
			continue
		}
		if child, ok := obj.(*v1.Group); ok {
			if path, err := m.cycleThrough(ctx, child); err != nil || path != "" {
				if err != nil {
					return 0, err
				}
				continue
			}
		}
		n++
	}
	return n, nil
}
