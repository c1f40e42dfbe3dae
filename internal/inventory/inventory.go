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

package inventory

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/naturalkey"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// DefaultWriteShield is how long a local write outranks what Databricks
// lists: account SCIM reads can be stale for up to about 60 s after a write.
const DefaultWriteShield = 90 * time.Second

// Attributes requested by the inventory's lists: only what the controllers
// compare (a group's members and roles come from one GET per group).
// `kubectl databricks` reads an account with the same lists.
var (
	UserAttributes  = []string{"id", "userName", "displayName", "name", "active", "externalId", "roles"}
	SPAttributes    = []string{"id", "applicationId", "displayName", "active", "externalId", "roles"}
	GroupAttributes = []string{"id", "displayName", "externalId"}
)

// Inventory is one account's remote state, read by paged lists once per sync
// interval (plus one GET per managed group for its members and roles), so
// reconcilers compare against memory instead of calling the API per object.
// Every write is recorded at once and shields the object from stale lists.
type Inventory struct {
	mu          sync.RWMutex
	snap        snapshot
	groupDetail map[string]groupDetail // managed groups' members and roles, by id
	written     map[string]time.Time   // id -> last local write
	deleted     map[string]time.Time   // id -> local delete (tombstone)
	refreshedAt time.Time
	shield      time.Duration

	refreshMu sync.Mutex // one refresh at a time; waiters reuse its result

	// OnChange receives the SCIM ids a re-list found changed (not on the first listing).
	OnChange func(ids []string)
	// OnError receives a failed background re-list.
	OnError func(error)
	// OnRefresh receives, after every re-list attempt (successful or not),
	// when the last successful re-list started; before the first success,
	// when the first attempt started. It feeds the staleness metric, so an
	// account that never lists successfully still ages.
	OnRefresh func(lastSuccess time.Time)

	failedAt time.Time // last failed re-list: the next waits refreshBackoff
	lastErr  error
	// lastSuccess is when the last successful re-list started (not reset by
	// Invalidate); firstAttempt is when the first re-list started.
	lastSuccess, firstAttempt time.Time
}

// refreshBackoff spaces re-lists after a failure, so a broken listing does
// not turn into a tight loop of full re-reads.
const refreshBackoff = 30 * time.Second

type snapshot struct {
	users       map[string]*scim.User
	userByName  map[string]string
	sps         map[string]*scim.ServicePrincipal
	spByAppID   map[string]string
	spByName    map[string][]string // displayName is not unique
	groups      map[string]*scim.Group
	groupByName map[string]string
}

// groupDetail is a managed group's members and roles, kept as SCIM ids
// only: the comparisons need nothing else, and a group's display names and
// $ref URLs would be most of the inventory's memory.
type groupDetail struct {
	base     scim.Group // without members and roles
	members  []string
	roles    []string
	loadedAt time.Time
}

func newGroupDetail(g scim.Group, loadedAt time.Time) groupDetail {
	d := groupDetail{base: g, members: values(g.Members), roles: values(g.Roles), loadedAt: loadedAt}
	d.base.Schemas, d.base.Members, d.base.Roles = nil, nil, nil
	return d
}

// group rebuilds the group with its members and roles (ids only).
func (d groupDetail) group() scim.Group {
	g := d.base
	g.Members, g.Roles = complexValues(d.members), complexValues(d.roles)
	return g
}

func values(cvs []scim.ComplexValue) []string {
	if len(cvs) == 0 {
		return nil
	}
	out := make([]string, len(cvs))
	for i, cv := range cvs {
		out[i] = cv.Value
	}
	return out
}

func complexValues(vs []string) []scim.ComplexValue {
	if len(vs) == 0 {
		return nil
	}
	out := make([]scim.ComplexValue, len(vs))
	for i, v := range vs {
		out[i] = scim.ComplexValue{Value: v}
	}
	return out
}

func newSnapshot() snapshot {
	return snapshot{
		users: map[string]*scim.User{}, userByName: map[string]string{},
		sps: map[string]*scim.ServicePrincipal{}, spByAppID: map[string]string{}, spByName: map[string][]string{},
		groups: map[string]*scim.Group{}, groupByName: map[string]string{},
	}
}

