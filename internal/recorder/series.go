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
	"container/list"
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// seriesKey is what makes two events the same one repeated (client-go's
// eventKey).
type seriesKey struct {
	eventType, action, reason              string
	reportingController, reportingInstance string
	regarding, related                     corev1.ObjectReference
}

func keyOf(ev *eventsv1.Event) seriesKey {
	k := seriesKey{
		eventType: ev.Type, action: ev.Action, reason: ev.Reason,
		reportingController: ev.ReportingController, reportingInstance: ev.ReportingInstance,
		regarding: ev.Regarding,
	}
	if ev.Related != nil {
		k.related = *ev.Related
	}
	return k
}

// seriesEntry is the last event written for a key, by name only.
type seriesEntry struct {
	key             seriesKey
	namespace, name string
	// count is how often the event occurred; written, the count the API
	// server has.
	count, written int32
	last           time.Time
}

// seriesUpdate sets an existing event's series.
type seriesUpdate struct {
	key             seriesKey
	namespace, name string
	count           int32
	last            time.Time
}

func (u *seriesUpdate) target() client.Object {
	return &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: u.namespace, Name: u.name}}
}

func (u *seriesUpdate) patch() client.Patch {
	data, _ := json.Marshal(map[string]eventsv1.EventSeries{"series": {
		Count: u.count, LastObservedTime: metav1.NewMicroTime(u.last),
	}})
	return client.RawPatch(types.MergePatchType, data)
}

// seriesCache remembers the most recent events, least recently seen
// evicted first. Not safe for concurrent use.
type seriesCache struct {
	size    int
	order   *list.List // of *seriesEntry, most recent first
	entries map[seriesKey]*list.Element
}

func newSeriesCache(size int) *seriesCache {
	return &seriesCache{size: size, order: list.New(), entries: make(map[seriesKey]*list.Element, size)}
}

// observe counts ev at now. It reports whether ev repeats a recent event,
// and the series update to write at once: on the first repeat only, so the
// event shows it recurs; later counts wait for flush.
func (c *seriesCache) observe(ev *eventsv1.Event, now time.Time) (repeat bool, update *seriesUpdate) {
	k := keyOf(ev)
	if el, ok := c.entries[k]; ok {
		e := el.Value.(*seriesEntry)
		if now.Sub(e.last) < seriesWindow {
			e.count++
			e.last = now
			c.order.MoveToFront(el)
			if e.written == 1 {
				return true, e.markWritten()
			}
			return true, nil
		}
		c.remove(el)
	}
	c.entries[k] = c.order.PushFront(&seriesEntry{key: k, namespace: ev.Namespace, name: ev.Name, count: 1, written: 1, last: now})
	if c.order.Len() > c.size {
		c.remove(c.order.Back())
	}
	return false, nil
}

// flush returns the updates of series that grew since last written, marks
// them written, and forgets series that ended.
func (c *seriesCache) flush(now time.Time) []*seriesUpdate {
	var out []*seriesUpdate
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		e := el.Value.(*seriesEntry)
		if e.count > e.written {
			out = append(out, e.markWritten())
		}
		if now.Sub(e.last) >= seriesWindow {
			c.remove(el)
		}
		el = next
	}
	return out
}

// forget drops the entry of key if it still names the event name.
func (c *seriesCache) forget(k seriesKey, name string) {
	if el, ok := c.entries[k]; ok && el.Value.(*seriesEntry).name == name {
		c.remove(el)
	}
}

func (c *seriesCache) len() int { return c.order.Len() }

func (c *seriesCache) remove(el *list.Element) {
	delete(c.entries, el.Value.(*seriesEntry).key)
	c.order.Remove(el)
}

// markWritten returns the update that writes e's count, and records that
// the API server will have it.
func (e *seriesEntry) markWritten() *seriesUpdate {
	e.written = e.count
	return &seriesUpdate{key: e.key, namespace: e.namespace, name: e.name, count: e.count, last: e.last}
}
