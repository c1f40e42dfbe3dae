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

// Package metrics exports the operator's Prometheus metrics on controller-runtime's registry.
package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// SCIM metrics, registered on controller-runtime's registry. Labels carry the
// account name, never a token or a URL.
var (
	SCIMRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "databricks_scim_requests_total",
		Help: "SCIM requests by account, resource, verb class and HTTP status code (0: transport error).",
	}, []string{"account", "resource", "verb", "code"})
	SCIMDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "databricks_scim_request_duration_seconds",
		Help:    "SCIM request duration by account, resource and verb class.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
	}, []string{"account", "resource", "verb"})
	scimThrottled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "databricks_scim_throttled_total",
		Help: "SCIM responses that signalled throttling (429, or 500 REQUEST_LIMIT_EXCEEDED).",
	}, []string{"account", "verb"})
	scimLimiterWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "databricks_scim_rate_limiter_wait_seconds",
		Help:    "Time a request waited for the client-side rate limiter and Retry-After pauses.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
	}, []string{"account", "verb"})
	ManagedIdentities = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "databricks_scim_managed_identities",
		Help: "Identity resources by account, kind and readiness.",
	}, []string{"account", "kind", "ready"})
	oldestNotReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "databricks_scim_oldest_not_ready_timestamp_seconds",
		Help: "Unix time since which the longest-waiting identity of this account and kind has not been Ready (suspended ones left out); absent when all are Ready.",
	}, []string{"account", "kind"})
	accountReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "databricks_scim_account_ready",
		Help: "1 while the DatabricksAccount is Ready, else 0; reason is its Ready condition's reason (one series per account).",
	}, []string{"account", "reason"})
	syncInterval = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "databricks_scim_sync_interval_seconds",
		Help: "The DatabricksAccount's sync interval (spec.syncInterval, default 10m).",
	}, []string{"account"})
	lastSync = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "databricks_scim_last_sync_timestamp_seconds",
		Help: "Unix time the last successful re-read of the account's remote state started (before the first success: the first attempt).",
	}, []string{"account"})
	eventsDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "databricks_scim_events_dropped_total",
		Help: "Kubernetes Events not written because the recorder's queue was full (the API server is slower than the events).",
	})
)

// accountVecs are every vector with an account label, for ForgetAccount.
var accountVecs = []*prometheus.MetricVec{
	SCIMRequests.MetricVec, SCIMDuration.MetricVec, scimThrottled.MetricVec, scimLimiterWait.MetricVec,
	ManagedIdentities.MetricVec, oldestNotReady.MetricVec, accountReady.MetricVec, syncInterval.MetricVec, lastSync.MetricVec,
}

func init() {
	metrics.Registry.MustRegister(SCIMRequests, SCIMDuration, scimThrottled, scimLimiterWait, ManagedIdentities,
		oldestNotReady, accountReady, syncInterval, lastSync, eventsDropped)
}

// EventDropped counts an Event the recorder could not queue.
func EventDropped() { eventsDropped.Inc() }

// ObserveSCIMCall records one SCIM call; it is the account registry's Observer.
func ObserveSCIMCall(account string, info scim.CallInfo) {
	res, verb := string(info.Resource), string(info.Class)
	SCIMRequests.WithLabelValues(account, res, verb, strconv.Itoa(info.StatusCode)).Inc()
	SCIMDuration.WithLabelValues(account, res, verb).Observe(info.Duration.Seconds())
	scimLimiterWait.WithLabelValues(account, verb).Observe(info.LimiterWait.Seconds())
	if info.Throttled {
		scimThrottled.WithLabelValues(account, verb).Inc()
	}
}

// Readiness is how many identities of one kind of one account are Ready,
// and since when the longest-waiting other one has not been.
type Readiness struct {
	Ready, NotReady int
	// OldestNotReady is the earliest time since which an identity that is
	// not suspended has not been Ready; zero when there is none.
	OldestNotReady time.Time
}

// RecordReadiness exports r for account and kind.
func RecordReadiness(account, kind string, r Readiness) {
	ManagedIdentities.WithLabelValues(account, kind, "true").Set(float64(r.Ready))
	ManagedIdentities.WithLabelValues(account, kind, "false").Set(float64(r.NotReady))
	if r.OldestNotReady.IsZero() {
		oldestNotReady.DeleteLabelValues(account, kind)
		return
	}
	oldestNotReady.WithLabelValues(account, kind).Set(unixSeconds(r.OldestNotReady))
}

// accountReasons remembers each account's exported Ready reason, so a new
// reason's series is set before the old one is removed: a scrape never
// finds the account without a series.
var accountReasons = struct {
	sync.Mutex
	m map[string]string
}{m: map[string]string{}}

// RecordAccount exports a DatabricksAccount's Ready condition and sync interval.
func RecordAccount(account string, ready bool, reason string, interval time.Duration) {
	v := 0.0
	if ready {
		v = 1
	}
	accountReasons.Lock()
	defer accountReasons.Unlock()
	accountReady.WithLabelValues(account, reason).Set(v)
	if prev, ok := accountReasons.m[account]; ok && prev != reason {
		accountReady.DeleteLabelValues(account, prev)
	}
	accountReasons.m[account] = reason
	syncInterval.WithLabelValues(account).Set(interval.Seconds())
}

// RecordSync exports when the accounts' remote state was last re-read successfully.
func RecordSync(accounts []string, lastSuccess time.Time) {
	for _, a := range accounts {
		lastSync.WithLabelValues(a).Set(unixSeconds(lastSuccess))
	}
}

// ForgetAccount removes every series of a DatabricksAccount this manager no
// longer reconciles (deleted, or moved to another shard), so that neither
// dashboards nor staleness alerts keep showing it, and a sum over the
// managers of a sharded setup does not count it twice.
func ForgetAccount(account string) {
	accountReasons.Lock()
	defer accountReasons.Unlock()
	delete(accountReasons.m, account)
	for _, v := range accountVecs {
		v.DeletePartialMatch(prometheus.Labels{"account": account})
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
