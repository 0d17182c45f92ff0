// Command listbench measures the list queries (P7) at scale: it seeds 10,000
// workflows, with tags, a few statuses and 200 runs, into SQLite and into a
// throwaway PostgreSQL, serves the real API over loopback with API-key auth,
// drives each list query at a fixed concurrency, and prints p50, p99 and
// requests per second per query and store, with the database's plan for each
// query's SQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"onair/internal/config"
	"onair/internal/domain"
	"onair/internal/server"
	"onair/internal/store"
	"onair/internal/testutil/pgtest"
)

// benchKey is the admin API key the benchmark's servers start with.
const benchKey = "listbench-admin-key-0123456789abcdef"

// org is the organization the bootstrap key belongs to, where the seed goes.
const org = "default"

type options struct {
	workflows   int
	runs        int
	concurrency int
	duration    time.Duration
	stores      []string
	queries     []query
	profile     *os.File // when set, the CPU profile of the timed loads goes here
}

func main() {
	var o options
	flag.IntVar(&o.workflows, "workflows", 10000, "workflows to seed")
	flag.IntVar(&o.runs, "runs", 200, "runs to seed, one per workflow")
	flag.IntVar(&o.concurrency, "concurrency", 16, "requests in flight")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "how long each query is driven")
	stores := flag.String("stores", "sqlite,postgres", "comma-separated stores to measure: sqlite, postgres")
	only := flag.String("query", "", "measure only the queries whose name contains this")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured load (server and client: one process) to this file")
	flag.Parse()
	o.stores = strings.Split(*stores, ",")
	for _, q := range allQueries {
		if strings.Contains(q.name, *only) {
			o.queries = append(o.queries, q)
		}
	}
	if len(o.queries) == 0 {
		fmt.Fprintf(os.Stderr, "listbench: no query's name contains %q\n", *only)
		os.Exit(2)
	}
	if *cpuProfile != "" {
		if len(o.queries)*len(o.stores) != 1 {
			fmt.Fprintln(os.Stderr, "listbench: -cpuprofile profiles one load: pick one store with -stores and one query with -query")
			os.Exit(2)
		}
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "listbench:", err)
			os.Exit(1)
		}
		o.profile = f
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "listbench:", err)
		os.Exit(1)
	}
}

// query is one list request and the store call that it makes.
type query struct {
	name string
	path string
	// items is how many items a correct answer has on this seed.
	items func(s seedStats) int
	// explain returns the plan of the query's SQL.
	explain func(ctx context.Context, st store.Store) (string, error)
}

var allQueries = []query{
	{
		name: "?tags=a,b", path: "/api/workflows?tags=a,b",
		items: func(s seedStats) int { return min(s.tagsAB, store.DefaultLimit) },
		explain: func(ctx context.Context, st store.Store) (string, error) {
			return store.ExplainListWorkflows(ctx, st, org, store.WorkflowFilter{Tags: []string{"a", "b"}})
		},
	},
	{
		name: "?search=foo", path: "/api/workflows?search=foo",
		items: func(s seedStats) int { return min(s.foo, store.DefaultLimit) },
		explain: func(ctx context.Context, st store.Store) (string, error) {
			return store.ExplainListWorkflows(ctx, st, org, store.WorkflowFilter{Search: "foo"})
		},
	},
	{
		name: "?status=RUNNING (no match)", path: "/api/workflows?status=RUNNING",
		items: func(seedStats) int { return 0 },
		explain: func(ctx context.Context, st store.Store) (string, error) {
			return store.ExplainListWorkflows(ctx, st, org, store.WorkflowFilter{Statuses: []domain.Status{domain.StatusRunning}})
		},
	},
	{
		name: "?status=READY&status=DONE", path: "/api/workflows?status=READY&status=DONE",
		items: func(s seedStats) int { return min(s.workflows, store.DefaultLimit) },
		explain: func(ctx context.Context, st store.Store) (string, error) {
			return store.ExplainListWorkflows(ctx, st, org, store.WorkflowFilter{Statuses: []domain.Status{domain.StatusReady, domain.StatusDone}})
		},
	},
	{
		name: "?status=RUNNING&status=STARTING (no match)", path: "/api/workflows?status=RUNNING&status=STARTING",
		items: func(seedStats) int { return 0 },
		explain: func(ctx context.Context, st store.Store) (string, error) {
			return store.ExplainListWorkflows(ctx, st, org, store.WorkflowFilter{Statuses: []domain.Status{domain.StatusRunning, domain.StatusStarting}})
		},
	},
	{
		name: "?search=zebra (10 matches)", path: "/api/workflows?search=zebra",
		items: func(s seedStats) int { return min(s.zebra, store.DefaultLimit) },
		explain: func(ctx context.Context, st store.Store) (string, error) {
			return store.ExplainListWorkflows(ctx, st, org, store.WorkflowFilter{Search: "zebra"})
		},
	},
	{
		name: "?limit=50", path: "/api/workflows?limit=50",
		items: func(s seedStats) int { return min(s.workflows, 50) },
		explain: func(ctx context.Context, st store.Store) (string, error) {
			return store.ExplainListWorkflows(ctx, st, org, store.WorkflowFilter{Limit: 50})
		},
	},
	{
		name: "/api/channels", path: "/api/channels",
		items: func(s seedStats) int { return min(s.runs, store.DefaultLimit) },
		explain: func(ctx context.Context, st store.Store) (string, error) {
			return store.ExplainListChannels(ctx, st, org, store.RunFilter{})
		},
	},
}

