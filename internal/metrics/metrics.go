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
)

func init() {
	metrics.Registry.MustRegister(SCIMRequests, SCIMDuration, scimThrottled, scimLimiterWait, ManagedIdentities)
}

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

// ForgetAccount drops the gauges of an account this manager no longer
// reconciles (deleted, or moved to another shard), so that a sum over the
// managers of a sharded setup does not count it twice. Counters and
// histograms stay: they only ever grow, and a sum over managers is right.
func ForgetAccount(account string) {
	ManagedIdentities.DeletePartialMatch(prometheus.Labels{"account": account})
}
