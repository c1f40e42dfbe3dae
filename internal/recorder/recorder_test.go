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

package recorder

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// testBroadcaster returns a broadcaster on a fake API server and a fake
// clock that tests move with advance.
func testBroadcaster(t *testing.T, funcs interceptor.Funcs) (*Broadcaster, client.Client, func(time.Duration)) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(funcs).Build()
	b := NewBroadcaster(c, scheme, nil)
	b.instance, b.backoff = "host-1", time.Millisecond
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	b.now = func() time.Time { return now }
	return b, c, func(d time.Duration) { now = now.Add(d) }
}

// drain writes everything queued, in order, as the workers would.
func drain(b *Broadcaster) {
	for _, q := range b.queues {
		for len(q) > 0 {
			b.write(context.Background(), <-q)
		}
	}
}

// discard empties the queues, for tests about what is queued.
func discard(b *Broadcaster) {
	for _, q := range b.queues {
		for len(q) > 0 {
			<-q
		}
	}
}

func queued(b *Broadcaster) (n int) {
	for _, q := range b.queues {
		n += len(q)
	}
	return n
}

func eventsIn(t *testing.T, c client.Client, namespace string) []eventsv1.Event {
	t.Helper()
	var list eventsv1.EventList
	if err := c.List(context.Background(), &list, client.InNamespace(namespace)); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func configMap(namespace, name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID("uid-" + name)}}
}

func TestEventsAreWrittenAboutTheirObjectInItsNamespace(t *testing.T) {
	b, c, advance := testBroadcaster(t, interceptor.Funcs{})
	rec := b.NewRecorder("user-controller")
	rec.Eventf(configMap("tenant-a", "alice"), nil, corev1.EventTypeNormal, "Created", "Create", "Created %s (SCIM id %s)", "user alice", "42")
	advance(time.Second)
	rec.Eventf(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "tenant-b"}}, nil, corev1.EventTypeWarning, "Conflict", "Verify", "taken")
	drain(b)

	got := eventsIn(t, c, "tenant-a")
	if len(got) != 1 {
		t.Fatalf("events in tenant-a: %d, want 1", len(got))
	}
	ev := got[0]
	if ev.Regarding.Name != "alice" || ev.Regarding.Kind != "ConfigMap" || ev.Regarding.UID != "uid-alice" {
		t.Errorf("regarding = %+v", ev.Regarding)
	}
	if ev.Note != "Created user alice (SCIM id 42)" || ev.Reason != "Created" || ev.Action != "Create" || ev.Type != corev1.EventTypeNormal {
		t.Errorf("event = %q %q %q %q", ev.Note, ev.Reason, ev.Action, ev.Type)
	}
	if ev.ReportingController != "user-controller" || ev.ReportingInstance != "user-controller-host-1" || ev.EventTime.IsZero() || ev.Series != nil {
		t.Errorf("reporting %q %q, time %v, series %v", ev.ReportingController, ev.ReportingInstance, ev.EventTime, ev.Series)
	}
	// A cluster-scoped object's events go where client-go puts them.
	if got := eventsIn(t, c, metav1.NamespaceDefault); len(got) != 1 || got[0].Regarding.Name != "tenant-b" {
		t.Errorf("events in default: %+v", got)
	}
}

func TestInvalidEventsAreNotWritten(t *testing.T) {
	b, _, _ := testBroadcaster(t, interceptor.Funcs{})
	rec := b.NewRecorder("user-controller")
	rec.Eventf(configMap("tenant-a", "alice"), nil, "Urgent", "Created", "Create", "x")
	rec.Eventf(&unregistered{}, nil, corev1.EventTypeNormal, "Created", "Create", "x")
	if n := queued(b); n != 0 {
		t.Errorf("queued %d writes, want 0", n)
	}
}

type unregistered struct{ metav1.ObjectMeta }

func (u *unregistered) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }
func (u *unregistered) DeepCopyObject() runtime.Object   { return &unregistered{} }

func TestRepeatsBecomeOneEventWithASeries(t *testing.T) {
	b, c, advance := testBroadcaster(t, interceptor.Funcs{})
	rec := b.NewRecorder("group-controller")
	alice := configMap("tenant-a", "alice")
	fail := func() {
		rec.Eventf(alice, nil, corev1.EventTypeWarning, "Failed", "Reconcile", "SCIM returned 503")
		advance(time.Second)
	}
	series := func() *eventsv1.EventSeries {
		t.Helper()
		drain(b)
		got := eventsIn(t, c, "tenant-a")
		if len(got) != 1 {
			t.Fatalf("events: %d, want 1", len(got))
		}
		return got[0].Series
	}

	fail()
	if s := series(); s != nil {
		t.Fatalf("series after one occurrence: %+v", s)
	}
	fail()
	if s := series(); s == nil || s.Count != 2 {
		t.Fatalf("series after the first repeat: %+v, want count 2 at once", s)
	}
	fail()
	fail()
	if s := series(); s.Count != 2 {
		t.Fatalf("count before the flush: %d, want 2 (later repeats wait)", s.Count)
	}
	b.flush()
	if s := series(); s.Count != 4 || !s.LastObservedTime.Time.Equal(b.now().Add(-time.Second)) {
		t.Fatalf("series after the flush: %+v, want count 4 at the last occurrence", s)
	}
	b.flush()
	if n := queued(b); n != 0 {
		t.Errorf("a flush with nothing new queued %d writes", n)
	}

	// Past the window the series has ended: the next occurrence is a new event.
	advance(seriesWindow)
	b.flush()
	if n := b.series.len(); n != 0 {
		t.Errorf("ended series still remembered: %d", n)
	}
	fail()
	drain(b)
	if got := eventsIn(t, c, "tenant-a"); len(got) != 2 {
		t.Errorf("events after the window: %d, want 2", len(got))
	}
}