// New returns an empty inventory that refreshes on first use;
// shield is how long local writes outrank listed state (0: DefaultWriteShield).
func New(shield time.Duration) *Inventory {
	if shield <= 0 {
		shield = DefaultWriteShield
	}
	return &Inventory{
		shield:      shield,
		snap:        newSnapshot(),
		groupDetail: map[string]groupDetail{},
		written:     map[string]time.Time{},
		deleted:     map[string]time.Time{},
	}
}

// Key is the comparison key of a natural key (userName, displayName,
// applicationId): the one normalisation the CRDs, lookups and client share.
func Key(s string) string { return naturalkey.Key(s) }

// EnsureFresh makes sure the account has been listed, and starts a re-list
// when the last one is older than maxAge. Only the first listing blocks: a
// later one runs in the background while callers use the current state, so a
// spec change never waits behind a full re-list. Objects the re-list finds
// changed are reported to OnChange, so drift is repaired at once.
func (inv *Inventory) EnsureFresh(ctx context.Context, c scim.Client, maxAge time.Duration) error {
	age := inv.age()
	if age < maxAge {
		return nil
	}
	if err := inv.recentFailure(); err != nil {
		if !inv.loaded() {
			return err // waiters share a fresh failure instead of each re-listing
		}
		return nil // keep using the current state until the back-off ends
	}
	if !inv.loaded() {
		inv.refreshMu.Lock()
		defer inv.refreshMu.Unlock()
		if inv.loaded() { // someone else listed while we waited
			return nil
		}
		return inv.refresh(ctx, c)
	}
	if inv.refreshMu.TryLock() {
		go func() {
			defer inv.refreshMu.Unlock()
			bg, cancel := context.WithTimeout(context.Background(), backgroundRefreshTimeout)
			defer cancel()
			if err := inv.refresh(bg, c); err != nil && inv.OnError != nil {
				inv.OnError(err)
			}
		}()
	}
	return nil
}

// backgroundRefreshTimeout bounds one background re-list (10,000 users are
// 100 pages: 25 s at Databricks' 4 list pages per second).
const backgroundRefreshTimeout = 5 * time.Minute

func (inv *Inventory) recentFailure() error {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	if inv.lastErr != nil && time.Since(inv.failedAt) < refreshBackoff {
		return inv.lastErr
	}
	return nil
}

func (inv *Inventory) recordFailure(err error) error {
	inv.mu.Lock()
	inv.lastErr, inv.failedAt = err, time.Now()
	inv.mu.Unlock()
	return err
}

func (inv *Inventory) loaded() bool {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	return !inv.refreshedAt.IsZero()
}

// Invalidate makes the next EnsureFresh re-list.
func (inv *Inventory) Invalidate() {
	inv.mu.Lock()
	inv.refreshedAt = time.Time{}
	inv.mu.Unlock()
}

func (inv *Inventory) age() time.Duration {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	if inv.refreshedAt.IsZero() {
		return time.Duration(1<<63 - 1)
	}
	return time.Since(inv.refreshedAt)
}

