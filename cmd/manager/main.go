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

// Command manager runs the databricks-scim-operator controllers.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	_ "k8s.io/client-go/plugin/pkg/client/auth"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/account"
	"github.com/scimops/databricks-scim-operator/internal/controller"
	"github.com/scimops/databricks-scim-operator/internal/lazylog"
	"github.com/scimops/databricks-scim-operator/internal/metricsauth"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

// version is stamped at build time (-ldflags "-X main.version=...").
var version = "dev"

var (
	scheme   = runtime.NewScheme()
	setupLog = ctrl.Log.WithName("setup")
)

// init registers only the kinds the manager reads or writes: its own,
// Secrets and Namespaces, and Events. client-go's whole scheme holds every
// built-in API group, which costs memory and startup for nothing here.
func init() {
	utilruntime.Must(corev1.AddToScheme(scheme))
	utilruntime.Must(eventsv1.AddToScheme(scheme))
	utilruntime.Must(v1.AddToScheme(scheme))
}

type options struct {
	metricsAddr, probeAddr, pprofAddr string
	metricsCertPath, metricsCertName  string
	metricsCertKey                    string
	secureMetrics, enableHTTP2        bool
	leaderElect                       bool
	secretNamespace                   string
	concurrency                       int
	kubeQPS                           float64
	kubeBurst                         int
	retryBase, retryMax               time.Duration
	allowedHosts                      string
	allowLoopbackHosts                bool
	leaderElectionID                  string
	accountSelector, watchNamespaces  string
	// shard is read from --account-selector and --watch-namespaces.
	shard controller.Shard
}

// defaultLeaderElectionID is the Lease of an unsharded manager.
const defaultLeaderElectionID = "databricks-scim-operator.scimops.dev"

func parseFlags() (options, zap.Options) {
	o, zopts, err := parseArgs(flag.CommandLine, os.Args[1:])
	if err != nil {
		// flag.CommandLine exits by itself on a syntax error: this is a bad value.
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(2)
	}
	return o, zopts
}

func parseArgs(fs *flag.FlagSet, args []string) (options, zap.Options, error) {
	var o options
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", "0", "Metrics endpoint address (:8443 for HTTPS, :8080 for HTTP, 0 to disable).")
	fs.StringVar(&o.metricsCertPath, "metrics-cert-path", "", "Directory with the metrics server certificate (empty: a self-signed one).")
	fs.StringVar(&o.metricsCertName, "metrics-cert-name", "tls.crt", "Metrics server certificate file name.")
	fs.StringVar(&o.metricsCertKey, "metrics-cert-key", "tls.key", "Metrics server key file name.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Health and readiness probe address.")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "", "Serve net/http/pprof on this address (empty: disabled).")
	fs.BoolVar(&o.secureMetrics, "metrics-secure", true, "Serve metrics over HTTPS with authentication and authorization.")
	fs.BoolVar(&o.enableHTTP2, "enable-http2", false, "Enable HTTP/2 for the metrics server.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Enable leader election so only one manager is active.")
	fs.StringVar(&o.leaderElectionID, "leader-election-id", "",
		"Name of the leader-election Lease (default: "+defaultLeaderElectionID+", plus a hash of --account-selector when one is given, so shards never share a Lease).")
	fs.StringVar(&o.accountSelector, "account-selector", "",
		"Label selector (as kubectl's -l) of the DatabricksAccounts this manager reconciles, with their identities; empty: all. Run one manager per disjoint selector to shard.")
	fs.StringVar(&o.watchNamespaces, "watch-namespaces", "",
		"Comma-separated namespaces whose Users, Groups and ServicePrincipals are cached and reconciled; empty: all.")
	fs.StringVar(&o.secretNamespace, "secret-namespace", "", "Namespace holding the SCIM token Secrets (default: $POD_NAMESPACE, the manager's own).")
	fs.IntVar(&o.concurrency, "max-concurrent-reconciles", 4, "Concurrent reconciles per identity kind; the SCIM rate limits bound throughput anyway.")
	fs.Float64Var(&o.kubeQPS, "kube-api-qps", 50, "Requests per second to the Kubernetes API server (each create costs about three writes).")
	fs.IntVar(&o.kubeBurst, "kube-api-burst", 100, "Burst of requests to the Kubernetes API server.")
	fs.DurationVar(&o.retryBase, "retry-base-delay", time.Second, "First back-off after a transient failure.")
	fs.DurationVar(&o.retryMax, "retry-max-delay", 10*time.Minute, "Longest back-off after repeated transient failures.")
	fs.StringVar(&o.allowedHosts, strings.TrimPrefix(scim.AllowedHostsFlag, "--"), strings.Join(scim.DefaultAllowedHosts, ","),
		"Comma-separated account console hosts (host or host:port) that may receive a SCIM token; no request is sent anywhere else.")
	fs.BoolVar(&o.allowLoopbackHosts, strings.TrimPrefix(scim.AllowLoopbackHostsFlag, "--"), false,
		"Also allow loopback hosts (localhost, 127.0.0.0/8, ::1), over http or https: for local runs and tests only.")
	zopts := zap.Options{}
	zopts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return o, zopts, err
	}
	if o.secretNamespace == "" {
		o.secretNamespace = os.Getenv("POD_NAMESPACE")
	}
	shard, err := shardOf(o)
	if err != nil {
		return o, zopts, err
	}
	o.shard = shard
	return o, zopts, nil
}

