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

package metricsauth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// cacheSize bounds each cache, so scrapes with endless distinct tokens cost
// review calls but never memory.
const cacheSize = 1024

// ttlCache remembers answers for a while, keyed by a hash.
type ttlCache[V any] struct {
	mu      sync.Mutex
	now     func() time.Time
	max     int
	entries map[[sha256.Size]byte]cached[V]
}

type cached[V any] struct {
	value   V
	expires time.Time
}

func newTTLCache[V any](max int, now func() time.Time) *ttlCache[V] {
	return &ttlCache[V]{now: now, max: max, entries: make(map[[sha256.Size]byte]cached[V])}
}

func (c *ttlCache[V]) get(key [sha256.Size]byte) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// put stores an answer. A full cache first drops what expired and, if that
// frees nothing, everything: a flood of new keys then only costs reviews.
func (c *ttlCache[V]) put(key [sha256.Size]byte, value V, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[key] = cached[V]{value: value, expires: now.Add(ttl)}
}

func (c *ttlCache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
