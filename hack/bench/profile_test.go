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
	"strings"
	"testing"
)

func TestParseHeapInuse(t *testing.T) {
	v, err := parseHeapInuse(strings.NewReader("heap profile: 1: 2 [3: 4] @ heap/1048576\n# runtime.MemStats\n# Alloc = 10\n# HeapInuse = 123456\n# Stack = 1\n"))
	if err != nil || v != 123456 {
		t.Errorf("parseHeapInuse = %d, %v", v, err)
	}
	if _, err := parseHeapInuse(strings.NewReader("nothing")); err == nil {
		t.Error("no error without the line")
	}
}

func TestStatFields(t *testing.T) {
	name, f, ok := statFields("42 (kube (api) server) S 7 42 42 0 -1 4194560 10 0 0 0 150 30 0 0")
	if !ok || name != "kube (api) server" || len(f) != 15 || f[1] != "7" || f[11] != "150" || f[12] != "30" {
		t.Errorf("statFields = %q, %q, %v", name, f, ok)
	}
	if _, _, ok := statFields("garbage"); ok {
		t.Error("statFields accepted a line without a command name")
	}
}

func TestMappedRSS(t *testing.T) {
	smaps := `00400000-01000000 r-xp 00000000 08:01 123 /tmp/bin/manager
Size:              12288 kB
Rss:                4096 kB
01000000-02000000 r--p 00c00000 08:01 123 /tmp/bin/manager
Rss:                1024 kB
c000000000-c004000000 rw-p 00000000 00:00 0
Rss:               65536 kB
7f0000000000-7f0000001000 r--p 00000000 08:01 456 /tmp/bin/manager-old
Rss:                   8 kB
`
	if got, want := mappedRSS(smaps, "/tmp/bin/manager"), int64(5120*1024); got != want {
		t.Errorf("mappedRSS = %d, want %d (the executable's two mappings only)", got, want)
	}
}
