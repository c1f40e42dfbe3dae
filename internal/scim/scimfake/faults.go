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
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// faults holds the switchable misbehaviour. Everything here may change
// while requests are in flight.
type faults struct {
	mu            sync.Mutex
	limits        scim.Limits
	buckets       map[scim.Class]*rate.Limiter // nil entry: unlimited
	throttleAs500 bool
	errRng        *rand.Rand
	errRate       float64
	latency       time.Duration
	patchBody     bool
}

func newFaults(opts Options) *faults {
	f := &faults{throttleAs500: opts.ThrottleAs500, latency: opts.Latency, patchBody: opts.PatchReturnsBody}
	f.setLimits(opts.RateLimits)
	return f
}

// setLimits installs fresh buckets. Burst is one second's worth of
// requests, like a server-side token bucket refilled continuously.
func (f *faults) setLimits(l scim.Limits) {
	buckets := make(map[scim.Class]*rate.Limiter, len(scim.Classes))
	for _, c := range scim.Classes {
		if r := l.For(c); r > 0 && !math.IsInf(r, 1) {
			buckets[c] = rate.NewLimiter(rate.Limit(r), max(1, int(math.Ceil(r))))
		}
	}
	f.mu.Lock()
	f.limits, f.buckets = l, buckets
	f.mu.Unlock()
}

// inject applies throttling, random 503s and latency, in that order. It
// returns the answer to send when a fault fires.
func (f *faults) inject(ctx context.Context, class scim.Class, account string) (response, bool) {
	now := time.Now()
	f.mu.Lock()
	var retryAfter time.Duration
	if b := f.buckets[class]; b != nil {
		r := b.ReserveN(now, 1)
		if d := r.DelayFrom(now); d > 0 {
			r.CancelAt(now)
			retryAfter = max(time.Second, time.Duration(math.Ceil(d.Seconds()))*time.Second)
		}
	}
	as500, latency := f.throttleAs500, f.latency
	unavailable := f.errRng != nil && f.errRng.Float64() < f.errRate
	rps := f.limits.For(class)
	f.mu.Unlock()

	if retryAfter > 0 {
		return throttled(class, account, rps, retryAfter, as500), true
	}
	if unavailable {
		return errResponse(dbErr(http.StatusServiceUnavailable, "TEMPORARILY_UNAVAILABLE",
			"The service is temporarily unavailable. Please retry.")), true
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
	return response{}, false
}

// throttled is the answer to a request over the class limit: 429 with an
// integer Retry-After, or Databricks' 500 REQUEST_LIMIT_EXCEEDED SCIM error.
func throttled(class scim.Class, account string, rps float64, retryAfter time.Duration, as500 bool) response {
	if as500 {
		return errResponse(scimErr(http.StatusInternalServerError, "",
			"REQUEST_LIMIT_EXCEEDED: Account %s exceeded the %s rate limit of %g requests per second.", account, class, rps))
	}
	resp := errResponse(dbErr(http.StatusTooManyRequests, "REQUEST_LIMIT_EXCEEDED",
		"Too many requests. Please wait a moment and try again."))
	resp.header = map[string]string{"Retry-After": strconv.Itoa(int(retryAfter / time.Second))}
	return resp
}

// SetRateLimits replaces the per-class token buckets (requests/second; a
// zero or negative field leaves the class unlimited). Buckets start full.
func (s *Server) SetRateLimits(l scim.Limits) { s.flt.setLimits(l) }

// RateLimits returns the current per-class limits.
func (s *Server) RateLimits() scim.Limits {
	s.flt.mu.Lock()
	defer s.flt.mu.Unlock()
	return s.flt.limits
}

// SetThrottleAs500 switches between 429 + Retry-After and HTTP 500
// REQUEST_LIMIT_EXCEEDED for throttled requests.
func (s *Server) SetThrottleAs500(on bool) {
	s.flt.mu.Lock()
	s.flt.throttleAs500 = on
	s.flt.mu.Unlock()
}

// SetErrorRate makes a fraction p of SCIM requests fail with 503 before they
// are handled, drawn from a generator seeded with seed. p = 0 turns it off.
func (s *Server) SetErrorRate(seed int64, p float64) {
	s.flt.mu.Lock()
	defer s.flt.mu.Unlock()
	if p <= 0 {
		s.flt.errRng, s.flt.errRate = nil, 0
		return
	}
	s.flt.errRng, s.flt.errRate = rand.New(rand.NewPCG(uint64(seed), 0x0e44)), p
}

// SetLatency delays every SCIM request by d.
func (s *Server) SetLatency(d time.Duration) {
	s.flt.mu.Lock()
	s.flt.latency = d
	s.flt.mu.Unlock()
}

// SetPatchReturnsBody makes PATCH answer 200 with the object (true) or 204
// without a body (false, the default).
func (s *Server) SetPatchReturnsBody(on bool) {
	s.flt.mu.Lock()
	s.flt.patchBody = on
	s.flt.mu.Unlock()
}

func (s *Server) patchReturnsBody() bool {
	s.flt.mu.Lock()
	defer s.flt.mu.Unlock()
	return s.flt.patchBody
}

// SetVisibilityDelay makes objects created from now on invisible to GET and
// list for d (eventual consistency); writes to them work at once.
func (s *Server) SetVisibilityDelay(d time.Duration) {
	s.st.mu.Lock()
	s.st.visibilityDelay = d
	s.st.mu.Unlock()
}

// SetStaleReads makes GET and list return the pre-write object for d after
// each PATCH or PUT.
func (s *Server) SetStaleReads(d time.Duration) {
	s.st.mu.Lock()
	s.st.staleReads = d
	s.st.mu.Unlock()
}