// shardOf reads the shard flags. The selector is parsed as kubectl parses -l.
func shardOf(o options) (controller.Shard, error) {
	var s controller.Shard
	sel, err := labels.Parse(o.accountSelector)
	if err != nil {
		return s, fmt.Errorf("invalid --account-selector %q: %w", o.accountSelector, err)
	}
	if !sel.Empty() {
		s.AccountSelector = sel
	}
	for _, ns := range strings.Split(o.watchNamespaces, ",") {
		if ns = strings.TrimSpace(ns); ns == "" {
			continue
		}
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return s, fmt.Errorf("invalid namespace %q in --watch-namespaces: %s", ns, strings.Join(errs, "; "))
		}
		s.Namespaces = append(s.Namespaces, ns)
	}
	return s, nil
}

// leaderElectionID is --leader-election-id, or the one derived from the shard.
func leaderElectionID(o options) string {
	if o.leaderElectionID != "" {
		return o.leaderElectionID
	}
	return o.shard.LeaderElectionID(defaultLeaderElectionID)
}

func main() {
	o, zopts := parseFlags()
	// Each reconcile's logger is made with the object's fields; most never
	// write, so the fields are encoded only when one does.
	ctrl.SetLogger(lazylog.Wrap(zap.New(zap.UseFlagOptions(&zopts))))
	setMemoryLimit()
	if err := run(ctrl.SetupSignalHandler(), o); err != nil {
		setupLog.Error(err, "Manager exited")
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.secretNamespace == "" {
		return errors.New("--secret-namespace is required when POD_NAMESPACE is unset")
	}
	hosts, err := scim.ParseAllowedHosts(o.allowedHosts)
	if err != nil {
		return err
	}
	shard := o.shard
	setupLog.Info("Starting databricks-scim-operator", "version", version, "secretNamespace", o.secretNamespace,
		"allowedHosts", hosts, "allowLoopbackHosts", o.allowLoopbackHosts)
	if shard.AccountSelector != nil || len(shard.Namespaces) > 0 {
		selector := "(all)"
		if shard.AccountSelector != nil {
			selector = shard.AccountSelector.String()
		}
		setupLog.Info("Sharded: reconciling only the DatabricksAccounts and namespaces given", "accountSelector", selector,
			"watchNamespaces", shard.Namespaces, "leaderElectionID", leaderElectionID(o))
	}
	cfg := ctrl.GetConfigOrDie()
	cfg.QPS, cfg.Burst = float32(o.kubeQPS), o.kubeBurst
	mgr, err := ctrl.NewManager(cfg, managerOptions(o))
	if err != nil {
		return fmt.Errorf("failed to create manager: %w", err)
	}
	if _, err := controller.SetupWithManager(ctx, mgr, controller.Config{
		SecretNamespace: o.secretNamespace,
		UserAgent:       "databricks-scim-operator/" + version,
		Controller:      ctrlOptions(o),
		Hosts:           scim.HostPolicy{Allowed: hosts, AllowLoopback: o.allowLoopbackHosts},
		Shard:           shard,
	}); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	if o.pprofAddr != "" {
		if err := mgr.Add(pprofServer(o.pprofAddr)); err != nil {
			return err
		}
	}
	return mgr.Start(ctx)
}

func managerOptions(o options) ctrl.Options {
	var tlsOpts []func(*tls.Config)
	if !o.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{BindAddress: o.metricsAddr, SecureServing: o.secureMetrics, TLSOpts: tlsOpts}
	if o.secureMetrics {
		metricsOpts.FilterProvider = metricsauth.Filter
	}
	if o.metricsCertPath != "" {
		metricsOpts.CertDir, metricsOpts.CertName, metricsOpts.KeyName = o.metricsCertPath, o.metricsCertName, o.metricsCertKey
	}
	cacheOpts := cache.Options{
		// managedFields are never read here and cost memory at 10,000 objects.
		DefaultTransform: controller.CacheTransform(),
		// Only token Secrets are cached (and so listed and watched): labelled
		// ones, in the operator's namespace. No other Secret can be read.
		ByObject: map[client.Object]cache.ByObject{&corev1.Secret{}: account.SecretCache(o.secretNamespace)},
	}
	// Sharded: only this shard's DatabricksAccounts, and identities only in
	// --watch-namespaces.
	o.shard.ApplyToCache(&cacheOpts)
	return ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsOpts,
		HealthProbeBindAddress: o.probeAddr,
		LeaderElection:         o.leaderElect,
		LeaderElectionID:       leaderElectionID(o),
		// The lease lives beside the token Secrets, so leader election also works outside a cluster.
		LeaderElectionNamespace: o.secretNamespace,
		Cache:                   cacheOpts,
	}
}

