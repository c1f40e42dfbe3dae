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

// Command scimfake serves the in-memory Databricks account SCIM fake on a
// loopback address, for `make demo`, benchmarks and manual experiments.
//
//	scimfake --listen 127.0.0.1:8765 --account-id <uuid> --token dapi123 \
//	         --rate-limits databricks --rate-scale 10 --visibility-delay 5s -v
//
// Besides the SCIM API it serves, with the same bearer token:
// GET /_fake/stats, GET /_fake/requests, POST /_fake/reset-requests and
// PUT /_fake/faults (see package scimfake).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "scimfake:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	listen    string
	opts      scimfake.Options
	verbose   bool
	tokenFile string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("scimfake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config{}
	var (
		tokens    []string
		limits    = "off"
		rateScale = 1.0
	)
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8765", "loopback address to listen on (port 0 picks one)")
	fs.StringVar(&cfg.opts.AccountID, "account-id", scimfake.DefaultAccountID, "the Databricks account id served")
	fs.Func("token", "valid bearer token (repeatable, or comma separated)", func(v string) error {
		tokens = append(tokens, splitList(v)...)
		return nil
	})
	fs.StringVar(&cfg.tokenFile, "token-file", "", "file with valid bearer tokens (one per line or comma separated)")
	fs.Int64Var(&cfg.opts.Seed, "seed", 1, "seed for ids, UUIDs and random faults")
	fs.StringVar(&limits, "rate-limits", limits, `per-class limits in requests/second: "get=20,list=4,patch=2,write=5", "databricks" or "off"`)
	fs.Float64Var(&rateScale, "rate-scale", rateScale, "multiply every rate limit by this factor")
	fs.BoolVar(&cfg.opts.ThrottleAs500, "throttle-as-500", false, "answer throttling with 500 REQUEST_LIMIT_EXCEEDED instead of 429")
	fs.DurationVar(&cfg.opts.VisibilityDelay, "visibility-delay", 0, "new objects stay invisible to GET and list this long")
	fs.DurationVar(&cfg.opts.StaleReads, "stale-reads", 0, "GET and list return the pre-write object this long after PATCH/PUT")
	fs.DurationVar(&cfg.opts.Latency, "latency", 0, "added to every SCIM request")
	fs.BoolVar(&cfg.opts.PatchReturnsBody, "patch-returns-body", false, "answer PATCH with 200 and the object instead of 204")
	fs.BoolVar(&cfg.opts.GroupListMembers, "group-list-members", false, "include members in group lists (pre-2025 behaviour)")
	fs.BoolVar(&cfg.opts.AzureMode, "azure", false, "allow service principals created with only an applicationId")
	fs.BoolVar(&cfg.verbose, "v", false, "log one line per request")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if err := checkLoopback(cfg.listen); err != nil {
		return nil, err
	}
	l, err := parseLimits(limits)
	if err != nil {
		return nil, err
	}
	if rateScale <= 0 {
		return nil, errors.New("--rate-scale must be positive")
	}
	cfg.opts.RateLimits = l.Scale(rateScale)
	if cfg.tokenFile != "" {
		raw, err := os.ReadFile(cfg.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("reading --token-file: %w", err)
		}
		tokens = append(tokens, splitList(strings.ReplaceAll(string(raw), "\n", ","))...)
	}
	cfg.opts.Tokens = tokens
	return cfg, nil
}

// splitList splits on commas and drops blanks.
func splitList(v string) []string {
	var out []string
	for part := range strings.SplitSeq(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// checkLoopback refuses anything but a loopback listen address: the fake
// accepts fixed tokens and must never be reachable from the network.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", addr, err)
	}
	if !scim.IsLoopbackHost(host) {
		return fmt.Errorf("--listen %q: only loopback addresses (127.0.0.0/8, ::1, localhost) are allowed", addr)
	}
	return nil
}

// parseLimits reads "get=20,list=4,patch=2,write=5", "databricks" or "off".
func parseLimits(v string) (scim.Limits, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "off", "none":
		return scim.Limits{}, nil
	case "databricks", "default":
		return scim.DefaultLimits, nil
	}
	var l scim.Limits
	for _, part := range splitList(v) {
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return l, fmt.Errorf("--rate-limits: %q is not class=rate", part)
		}
		rate, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || rate < 0 {
			return l, fmt.Errorf("--rate-limits: %q is not a non-negative number", val)
		}
		switch scim.Class(strings.ToLower(strings.TrimSpace(key))) {
		case scim.ClassGet:
			l.Get = rate
		case scim.ClassList:
			l.List = rate
		case scim.ClassPatch:
			l.Patch = rate
		case scim.ClassWrite:
			l.Write = rate
		default:
			return l, fmt.Errorf("--rate-limits: unknown class %q (want get, list, patch or write)", key)
		}
	}
	return l, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	logger := log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)
	if cfg.verbose {
		cfg.opts.Logf = logger.Printf
	}
	if len(cfg.opts.Tokens) == 0 {
		fmt.Fprintf(stdout, "no --token given: accepting the development token %q\n", scimfake.DefaultToken)
	}
	fake := scimfake.New(cfg.opts)

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           fake.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          logger,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "listening on %s\n", url)
	fmt.Fprintf(stdout, "account %s: %s/api/2.1/accounts/%s/scim/v2\n", fake.AccountID(), url, fake.AccountID())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}
