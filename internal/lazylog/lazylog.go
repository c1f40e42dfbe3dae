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

// Package lazylog defers a logger's WithValues and WithName until it writes
// a record.
//
// controller-runtime gives every reconcile a logger that names the
// controller, the object and the reconcile; zap encodes those fields into a
// buffer as soon as the logger is made. Most reconciles never log, and when a
// bulk sync's queued resyncs run together that encoding was an eighth of the
// manager's allocations. This sink only records the calls and replays them on
// the underlying sink when a record is written.
package lazylog

import "github.com/go-logr/logr"

// Wrap returns l with its WithValues and WithName deferred.
func Wrap(l logr.Logger) logr.Logger {
	base := l.GetSink()
	if base == nil {
		return l
	}
	return logr.New(&sink{base: base}).V(l.GetV())
}

// step is one deferred call: WithName when name is set, else WithValues.
type step struct {
	name string
	kvs  []any
}

type sink struct {
	base  logr.LogSink
	steps []step
}

var (
	_ logr.LogSink                = (*sink)(nil)
	_ logr.CallDepthLogSink       = (*sink)(nil)
	_ logr.CallStackHelperLogSink = (*sink)(nil)
)

// Init tells the underlying sink about the one frame this sink adds: it was
// initialised for its own logr.Logger already.
func (s *sink) Init(logr.RuntimeInfo) { s.base.Init(logr.RuntimeInfo{CallDepth: 1}) }

func (s *sink) Enabled(level int) bool { return s.base.Enabled(level) }

func (s *sink) Info(level int, msg string, kvs ...any) { s.realize().Info(level, msg, kvs...) }

func (s *sink) Error(err error, msg string, kvs ...any) { s.realize().Error(err, msg, kvs...) }

func (s *sink) WithValues(kvs ...any) logr.LogSink { return s.with(step{kvs: kvs}) }

func (s *sink) WithName(name string) logr.LogSink { return s.with(step{name: name}) }

func (s *sink) WithCallDepth(depth int) logr.LogSink {
	if d, ok := s.base.(logr.CallDepthLogSink); ok {
		return &sink{base: d.WithCallDepth(depth), steps: s.steps}
	}
	return s
}

func (s *sink) GetCallStackHelper() func() {
	if h, ok := s.base.(logr.CallStackHelperLogSink); ok {
		return h.GetCallStackHelper()
	}
	return func() {}
}

func (s *sink) with(st step) *sink {
	steps := make([]step, len(s.steps), len(s.steps)+1)
	copy(steps, s.steps)
	return &sink{base: s.base, steps: append(steps, st)}
}

// realize replays the deferred calls, in order, on the underlying sink.
func (s *sink) realize() logr.LogSink {
	out := s.base
	for _, st := range s.steps {
		if st.name != "" {
			out = out.WithName(st.name)
		} else {
			out = out.WithValues(st.kvs...)
		}
	}
	return out
}
