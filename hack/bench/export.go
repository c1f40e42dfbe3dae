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
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/scimops/databricks-scim-operator/api/v1alpha1"
	"github.com/scimops/databricks-scim-operator/internal/cli"
	"github.com/scimops/databricks-scim-operator/internal/cli/clitest"
	"github.com/scimops/databricks-scim-operator/internal/kubeyaml"
	"github.com/scimops/databricks-scim-operator/internal/localenv"
	"github.com/scimops/databricks-scim-operator/internal/scim"
	"github.com/scimops/databricks-scim-operator/internal/scim/scimfake"
)

// exportSizes are the account sizes of the export round trip.
var exportSizes = map[string]clitest.Size{
	"full":  clitest.Full,
	"small": {Users: 1000, ServicePrincipals: 20, Groups: 100, MembersPerGroup: 50, NestEvery: 10},
}

// exportBench is the export round trip (issue 12): a fake account that
// already holds the principals, `kubectl databricks export` of it, the
// directory applied with the operator running until every resource is
// Ready, first Observe and then --adopt, counting SCIM writes.
type exportBench struct {
	size      clitest.Size
	rateScale float64
	st        *localenv.Stack
	fake      *scimfake.Server
	srv       *http.Server
	url       string
	c         client.Client
	mgr       *localenv.Manager
	tokenFile string
	dir       string

	phases []exportPhase
}

// exportPhase is one export and apply of the round trip.
type exportPhase struct {
	name                string
	exportTime          time.Duration
	exportLists         int
	exportGets          int
	exportThrottled     int
	exportOther         int
	files               int
	bytes               int64
	render              time.Duration
	applyToReady        time.Duration
	operatorLists       int
	operatorGets        int
	writes              int
	reason              string
	readyObjects        int
	exportStderrSummary string
}

const exportAccount = "exported"

func runExportBench(ctx context.Context, sizeName string, rateScale float64, concurrency int, keep bool, binDir string) error {
	size, ok := exportSizes[sizeName]
	if !ok {
		return fmt.Errorf("unknown scale %q", sizeName)
	}
	st, err := localenv.NewStack(localenv.StackOptions{Out: os.Stderr, BinDir: binDir})
	if err != nil {
		return err
	}
	b := &exportBench{size: size, rateScale: rateScale, st: st}
	defer func() {
		if b.srv != nil {
			_ = b.srv.Close()
		}
		if keep {
			kept := st.Dir + "-kept"
			if err := os.Rename(st.Dir, kept); err == nil {
				fmt.Fprintf(os.Stderr, "kept %s\n", kept)
			}
		}
		_ = st.Stop()
	}()
	steps := []struct {
		title string
		fn    func(context.Context) error
	}{
		{fmt.Sprintf("seed the fake account (%d users, %d service principals, %d nested groups, members by id) and start the control plane and the manager",
			size.Users, size.ServicePrincipals, size.Groups), func(ctx context.Context) error { return b.start(ctx, concurrency) }},
		{"export (managementPolicy Observe), apply, wait until every resource is Ready", func(ctx context.Context) error { return b.roundTrip(ctx, false) }},
		{"export --adopt, apply over it, wait until every resource is Ready", func(ctx context.Context) error { return b.roundTrip(ctx, true) }},
	}
	for _, s := range steps {
		fmt.Fprintf(os.Stderr, ">> %s\n", s.title)
		start := time.Now()
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.title, err)
		}
		fmt.Fprintf(os.Stderr, "   done in %s\n", time.Since(start).Round(time.Second))
	}
	b.report(os.Stdout)
	return nil
}

