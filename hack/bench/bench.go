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
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/inventory"
	"github.com/scimops/databricks-scim-operator/internal/localenv"
	"github.com/scimops/databricks-scim-operator/internal/scim"
)

const (
	benchNamespace = "bench"
	benchAccount   = "bench"
)

// bench holds one run's environment and measurements.
type bench struct {
	sc          scale
	st          *localenv.Stack
	rateScale   float64
	concurrency int
	c           client.Client
	mgr         *localenv.Manager
	pprofAddr   string
	profileDir  string
	memLimit    string // GOMEMLIMIT for the manager ("": none)

	createStart, converged time.Time
	// createDone is how long the harness took to create the workload;
	// created counts its creates so far.
	createDone     time.Duration
	created        atomic.Int64
	convergeCounts map[scim.Class]map[string]int
	createsOK      map[string]int
	groupPatches   int
	// logDropped is how many SCIM requests of the convergence the fake's
	// request log no longer holds (it keeps the last 100,000).
	logDropped int
	urgent     *urgentState
	// cpuStart and cpuConverged are every process's CPU time at the first
	// create and at convergence.
	cpuStart, cpuConverged cpuSample
	// rssConverged is the manager's peak RSS up to convergence: whether the
	// peak comes from the sync or from the steady state's re-lists.
	rssConverged int64
	// heapConverged and heapSteady are the manager's heap in use after a GC.
	heapConverged, heapSteady int64
	// settle is the wait between convergence and the steady-state intervals.
	settle            time.Duration
	steadyPerInterval map[string]float64
	steadyWrites      int
	latencies         []time.Duration
}

func (b *bench) limits() scim.Limits { return scim.DefaultLimits.Scale(b.rateScale) }

func (b *bench) start(ctx context.Context) error {
	if err := b.st.StartControlPlane(); err != nil {
		return err
	}
	l := b.limits()
	if err := b.st.StartFake(ctx, localenv.FakeOptions{Args: []string{"--rate-limits", "databricks", "--rate-scale", fmt.Sprint(b.rateScale)}}); err != nil {
		return err
	}
	cfg := rest.CopyConfig(b.st.CP.Config)
	cfg.QPS, cfg.Burst = 2000, 4000
	c, err := client.New(cfg, client.Options{Scheme: b.st.CP.Client.Scheme()})
	if err != nil {
		return err
	}
	b.c = c
	for _, ns := range []string{localenv.OperatorNamespace, benchNamespace} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	if err := localenv.CreateTokenSecret(ctx, c, b.st.Fake); err != nil {
		return err
	}
	acct := localenv.AccountFor(benchAccount, b.st.Fake)
	acct.Spec.SyncInterval = &b.sc.syncInterval
	rate := func(f float64) v1.RequestRate { return v1.RequestRate(strconv.FormatFloat(f, 'f', -1, 64)) }
	acct.Spec.RateLimits = &v1.RateLimits{Get: rate(l.Get), List: rate(l.List), Patch: rate(l.Patch), Write: rate(l.Write)}
	if err := c.Create(ctx, acct); err != nil {
		return err
	}
	b.pprofAddr, err = freeAddr()
	if err != nil {
		return err
	}
	args := append(localenv.DefaultManagerArgs(),
		fmt.Sprintf("--max-concurrent-reconciles=%d", b.concurrency),
		"--kube-api-qps=500", "--kube-api-burst=1000",
		"--pprof-bind-address="+b.pprofAddr)
	var env []string
	if b.memLimit != "" {
		env = append(env, "GOMEMLIMIT="+b.memLimit)
	}
	if b.mgr, err = b.st.StartManager(ctx, localenv.ManagerOptions{Args: args, Env: env}); err != nil {
		return err
	}
	return poll(ctx, time.Minute, time.Second, func() (bool, error) {
		var a v1.DatabricksAccount
		if err := c.Get(ctx, client.ObjectKey{Name: benchAccount}, &a); err != nil {
			return false, err
		}
		return meta.IsStatusConditionTrue(a.Status.Conditions, v1.ConditionReady), nil
	})
}