func TestDifferentEventsAreNotOneSeries(t *testing.T) {
	b, c, advance := testBroadcaster(t, interceptor.Funcs{})
	rec := b.NewRecorder("user-controller")
	for _, name := range []string{"alice", "bob"} {
		for _, reason := range []string{"Created", "Updated"} {
			rec.Eventf(configMap("tenant-a", name), nil, corev1.EventTypeNormal, reason, reason, "done")
			advance(time.Millisecond)
		}
	}
	drain(b)
	for _, ev := range eventsIn(t, c, "tenant-a") {
		if ev.Series != nil {
			t.Errorf("%s %s has a series", ev.Regarding.Name, ev.Reason)
		}
	}
	if got := eventsIn(t, c, "tenant-a"); len(got) != 4 {
		t.Errorf("events: %d, want 4", len(got))
	}
}

func TestSeriesMemoryIsBounded(t *testing.T) {
	b, _, advance := testBroadcaster(t, interceptor.Funcs{})
	rec := b.NewRecorder("user-controller")
	for i := range seriesCacheSize + 50 {
		rec.Eventf(configMap("tenant-a", fmt.Sprintf("user-%d", i)), nil, corev1.EventTypeNormal, "Created", "Create", "done")
		advance(time.Millisecond)
		if i%100 == 0 {
			discard(b)
		}
	}
	if n := b.series.len(); n != seriesCacheSize {
		t.Fatalf("remembered %d events, want the bound %d", n, seriesCacheSize)
	}
	// The least recently seen were forgotten, so a repeat of the first is
	// a new event; a repeat of the last is not.
	discard(b)
	rec.Eventf(configMap("tenant-a", "user-0"), nil, corev1.EventTypeNormal, "Created", "Create", "done")
	rec.Eventf(configMap("tenant-a", fmt.Sprintf("user-%d", seriesCacheSize+49)), nil, corev1.EventTypeNormal, "Created", "Create", "done")
	var creates, patches int
	for _, q := range b.queues {
		for len(q) > 0 {
			if w := <-q; w.series != nil {
				patches++
			} else {
				creates++
			}
		}
	}
	if creates != 1 || patches != 1 {
		t.Errorf("creates %d, series updates %d; want 1 and 1", creates, patches)
	}
}

func TestAFullQueueDropsInsteadOfBlocking(t *testing.T) {
	b, _, advance := testBroadcaster(t, interceptor.Funcs{})
	var dropped atomic.Int32
	b.onDrop = func() { dropped.Add(1) }
	rec := b.NewRecorder("user-controller")
	// All events about one object share one worker's queue.
	alice := configMap("tenant-a", "alice")
	perQueue := queueSize / workers
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range perQueue + 5 {
			rec.Eventf(alice, nil, corev1.EventTypeNormal, fmt.Sprintf("Reason%d", i), "Create", "done")
			advance(time.Millisecond)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Eventf blocked on a full queue")
	}
	if got := dropped.Load(); got != 5 {
		t.Errorf("dropped %d, want 5", got)
	}
	if got := queued(b); got != perQueue {
		t.Errorf("queued %d, want %d", got, perQueue)
	}
}

func TestASeriesOfAVanishedEventStartsANewOne(t *testing.T) {
	b, c, advance := testBroadcaster(t, interceptor.Funcs{})
	rec := b.NewRecorder("user-controller")
	alice := configMap("tenant-a", "alice")
	fail := func() {
		rec.Eventf(alice, nil, corev1.EventTypeWarning, "Failed", "Reconcile", "503")
		advance(time.Second)
		drain(b)
	}
	fail()
	first := eventsIn(t, c, "tenant-a")[0]
	if err := c.Delete(context.Background(), &first); err != nil {
		t.Fatal(err)
	}
	fail() // its series update finds no event
	if got := eventsIn(t, c, "tenant-a"); len(got) != 0 {
		t.Fatalf("a series update created %d events", len(got))
	}
	fail()
	got := eventsIn(t, c, "tenant-a")
	if len(got) != 1 || got[0].Name == first.Name || got[0].Series != nil {
		t.Errorf("after the event vanished: %+v, want one new event", got)
	}
}

func TestOnlyUnansweredWritesAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int32
	}{
		{"rejected by the API server", apierrors.NewForbidden(schema.GroupResource{Group: "events.k8s.io", Resource: "events"}, "x", errors.New("no")), 1},
		{"no answer", errors.New("connection refused"), maxAttempts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			b, _, _ := testBroadcaster(t, interceptor.Funcs{Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
				calls.Add(1)
				return tc.err
			}})
			b.NewRecorder("user-controller").Eventf(configMap("tenant-a", "alice"), nil, corev1.EventTypeNormal, "Created", "Create", "done")
			drain(b)
			if got := calls.Load(); got != tc.want {
				t.Errorf("attempts %d, want %d", got, tc.want)
			}
		})
	}
}

func TestStartWritesUntilStopped(t *testing.T) {
	b, c, _ := testBroadcaster(t, interceptor.Funcs{})
	b.NewRecorder("user-controller").Eventf(configMap("tenant-a", "alice"), nil, corev1.EventTypeNormal, "Created", "Create", "done")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- b.Start(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(eventsIn(t, c, "tenant-a")) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the queued event was not written")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Start: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return when stopped")
	}
}