func run(o options) error {
	ctx := context.Background()
	fmt.Printf("listbench: %d workflows, %d runs, concurrency %d, %s per query, %d cores (%s)\n\n",
		o.workflows, o.runs, o.concurrency, o.duration, runtime.NumCPU(), hostName())
	var results []storeResult
	for _, name := range o.stores {
		r, err := benchStore(ctx, name, o)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		results = append(results, r)
	}
	if o.profile != nil {
		if err := o.profile.Close(); err != nil {
			return err
		}
	}
	printTable(os.Stdout, o.queries, results)
	for _, r := range results {
		fmt.Printf("\n%s plans (%s):\n", r.store, r.explainKind)
		for i, q := range o.queries {
			fmt.Printf("  %s\n", q.name)
			for _, line := range strings.Split(strings.TrimRight(r.plans[i], "\n"), "\n") {
				fmt.Printf("      %s\n", line)
			}
		}
	}
	return nil
}

// storeResult is one store's figures and plans, in the order of queries.
type storeResult struct {
	store       string
	explainKind string
	stats       []loadStats
	plans       []string
}

// benchStore seeds one store, serves it and drives every query against it.
func benchStore(ctx context.Context, name string, o options) (storeResult, error) {
	dir, err := os.MkdirTemp("", "listbench")
	if err != nil {
		return storeResult{}, err
	}
	defer os.RemoveAll(dir)
	res := storeResult{store: name}
	var dsn string
	switch name {
	case "sqlite":
		dsn = "sqlite://" + filepath.Join(dir, "onair.db")
		res.explainKind = "EXPLAIN QUERY PLAN"
	case "postgres":
		cl, err := pgtest.StartCluster()
		if err != nil {
			return storeResult{}, err
		}
		defer cl.Stop()
		if dsn, err = cl.NewDatabase(); err != nil {
			return storeResult{}, err
		}
		res.explainKind = "EXPLAIN"
	default:
		return storeResult{}, fmt.Errorf("unknown store %q: use sqlite or postgres", name)
	}

	st, err := store.Open(ctx, dsn)
	if err != nil {
		return storeResult{}, err
	}
	defer st.Close()
	t0 := time.Now()
	stats, err := seed(ctx, st, o.workflows, o.runs)
	if err != nil {
		return storeResult{}, fmt.Errorf("seed: %w", err)
	}
	if name == "postgres" {
		if err := vacuumAnalyze(ctx, dsn); err != nil {
			return storeResult{}, err
		}
	}
	fmt.Printf("%s: seeded %d workflows (%d match ?tags=a,b, %d ?search=foo, %d ?search=zebra) and %d runs in %s\n",
		name, stats.workflows, stats.tagsAB, stats.foo, stats.zebra, stats.runs, time.Since(t0).Round(time.Millisecond))

	srv, stop, err := serve(ctx, dsn, filepath.Join(dir, "data"))
	if err != nil {
		return storeResult{}, err
	}
	defer stop()
	c := newClient("http://"+srv.HTTPAddr(), benchKey, o.concurrency)
	for _, q := range o.queries {
		if err := c.check(q.path, q.items(stats)); err != nil {
			return storeResult{}, fmt.Errorf("%s: %w", q.name, err)
		}
		ls, err := c.load(q.path, o.concurrency, o.duration, o.profile)
		if err != nil {
			return storeResult{}, fmt.Errorf("%s: %w", q.name, err)
		}
		res.stats = append(res.stats, ls)
		plan, err := q.explain(ctx, st)
		if err != nil {
			return storeResult{}, fmt.Errorf("%s: explain: %w", q.name, err)
		}
		res.plans = append(res.plans, plan)
	}
	return res, nil
}

// serve starts a whole onair server on the seeded store, on loopback ports.
func serve(ctx context.Context, dsn, data string) (*server.Server, func(), error) {
	cfg := config.Defaults()
	cfg.Data = data
	cfg.HTTP = "127.0.0.1:0"
	cfg.RTMP = "127.0.0.1:0"
	cfg.Database = dsn
	cfg.PublicURL = "http://127.0.0.1"
	cfg.AdminAPIKey = benchKey
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "listbench: server:", err)
		}
	}
	return srv, stop, nil
}

func printTable(w io.Writer, queries []query, results []storeResult) {
	fmt.Fprintf(w, "\n| query | store | p50 | p99 | req/s | CPU/req |\n|---|---|---|---|---|---|\n")
	for i, q := range queries {
		for _, r := range results {
			s := r.stats[i]
			fmt.Fprintf(w, "| `%s` | %s | %.1f ms | %.1f ms | %.0f | %.0f µs |\n", q.name, r.store, ms(s.p50), ms(s.p99), s.rate, float64(s.cpu)/1e3)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func hostName() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown host"
	}
	return h
}
