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

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// saveHeapProfile writes the manager's heap profile to
// <profileDir>/heap-<scale>-<order>-<phase>.pb.gz, when a profile directory
// was given. With forceGC it runs a GC first, so the profile shows what is
// live now; without, it shows what was live at the manager's last GC, and
// taking it changes nothing in a run that is being measured.
func (b *bench) saveHeapProfile(ctx context.Context, phase string, forceGC bool) error {
	if b.profileDir == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	url := "http://" + b.pprofAddr + "/debug/pprof/heap"
	if forceGC {
		url += "?gc=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("heap profile: %s", resp.Status)
	}
	if err := os.MkdirAll(b.profileDir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(b.profileDir, fmt.Sprintf("heap-%s-%s-%s.pb.gz", b.sc.name, b.sc.order, phase))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	fmt.Fprintf(os.Stderr, "   heap profile: %s\n", path)
	return f.Close()
}

// heapInuse asks the manager for its heap profile in text form after a GC
// and returns runtime.MemStats' HeapInuse from its trailer: the live heap,
// next to the peak RSS that also holds freed spans not yet returned.
func (b *bench) heapInuse(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+b.pprofAddr+"/debug/pprof/heap?gc=1&debug=1", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("heap profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("heap profile: %s", resp.Status)
	}
	return parseHeapInuse(resp.Body)
}

// parseHeapInuse finds "# HeapInuse = N" in a debug=1 heap profile.
func parseHeapInuse(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "# HeapInuse = "); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("heap profile: no HeapInuse line")
}
