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

package scimfake

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// entry is one stored object plus what readers currently see of it.
// Stored values are never mutated in place (copy-on-write), so a view
// handed to a reader stays valid after the lock is released.
type entry[T any] struct {
	id  int64
	cur T
	// visibleAt: reads (GET, list) do not see the object before this time.
	visibleAt time.Time
	// prev is served to reads instead of cur until staleUntil.
	prev       *T
	staleUntil time.Time
}

// view returns what a read at now sees, and whether it sees anything.
func (e *entry[T]) view(now time.Time) (T, bool) {
	if now.Before(e.visibleAt) {
		var zero T
		return zero, false
	}
	if e.prev != nil && now.Before(e.staleUntil) {
		return *e.prev, true
	}
	return e.cur, true
}

// update replaces cur; with staleFor > 0 reads keep seeing the value from
// before the first update of the current stale window.
func (e *entry[T]) update(v T, now time.Time, staleFor time.Duration) {
	if staleFor > 0 {
		if e.prev == nil || !now.Before(e.staleUntil) {
			old := e.cur
			e.prev = &old
		}
		e.staleUntil = now.Add(staleFor)
	}
	e.cur = v
}

// table holds one collection with O(1) lookup by id and ids kept sorted, so
// a list is a slice of the order without sorting per request.
type table[T any] struct {
	byID  map[int64]*entry[T]
	order []int64
	// lastVisibleAt is the latest visibleAt of any entry: lists take the
	// slice fast path only when every entry is visible.
	lastVisibleAt time.Time
}

func newTable[T any]() table[T] {
	return table[T]{byID: make(map[int64]*entry[T])}
}

func (t *table[T]) insert(e *entry[T]) {
	t.byID[e.id] = e
	i, _ := slices.BinarySearch(t.order, e.id)
	t.order = slices.Insert(t.order, i, e.id)
	if e.visibleAt.After(t.lastVisibleAt) {
		t.lastVisibleAt = e.visibleAt
	}
}

func (t *table[T]) remove(id int64) {
	delete(t.byID, id)
	if i, ok := slices.BinarySearch(t.order, id); ok {
		t.order = slices.Delete(t.order, i, i+1)
	}
}

// groupObj is a stored group; members are principal ids kept sorted.
type groupObj struct {
	DisplayName string
	ExternalID  string
	Roles       []scim.ComplexValue
	Members     []int64
	// External marks a group synced from an IdP (AIM/Entra): Databricks
	// refuses membership changes to it with an internal error.
	External bool
}

// store is the fake account's state. One RWMutex guards everything; all
// operations are O(1) or O(log n) apart from lists and cascades.
type store struct {
	mu  sync.RWMutex
	rng *rand.Rand

	kinds  map[int64]scim.Resource // every live id, for member $ref and uniqueness
	users  table[scim.User]
	sps    table[scim.ServicePrincipal]
	groups table[groupObj]

	userByName  map[string]int64 // lower-cased userName
	spByAppID   map[string]int64 // lower-cased applicationId
	groupByName map[string]int64 // lower-cased displayName
	memberOf    map[int64]map[int64]struct{}

	visibilityDelay time.Duration
	staleReads      time.Duration
	// direct is set while a test edits state directly (the IdP or the
	// console), which may change even external groups.
	direct bool
}

func newStore(seed int64) *store {
	return &store{
		rng:         rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x5ca1ab1e)),
		kinds:       make(map[int64]scim.Resource),
		users:       newTable[scim.User](),
		sps:         newTable[scim.ServicePrincipal](),
		groups:      newTable[groupObj](),
		userByName:  make(map[string]int64),
		spByAppID:   make(map[string]int64),
		groupByName: make(map[string]int64),
		memberOf:    make(map[int64]map[int64]struct{}),
	}
}

// newID returns an unused random 15–16 digit id, like Databricks'.
func (s *store) newID() int64 {
	for {
		id := 100_000_000_000_000 + s.rng.Int64N(9_000_000_000_000_000)
		if _, used := s.kinds[id]; !used {
			return id
		}
	}
}

// pickID uses a caller-supplied id when it is numeric and free (seeding),
// otherwise a new random one.
func (s *store) pickID(want string) (int64, error) {
	if want == "" {
		return s.newID(), nil
	}
	id, err := strconv.ParseInt(want, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("id %q is not a positive integer", want)
	}
	if _, used := s.kinds[id]; used {
		return 0, fmt.Errorf("id %s is already used", want)
	}
	return id, nil
}

