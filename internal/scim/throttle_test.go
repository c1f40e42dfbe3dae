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

package scim_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

// inFlight is how late a request sent before the client saw a 429 may still
// arrive at the fake.
const inFlight = 50 * time.Millisecond

func TestThrottlingPausesTheClass(t *testing.T) {
	g := NewWithT(t)
	fake := startFake(t, scimfake.Options{RateLimits: scim.Limits{Get: 4}})
	u := fake.SeedUser(scim.User{UserName: "t@example.com"})
	var throttledCalls atomic.Int32
	c := newClient(t, fake, func(cfg *scim.Config) {
		cfg.Observer = func(ci scim.CallInfo) {
			if ci.Throttled {
				throttledCalls.Add(1)
			}
		}
	})

	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for range 3 {
		wg.Go(func() {
			for range 4 {
				_, err := c.GetUser(context.Background(), u.ID)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		g.Expect(err).NotTo(HaveOccurred(), "throttled GETs are retried after Retry-After")
	}
	g.Expect(throttledCalls.Load()).To(BeNumerically(">", 0))

	reqs := fake.Requests()
	var throttles int
	for _, r := range reqs {
		if r.Status != 429 {
			continue
		}
		throttles++
		g.Expect(r.RetryAfter).To(BeNumerically(">=", time.Second))
		pauseEnd := r.Time.Add(r.RetryAfter)
		for _, other := range reqs {
			if other.Class == r.Class && other.Time.After(r.Time.Add(inFlight)) && other.Time.Before(pauseEnd) {
				t.Errorf("request at %s sent during the pause %s–%s", other.Time.Format("15:04:05.000"),
					r.Time.Format("15:04:05.000"), pauseEnd.Format("15:04:05.000"))
			}
		}
	}
	g.Expect(throttles).To(BeNumerically(">", 0))
	g.Expect(fake.Counts()[scim.ClassGet][200]).To(Equal(12))
}

func TestClientLimiterAvoidsThrottling(t *testing.T) {
	g := NewWithT(t)
	fake := startFake(t, scimfake.Options{RateLimits: scim.Limits{Get: 20}})
	u := fake.SeedUser(scim.User{UserName: "t@example.com"})
	c := newClient(t, fake, func(cfg *scim.Config) { cfg.Limits = scim.Limits{Get: 20, List: -1, Patch: -1, Write: -1} })
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 8 {
				_, _ = c.GetUser(context.Background(), u.ID)
			}
		})
	}
	wg.Wait()
	g.Expect(fake.Counts()[scim.ClassGet]).To(Equal(map[int]int{200: 32}))
}

func TestThrottlingAs500(t *testing.T) {
	g := NewWithT(t)
	fake := startFake(t, scimfake.Options{RateLimits: scim.Limits{Write: 1}, ThrottleAs500: true})
	c := newClient(t, fake)
	ctx := context.Background()
	_, err := c.CreateGroup(ctx, scim.Group{DisplayName: "a"})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.CreateGroup(ctx, scim.Group{DisplayName: "b"})
	g.Expect(err).To(HaveOccurred())
	apiErr, _ := scim.AsAPIError(err)
	g.Expect(apiErr.StatusCode).To(Equal(500))
	g.Expect(scim.IsThrottled(err)).To(BeTrue(), "%v", err)
	g.Expect(scim.IsRetryable(err)).To(BeTrue())
	g.Expect(apiErr.RetryAfter).To(Equal(time.Second))

	start := time.Now()
	_, err = c.CreateGroup(ctx, scim.Group{DisplayName: "b"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(time.Since(start)).To(BeNumerically(">=", 900*time.Millisecond), "write class paused for the default 1s")
	g.Expect(fake.Counts()[scim.ClassWrite]).To(Equal(map[int]int{201: 2, 500: 1}), "writes are never retried by the client")
}

func TestContextCancelledWhileWaiting(t *testing.T) {
	g := NewWithT(t)
	fake := startFake(t, scimfake.Options{})
	c := newClient(t, fake, func(cfg *scim.Config) { cfg.Limits = scim.Limits{List: 0.2} })
	g.Expect(c.Ping(context.Background())).To(Succeed())

	// The next list token is 5s away: a deadline fails fast...
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Ping(ctx)
	g.Expect(errors.Is(err, context.DeadlineExceeded)).To(BeTrue(), "%v", err)
	g.Expect(time.Since(start)).To(BeNumerically("<", time.Second))

	// ...and a cancellation ends the wait.
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel2)
	start = time.Now()
	err = c.Ping(ctx2)
	g.Expect(errors.Is(err, context.Canceled)).To(BeTrue(), "%v", err)
	g.Expect(time.Since(start)).To(BeNumerically("<", time.Second))
	g.Expect(fake.Requests()).To(HaveLen(1), "nothing was sent while waiting")

	// SetLimits applies in place.
	c.SetLimits(scim.Limits{List: -1})
	time.Sleep(10 * time.Millisecond)
	g.Expect(c.Ping(context.Background())).To(Succeed())
}

func TestContextCancelledDuringThrottlePause(t *testing.T) {
	g := NewWithT(t)
	fake := startFake(t, scimfake.Options{RateLimits: scim.Limits{List: 1}})
	c := newClient(t, fake)
	g.Expect(c.Ping(context.Background())).To(Succeed())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	err := c.Ping(ctx) // 429 → pause 1s → cancelled during the pause
	g.Expect(errors.Is(err, context.Canceled)).To(BeTrue(), "%v", err)
	g.Expect(time.Since(start)).To(BeNumerically("<", 800*time.Millisecond))
}
