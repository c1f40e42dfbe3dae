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
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// RequestRecord describes one request the server answered.
type RequestRecord struct {
	// Time is when the request arrived (before latency and handling).
	Time     time.Time     `json:"time"`
	Method   string        `json:"method"`
	Path     string        `json:"path"`
	Query    string        `json:"query,omitempty"`
	Resource scim.Resource `json:"resource,omitempty"`
	// Class is empty for requests outside the SCIM API (admin, bad paths).
	Class      scim.Class    `json:"class,omitempty"`
	Status     int           `json:"status"`
	RetryAfter time.Duration `json:"retryAfter,omitempty"`
	Duration   time.Duration `json:"duration"`
	// Token is the bearer token presented, so rotation tests can see which
	// one a client used. It is never logged nor served by the admin endpoint.
	Token string `json:"-"`
	// UserAgent is the client's User-Agent header, so tests running several
	// managers can see which one sent a request.
	UserAgent string `json:"userAgent,omitempty"`
}

// requestLog keeps recent records and counters.
type requestLog struct {
	mu      sync.Mutex
	max     int
	records []RequestRecord
	counts  map[scim.Class]map[int]int
	writes  int
}

func newRequestLog(maxRecords int) *requestLog {
	return &requestLog{max: maxRecords, counts: make(map[scim.Class]map[int]int)}
}

func (l *requestLog) add(r RequestRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.records) >= l.max {
		l.records = slices.Delete(l.records, 0, max(1, l.max/10))
	}
	l.records = append(l.records, r)
	if r.Class == "" {
		return
	}
	byStatus := l.counts[r.Class]
	if byStatus == nil {
		byStatus = make(map[int]int)
		l.counts[r.Class] = byStatus
	}
	byStatus[r.Status]++
	if isWriteMethod(r.Method) {
		l.writes++
	}
}

func isWriteMethod(m string) bool {
	return m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch || m == http.MethodDelete
}

// Requests returns a copy of the request log in arrival-completion order.
func (s *Server) Requests() []RequestRecord {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return slices.Clone(s.log.records)
}

// ResetRequests clears the request log, the counts and the write counter.
func (s *Server) ResetRequests() {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	s.log.records = nil
	s.log.counts = make(map[scim.Class]map[int]int)
	s.log.writes = 0
}

// Counts returns, per rate-limit class, how many SCIM requests ended with
// each status.
func (s *Server) Counts() map[scim.Class]map[int]int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	out := make(map[scim.Class]map[int]int, len(s.log.counts))
	for c, m := range s.log.counts {
		cp := make(map[int]int, len(m))
		maps.Copy(cp, m)
		out[c] = cp
	}
	return out
}

// Writes returns how many POST, PUT, PATCH and DELETE requests reached the
// SCIM API (whatever their outcome) since the last ResetRequests.
func (s *Server) Writes() int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.log.writes
}
