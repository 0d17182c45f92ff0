package grafana

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const (
	dashboardFile = "onair.json"
	schemaFile    = "dashboard.schema.json"
	// sourcesDir holds the Go code that exports onair's metrics.
	sourcesDir = "../../internal"
	// datasourceUID is what every panel and query names as its data source:
	// the dashboard's datasource variable, so that it works with any
	// Prometheus data source it is imported into.
	datasourceUID = "${datasource}"
	gridColumns   = 24
)

// The parts of the dashboard model the checks below read.
type (
	dashboard struct {
		Templating struct {
			List []variable `json:"list"`
		} `json:"templating"`
		Panels []panel `json:"panels"`
	}
	variable struct {
		Name       string          `json:"name"`
		Type       string          `json:"type"`
		Multi      bool            `json:"multi"`
		IncludeAll bool            `json:"includeAll"`
		Definition string          `json:"definition"`
		Query      json.RawMessage `json:"query"`
		Datasource json.RawMessage `json:"datasource"`
	}
	panel struct {
		ID          int      `json:"id"`
		Type        string   `json:"type"`
		Title       string   `json:"title"`
		GridPos     gridPos  `json:"gridPos"`
		Datasource  *dsRef   `json:"datasource"`
		Targets     []target `json:"targets"`
		Collapsed   bool     `json:"collapsed"`
		Panels      []panel  `json:"panels"`
		FieldConfig struct {
			Defaults struct {
				Unit string `json:"unit"`
			} `json:"defaults"`
		} `json:"fieldConfig"`
	}
	gridPos struct {
		H, W, X, Y int
	}
	dsRef struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
	target struct {
		RefID      string `json:"refId"`
		Expr       string `json:"expr"`
		Datasource *dsRef `json:"datasource"`
	}
)

func (p panel) String() string { return fmt.Sprintf("panel %d %q", p.ID, p.Title) }

func (d *dsRef) String() string {
	if d == nil {
		return "none"
	}
	return fmt.Sprintf("{%s %s}", d.Type, d.UID)
}

// metricKind says which suffixed series a name also exports.
type metricKind int

const (
	plain metricKind = iota
	summary
	histogram
)

var (
	descName  = regexp.MustCompile(`prometheus\.NewDesc\(\s*"([^"]+)"`)
	optsName  = regexp.MustCompile(`\bName:\s*"([^"]+)"`)
	histoName = regexp.MustCompile(`(?s)prometheus\.(Histogram|Summary)Opts\{[^{}]*?\bName:\s*"([^"]+)"`)
	// identifier is a PromQL name; the ones starting with onair_ are metrics.
	identifier = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	metricOK   = regexp.MustCompile(`^onair_[a-z0-9_]+$`)
)

// exportedMetrics returns the metric names the Go sources under dir register.
func exportedMetrics(t *testing.T, dir string) map[string]metricKind {
	t.Helper()
	names, err := scanMetrics(dir)
	if err != nil {
		t.Fatalf("scanning %s: %v", dir, err)
	}
	// Guard against a scan that silently finds nothing (a moved directory, a
	// renamed constructor), which would make every name look unknown.
	if _, ok := names["onair_pipeline_up"]; !ok || len(names) < 10 {
		t.Fatalf("scanning %s found only %d metric names (%v): fix scanMetrics", dir, len(names), slices.Sorted(maps.Keys(names)))
	}
	return names
}

// scanMetrics scans the Go sources under dir (tests excepted) for the metric
// names they register: prometheus.NewDesc("NAME", ...) and the Name of metric
// options, noting the histograms and summaries.
func scanMetrics(dir string) (map[string]metricKind, error) {
	names := map[string]metricKind{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, re := range []*regexp.Regexp{descName, optsName} {
			for _, m := range re.FindAllSubmatch(src, -1) {
				if n := string(m[1]); metricOK.MatchString(n) {
					if _, ok := names[n]; !ok {
						names[n] = plain
					}
				}
			}
		}
		for _, m := range histoName.FindAllSubmatch(src, -1) {
			kind := summary
			if string(m[1]) == "Histogram" {
				kind = histogram
			}
			names[string(m[2])] = kind
		}
		return nil
	})
	return names, err
}