// converge creates the workload and waits until every resource is Ready;
// meanwhile it sends the urgent changes (urgent.go).
func (b *bench) converge(ctx context.Context) error {
	objs := b.sc.ordered(b.sc.objects(benchNamespace, benchAccount))
	if err := b.fake().ResetRequests(ctx); err != nil {
		return err
	}
	urgentCtx, stopUrgent := context.WithCancel(ctx)
	defer stopUrgent()
	urgentDone := make(chan error, 1)
	watchDone := make(chan struct{})
	b.cpuStart = b.sampleCPU()
	b.createStart = time.Now()
	go func() { urgentDone <- b.sendUrgent(urgentCtx) }()
	if err := createAll(ctx, b.c, objs, 16, &b.created); err != nil {
		return err
	}
	b.createDone = time.Since(b.createStart)
	fmt.Fprintf(os.Stderr, "   %d resources created in %s\n", len(objs), b.createDone.Round(time.Second))
	// The seed is in the namespace too (Ready before, and again once its
	// urgent changes are applied).
	want := len(objs) + seedIdentities
	sent, midProfiled := false, false
	// Allow four times the SCIM bound (30 minutes at least).
	timeout := max(30*time.Minute, 4*time.Duration(float64(len(objs))/b.limits().Write*float64(time.Second)))
	err := poll(ctx, timeout, 2*time.Second, func() (bool, error) {
		if !sent {
			select {
			case err := <-urgentDone:
				if err != nil {
					return false, fmt.Errorf("urgent changes: %w", err)
				}
				sent = true
				go func() { b.watchUrgent(urgentCtx); close(watchDone) }()
			default:
			}
		}
		st, err := b.fake().Stats(ctx)
		if err != nil {
			return false, err
		}
		if !midProfiled && st.Users >= b.sc.users/2 {
			// What the sync holds while it runs (the queue, the events,
			// the caches filling), next to what is left at convergence.
			midProfiled = true
			if err := b.saveHeapProfile(ctx, "midsync", false); err != nil {
				return false, err
			}
		}
		if st.Users < b.sc.users+seedLeavers || st.ServicePrincipals < b.sc.sps || st.Groups < b.sc.groups+1 {
			fmt.Fprintf(os.Stderr, "   %5.0fs  remote: %d users, %d service principals, %d groups\n",
				time.Since(b.createStart).Seconds(), st.Users, st.ServicePrincipals, st.Groups)
			return false, nil
		}
		ready, err := countReady(ctx, b.c)
		if err != nil {
			return false, err
		}
		fmt.Fprintf(os.Stderr, "   %5.0fs  %d of %d Ready\n", time.Since(b.createStart).Seconds(), ready, want)
		return ready == want && sent, nil
	})
	if err != nil {
		return err
	}
	b.converged = time.Now()
	b.cpuConverged = b.sampleCPU()
	b.rssConverged, _, _ = procStats(b.mgr.Pid())
	stopUrgent()
	<-watchDone
	st, err := b.fake().Stats(ctx)
	if err != nil {
		return err
	}
	b.convergeCounts = st.Counts
	// The request log is read now, before the steady state resets it.
	recs, err := b.fake().Requests(ctx)
	if err != nil {
		return err
	}
	if err := b.saveHeapProfile(ctx, "converged", true); err != nil {
		return err
	}
	if b.heapConverged, err = b.heapInuse(ctx); err != nil {
		return err
	}
	b.createsOK = map[string]int{}
	recorded := 0
	for _, r := range recs {
		if r.Class != "" {
			recorded++
		}
		if r.Method == http.MethodPost && r.Status < 300 {
			b.createsOK[string(r.Resource)]++
		}
		if r.Method == http.MethodPatch && r.Resource == "Groups" && !strings.HasSuffix(r.Path, "/Groups/"+b.urgent.adminID) {
			b.groupPatches++
		}
	}
	counted := 0
	for _, byCode := range st.Counts {
		for _, n := range byCode {
			counted += n
		}
	}
	b.logDropped = max(0, counted-recorded)
	b.urgent.observe(recs)
	if err := b.checkMembership(ctx); err != nil {
		return err
	}
	return b.checkUrgent(ctx)
}

// checkMembership compares every group's recorded member count with its spec.
func (b *bench) checkMembership(ctx context.Context) error {
	var groups v1.GroupList
	if err := b.c.List(ctx, &groups, client.InNamespace(benchNamespace)); err != nil {
		return err
	}
	for _, g := range groups.Items {
		if int(g.Status.MemberCount) != len(g.Spec.Members) {
			return fmt.Errorf("group %s has %d members, want %d", g.Name, g.Status.MemberCount, len(g.Spec.Members))
		}
	}
	return nil
}

