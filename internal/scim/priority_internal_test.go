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
	"fmt"
	"strings"
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

// sendAll starts one request per name, in that order, each queued in the
// class's lanes before the next starts (the test holds the lane), and
// returns a function that releases the lane and the order they were served in.
func sendAll(t *testing.T, ls *limiters, c Class, names []string) func() []string {
	g := NewWithT(t)
	cl := ls.byClass[c]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	g.Expect(cl.lanes.enter(ctx, PriorityBulk)).To(Succeed()) // hold the lane
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	queued := 0
	for _, name := range names {
		p := PriorityBulk
		if strings.HasPrefix(name, "urgent") {
			p = PriorityUrgent
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := ls.wait(WithPriority(ctx, p), c)
			g.Expect(err).NotTo(HaveOccurred())
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
		}()
		queued++
		g.Eventually(func() int { return cl.lanes.queued(PriorityBulk) + cl.lanes.queued(PriorityUrgent) }).Should(Equal(queued))
	}
	return func() []string {
		defer cancel()
		cl.lanes.leave()
		wg.Wait()
		return order
	}
}

// TestUrgentRequestTakesTheNextToken: with bulk requests already waiting
// for a class, an urgent request arriving after them is served first.
func TestUrgentRequestTakesTheNextToken(t *testing.T) {
	g := NewWithT(t)
	ls := newLimiters(Limits{Write: 20})
	release := sendAll(t, ls, ClassWrite, []string{"bulk-1", "bulk-2", "bulk-3", "bulk-4", "urgent"})
	g.Expect(release()).To(Equal([]string{"urgent", "bulk-1", "bulk-2", "bulk-3", "bulk-4"}))
}

// TestBulkIsNotStarved: a stream of urgent requests (a tenant editing its
// objects without pause) still lets a waiting bulk request through after
// urgentStreak of them.
func TestBulkIsNotStarved(t *testing.T) {
	g := NewWithT(t)
	ls := newLimiters(Limits{Write: 20})
	names := []string{"bulk"}
	for i := range 8 {
		names = append(names, fmt.Sprintf("urgent-%d", i))
	}
	order := sendAll(t, ls, ClassWrite, names)()
	g.Expect(order).To(HaveLen(9))
	g.Expect(order[:urgentStreak]).To(Equal([]string{"urgent-0", "urgent-1", "urgent-2", "urgent-3"}))
	g.Expect(order[urgentStreak]).To(Equal("bulk"), "order: %v", order)
	g.Expect(order[urgentStreak+1:]).To(Equal([]string{"urgent-4", "urgent-5", "urgent-6", "urgent-7"}))
}

// TestGivingUpLeavesTheLaneUsable: a waiter whose context ends while queued
// is removed, and the requests behind it are still admitted.
func TestGivingUpLeavesTheLaneUsable(t *testing.T) {
	g := NewWithT(t)
	ls := newLimiters(Limits{Write: 20})
	cl := ls.byClass[ClassWrite]
	ctx := context.Background()
	g.Expect(cl.lanes.enter(ctx, PriorityBulk)).To(Succeed()) // hold the lane

	short, cancel := context.WithCancel(ctx)
	quitter := make(chan error, 1)
	go func() { _, err := ls.wait(WithPriority(short, PriorityUrgent), ClassWrite); quitter <- err }()
	g.Eventually(func() int { return cl.lanes.queued(PriorityUrgent) }).Should(Equal(1))
	cancel()
	g.Eventually(quitter).Should(Receive(MatchError(context.Canceled)))
	g.Expect(cl.lanes.queued(PriorityUrgent)).To(Equal(0))

	behind := make(chan error, 1)
	go func() { _, err := ls.wait(ctx, ClassWrite); behind <- err }()
	g.Eventually(func() int { return cl.lanes.queued(PriorityBulk) }).Should(Equal(1))
	cl.lanes.leave()
	g.Eventually(behind, 5*time.Second).Should(Receive(BeNil()))
	_, err := ls.wait(ctx, ClassWrite)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cl.lanes.queued(PriorityBulk) + cl.lanes.queued(PriorityUrgent)).To(Equal(0))
}

func TestPriorityFromContext(t *testing.T) {
	g := NewWithT(t)
	g.Expect(PriorityFrom(context.Background())).To(Equal(PriorityBulk))
	g.Expect(PriorityFrom(WithPriority(context.Background(), PriorityUrgent))).To(Equal(PriorityUrgent))
}
