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

// Package recorder writes Kubernetes Events (events.k8s.io/v1) in bounded
// memory.
//
// client-go's events broadcaster, which controller-runtime's recorders use,
// keeps a copy of every event it wrote for six to twelve minutes to detect
// series. Design §3 asks for an event per created identity, so an initial
// sync of 10,000 users kept 10,000 events alive: a quarter of the manager's
// live heap. This broadcaster remembers only the series keys of the most
// recent seriesCacheSize events, as client-go's core/v1 recorder does, and
// writes with a fixed number of workers instead of a goroutine per event.
package recorder

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sync"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/record/util"
	"k8s.io/client-go/tools/reference"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

const (
	// queueSize events may wait to be written, split between the workers;
	// more are dropped, as client-go's broadcaster drops them, rather than
	// block a reconcile.
	queueSize = 1000
	// seriesCacheSize is how many recent events are remembered to detect
	// repeats. The controllers record transitions only, so a repeat within
	// seriesWindow means an object flapping; 1,024 flapping objects at once
	// is far beyond a healthy account, and each entry costs about 1 KiB.
	seriesCacheSize = 1024
	// seriesWindow: an event repeated within this of its last occurrence
	// counts in its series (client-go's finishTime).
	seriesWindow = 6 * time.Minute
	// flushInterval is how often grown series counts are written.
	flushInterval = time.Minute
	workers       = 2
	writeTimeout  = 10 * time.Second
	// maxAttempts per write when the API server cannot be reached; a write
	// it rejects is not retried.
	maxAttempts = 3
)

// Broadcaster writes the events of its Recorders. It is a manager Runnable:
// nothing is written before Start, and events recorded meanwhile queue.
type Broadcaster struct {
	writer   client.Client
	scheme   *runtime.Scheme
	instance string
	// now is the clock; tests replace it.
	now func() time.Time
	// onDrop is called for each event dropped because the queue was full.
	onDrop func()
	// backoff is the pause before a write is retried.
	backoff time.Duration

	// queues has one queue per worker; all writes about one object go to
	// the same one, so a series update never overtakes its event's creation.
	queues []chan write
	mu     sync.Mutex
	series *seriesCache
}

// write is one request to the API server: the creation of an event, or,
// if series is set, the update of an existing event's series.
type write struct {
	event  *eventsv1.Event
	series *seriesUpdate
}

// NewBroadcaster returns a broadcaster that writes through writer. The
// manager's client will do: controller-runtime rate-limits each kind on its
// own, so events never wait behind identity writes. onDrop may be nil.
func NewBroadcaster(writer client.Client, scheme *runtime.Scheme, onDrop func()) *Broadcaster {
	hostname, _ := os.Hostname()
	b := &Broadcaster{
		writer:   writer,
		scheme:   scheme,
		instance: hostname,
		now:      time.Now,
		onDrop:   onDrop,
		backoff:  time.Second,
		queues:   make([]chan write, workers),
		series:   newSeriesCache(seriesCacheSize),
	}
	for i := range b.queues {
		b.queues[i] = make(chan write, queueSize/workers)
	}
	return b
}

// NewRecorder returns a recorder that reports as controller.
func (b *Broadcaster) NewRecorder(controller string) events.EventRecorder {
	return &recorder{b: b, controller: controller, instance: controller + "-" + b.instance}
}

// NeedLeaderElection is false: a standby writes nothing, and a new leader's
// events must not wait for the lease.
func (b *Broadcaster) NeedLeaderElection() bool { return false }

// Start writes queued events until ctx is done.
func (b *Broadcaster) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, queue := range b.queues {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case w := <-queue:
					b.write(ctx, w)
				}
			}
		})
	}
	wg.Go(func() { wait.UntilWithContext(ctx, func(context.Context) { b.flush() }, flushInterval) })
	wg.Wait()
	return nil
}

