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
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func (l *lanes) queued(p Priority) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.waiting[p])
}

// TestUrgentRequestTakesTheNextToken: with bulk requests already waiting
// for a slow class, an urgent request gets the token after the one being
// waited for, not after the whole bulk queue.
func TestUrgentRequestTakesTheNextToken(t *testing.T) {
	g := NewWithT(t)
	ls := newLimiters(Limits{Write: 2}) // a token every 500 ms
	cl := ls.byClass[ClassWrite]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	send := func(ctx context.Context, name string) {
		defer wg.Done()
		_, err := ls.wait(ctx, ClassWrite)
		g.Expect(err).NotTo(HaveOccurred())
		mu.Lock()
		order = append(order, name)
		mu.Unlock()
	}
	const bulk = 6
	for range bulk {
		wg.Add(1)
		go send(ctx, "bulk")
	}
	// One took the initial token, one holds the turn waiting for the next.
	g.Eventually(func() int { return cl.lanes.queued(PriorityBulk) }).Should(Equal(bulk - 2))
	wg.Add(1)
	go send(WithPriority(ctx, PriorityUrgent), "urgent")
	wg.Wait()

	g.Expect(order).To(HaveLen(bulk + 1))
	pos := -1
	for i, n := range order {
		if n == "urgent" {
			pos = i
		}
	}
	// Only the bulk requests served or holding the turn when it arrived
	// come first, not the four queued before it.
	g.Expect(pos).To(Equal(2), "order: %v", order)
}

// TestBulkIsNotStarved: a stream of urgent requests (a tenant editing its
// objects without pause) still lets a waiting bulk request through after
// urgentStreak of them.
func TestBulkIsNotStarved(t *testing.T) {
	g := NewWithT(t)
	ls := newLimiters(Limits{Write: 2}) // a token every 500 ms: time to queue everyone
	cl := ls.byClass[ClassWrite]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	send := func(ctx context.Context, name string) {
		defer wg.Done()
		_, err := ls.wait(ctx, ClassWrite)
		g.Expect(err).NotTo(HaveOccurred())
		mu.Lock()
		order = append(order, name)
		mu.Unlock()
	}
	wg.Add(1)
	go send(ctx, "first") // takes the initial token
	g.Eventually(func() []string { mu.Lock(); defer mu.Unlock(); return order }).Should(HaveLen(1))
	wg.Add(1)
	go send(ctx, "holder") // holds the turn for the next token
	g.Eventually(func() bool { cl.lanes.mu.Lock(); defer cl.lanes.mu.Unlock(); return cl.lanes.busy }).Should(BeTrue())
	const urgent = 8
	for range urgent {
		wg.Add(1)
		go send(WithPriority(ctx, PriorityUrgent), "urgent")
	}
	g.Eventually(func() int { return cl.lanes.queued(PriorityUrgent) }).Should(Equal(urgent))
	wg.Add(1)
	go send(ctx, "bulk")
	g.Eventually(func() int { return cl.lanes.queued(PriorityBulk) }).Should(Equal(1))
	wg.Wait()

	g.Expect(order).To(HaveLen(urgent + 3))
	g.Expect(order[2:2+urgentStreak]).To(HaveEach("urgent"), "order: %v", order)
	g.Expect(order[2+urgentStreak]).To(Equal("bulk"), "order: %v", order)
}

// TestGivingUpLeavesTheLaneUsable: a waiter whose context ends while queued
// is removed, and the requests behind it are still admitted.
func TestGivingUpLeavesTheLaneUsable(t *testing.T) {
	g := NewWithT(t)
	ls := newLimiters(Limits{Write: 5}) // a token every 200 ms
	cl := ls.byClass[ClassWrite]
	ctx := context.Background()

	_, err := ls.wait(ctx, ClassWrite) // takes the initial token
	g.Expect(err).NotTo(HaveOccurred())
	holder := make(chan error, 1)
	go func() { _, err := ls.wait(ctx, ClassWrite); holder <- err }() // admitted, waits ~200 ms
	short, cancel := context.WithCancel(ctx)
	quitter := make(chan error, 1)
	go func() {
		g.Eventually(func() bool { cl.lanes.mu.Lock(); defer cl.lanes.mu.Unlock(); return cl.lanes.busy }).Should(BeTrue())
		_, err := ls.wait(WithPriority(short, PriorityUrgent), ClassWrite)
		quitter <- err
	}()
	g.Eventually(func() int { return cl.lanes.queued(PriorityUrgent) }).Should(Equal(1))
	cancel()
	g.Eventually(quitter).Should(Receive(MatchError(context.Canceled)))
	g.Expect(cl.lanes.queued(PriorityUrgent)).To(Equal(0))

	g.Eventually(holder, 5*time.Second).Should(Receive(BeNil()))
	_, err = ls.wait(ctx, ClassWrite)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cl.lanes.queued(PriorityBulk) + cl.lanes.queued(PriorityUrgent)).To(Equal(0))
}

func TestPriorityFromContext(t *testing.T) {
	g := NewWithT(t)
	g.Expect(PriorityFrom(context.Background())).To(Equal(PriorityBulk))
	g.Expect(PriorityFrom(WithPriority(context.Background(), PriorityUrgent))).To(Equal(PriorityUrgent))
}
