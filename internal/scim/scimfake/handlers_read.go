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
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// maxPage is the server-side page size cap.
const maxPage = 100

// pageParams reads startIndex (1-based; <1 means 1) and count (missing, 0 or
// negative means 100; more than 100 is clamped, as Databricks does).
func pageParams(q url.Values) (start, count int, aerr *apiError) {
	start, count = 1, maxPage
	if v := q.Get("startIndex"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, errInvalidValue("startIndex must be an integer.")
		}
		start = max(n, 1)
	}
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, errInvalidValue("count must be an integer.")
		}
		if n > 0 {
			count = min(n, maxPage)
		}
	}
	return start, count, nil
}

// hit is one object selected for a list page.
type hit[T any] struct {
	id int64
	v  T
}

// collect selects the page [start, start+count) among the visible objects
// in cands that pass keep, and counts all of them. Without a filter and
// with every object visible it slices the sorted ids directly.
func collect[T any](t *table[T], cands []int64, now time.Time, start, count int, keep func(id int64, v *T) bool) (int, []hit[T]) {
	if keep == nil && !now.Before(t.lastVisibleAt) {
		total := len(cands)
		lo := min(start-1, total)
		hi := min(lo+count, total)
		page := make([]hit[T], 0, hi-lo)
		for _, id := range cands[lo:hi] {
			v, _ := t.byID[id].view(now)
			page = append(page, hit[T]{id, v})
		}
		return total, page
	}
	total := 0
	var page []hit[T]
	for _, id := range cands {
		e := t.byID[id]
		if e == nil {
			continue
		}
		v, ok := e.view(now)
		if !ok || (keep != nil && !keep(id, &v)) {
			continue
		}
		total++
		if total >= start && len(page) < count {
			page = append(page, hit[T]{id, v})
		}
	}
	return total, page
}

// candidates narrows a single-eq filter on a natural key or id to at most one
// id through the indexes; otherwise it returns every id in order.
func (st *store) candidates(res scim.Resource, f *compiledFilter, order []int64) []int64 {
	if f == nil || f.eqAttr == "" {
		return order
	}
	var (
		id    int64
		found bool
	)
	switch {
	case f.eqAttr == "id":
		id, found = parseID(f.eqValue)
		found = found && st.kinds[id] == res
	case res == scim.ResourceUsers && f.eqAttr == "userName":
		id, found = st.userByName[lower(f.eqValue)]
	case res == scim.ResourceServicePrincipals && f.eqAttr == "applicationId":
		id, found = st.spByAppID[lower(f.eqValue)]
	case res == scim.ResourceGroups && f.eqAttr == "displayName":
		id, found = st.groupByName[lower(f.eqValue)]
	default:
		return order
	}
	if !found {
		return []int64{}
	}
	return []int64{id}
}

func listResponse[T any](total, start int, resources []T) response {
	return response{status: http.StatusOK, body: scim.ListResponse[T]{
		Schemas:      []string{scim.SchemaListResponse},
		TotalResults: total,
		ItemsPerPage: len(resources),
		StartIndex:   start,
		Resources:    resources,
	}}
}

// list answers GET on a collection.
func (s *Server) list(req *request) response {
	start, count, aerr := pageParams(req.query)
	if aerr != nil {
		return errResponse(aerr)
	}
	var f *compiledFilter
	if raw := req.query.Get("filter"); raw != "" {
		if f, aerr = compileFilter(raw, req.version, req.res); aerr != nil {
			return errResponse(aerr)
		}
	}
	p := parseProjection(req.query, req.res)
	st := s.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	switch req.res {
	case scim.ResourceUsers:
		var keep func(int64, *scim.User) bool
		if f != nil {
			keep = func(_ int64, u *scim.User) bool { return f.match(userAttrs(u)) }
		}
		total, page := collect(&st.users, st.candidates(req.res, f, st.users.order), req.now, start, count, keep)
		out := make([]userWire, 0, len(page))
		for _, h := range page {
			out = append(out, renderUser(h.v, p))
		}
		return listResponse(total, start, out)
	case scim.ResourceServicePrincipals:
		var keep func(int64, *scim.ServicePrincipal) bool
		if f != nil {
			keep = func(_ int64, sp *scim.ServicePrincipal) bool { return f.match(spAttrs(sp)) }
		}
		total, page := collect(&st.sps, st.candidates(req.res, f, st.sps.order), req.now, start, count, keep)
		out := make([]spWire, 0, len(page))
		for _, h := range page {
			out = append(out, renderSP(h.v, p))
		}
		return listResponse(total, start, out)
	default:
		var keep func(int64, *groupObj) bool
		if f != nil {
			keep = func(id int64, g *groupObj) bool { return f.match(groupAttrs(formatID(id), g)) }
		}
		total, page := collect(&st.groups, st.candidates(req.res, f, st.groups.order), req.now, start, count, keep)
		out := make([]groupWire, 0, len(page))
		for _, h := range page {
			out = append(out, st.renderGroup(h.id, h.v, p, s.opts.GroupListMembers))
		}
		return listResponse(total, start, out)
	}
}

// get answers GET on one object; objects not yet visible are 404.
func (s *Server) get(req *request) response {
	id, ok := parseID(req.id)
	if !ok {
		return errResponse(errNotFound(req.res, req.id))
	}
	p := parseProjection(req.query, req.res)
	st := s.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	switch req.res {
	case scim.ResourceUsers:
		if e := st.users.byID[id]; e != nil {
			if v, vis := e.view(req.now); vis {
				return response{status: http.StatusOK, body: renderUser(v, p)}
			}
		}
	case scim.ResourceServicePrincipals:
		if e := st.sps.byID[id]; e != nil {
			if v, vis := e.view(req.now); vis {
				return response{status: http.StatusOK, body: renderSP(v, p)}
			}
		}
	default:
		if e := st.groups.byID[id]; e != nil {
			if v, vis := e.view(req.now); vis {
				return response{status: http.StatusOK, body: st.renderGroup(id, v, p, true)}
			}
		}
	}
	return errResponse(errNotFound(req.res, req.id))
}