func ctrlOptions(o options) controller.Options {
	return controller.Options{
		MaxConcurrentReconciles: o.concurrency,
		RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](o.retryBase, o.retryMax),
	}
}

// pprofServer serves the profiler on its own listener, only when asked for.
func pprofServer(addr string) manager.Runnable {
	return manager.RunnableFunc(func(ctx context.Context) error {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/heap", pprof.Handler("heap").ServeHTTP)
		srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			<-ctx.Done()
			_ = srv.Close()
		}()
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
}

// memoryLimitRatio is the share of the container's memory limit the Go
// runtime aims to stay under; the rest is headroom for what it does not
// count (thread stacks outside the heap, the binary).
const memoryLimitRatio = 0.9

// setMemoryLimit sets Go's soft memory limit (GOMEMLIMIT) to
// memoryLimitRatio of the container's cgroup memory limit, so the garbage
// collector works harder as the pod nears its limit instead of letting the
// heap double between collections and the pod be OOM-killed. An explicit
// GOMEMLIMIT wins; AUTOMEMLIMIT=off disables it; no cgroup limit, no change.
func setMemoryLimit() {
	limit, err := memlimit.Set(memlimit.WithRatio(memoryLimitRatio), memlimit.WithLogger(slog.New(logr.ToSlogHandler(setupLog))))
	if err != nil {
		setupLog.Error(err, "Failed to set the Go memory limit from the container's; running without one")
		return
	}
	if limit != math.MaxInt64 {
		setupLog.Info("Go soft memory limit", "bytes", limit)
	}
}
