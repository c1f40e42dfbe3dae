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

package lazylog

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"go.uber.org/zap"
	crzap "sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// recording logs through funcr, with the caller, into lines.
func recording(lines *[]string, verbosity int) logr.Logger {
	return funcr.New(func(prefix, args string) { *lines = append(*lines, prefix+" "+args) },
		funcr.Options{LogCaller: funcr.All, Verbosity: verbosity})
}

func TestDeferredNamesAndValuesAreWrittenInOrderWithTheCaller(t *testing.T) {
	var lines []string
	l := Wrap(recording(&lines, 1)).WithName("controller").WithValues("kind", "User").WithName("user").WithValues("name", "alice")
	_, _, line, _ := runtime.Caller(0)
	l.Info("synced", "id", "7") // the caller: this line
	l.V(1).Error(errors.New("boom"), "failed")
	l.V(2).Info("hidden")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2 (V(2) is disabled): %q", len(lines), lines)
	}
	for _, want := range []string{`controller/user`, `"kind"="User"`, `"name"="alice"`, `"id"="7"`, `"msg"="synced"`, fmt.Sprintf(`"file"="lazylog_test.go" "line"=%d`, line+1)} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("line %q lacks %s", lines[0], want)
		}
	}
	if strings.Index(lines[0], `"kind"`) > strings.Index(lines[0], `"name"`) {
		t.Errorf("values out of order: %q", lines[0])
	}
	if !strings.Contains(lines[1], `"error"="boom"`) || !strings.Contains(lines[1], `"name"="alice"`) {
		t.Errorf("error line %q lacks the error or the values", lines[1])
	}
}

func TestLoggersDerivedFromOneShareNothing(t *testing.T) {
	var lines []string
	base := Wrap(recording(&lines, 0)).WithValues("controller", "user")
	a, b := base.WithValues("name", "alice"), base.WithValues("name", "bob")
	a.Info("a")
	b.Info("b")
	base.Info("base")
	if !strings.Contains(lines[0], "alice") || strings.Contains(lines[0], "bob") ||
		!strings.Contains(lines[1], "bob") || strings.Contains(lines[1], "alice") ||
		strings.Contains(lines[2], `"name"`) {
		t.Errorf("derived loggers leaked values into each other: %q", lines)
	}
}

// countingSink counts the calls that reach it.
type countingSink struct {
	logr.LogSink
	withs *int
}

func (c countingSink) WithValues(kvs ...any) logr.LogSink {
	*c.withs++
	return countingSink{c.LogSink.WithValues(kvs...), c.withs}
}

func TestNothingReachesTheUnderlyingSinkUntilARecordIsWritten(t *testing.T) {
	var lines []string
	withs := 0
	l := Wrap(logr.New(countingSink{recording(&lines, 0).GetSink(), &withs}))
	for i := range 100 {
		l = l.WithValues("i", i)
	}
	if withs != 0 {
		t.Fatalf("%d WithValues reached the sink before any record", withs)
	}
	l.V(3).Info("disabled")
	if withs != 0 || len(lines) != 0 {
		t.Fatalf("a disabled record realized the logger (%d WithValues, %d lines)", withs, len(lines))
	}
	l.Info("written")
	if withs != 100 || len(lines) != 1 {
		t.Fatalf("after a record: %d WithValues, %d lines; want 100 and 1", withs, len(lines))
	}
}

func TestZapNamesTheCallerThroughTheDeferredSink(t *testing.T) {
	var buf bytes.Buffer
	l := Wrap(crzap.New(crzap.WriteTo(&buf), crzap.RawZapOpts(zap.AddCaller()))).WithValues("name", "alice")
	_, _, line, _ := runtime.Caller(0)
	l.Info("synced") // the caller: this line
	want := fmt.Sprintf(`"caller":"lazylog/lazylog_test.go:%d"`, line+1)
	if !strings.Contains(buf.String(), want) || !strings.Contains(buf.String(), `"name":"alice"`) {
		t.Errorf("zap wrote %q, want %s and the deferred value", buf.String(), want)
	}
}
