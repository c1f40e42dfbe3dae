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

package scim

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// MaxRetryAfter caps how long one throttled answer may pause a class, so a
// bogus Retry-After cannot stall the operator for hours.
const MaxRetryAfter = 5 * time.Minute

// classLimiter paces one rate-limit class: a token bucket plus a pause that a
// throttled answer sets to its Retry-After.
type classLimiter struct {
	bucket *rate.Limiter
	lanes  lanes

	mu          sync.Mutex
	pausedUntil time.Time
}

// Limiters paces the requests of every client of one account, per Class;
// a Retry-After seen by one client pauses them all.
type Limiters struct{ ls *limiters }

// NewLimiters returns limiters at the given rates (zero fields: defaults).
func NewLimiters(l Limits) *Limiters { return &Limiters{ls: newLimiters(l)} }

// Set changes the rates in place; waiting requests adopt them.
func (l *Limiters) Set(lim Limits) { l.ls.set(lim) }

// limiters holds one classLimiter per Class.
type limiters struct {
	byClass map[Class]*classLimiter
}

func newLimiters(l Limits) *limiters {
	ls := &limiters{byClass: make(map[Class]*classLimiter, len(Classes))}
	for _, c := range Classes {
		// Burst 1: requests are spread evenly, so the client never bursts
		// above the server's bucket even right after an idle period.
		ls.byClass[c] = &classLimiter{bucket: rate.NewLimiter(toLimit(0), 1)}
	}
	ls.set(l)
	return ls
}

// set reconfigures the buckets in place; waiters pick up the new rate.
func (ls *limiters) set(l Limits) {
	l = l.withDefaults()
	for _, c := range Classes {
		ls.byClass[c].bucket.SetLimit(toLimit(l.For(c)))
	}
}

func toLimit(perSecond float64) rate.Limit {
	if perSecond < 0 || math.IsInf(perSecond, 1) {
		return rate.Inf
	}
	return rate.Limit(perSecond)
}

// wait blocks until a request of class c may be sent: any throttling pause
// has ended and the bucket has a token. Urgent requests (PriorityFrom(ctx))
// are admitted before waiting bulk ones. It honours ctx and returns the time
// spent waiting.
func (ls *limiters) wait(ctx context.Context, c Class) (time.Duration, error) {
	cl := ls.byClass[c]
	start := time.Now()
	if err := cl.lanes.enter(ctx, PriorityFrom(ctx)); err != nil {
		return time.Since(start), err
	}
	defer cl.lanes.leave()
	for {
		if err := sleepUntil(ctx, cl.pauseEnd()); err != nil {
			return time.Since(start), err
		}
		if err := cl.bucket.Wait(ctx); err != nil {
			// rate reports "would exceed context deadline" as plain text;
			// surface the context error so callers can errors.Is it.
			if ctxErr := ctx.Err(); ctxErr != nil {
				return time.Since(start), ctxErr
			}
			return time.Since(start), context.DeadlineExceeded
		}
		// A throttled answer may have arrived while we waited for the
		// bucket; the pause wins over the token we just took.
		if !time.Now().Before(cl.pauseEnd()) {
			return time.Since(start), nil
		}
	}
}

// pause stops class c from sending until now+d (extending, never shortening,
// an existing pause).
func (ls *limiters) pause(c Class, d time.Duration) {
	d = min(d, MaxRetryAfter)
	cl := ls.byClass[c]
	until := time.Now().Add(d)
	cl.mu.Lock()
	if until.After(cl.pausedUntil) {
		cl.pausedUntil = until
	}
	cl.mu.Unlock()
}

func (cl *classLimiter) pauseEnd() time.Time {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.pausedUntil
}

// sleepUntil sleeps until t or ctx is done.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
