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

package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

func TestUrgentLatencies(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	u := &urgentState{leaverIDs: []string{"u1", "u2"}, adminID: "g1",
		deactivationAt: []time.Time{at(0), at(50)}, removalAt: []time.Time{at(100), at(600), at(1100)}}
	recs := []scimfake.RequestRecord{
		{Time: at(10), Method: http.MethodPatch, Path: "/scim/v2/Users/u2", Status: 204},    // before u2's send
		{Time: at(300), Method: http.MethodPatch, Path: "/scim/v2/Users/u1", Status: 429},   // throttled: not counted
		{Time: at(400), Method: http.MethodPatch, Path: "/scim/v2/Users/u1", Status: 204},   // u1: 400 ms
		{Time: at(700), Method: http.MethodPatch, Path: "/scim/v2/Groups/g1", Status: 204},  // removals 1 and 2
		{Time: at(800), Method: http.MethodPatch, Path: "/scim/v2/Groups/g10", Status: 204}, // another group
		{Time: at(900), Method: http.MethodGet, Path: "/scim/v2/Users/u2", Status: 200},     // not a PATCH
		{Time: at(1250), Method: http.MethodPatch, Path: "/scim/v2/Users/u2", Status: 204},  // u2: 1200 ms
		{Time: at(1300), Method: http.MethodPatch, Path: "/scim/v2/Groups/g1", Status: 204}, // removal 3
	}
	// Two reads of the log: the first before the last removal's PATCH, the
	// second after the oldest records were dropped.
	u.observe(recs[:7])
	if u.complete() {
		t.Error("complete before the last removal's PATCH")
	}
	u.observe(recs[5:])
	if !u.complete() {
		t.Error("not complete")
	}
	ms := func(ds []time.Duration) []int64 {
		var out []int64
		for _, d := range ds {
			out = append(out, d.Milliseconds())
		}
		return out
	}
	if got := ms(u.deactivations); len(got) != 2 || got[0] != 400 || got[1] != 1200 {
		t.Errorf("deactivations %v, want [400 1200]", got)
	}
	if got := ms(u.removals); len(got) != 3 || got[0] != 600 || got[1] != 100 || got[2] != 200 {
		t.Errorf("removals %v, want [600 100 200]", got)
	}
	if u.removalPatches != 2 {
		t.Errorf("%d admin-group PATCHes, want 2", u.removalPatches)
	}
	if len(u.all()) != 5 {
		t.Errorf("all: %v", u.all())
	}
	if n := bulkCreates(scimfake.Stats{Users: 1100, ServicePrincipals: 20, Groups: 101}); n != 1120 {
		t.Errorf("bulkCreates = %d, want 1120 (the seed subtracted)", n)
	}
}