// newUUID returns a random version-4 UUID from the seeded generator.
func (s *store) newUUID() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := s.rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (s *store) visibleAt(now time.Time) time.Time {
	if s.visibilityDelay > 0 {
		return now.Add(s.visibilityDelay)
	}
	return time.Time{}
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }

func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

func lower(s string) string { return strings.ToLower(s) }

// addMembership records member ∈ group in the reverse index.
func (s *store) addMembership(groupID int64, members []int64) {
	for _, m := range members {
		set := s.memberOf[m]
		if set == nil {
			set = make(map[int64]struct{})
			s.memberOf[m] = set
		}
		set[groupID] = struct{}{}
	}
}

func (s *store) dropMembership(groupID int64, members []int64) {
	for _, m := range members {
		if set := s.memberOf[m]; set != nil {
			delete(set, groupID)
			if len(set) == 0 {
				delete(s.memberOf, m)
			}
		}
	}
}

// setMembers replaces a group's members (sorted, unique) and keeps the
// reverse index in step.
func (s *store) setMembers(e *entry[groupObj], g groupObj, now time.Time, staleFor time.Duration) {
	old := e.cur.Members
	added, removed := diffSorted(old, g.Members)
	s.dropMembership(e.id, removed)
	s.addMembership(e.id, added)
	e.update(g, now, staleFor)
}

// diffSorted returns the elements only in b (added) and only in a (removed).
func diffSorted(a, b []int64) (added, removed []int64) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			removed = append(removed, a[i])
			i++
		case i >= len(a) || b[j] < a[i]:
			added = append(added, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}

// removePrincipalEverywhere deletes id from every group containing it, as
// Databricks does when a principal (or a nested group) is deleted.
func (s *store) removePrincipalEverywhere(id int64) {
	for gid := range s.memberOf[id] {
		e := s.groups.byID[gid]
		if e == nil {
			continue
		}
		g := e.cur
		g.Members = removeSorted(g.Members, id)
		e.cur = g // a cascade is not a PATCH: no stale window
	}
	delete(s.memberOf, id)
}

func removeSorted(list []int64, id int64) []int64 {
	i, ok := slices.BinarySearch(list, id)
	if !ok {
		return list
	}
	out := make([]int64, 0, len(list)-1)
	out = append(out, list[:i]...)
	return append(out, list[i+1:]...)
}

// normalizeMembers sorts and de-duplicates ids into a fresh slice.
func normalizeMembers(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// memberValue renders one member as Databricks does: id, display and a
// $ref naming its collection. Unknown (deleted) ids render without $ref.
func (s *store) memberValue(id int64) (scim.ComplexValue, bool) {
	cv := scim.ComplexValue{Value: formatID(id)}
	switch s.kinds[id] {
	case scim.ResourceUsers:
		u := s.users.byID[id].cur
		cv.Display = u.DisplayName
		if cv.Display == "" {
			cv.Display = u.UserName
		}
		cv.Ref = "Users/" + cv.Value
	case scim.ResourceServicePrincipals:
		cv.Display = s.sps.byID[id].cur.DisplayName
		cv.Ref = "ServicePrincipals/" + cv.Value
	case scim.ResourceGroups:
		cv.Display = s.groups.byID[id].cur.DisplayName
		cv.Ref = "Groups/" + cv.Value
	default:
		return cv, false
	}
	return cv, true
}

// groupToSCIM renders a stored group with its members.
func (s *store) groupToSCIM(id int64, g groupObj, withMembers bool) scim.Group {
	out := scim.Group{
		ID:          formatID(id),
		DisplayName: g.DisplayName,
		ExternalID:  g.ExternalID,
		Roles:       g.Roles,
	}
	if withMembers && len(g.Members) > 0 {
		out.Members = make([]scim.ComplexValue, 0, len(g.Members))
		for _, m := range g.Members {
			if cv, ok := s.memberValue(m); ok {
				out.Members = append(out.Members, cv)
			}
		}
	}
	return out
}

// cloneUser deep-copies the slices and pointers of a user.
func cloneUser(u scim.User) scim.User {
	u.Schemas = slices.Clone(u.Schemas)
	u.Emails = slices.Clone(u.Emails)
	u.Roles = slices.Clone(u.Roles)
	if u.Name != nil {
		n := *u.Name
		u.Name = &n
	}
	if u.Active != nil {
		u.Active = new(*u.Active)
	}
	return u
}

func cloneSP(sp scim.ServicePrincipal) scim.ServicePrincipal {
	sp.Schemas = slices.Clone(sp.Schemas)
	sp.Roles = slices.Clone(sp.Roles)
	if sp.Active != nil {
		sp.Active = new(*sp.Active)
	}
	return sp
}