// start seeds an in-process fake (limits x rateScale, as the convergence
// benchmark) on loopback, and starts the control plane and the manager.
func (b *exportBench) start(ctx context.Context, concurrency int) error {
	token := localenv.NewToken()
	b.fake = scimfake.New(scimfake.Options{Tokens: []string{token}, RateLimits: scim.DefaultLimits.Scale(b.rateScale), MaxRequestLog: 1_000_000})
	clitest.SeedAccount(b.fake, b.size)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	b.srv = &http.Server{Handler: b.fake.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.srv.Serve(ln) }()
	b.url = "http://" + ln.Addr().String()
	b.tokenFile = filepath.Join(b.st.Dir, "scim-token")
	if err := os.WriteFile(b.tokenFile, []byte(token+"\n"), 0o600); err != nil {
		return err
	}

	if err := b.st.StartControlPlane(); err != nil {
		return err
	}
	cfg := rest.CopyConfig(b.st.CP.Config)
	cfg.QPS, cfg.Burst = 2000, 4000
	if b.c, err = client.New(cfg, client.Options{Scheme: b.st.CP.Client.Scheme()}); err != nil {
		return err
	}
	for _, ns := range []string{localenv.OperatorNamespace, benchNamespace} {
		if err := b.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{localenv.AdminNamespaceLabel: "true"}}}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	fake := &localenv.Fake{URL: b.url, AccountID: b.fake.AccountID(), Token: token}
	if err := localenv.CreateTokenSecret(ctx, b.c, fake); err != nil {
		return err
	}
	acct := localenv.AccountFor(exportAccount, fake)
	acct.Spec.SyncInterval = &metav1.Duration{Duration: time.Hour}
	l := scim.DefaultLimits.Scale(b.rateScale)
	rate := func(f float64) v1.RequestRate { return v1.RequestRate(strconv.FormatFloat(f, 'f', -1, 64)) }
	acct.Spec.RateLimits = &v1.RateLimits{Get: rate(l.Get), List: rate(l.List), Patch: rate(l.Patch), Write: rate(l.Write)}
	all := &v1.NamespacePermission{NamespaceSelector: &metav1.LabelSelector{}}
	acct.Spec.Permissions = &v1.AccountPermissions{Adoption: all, AccountAdmin: all}
	if err := b.c.Create(ctx, acct); err != nil {
		return err
	}
	args := append(localenv.DefaultManagerArgs(), fmt.Sprintf("--max-concurrent-reconciles=%d", concurrency),
		"--kube-api-qps=500", "--kube-api-burst=1000")
	if b.mgr, err = b.st.StartManager(ctx, localenv.ManagerOptions{Args: args}); err != nil {
		return err
	}
	return poll(ctx, time.Minute, time.Second, func() (bool, error) {
		var a v1.DatabricksAccount
		if err := b.c.Get(ctx, client.ObjectKey{Name: exportAccount}, &a); err != nil {
			return false, err
		}
		return meta.IsStatusConditionTrue(a.Status.Conditions, v1.ConditionReady), nil
	})
}

var callsLine = regexp.MustCompile(`SCIM calls: (\d+) list pages, (\d+) GETs in ([^ ]+) \(floor: (\d+) list pages \+ (\d+) group GETs\)`)

// roundTrip exports (with Databricks' published limits, the CLI's
// default), applies the directory as `kubectl apply -k` would, and waits
// until every resource is Ready with the expected reason.
func (b *exportBench) roundTrip(ctx context.Context, adopt bool) error {
	ph := exportPhase{name: "Observe", reason: v1.ReasonObserved}
	if adopt {
		ph.name, ph.reason = "--adopt", v1.ReasonSynced
	}
	b.dir = filepath.Join(b.st.Dir, "export-"+map[bool]string{false: "observe", true: "adopt"}[adopt])
	args := []string{"export", "--account", exportAccount, "--namespace", benchNamespace, "--host", b.url,
		"--account-id", b.fake.AccountID(), "--token-file", b.tokenFile, "--allow-loopback-host", "--max-notes", "5"}
	if adopt {
		args = append(args, "--adopt")
	}
	b.fake.ResetRequests()
	var stderr bytes.Buffer
	start := time.Now()
	code := cli.Run(ctx, append(args, b.dir), cli.Env{Stdout: os.Stdout, Stderr: io.MultiWriter(&stderr, os.Stderr)})
	ph.exportTime = time.Since(start)
	if code != cli.ExitOK {
		return fmt.Errorf("export exited %d", code)
	}
	if m := callsLine.FindStringSubmatch(stderr.String()); m != nil {
		ph.exportStderrSummary = m[0]
	}
	for _, r := range b.fake.Requests() {
		switch {
		case r.Class == "":
		case r.Status == http.StatusTooManyRequests:
			ph.exportThrottled++
		case r.Class == scim.ClassList:
			ph.exportLists++
		case r.Class == scim.ClassGet:
			ph.exportGets++
		default:
			ph.exportOther++
		}
	}
	if err := filepath.WalkDir(b.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			ph.files++
			if fi, err := d.Info(); err == nil {
				ph.bytes += fi.Size()
			}
		}
		return err
	}); err != nil {
		return err
	}

	b.fake.ResetRequests()
	// kustomize's build time grows with the square of the resources in one
	// kustomization (every added resource is checked against all before
	// it): it is measured, and the objects are then read file by file, as
	// `kubectl apply -R -f` would, so apply-to-Ready measures the operator.
	// (The second directory has the same shape: measured once.)
	objs, err := readFiles(b.dir)
	if err != nil {
		return err
	}
	if !adopt {
		start = time.Now()
		rendered, err := kubeyaml.Read(b.dir)
		if err != nil {
			return err
		}
		ph.render = time.Since(start)
		fmt.Fprintf(os.Stderr, "   kustomize rendered %d objects in %s\n", len(rendered), ph.render.Round(100*time.Millisecond))
		if len(objs) != len(rendered) {
			return fmt.Errorf("the directory holds %d objects, kustomize renders %d", len(objs), len(rendered))
		}
	}
	start = time.Now()
	if err := applyAll(ctx, b.c, objs, 16); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "   applied in %s\n", time.Since(start).Round(time.Second))
	want := len(objs)
	err = poll(ctx, 45*time.Minute, 2*time.Second, func() (bool, error) {
		n, err := countReadyWith(ctx, b.c, ph.reason)
		if err != nil {
			return false, err
		}
		fmt.Fprintf(os.Stderr, "   %5.0fs  %d of %d Ready (%s)\n", time.Since(start).Seconds(), n, want, ph.reason)
		ph.readyObjects = n
		return n == want, nil
	})
	if err != nil {
		return err
	}
	ph.applyToReady = time.Since(start)
	ph.writes = b.fake.Writes()
	for _, r := range b.fake.Requests() {
		switch r.Class {
		case scim.ClassList:
			ph.operatorLists++
		case scim.ClassGet:
			ph.operatorGets++
		}
	}
	b.phases = append(b.phases, ph)
	if ph.writes != 0 {
		return fmt.Errorf("%d SCIM writes, want 0", ph.writes)
	}
	return nil
}

