// Command healthbench measures the health history: writing a 24 h run of
// two pipelines into SQLite and a throwaway PostgreSQL (the rows a day
// costs and how fast they go in), reading it back for the health graphs
// (24 h at 1 min, 12 h and 1 h at 10 s, p50 and p99), drawing the six
// default graphs, and the monitor's cost per pipeline and second.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"onair/internal/domain"
	"onair/internal/health"
	"onair/internal/health/chart"
	"onair/internal/store"
	"onair/internal/testutil/pgtest"
)

func main() {
	stores := flag.String("stores", "sqlite,postgres", "comma-separated stores to measure: sqlite, postgres")
	reads := flag.Int("reads", 50, "reads of each range")
	flag.Parse()
	fmt.Printf("healthbench: a 24 h run of 2 pipelines, %d reads per range, %d cores\n\n", *reads, runtime.NumCPU())
	for _, name := range strings.Split(*stores, ",") {
		if err := benchStore(name, *reads); err != nil {
			fmt.Fprintf(os.Stderr, "healthbench: %s: %v\n", name, err)
			os.Exit(1)
		}
	}
	benchCharts()
	benchMonitor()
}

var ref = health.RunRef{OrgID: "org", WorkflowID: "wf", RunID: "run"}

// values is a realistic point: every series a SINGLE_PIPELINE channel with
// two renditions and one destination records.
func values(i int) map[string]float64 {
	v := map[string]float64{}
	for _, m := range health.Metrics {
		switch m.Per {
		case "rendition":
			v[health.Key(m.Name, "720p")], v[health.Key(m.Name, "360p")] = 2950+float64(i%7), 800
		case "destination":
			v[health.Key(m.Name, "cdn")] = float64(i % 3)
		case "reader":
			for _, r := range []string{"hls", "archive", "encoder", "destination"} {
				v[health.Key(m.Name, r)] = 0
			}
		default:
			v[m.Name] = 1000 + float64(i%100)
		}
	}
	return v
}

func benchStore(name string, reads int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "healthbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dsn := "sqlite://" + filepath.Join(dir, "onair.db")
	if name == "postgres" {
		cl, err := pgtest.StartCluster()
		if err != nil {
			return err
		}
		defer cl.Stop()
		if dsn, err = cl.NewDatabase(); err != nil {
			return err
		}
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC()
	if err := st.CreateWorkflow(ctx, domain.Workflow{ID: "wf", OrgID: "org", Name: "bench", Status: domain.StatusReady, Created: now, Updated: now}); err != nil {
		return err
	}
	if _, err := st.UpdateChannel(ctx, "org", "wf", func(c *domain.Channel) error { return c.RequestStart("run", true, now) }); err != nil {
		return err
	}
	end := now.Truncate(time.Minute)
	start := end.Add(-24 * time.Hour)
	var pts []domain.MetricPoint
	for _, res := range []time.Duration{health.Fine, health.Coarse} {
		for i := range int(24 * time.Hour / res) {
			for p := range 2 {
				pts = append(pts, domain.MetricPoint{OrgID: ref.OrgID, WorkflowID: ref.WorkflowID, RunID: ref.RunID, Pipeline: p,
					Resolution: res, Time: start.Add(time.Duration(i) * res), Values: values(i)})
			}
		}
	}
	began := time.Now()
	for chunk := range slices.Chunk(pts, 360) { // what 30 minutes of two pipelines write
		if err := st.SaveMetricPoints(ctx, chunk); err != nil {
			return err
		}
	}
	took := time.Since(began)
	fmt.Printf("%s: %d rows for the day (%d series each), written in %s (%.0f rows/s)\n", name, len(pts), len(pts[0].Values), took.Round(time.Millisecond), float64(len(pts))/took.Seconds())
	svc := &health.Service{Store: st, Read: func() []health.Reading { return nil }}
	for _, r := range []struct {
		label  string
		period time.Duration
	}{{"24 h", 24 * time.Hour}, {"12 h", 12 * time.Hour}, {"1 h", time.Hour}} {
		var times []time.Duration
		points := 0
		var step time.Duration
		for range reads {
			t0 := time.Now()
			series, res, err := svc.Series(ctx, health.Query{OrgID: "org", WorkflowID: "wf", From: end.Add(-r.period), To: end, Metrics: health.DefaultMetrics, MaxPoints: 1200})
			if err != nil {
				return err
			}
			times = append(times, time.Since(t0))
			step = res
			points = 0
			for _, s := range series {
				points += len(s.Points)
			}
		}
		slices.Sort(times)
		fmt.Printf("  read %-4s of six metrics, two pipelines, at most 1200 points a series: %5d points of %4s, p50 %6.1f ms, p99 %6.1f ms\n", r.label, points,
			step, ms(times[len(times)/2]), ms(times[len(times)*99/100]))
	}
	fmt.Println()
	return nil
}

func benchCharts() {
	end := time.Now().UTC().Truncate(time.Minute)
	c := chart.Chart{Title: "NetworkIn", Unit: "kbps", Width: 600, Height: 400, From: end.Add(-time.Hour), To: end}
	for p := range 2 {
		s := chart.Series{Name: fmt.Sprintf("pipeline %d", p)}
		for i := range 360 {
			s.Points = append(s.Points, chart.Point{T: c.From.Add(time.Duration(i) * 10 * time.Second), V: 2000 + float64(i%17)})
		}
		c.Series = append(c.Series, s)
	}
	const n = 20
	t0 := time.Now()
	size := 0
	for range n * len(health.DefaultMetrics) {
		png, err := chart.PNG(c)
		if err != nil {
			fmt.Fprintln(os.Stderr, "healthbench:", err)
			os.Exit(1)
		}
		size = len(png)
	}
	fmt.Printf("graphs: the six default graphs of an hour of two pipelines at 600x400: %.1f ms (%d KB each)\n", ms(time.Since(t0)/n), size/1024)
}

func benchMonitor() {
	const pipes, seconds = 100, 300
	m, h := health.NewMonitor(), health.NewHistory()
	readings := make([]health.Reading, pipes)
	for i := range readings {
		readings[i] = health.Reading{Ref: health.RunRef{OrgID: "org", WorkflowID: fmt.Sprint("wf", i), RunID: fmt.Sprint("run", i)},
			InBitrate: 4e6, InFrameRate: 30, SourceFrameRate: 30, Publisher: true, QueueDrops: []health.ReaderDrops{{Reader: "source|hls/720p", Kind: "hls"}, {Reader: "source|encoder", Kind: "encoder"}},
			Renditions:   []health.RenditionReading{{Name: "720p", Bitrate: 3e6}, {Name: "360p", Bitrate: 8e5}},
			Destinations: []health.DestinationReading{{ID: "cdn", State: domain.DestinationActive}}}
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap := int64(ms.HeapAlloc)
	at := time.Now()
	t0 := time.Now()
	for range seconds {
		for _, r := range readings {
			f, _ := m.Observe(at, r)
			h.Add(r.Ref, r.Pipeline, f)
		}
		at = at.Add(time.Second)
	}
	per := time.Since(t0) / (pipes * seconds)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	fmt.Printf("monitor: %s per pipeline and second (%d pipelines: %.2f%% of a core); memory %.1f MB for %d pipelines' %d s of frames\n",
		per, pipes, float64(per*pipes)/float64(time.Second)*100, float64(int64(ms.HeapAlloc)-heap)/1e6, pipes, seconds)
	runtime.KeepAlive(m)
	runtime.KeepAlive(h)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