// metricsIn returns the onair metric names a PromQL expression reads, with the
// _bucket, _sum and _count series of histograms (and _sum, _count of
// summaries) named by their metric. A name that is not exported stays
// as written.
func metricsIn(expr string, exported map[string]metricKind) []string {
	var out []string
	for _, id := range identifier.FindAllString(expr, -1) {
		if !strings.HasPrefix(id, "onair_") {
			continue
		}
		out = append(out, resolve(id, exported))
	}
	return out
}

func resolve(name string, exported map[string]metricKind) string {
	if _, ok := exported[name]; ok {
		return name
	}
	for suffix, needs := range map[string]metricKind{"_bucket": histogram, "_sum": summary, "_count": summary} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if kind, ok := exported[base]; ok && kind >= needs {
				return base
			}
		}
	}
	return name
}

// lint checks what the schema cannot: unique panel ids, a layout without
// overlaps inside the 24 columns, data sources, refIds, units and the metric
// names of the queries. It returns one line per problem.
func lint(d dashboard, exported map[string]metricKind) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	var all []panel
	for _, p := range d.Panels {
		all = append(all, p)
		all = append(all, p.Panels...) // a collapsed row's panels
	}

	ids := map[int]panel{}
	for _, p := range all {
		if q, dup := ids[p.ID]; dup {
			bad("%v: duplicate panel id (also %v)", p, q)
		}
		ids[p.ID] = p
	}

	layout(d.Panels, "dashboard", bad)
	for _, p := range d.Panels {
		if p.Type == "row" && len(p.Panels) > 0 {
			layout(p.Panels, p.String(), bad)
		}
	}

	isVar := func(ds *dsRef) bool { return ds != nil && ds.Type == "prometheus" && ds.UID == datasourceUID }
	for _, p := range all {
		if p.Type == "row" {
			if p.Datasource != nil && !isVar(p.Datasource) {
				bad("%v: datasource %v, want {prometheus %s}", p, p.Datasource, datasourceUID)
			}
			if len(p.Targets) > 0 {
				bad("%v: a row has no queries", p)
			}
			continue
		}
		if !isVar(p.Datasource) {
			bad("%v: panel datasource %v, want {prometheus %s}", p, p.Datasource, datasourceUID)
		}
		if p.Type != "text" && p.FieldConfig.Defaults.Unit == "" {
			bad("%v: no fieldConfig.defaults.unit", p)
		}
		refIDs := map[string]bool{}
		for i, tg := range p.Targets {
			if !isVar(tg.Datasource) {
				bad("%v: target %d (%s) datasource %v, want {prometheus %s}", p, i, tg.RefID, tg.Datasource, datasourceUID)
			}
			if tg.RefID == "" || refIDs[tg.RefID] {
				bad("%v: target %d has an empty or repeated refId %q", p, i, tg.RefID)
			}
			refIDs[tg.RefID] = true
			for _, m := range metricsIn(tg.Expr, exported) {
				if _, ok := exported[m]; !ok {
					bad("%v: target %s uses %s, which onair does not export", p, tg.RefID, m)
				}
			}
		}
	}

	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
		if v.Type != "query" {
			continue
		}
		var ds dsRef
		if json.Unmarshal(v.Datasource, &ds) != nil || !isVar(&ds) {
			bad("variable %s: datasource %s, want {prometheus %s}", v.Name, v.Datasource, datasourceUID)
		}
		for _, m := range metricsIn(v.Definition+" "+string(v.Query), exported) {
			if _, ok := exported[m]; !ok {
				bad("variable %s uses %s, which onair does not export", v.Name, m)
			}
		}
	}
	if v := vars["datasource"]; v.Type != "datasource" || !bytes.Equal(v.Query, []byte(`"prometheus"`)) {
		bad("variable datasource: want a prometheus datasource variable, have type %q query %s", v.Type, v.Query)
	}
	for _, name := range []string{"workflow", "pipeline"} {
		if v := vars[name]; v.Type != "query" || !v.Multi || !v.IncludeAll {
			bad("variable %s: want a multi-value query variable with All, have type %q multi %v includeAll %v", name, v.Type, v.Multi, v.IncludeAll)
		}
	}
	return problems
}