func (inv *Inventory) refresh(ctx context.Context, c scim.Client) error {
	started := time.Now()
	inv.mu.Lock()
	if inv.firstAttempt.IsZero() {
		inv.firstAttempt = started
	}
	inv.mu.Unlock()
	defer inv.reportRefresh()
	next := newSnapshot()
	if err := c.ListUsers(ctx, scim.ListOptions{Attributes: UserAttributes}, func(u scim.User) error {
		next.putUser(unchanged(inv, normalizedUser(&u), u.ID, func(snap *snapshot) map[string]*scim.User { return snap.users }))
		return nil
	}); err != nil {
		return inv.recordFailure(fmt.Errorf("failed to list users: %w", err))
	}
	if err := c.ListServicePrincipals(ctx, scim.ListOptions{Attributes: SPAttributes}, func(s scim.ServicePrincipal) error {
		next.putSP(unchanged(inv, normalizedSP(&s), s.ID, func(snap *snapshot) map[string]*scim.ServicePrincipal { return snap.sps }))
		return nil
	}); err != nil {
		return inv.recordFailure(fmt.Errorf("failed to list service principals: %w", err))
	}
	if err := c.ListGroups(ctx, scim.ListOptions{Attributes: GroupAttributes}, func(g scim.Group) error {
		next.putGroup(unchanged(inv, normalizedGroup(&g), g.ID, func(snap *snapshot) map[string]*scim.Group { return snap.groups }))
		return nil
	}); err != nil {
		return inv.recordFailure(fmt.Errorf("failed to list groups: %w", err))
	}

	inv.mu.Lock()
	inv.keepRecentWrites(&next, started)
	var changed []string
	if !inv.refreshedAt.IsZero() {
		changed = changedIDs(&inv.snap, &next)
	}
	inv.snap = next
	inv.refreshedAt = started
	inv.lastSuccess = started
	inv.lastErr = nil
	inv.mu.Unlock()
	if len(changed) > 0 && inv.OnChange != nil {
		inv.OnChange(changed)
	}
	return nil
}

// reportRefresh tells OnRefresh when the last successful re-list started
// (or, before the first success, the first attempt).
func (inv *Inventory) reportRefresh() {
	if inv.OnRefresh == nil {
		return
	}
	inv.mu.RLock()
	at := inv.lastSuccess
	if at.IsZero() {
		at = inv.firstAttempt
	}
	inv.mu.RUnlock()
	inv.OnRefresh(at)
}

// changedIDs lists the SCIM ids whose listed state differs between two
// snapshots: changed, deleted or new.
func changedIDs(old, next *snapshot) []string {
	var ids []string
	ids = appendChanged(ids, old.users, next.users)
	ids = appendChanged(ids, old.sps, next.sps)
	return appendChanged(ids, old.groups, next.groups)
}

