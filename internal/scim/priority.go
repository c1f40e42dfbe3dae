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
)

// Priority orders the requests waiting for one rate-limit class's next token.
type Priority int

const (
	// PriorityBulk is the default lane: creates, resyncs, re-lists.
	PriorityBulk Priority = iota
	// PriorityUrgent is for changes to objects that already exist remotely
	// (a deactivation, a removal from a group, a deletion): it takes the
	// next token before any waiting bulk request.
	PriorityUrgent
)

type priorityKey struct{}

// WithPriority returns a context whose requests wait in lane p.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityFrom returns the lane of ctx's requests (PriorityBulk when unset).
func PriorityFrom(ctx context.Context) Priority {
	p, _ := ctx.Value(priorityKey{}).(Priority)
	return p
}

// lanes admits one waiter at a time to a class's token bucket, urgent
// waiters first and each lane in arrival order. Only the admitted waiter
// holds a reservation, so a queue of bulk waiters never owns the tokens an
// urgent request arriving after them needs: it waits for at most the one
// token already being waited for.
//
// Urgency is claimed by whoever edits an existing object, so one tenant
// editing its objects without pause must not stop every other tenant's
// creates: after urgentStreak urgent admissions in a row, a waiting bulk
// request goes next. Bulk keeps at least 1/(urgentStreak+1) of the class.
type lanes struct {
	mu      sync.Mutex
	busy    bool
	waiting [2][]chan struct{} // by Priority
	streak  int                // urgent admissions since the last bulk one
}

const urgentStreak = 4

// enter blocks until the caller is admitted or ctx is done.
func (l *lanes) enter(ctx context.Context, p Priority) error {
	l.mu.Lock()
	if !l.busy {
		l.busy = true
		l.mu.Unlock()
		return nil
	}
	turn := make(chan struct{})
	l.waiting[p] = append(l.waiting[p], turn)
	l.mu.Unlock()
	select {
	case <-turn:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		for i, c := range l.waiting[p] {
			if c == turn {
				l.waiting[p] = append(l.waiting[p][:i], l.waiting[p][i+1:]...)
				l.mu.Unlock()
				return ctx.Err()
			}
		}
		l.mu.Unlock()
		// Admitted while giving up: pass the turn on.
		l.leave()
		return ctx.Err()
	}
}

// leave admits the next waiter: urgent first, but bulk after a streak.
func (l *lanes) leave() {
	l.mu.Lock()
	defer l.mu.Unlock()
	next := PriorityUrgent
	if len(l.waiting[PriorityUrgent]) == 0 || (l.streak >= urgentStreak && len(l.waiting[PriorityBulk]) > 0) {
		next = PriorityBulk
	}
	q := l.waiting[next]
	if len(q) == 0 {
		l.busy = false
		return
	}
	l.waiting[next] = q[1:]
	if next == PriorityUrgent {
		l.streak++
	} else {
		l.streak = 0
	}
	close(q[0])
}