// readFiles decodes every object file under dir (not the kustomization).
func readFiles(dir string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".yaml" || d.Name() == "kustomization.yaml" {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		objs, err := kubeyaml.Decode(raw)
		out = append(out, objs...)
		return err
	})
	return out, err
}

// applyAll server-side-applies objs with workers in parallel.
func applyAll(ctx context.Context, c client.Client, objs []*unstructured.Unstructured, workers int) error {
	work := make(chan *unstructured.Unstructured)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				if err := localenv.Apply(ctx, c, benchNamespace, []*unstructured.Unstructured{o}); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, o := range objs {
		work <- o
	}
	close(work)
	wg.Wait()
	return firstErr
}

// countReadyWith counts resources Ready for their generation with reason.
func countReadyWith(ctx context.Context, c client.Client, reason string) (int, error) {
	n := 0
	for _, list := range []client.ObjectList{&v1.UserList{}, &v1.ServicePrincipalList{}, &v1.GroupList{}} {
		opts := []client.ListOption{client.InNamespace(benchNamespace), client.Limit(2000)}
		for {
			if err := c.List(ctx, list, opts...); err != nil {
				return 0, err
			}
			items, _ := meta.ExtractList(list)
			for _, it := range items {
				st := it.(v1.Identity).GetIdentityStatus()
				cond := meta.FindStatusCondition(st.Conditions, v1.ConditionReady)
				if cond != nil && cond.Status == metav1.ConditionTrue && cond.Reason == reason && st.ObservedGeneration == it.(client.Object).GetGeneration() {
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

func (b *exportBench) report(w io.Writer) {
	s := b.size
	pages := func(n int) int { return max(1, (n+scim.MaxPageSize-1)/scim.MaxPageSize) }
	// The built-in groups are listed but not read: one GET per exported group.
	floorPages := pages(s.Users) + pages(s.ServicePrincipals) + pages(s.Groups+2)
	l := scim.DefaultLimits
	// Groups are listed first and their GETs overlap the other lists: the
	// floor is the longer of all list pages, and the group pages plus the GETs.
	secs := max(float64(floorPages)/l.List, float64(pages(s.Groups+2))/l.List+float64(s.Groups)/l.Get)
	floorTime := time.Duration(secs * float64(time.Second))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "export round trip\t%d users, %d service principals, %d groups (+2 built-in; every %dth nests two; %d members each, by SCIM id)\n",
		s.Users, s.ServicePrincipals, s.Groups, s.NestEvery, s.MembersPerGroup)
	fmt.Fprintf(tw, "CLI limits (req/s)\tlist %.0f, get %.0f (Databricks' published limits, the CLI's default); the fake allows x%.0f\n", l.List, l.Get, b.rateScale)
	fmt.Fprintf(tw, "SCIM call floor\t%d list pages + %d group GETs; at the CLI's limits %s\n", floorPages, s.Groups, floorTime.Round(100*time.Millisecond))
	for _, ph := range b.phases {
		fmt.Fprintf(tw, "\t\n")
		fmt.Fprintf(tw, "export (%s)\t%s wall\n", ph.name, ph.exportTime.Round(100*time.Millisecond))
		fmt.Fprintf(tw, "  SCIM calls\t%d list pages, %d GETs, %d other, %d throttled (floor %d + %d)\n",
			ph.exportLists, ph.exportGets, ph.exportOther, ph.exportThrottled, floorPages, s.Groups)
		render := "not measured again"
		if ph.render > 0 {
			render = ph.render.Round(100 * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "  directory\t%d files, %.1f MiB; kustomize build %s (the apply reads the files, as kubectl apply -R -f)\n", ph.files, float64(ph.bytes)/(1<<20), render)
		fmt.Fprintf(tw, "  apply -> all Ready (%s)\t%s for %d resources\n", ph.reason, ph.applyToReady.Round(time.Second), ph.readyObjects)
		fmt.Fprintf(tw, "  operator SCIM calls meanwhile\t%d list pages, %d GETs\n", ph.operatorLists, ph.operatorGets)
		fmt.Fprintf(tw, "  SCIM writes (target 0)\t%d\n", ph.writes)
	}
	_ = tw.Flush()
}