// layout checks that panels fit the grid and that no two of them overlap.
func layout(panels []panel, where string, bad func(string, ...any)) {
	for i, p := range panels {
		g := p.GridPos
		if g.X < 0 || g.Y < 0 || g.W < 1 || g.H < 1 || g.X+g.W > gridColumns {
			bad("%s: %v at %+v is outside the %d columns", where, p, g, gridColumns)
		}
		for _, q := range panels[:i] {
			h := q.GridPos
			if g.X < h.X+h.W && h.X < g.X+g.W && g.Y < h.Y+h.H && h.Y < g.Y+g.H {
				bad("%s: %v at %+v overlaps %v at %+v", where, p, g, q, h)
			}
		}
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	sch, err := c.Compile(schemaFile)
	if err != nil {
		t.Fatalf("compiling %s: %v", schemaFile, err)
	}
	return sch
}

func validate(sch *jsonschema.Schema, raw []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

func decode(t *testing.T, raw []byte) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("decoding the dashboard: %v", err)
	}
	return d
}

func readDashboard(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestDashboard(t *testing.T) {
	raw := readDashboard(t)
	if err := validate(compileSchema(t), raw); err != nil {
		t.Errorf("%s does not follow %s:\n%v", dashboardFile, schemaFile, err)
	}

	exported := exportedMetrics(t, sourcesDir)

	d := decode(t, raw)
	for _, p := range lint(d, exported) {
		t.Error(p)
	}

	used := map[string]bool{}
	n := 0
	for _, p := range d.Panels {
		for _, q := range append([]panel{p}, p.Panels...) {
			n++
			for _, tg := range q.Targets {
				for _, m := range metricsIn(tg.Expr, exported) {
					used[m] = true
				}
			}
		}
	}
	t.Logf("%d panels use %d metrics; %d exported by %s", n, len(used), len(exported), sourcesDir)
}

// TestChecksCatchMistakes breaks copies of the dashboard and shows that the
// schema or lint rejects each.
func TestChecksCatchMistakes(t *testing.T) {
	raw := readDashboard(t)
	sch := compileSchema(t)
	exported := exportedMetrics(t, sourcesDir)

	type doc = map[string]any
	panelsOf := func(d doc) []any { return d["panels"].([]any) }
	// firstOf returns the first top-level panel of type typ.
	firstOf := func(d doc, typ string) doc {
		for _, p := range panelsOf(d) {
			if p := p.(doc); p["type"] == typ {
				return p
			}
		}
		t.Fatalf("no %s panel", typ)
		return nil
	}
	firstTarget := func(d doc) doc { return firstOf(d, "timeseries")["targets"].([]any)[0].(doc) }
	clone := func(v doc) doc {
		b, _ := json.Marshal(v)
		var c doc
		_ = json.Unmarshal(b, &c)
		return c
	}

	unknownMetric := func(d doc) {
		firstTarget(d)["expr"] = `rate(onair_no_such_metric_total{workflow=~"$workflow"}[$__rate_interval])`
	}
	overlap := func(d doc) {
		p := clone(firstOf(d, "timeseries"))
		p["id"] = 1000.0
		d["panels"] = append(panelsOf(d), p)
	}
	noType := func(d doc) { delete(firstOf(d, "stat"), "type") }

	cases := []struct {
		name   string
		break_ func(d doc)
		schema string   // a part of the schema error; "" when the schema accepts the change
		lint   []string // parts of lint problems; none when lint finds nothing
	}{
		{"unknown metric", unknownMetric, "", []string{"onair_no_such_metric_total, which onair does not export"}},
		{"overlapping panel", overlap, "", []string{`panel 1000 "Pipelines up" at {H:8 W:12 X:0 Y:5} overlaps`}},
		{"panel without type", noType, "at '/panels/1': missing property 'type'", nil},
		{"all three at once", func(d doc) { unknownMetric(d); overlap(d); noType(d) },
			"missing property 'type'", []string{"onair_no_such_metric_total", "overlaps"}},
		{"histogram suffix on a gauge", func(d doc) {
			firstTarget(d)["expr"] = "onair_workflows_count"
		}, "", []string{"onair_workflows_count, which onair does not export"}},
		{"unknown panel type", func(d doc) {
			firstOf(d, "stat")["type"] = "graph"
		}, "at '/panels/1/type': value must be one of", nil},
		{"duplicate panel id", func(d doc) {
			firstOf(d, "stat")["id"] = firstOf(d, "timeseries")["id"]
		}, "", []string{"duplicate panel id"}},
		{"wider than the grid", func(d doc) {
			g := firstOf(d, "timeseries")["gridPos"].(doc)
			g["x"], g["w"] = 20.0, 12.0
		}, "gridPos/x': maximum: got 20, want 12", []string{"outside the 24 columns"}},
		{"fixed datasource", func(d doc) {
			firstTarget(d)["datasource"] = doc{"type": "prometheus", "uid": "PBFA97CFB590B2093"}
		}, "", []string{"datasource {prometheus PBFA97CFB590B2093}, want {prometheus ${datasource}}"}},
		{"target without datasource", func(d doc) {
			delete(firstTarget(d), "datasource")
		}, "", []string{"datasource none, want"}},
		{"repeated refId", func(d doc) {
			p := firstOf(d, "timeseries")
			p["targets"] = append(p["targets"].([]any), clone(p["targets"].([]any)[0].(doc)))
		}, "", []string{`repeated refId "A"`}},
		{"panel without unit", func(d doc) {
			delete(firstOf(d, "timeseries")["fieldConfig"].(doc)["defaults"].(doc), "unit")
		}, "", []string{"no fieldConfig.defaults.unit"}},
		{"prometheus target without expr", func(d doc) {
			delete(firstTarget(d), "expr")
		}, "missing property 'expr'", nil},
		{"old schemaVersion", func(d doc) {
			d["schemaVersion"] = 27.0
		}, "at '/schemaVersion': minimum: got 27, want 36", nil},
		{"no uid", func(d doc) {
			delete(d, "uid")
		}, "missing property 'uid'", nil},
		{"unknown variable type", func(d doc) {
			d["templating"].(doc)["list"].([]any)[1].(doc)["type"] = "dropdown"
		}, "at '/templating/list/1/type': value must be one of", []string{"variable workflow: want a multi-value query variable"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d doc
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatal(err)
			}
			c.break_(d)
			broken, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}

			err = validate(sch, broken)
			switch {
			case c.schema == "" && err != nil:
				t.Errorf("the schema rejects it: %v", err)
			case c.schema != "" && err == nil:
				t.Errorf("the schema accepts it, want an error about %q", c.schema)
			case c.schema != "" && !strings.Contains(err.Error(), c.schema):
				t.Errorf("schema error %v, want one about %q", err, c.schema)
			case err != nil:
				t.Logf("schema: %v", err)
			}

			problems := lint(decode(t, broken), exported)
			if len(c.lint) == 0 && len(problems) > 0 {
				t.Errorf("lint reports %q, want nothing", problems)
			}
			for _, want := range c.lint {
				if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
					t.Errorf("lint reports %q, want a problem about %q", problems, want)
				}
			}
			if len(problems) > 0 {
				t.Logf("lint: %s", strings.Join(problems, "; "))
			}
		})
	}
}

