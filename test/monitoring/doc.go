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

// Package monitoring checks the shipped monitoring: the alerting rules
// (config/prometheus/rules.yaml) parse as a PrometheusRule, every expression
// of the rules and of the Grafana dashboard (config/grafana) parses with
// Prometheus' own PromQL parser (hack/promql), and every metric and label
// they select is one that a running manager process actually exports (its
// /metrics endpoint, scraped on loopback). Each alert is documented in
// docs/monitoring.md.
package monitoring