// record counts ev in its series and queues what must be written.
func (b *Broadcaster) record(ev *eventsv1.Event) {
	b.mu.Lock()
	repeat, update := b.series.observe(ev, b.now())
	b.mu.Unlock()
	switch {
	case !repeat:
		b.enqueue(write{event: ev})
	case update != nil:
		b.enqueue(write{series: update})
	}
}

// flush writes series that grew since they were last written, and forgets
// those that ended.
func (b *Broadcaster) flush() {
	b.mu.Lock()
	updates := b.series.flush(b.now())
	b.mu.Unlock()
	for _, u := range updates {
		b.enqueue(write{series: u})
	}
}

func (b *Broadcaster) enqueue(w write) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(w.regarding()))
	select {
	case b.queues[h.Sum32()%uint32(len(b.queues))] <- w:
	default:
		if b.onDrop != nil {
			b.onDrop()
		}
	}
}

// write performs w, retrying only errors that are not the API server's
// answer.
func (b *Broadcaster) write(ctx context.Context, w write) {
	log := logf.FromContext(ctx).WithName("events")
	for attempt := 1; ; attempt++ {
		err := b.writeOnce(ctx, w)
		var status apierrors.APIStatus
		switch {
		case err == nil:
			return
		case w.series != nil && apierrors.IsNotFound(err):
			// The event is gone (deleted, or past the API server's TTL): its
			// next repeat starts a new one.
			b.mu.Lock()
			b.series.forget(w.series.key, w.series.name)
			b.mu.Unlock()
			return
		case errors.As(err, &status), attempt == maxAttempts, ctx.Err() != nil:
			log.Error(err, "Failed to write an event", "regarding", w.regarding(), "reason", w.reason())
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait.Jitter(b.backoff, 0.5)):
		}
	}
}

func (b *Broadcaster) writeOnce(ctx context.Context, w write) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if w.series == nil {
		// A failed Create leaves the event as it was, so a retry sends the
		// same one; nothing else holds it.
		return b.writer.Create(ctx, w.event)
	}
	return b.writer.Patch(ctx, w.series.target(), w.series.patch())
}

func (w write) regarding() string {
	if w.series != nil {
		return w.series.key.regarding.Namespace + "/" + w.series.key.regarding.Name
	}
	return w.event.Regarding.Namespace + "/" + w.event.Regarding.Name
}

func (w write) reason() string {
	if w.series != nil {
		return w.series.key.reason
	}
	return w.event.Reason
}

// recorder is one controller's view of a Broadcaster.
type recorder struct {
	b                    *Broadcaster
	controller, instance string
}

// Eventf records an event about regarding; it never blocks.
func (r *recorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	ev, err := r.makeEvent(regarding, related, eventtype, reason, action, fmt.Sprintf(note, args...))
	if err != nil {
		logf.Log.WithName("events").Error(err, "Failed to build an event", "reason", reason)
		return
	}
	r.b.record(ev)
}

func (r *recorder) makeEvent(regarding, related runtime.Object, eventtype, reason, action, note string) (*eventsv1.Event, error) {
	if !util.ValidateEventType(eventtype) {
		return nil, fmt.Errorf("unsupported event type %q", eventtype)
	}
	ref, err := reference.GetReference(r.b.scheme, regarding)
	if err != nil {
		return nil, err
	}
	ev := &eventsv1.Event{
		EventTime:           metav1.NewMicroTime(r.b.now()),
		ReportingController: r.controller,
		ReportingInstance:   r.instance,
		Action:              action,
		Reason:              reason,
		Regarding:           *ref,
		Note:                note,
		Type:                eventtype,
	}
	if related != nil {
		if ev.Related, err = reference.GetReference(r.b.scheme, related); err != nil {
			return nil, err
		}
	}
	// Events about cluster-scoped objects go to the default namespace, as
	// client-go's recorder puts them.
	ev.Namespace = cmp.Or(ref.Namespace, metav1.NamespaceDefault)
	ev.Name = util.GenerateEventName(ref.Name, ev.EventTime.UnixNano())
	return ev, nil
}