func appendChanged[T any](ids []string, old, next map[string]*T) []string {
	for id, o := range old {
		if n, ok := next[id]; !ok || (n != o && !reflect.DeepEqual(o, n)) {
			ids = append(ids, id)
		}
	}
	for id := range next {
		if _, ok := old[id]; !ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// keepRecentWrites carries local writes newer than the shield over stale
// listings, and drops objects deleted locally that a stale list still shows.
func (inv *Inventory) keepRecentWrites(next *snapshot, now time.Time) {
	for id, at := range inv.deleted {
		if now.Sub(at) > inv.shield {
			delete(inv.deleted, id)
			continue
		}
		next.removeUser(id)
		next.removeSP(id)
		next.removeGroup(id)
	}
	for id, at := range inv.written {
		if now.Sub(at) > inv.shield {
			delete(inv.written, id)
			continue
		}
		if u, ok := inv.snap.users[id]; ok {
			next.removeUser(id)
			next.putUser(u)
		}
		if s, ok := inv.snap.sps[id]; ok {
			next.removeSP(id)
			next.putSP(s)
		}
		if g, ok := inv.snap.groups[id]; ok {
			next.removeGroup(id)
			next.putGroup(g)
		}
	}
}

// unchanged returns the entry the current snapshot holds for a listed
// object when the two are equal, so a re-list keeps one copy of what did not
// change instead of holding the old and the new side by side until it ends
// (at 50,000 identities, tens of megabytes). Entries are never modified in
// place, so the snapshots may share them.
func unchanged[T any](inv *Inventory, listed *T, id string, in func(*snapshot) map[string]*T) *T {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	if cur, ok := in(&inv.snap)[id]; ok && reflect.DeepEqual(cur, listed) {
		return cur
	}
	return listed
}

// The snapshot keeps only the attributes the lists request, so a re-list
// compares like with like (a create's answer also carries emails and
// schemas). The normalisers write only what differs, so putting an entry
// already normalised (one shared with the previous snapshot) writes nothing.
func normalizedUser(u *scim.User) *scim.User {
	if u.Schemas != nil || u.Emails != nil {
		u.Schemas, u.Emails = nil, nil
	}
	if u.Roles != nil && len(u.Roles) == 0 {
		u.Roles = nil
	}
	return u
}

func normalizedSP(sp *scim.ServicePrincipal) *scim.ServicePrincipal {
	if sp.Schemas != nil {
		sp.Schemas = nil
	}
	if sp.Roles != nil && len(sp.Roles) == 0 {
		sp.Roles = nil
	}
	return sp
}

func normalizedGroup(g *scim.Group) *scim.Group {
	if g.Schemas != nil || g.Members != nil || g.Roles != nil {
		g.Schemas, g.Members, g.Roles = nil, nil, nil
	}
	return g
}

func (s *snapshot) putUser(u *scim.User) {
	normalizedUser(u)
	if old, ok := s.users[u.ID]; ok {
		delete(s.userByName, Key(old.UserName))
	}
	s.users[u.ID] = u
	s.userByName[Key(u.UserName)] = u.ID
}

func (s *snapshot) removeUser(id string) {
	if old, ok := s.users[id]; ok {
		delete(s.userByName, Key(old.UserName))
		delete(s.users, id)
	}
}

func (s *snapshot) putSP(sp *scim.ServicePrincipal) {
	normalizedSP(sp)
	s.removeSP(sp.ID)
	s.sps[sp.ID] = sp
	if sp.ApplicationID != "" {
		s.spByAppID[Key(sp.ApplicationID)] = sp.ID
	}
	if sp.DisplayName != "" {
		k := Key(sp.DisplayName)
		s.spByName[k] = append(s.spByName[k], sp.ID)
	}
}

func (s *snapshot) removeSP(id string) {
	if old, ok := s.sps[id]; ok {
		delete(s.spByAppID, Key(old.ApplicationID))
		k := Key(old.DisplayName)
		if ids := slices.DeleteFunc(s.spByName[k], func(v string) bool { return v == id }); len(ids) > 0 {
			s.spByName[k] = ids
		} else {
			delete(s.spByName, k)
		}
		delete(s.sps, id)
	}
}

func (s *snapshot) putGroup(g *scim.Group) {
	normalizedGroup(g)
	s.removeGroup(g.ID)
	s.groups[g.ID] = g
	s.groupByName[Key(g.DisplayName)] = g.ID
}

func (s *snapshot) removeGroup(id string) {
	if old, ok := s.groups[id]; ok {
		delete(s.groupByName, Key(old.DisplayName))
		delete(s.groups, id)
	}
}

// UserByID returns a copy of the user with that SCIM id.
func (inv *Inventory) UserByID(id string) (scim.User, bool) {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	u, ok := inv.snap.users[id]
	if !ok {
		return scim.User{}, false
	}
	return *u, true
}

// UserByName returns a copy of the user with that userName (case-insensitive).
func (inv *Inventory) UserByName(userName string) (scim.User, bool) {
	inv.mu.RLock()
	id, ok := inv.snap.userByName[Key(userName)]
	inv.mu.RUnlock()
	if !ok {
		return scim.User{}, false
	}
	return inv.UserByID(id)
}

// Shielded says a local write to the object is recent enough to outrank
// Databricks' reads, which may not show it yet.
func (inv *Inventory) Shielded(id string) bool {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	return time.Since(inv.written[id]) < inv.shield
}

// SeenUser records a user as a direct read showed it (no write shield).
func (inv *Inventory) SeenUser(u scim.User) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.snap.putUser(&u)
	delete(inv.deleted, u.ID)
}

// SeenSP records a service principal as a direct read showed it.
func (inv *Inventory) SeenSP(s scim.ServicePrincipal) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.snap.putSP(&s)
	delete(inv.deleted, s.ID)
}

// ForgetDetail drops a group's cached members, after a failed PATCH left
// them uncertain: the next diff re-reads them.
func (inv *Inventory) ForgetDetail(id string) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	delete(inv.groupDetail, id)
}

// PutUser records a user as Databricks now has it, after a local write.
func (inv *Inventory) PutUser(u scim.User) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.snap.putUser(&u)
	inv.written[u.ID] = time.Now()
	delete(inv.deleted, u.ID)
}