// TestScanMetrics shows what the source scan finds and what it skips, and how
// histogram series resolve to their metric.
func TestScanMetrics(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.go", `package a
var d = prometheus.NewDesc("onair_a_up", "Up.", nil, nil)
var h = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "onair_a_seconds",
	Buckets: []float64{1, 2},
}, nil)
var s = prometheus.NewSummary(prometheus.SummaryOpts{Name: "onair_a_size"})
var c = prometheus.NewCounter(prometheus.CounterOpts{Name: "onair_a_total"})
var o = openapi.Param{Name: "workflowId"}
`)
	write("a_test.go", `package a
var d = prometheus.NewDesc("onair_only_in_tests", "", nil, nil)
`)
	names, err := scanMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]metricKind{"onair_a_up": plain, "onair_a_seconds": histogram, "onair_a_size": summary, "onair_a_total": plain}
	if !maps.Equal(names, want) {
		t.Errorf("scanMetrics = %v, want %v", names, want)
	}
	for in, out := range map[string]string{
		"onair_a_seconds_bucket": "onair_a_seconds",
		"onair_a_seconds_sum":    "onair_a_seconds",
		"onair_a_seconds_count":  "onair_a_seconds",
		"onair_a_size_count":     "onair_a_size",
		"onair_a_size_bucket":    "onair_a_size_bucket", // a summary has no buckets
		"onair_a_up_count":       "onair_a_up_count",    // nor has a gauge a count
		"onair_a_total":          "onair_a_total",
	} {
		if got := resolve(in, names); got != out {
			t.Errorf("resolve(%s) = %s, want %s", in, got, out)
		}
	}
	got := metricsIn(`sum by (le) (rate(onair_a_seconds_bucket{route="onair_x"}[5m])) / onair_a_up`, names)
	if want := []string{"onair_a_seconds", "onair_x", "onair_a_up"}; !slices.Equal(got, want) {
		t.Errorf("metricsIn = %v, want %v", got, want)
	}
}