// steady counts SCIM calls over three sync intervals with nothing changing,
// once the write shield of the last writes (at the latest at convergence)
// has expired and one more interval has passed: inside the shield, groups
// written recently are not re-read, which would put the count under the
// floor.
func (b *bench) steady(ctx context.Context) error {
	interval := b.sc.syncInterval.Duration
	b.settle = max(interval, inventory.DefaultWriteShield+interval)
	fmt.Fprintf(os.Stderr, "   settling until %s after convergence\n", b.settle)
	if err := sleep(ctx, time.Until(b.converged.Add(b.settle))); err != nil {
		return err
	}
	if err := b.fake().ResetRequests(ctx); err != nil {
		return err
	}
	if err := sleep(ctx, 3*interval); err != nil {
		return err
	}
	recs, err := b.fake().Requests(ctx)
	if err != nil {
		return err
	}
	calls := map[string]int{}
	for _, r := range recs {
		if r.Class == "" { // the harness's own calls to the fake's admin endpoint
			continue
		}
		kind := "other"
		switch {
		case r.Method != http.MethodGet:
			kind = "write"
			b.steadyWrites++
		case strings.HasSuffix(r.Path, "/Users") || strings.HasSuffix(r.Path, "/Groups") || strings.HasSuffix(r.Path, "/ServicePrincipals"):
			kind = "list page"
		case strings.Contains(r.Path, "/Groups/"):
			kind = "group GET"
		default:
			kind = "other GET"
		}
		calls[kind]++
	}
	b.steadyPerInterval = map[string]float64{}
	for k, v := range calls {
		b.steadyPerInterval[k] = float64(v) / 3
	}
	if err := b.saveHeapProfile(ctx, "steady", true); err != nil {
		return err
	}
	b.heapSteady, err = b.heapInuse(ctx)
	return err
}

// latency edits users' display names one by one and times each edit until
// its PATCH reaches the fake.
func (b *bench) latency(ctx context.Context) error {
	type edit struct {
		id   string
		sent time.Time
	}
	var edits []edit
	for i := 0; i < b.sc.edits; i++ {
		var u v1.User
		key := client.ObjectKey{Namespace: benchNamespace, Name: userName((i * 97) % b.sc.users)}
		if err := b.c.Get(ctx, key, &u); err != nil {
			return err
		}
		// A merge patch of the spec: no conflict with the controller's own writes.
		patch := client.MergeFrom(u.DeepCopy())
		u.Spec.DisplayName = fmt.Sprintf("Edited %d", i)
		sent := time.Now()
		if err := b.c.Patch(ctx, &u, patch); err != nil {
			return err
		}
		edits = append(edits, edit{id: u.Status.ID, sent: sent})
		// 10 edits/s stays under the PATCH limit: this measures latency, not throttling.
		if err := sleep(ctx, time.Second/10); err != nil {
			return err
		}
	}
	return poll(ctx, 2*time.Minute, time.Second, func() (bool, error) {
		recs, err := b.fake().Requests(ctx)
		if err != nil {
			return false, err
		}
		b.latencies = b.latencies[:0]
		for _, e := range edits {
			for _, r := range recs {
				if r.Method == http.MethodPatch && strings.HasSuffix(r.Path, "/Users/"+e.id) && r.Time.After(e.sent) {
					b.latencies = append(b.latencies, r.Time.Sub(e.sent))
					break
				}
			}
		}
		return len(b.latencies) == len(edits), nil
	})
}

func (b *bench) fake() *localenv.Fake { return b.st.Fake }

// createAll creates objs with workers in parallel, counting each in created
// (when not nil).
func createAll(ctx context.Context, c client.Client, objs []client.Object, workers int, created *atomic.Int64) error {
	work := make(chan client.Object)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				if err := c.Create(ctx, o); err != nil {
					errs <- fmt.Errorf("create %s: %w", o.GetName(), err)
					return
				}
				if created != nil {
					created.Add(1)
				}
			}
		}()
	}
	var err error
	for _, o := range objs {
		select {
		case work <- o:
			continue
		case err = <-errs:
		}
		break
	}
	close(work)
	wg.Wait()
	if err != nil {
		return err
	}
	select {
	case err = <-errs:
		return err
	default:
		return nil
	}
}

// countReady counts resources whose Ready is True for their current generation.
func countReady(ctx context.Context, c client.Client) (int, error) {
	n := 0
	for _, list := range []client.ObjectList{&v1.UserList{}, &v1.ServicePrincipalList{}, &v1.GroupList{}} {
		opts := []client.ListOption{client.InNamespace(benchNamespace), client.Limit(2000)}
		for {
			if err := c.List(ctx, list, opts...); err != nil {
				return 0, err
			}
			items, _ := meta.ExtractList(list)
			for _, it := range items {
				o := it.(v1.Identity)
				st := o.GetIdentityStatus()
				if meta.IsStatusConditionTrue(st.Conditions, v1.ConditionReady) && st.ObservedGeneration == it.(client.Object).GetGeneration() {
					n++
				}
			}
			cont := list.(metav1.ListInterface).GetContinue()
			if cont == "" {
				break
			}
			opts = []client.ListOption{client.InNamespace(benchNamespace), client.Limit(2000), client.Continue(cont)}
		}
	}
	return n, nil
}

func poll(ctx context.Context, timeout, every time.Duration, fn func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, err := fn()
		if err != nil || done {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		if err := sleep(ctx, every); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}