// SPByID returns a copy of the service principal with that SCIM id.
func (inv *Inventory) SPByID(id string) (scim.ServicePrincipal, bool) {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	s, ok := inv.snap.sps[id]
	if !ok {
		return scim.ServicePrincipal{}, false
	}
	return *s, true
}

// SPByApplicationID returns the service principal with that applicationId.
func (inv *Inventory) SPByApplicationID(appID string) (scim.ServicePrincipal, bool) {
	inv.mu.RLock()
	id, ok := inv.snap.spByAppID[Key(appID)]
	inv.mu.RUnlock()
	if !ok {
		return scim.ServicePrincipal{}, false
	}
	return inv.SPByID(id)
}

// SPsByDisplayName returns every service principal with that displayName:
// the natural key of Databricks-managed principals, whose applicationId is
// generated. displayName is not unique in Databricks, so there may be several.
func (inv *Inventory) SPsByDisplayName(name string) []scim.ServicePrincipal {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	ids := inv.snap.spByName[Key(name)]
	out := make([]scim.ServicePrincipal, 0, len(ids))
	for _, id := range ids {
		out = append(out, *inv.snap.sps[id])
	}
	return out
}

// PutSP records a service principal as Databricks now has it.
func (inv *Inventory) PutSP(s scim.ServicePrincipal) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.snap.putSP(&s)
	inv.written[s.ID] = time.Now()
	delete(inv.deleted, s.ID)
}

// GroupByID returns a copy of the listed group (without members).
func (inv *Inventory) GroupByID(id string) (scim.Group, bool) {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	g, ok := inv.snap.groups[id]
	if !ok {
		return scim.Group{}, false
	}
	return *g, true
}

// GroupByName returns the group with that displayName (case-insensitive).
func (inv *Inventory) GroupByName(name string) (scim.Group, bool) {
	inv.mu.RLock()
	id, ok := inv.snap.groupByName[Key(name)]
	inv.mu.RUnlock()
	if !ok {
		return scim.Group{}, false
	}
	return inv.GroupByID(id)
}

// GroupDetail returns a managed group with its members and roles: one GET
// per group per maxAge, none while a recent local write shields it.
func (inv *Inventory) GroupDetail(ctx context.Context, c scim.Client, id string, maxAge time.Duration) (scim.Group, error) {
	inv.mu.RLock()
	d, ok := inv.groupDetail[id]
	shielded := time.Since(inv.written[id]) < inv.shield
	inv.mu.RUnlock()
	if ok && (time.Since(d.loadedAt) < maxAge || shielded) {
		return d.group(), nil
	}
	g, err := c.GetGroup(ctx, id)
	if err != nil {
		if scim.IsNotFound(err) && ok && shielded {
			return d.group(), nil // created moments ago: not visible yet
		}
		return scim.Group{}, err
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	d = newGroupDetail(*g, time.Now())
	inv.groupDetail[id] = d
	listed := d.base
	inv.snap.putGroup(&listed)
	return d.group(), nil
}

// SeenGroup records a group with members and roles as a direct read showed it.
func (inv *Inventory) SeenGroup(g scim.Group) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	d := newGroupDetail(g, time.Now())
	inv.groupDetail[g.ID] = d
	listed := d.base
	inv.snap.putGroup(&listed)
	delete(inv.deleted, g.ID)
}

// PutGroup records a group with its members and roles after a local write.
func (inv *Inventory) PutGroup(g scim.Group) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	now := time.Now()
	d := newGroupDetail(g, now)
	inv.groupDetail[g.ID] = d
	listed := d.base
	inv.snap.putGroup(&listed)
	inv.written[g.ID] = now
	delete(inv.deleted, g.ID)
}

// Forget drops an object deleted locally (or found gone) by SCIM id.
func (inv *Inventory) Forget(id string) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.snap.removeUser(id)
	inv.snap.removeSP(id)
	inv.snap.removeGroup(id)
	delete(inv.groupDetail, id)
	delete(inv.written, id)
	inv.deleted[id] = time.Now()
}
