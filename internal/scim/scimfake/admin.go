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
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// Stats is the body of GET /_fake/stats.
type Stats struct {
	// Counts maps class → status → requests.
	Counts            map[scim.Class]map[string]int `json:"counts"`
	Writes            int                           `json:"writes"`
	Users             int                           `json:"users"`
	Groups            int                           `json:"groups"`
	ServicePrincipals int                           `json:"servicePrincipals"`
}

// Stats returns request counts and object totals.
func (s *Server) Stats() Stats {
	counts := make(map[scim.Class]map[string]int)
	for c, byStatus := range s.Counts() {
		m := make(map[string]int, len(byStatus))
		for status, n := range byStatus {
			m[strconv.Itoa(status)] = n
		}
		counts[c] = m
	}
	st := Stats{Counts: counts, Writes: s.Writes()}
	st.Users, st.Groups, st.ServicePrincipals = s.ObjectCounts()
	return st
}

// FaultSettings is the body of PUT /_fake/faults. Durations are Go duration
// strings ("5s"); omitted fields are left unchanged.
type FaultSettings struct {
	RateLimits       *scim.Limits `json:"rateLimits,omitempty"`
	ThrottleAs500    *bool        `json:"throttleAs500,omitempty"`
	VisibilityDelay  *string      `json:"visibilityDelay,omitempty"`
	StaleReads       *string      `json:"staleReads,omitempty"`
	Latency          *string      `json:"latency,omitempty"`
	ErrorRate        *float64     `json:"errorRate,omitempty"`
	PatchReturnsBody *bool        `json:"patchReturnsBody,omitempty"`
}

// admin serves the /_fake/ endpoints (same bearer token as the API):
//
//	GET  /_fake/stats            request counts per class/status, writes, object totals
//	GET  /_fake/requests         the request log
//	POST /_fake/reset-requests   clear the log and counters
//	PUT  /_fake/faults           change fault knobs (FaultSettings)
func (s *Server) admin(r *http.Request) response {
	switch r.Method + " " + r.URL.Path {
	case "GET /_fake/stats":
		return response{status: http.StatusOK, body: s.Stats()}
	case "GET /_fake/requests":
		return response{status: http.StatusOK, body: s.Requests()}
	case "POST /_fake/reset-requests":
		s.ResetRequests()
		return response{status: http.StatusNoContent}
	case "PUT /_fake/faults", "POST /_fake/faults":
		var fs FaultSettings
		if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20)).Decode(&fs); err != nil {
			return errResponse(dbErr(http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "invalid fault settings"))
		}
		if aerr := s.applyFaults(fs); aerr != nil {
			return errResponse(aerr)
		}
		return response{status: http.StatusNoContent}
	}
	return errResponse(dbErr(http.StatusNotFound, "ENDPOINT_NOT_FOUND", "No admin endpoint %s %s", r.Method, r.URL.Path))
}

func (s *Server) applyFaults(fs FaultSettings) *apiError {
	durations := []struct {
		raw *string
		set func(time.Duration)
	}{{fs.VisibilityDelay, s.SetVisibilityDelay}, {fs.StaleReads, s.SetStaleReads}, {fs.Latency, s.SetLatency}}
	parsed := make([]time.Duration, len(durations))
	for i, d := range durations {
		if d.raw == nil {
			continue
		}
		v, err := time.ParseDuration(*d.raw)
		if err != nil || v < 0 {
			return dbErr(http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "invalid duration %q", *d.raw)
		}
		parsed[i] = v
	}
	for i, d := range durations {
		if d.raw != nil {
			d.set(parsed[i])
		}
	}
	if fs.RateLimits != nil {
		s.SetRateLimits(*fs.RateLimits)
	}
	if fs.ThrottleAs500 != nil {
		s.SetThrottleAs500(*fs.ThrottleAs500)
	}
	if fs.ErrorRate != nil {
		s.SetErrorRate(s.opts.Seed, *fs.ErrorRate)
	}
	if fs.PatchReturnsBody != nil {
		s.SetPatchReturnsBody(*fs.PatchReturnsBody)
	}
	return nil
}
