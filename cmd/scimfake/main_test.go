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
	"io"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/scimops/databricks-scim-operator/internal/scim"
)

func TestParseLimits(t *testing.T) {
	g := NewWithT(t)
	l, err := parseLimits("get=20, list=4,patch=2,write=5")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(l).To(Equal(scim.DefaultLimits))
	l, err = parseLimits("databricks")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(l).To(Equal(scim.DefaultLimits))
	l, err = parseLimits("off")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(l).To(Equal(scim.Limits{}))
	for _, bad := range []string{"get", "get=x", "put=3", "get=-1"} {
		_, err := parseLimits(bad)
		g.Expect(err).To(HaveOccurred(), bad)
	}
}

func TestParseFlags(t *testing.T) {
	g := NewWithT(t)
	file := filepath.Join(t.TempDir(), "tokens")
	g.Expect(os.WriteFile(file, []byte("t3\n\nt4,t5\n"), 0o600)).To(Succeed())
	cfg, err := parseFlags([]string{"--token", "t1,t2", "--token-file", file, "--rate-limits", "databricks", "--rate-scale", "10",
		"--listen", "localhost:0", "--visibility-delay", "2s"}, io.Discard)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.opts.Tokens).To(Equal([]string{"t1", "t2", "t3", "t4", "t5"}))
	g.Expect(cfg.opts.RateLimits).To(Equal(scim.DefaultLimits.Scale(10)))
	for _, addr := range []string{"0.0.0.0:8765", ":8765", "10.1.2.3:1", "example.com:80"} {
		_, err := parseFlags([]string{"--listen", addr}, io.Discard)
		g.Expect(err).To(MatchError(ContainSubstring("--listen")), addr)
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "127.1.2.3:9"} {
		_, err := parseFlags([]string{"--listen", addr}, io.Discard)
		g.Expect(err).NotTo(HaveOccurred(), addr)
	}
}
