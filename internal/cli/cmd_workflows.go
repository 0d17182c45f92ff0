package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"onair/internal/api"
	"onair/internal/domain"
)

func workflowsResource() resource {
	return resource{
		name:    "workflows",
		summary: "A workflow is a blueprint snapshot with a name, region and tags; it runs once. Duplicate it to run again.",
		verbs: []verb{
			{name: "list", synopsis: "[--tags a,b] [--status READY,DONE] [--search text] [--limit N] [--next CURSOR]",
				summary: "list workflows, newest first", setup: setupListWorkflows},
			{name: "get", synopsis: "<id>", summary: "show a workflow",
				setup: func(*flag.FlagSet) runFunc { return getWorkflow }},
			{name: "create", synopsis: "--blueprint ID --name NAME [--description D] [--region R] [--tags a,b] [--no-archives] | -f FILE.json|-",
				summary: "create a READY workflow from a blueprint, or from a JSON body; prints its id", setup: setupCreateWorkflow},
			{name: "duplicate", synopsis: "<id>", summary: "copy a workflow into a new READY one (the way to run it again); prints its id",
				setup: func(*flag.FlagSet) runFunc { return duplicateWorkflow }},
			{name: "delete", synopsis: "<id>", summary: "delete a workflow that is not running",
				setup: func(*flag.FlagSet) runFunc { return deleteWorkflow }},
			{name: "schedule", synopsis: "<id> --start TIME --duration MIN [--every day|mon,wed --until DATE] | --clear",
				summary: "set when a workflow runs (times in UTC), or clear its schedule; prints the schedule and the next run",
				setup:   setupScheduleWorkflow},
		},
	}
}

func setupListWorkflows(fs *flag.FlagSet) runFunc {
	tags := fs.String("tags", "", "only workflows with all of these comma-separated tags")
	status := fs.String("status", "", "only workflows with any of these comma-separated statuses, e.g. READY,DONE")
	search := fs.String("search", "", "only workflows with this text in the name or description")
	page := pagingFlags(fs)
	return func(ctx context.Context, s *session, args []string) error {
		if err := exactArgs(args); err != nil {
			return err
		}
		q := url.Values{}
		setQuery(q, "tags", strings.Join(splitComma(*tags), ","))
		setQuery(q, "status", strings.Join(splitComma(*status), ","))
		setQuery(q, "search", *search)
		page.set(q)
		var list api.WorkflowList
		if done, err := getList(ctx, s, "/api/workflows", q, &list); done || err != nil {
			return err
		}
		if len(list.Items) == 0 {
			fmt.Fprintln(s.stdout, "no workflows")
			return nil
		}
		t := newTable(s.stdout, "ID", "NAME", "STATUS", "BLUEPRINT", "REGION", "TAGS", "CREATED")
		for _, w := range list.Items {
			t.row(w.ID, w.Name, string(w.Status), w.BlueprintID, w.Region, fmtTags(w.Tags), fmtTime(w.Created))
		}
		if err := t.flush(); err != nil {
			return err
		}
		moreHint(s.stdout, list.Next)
		return nil
	}
}

func setQuery(q url.Values, key, v string) {
	if v != "" {
		q.Set(key, v)
	}
}

func getWorkflow(ctx context.Context, s *session, args []string) error {
	var w domain.Workflow
	if done, err := getOne(ctx, s, args, "/api/workflows", "<id>", &w); done || err != nil {
		return err
	}
	d := newDetails(s.stdout)
	d.add("id", w.ID)
	d.add("name", w.Name)
	d.add("description", w.Description)
	d.add("status", string(w.Status))
	if w.Cause != "" {
		d.add("cause", w.Cause)
	}
	d.add("region", w.Region)
	d.add("tags", fmtTags(w.Tags))
	archives := "off"
	if w.CreateArchives {
		archives = "recorded"
	}
	d.add("archives", archives)
	d.add("schedule", fmtSchedule(w.Schedule))
	if w.NextRun != nil {
		d.add("next run", fmtUTC(*w.NextRun))
	}
	d.add("run", w.RunID)
	d.add("created", fmtTime(w.Created))
	d.add("updated", fmtTime(w.Updated))
	d.add("blueprint", strings.TrimSpace(w.BlueprintID+"  "+w.Blueprint.Name))
	addSettings(d, w.Blueprint.Settings)
	return d.flush()
}

func fmtSchedule(sc *domain.Schedule) string {
	if sc.IsEmpty() {
		return "none"
	}
	out := fmt.Sprintf("%s for %d min", sc.StartDateTime, sc.Duration)
	if r := sc.Recurrence; r != nil {
		out += ", every " + strings.ToLower(r.Unit)
		if len(r.Days) > 0 {
			out += " on " + strings.Join(r.Days, ",")
		}
		out += " through " + r.EndDate
	}
	return out
}

func setupCreateWorkflow(fs *flag.FlagSet) runFunc {
	blueprint := fs.String("blueprint", "", "the blueprint `ID` to create from (onair blueprints list)")
	name := fs.String("name", "", "the workflow's name")
	description := fs.String("description", "", "the workflow's description")
	region := fs.String("region", "", "a region; the server's default when empty")
	tags := fs.String("tags", "", "comma-separated tags")
	noArchives := fs.Bool("no-archives", false, "do not record the run")
	file := fs.String("f", "", "post this JSON `file` as the body instead (- for stdin)")
	return func(ctx context.Context, s *session, args []string) error {
		if err := exactArgs(args); err != nil {
			return err
		}
		var body any
		switch {
		case *file != "" && *blueprint != "":
			return usagef("give either --blueprint or -f, not both")
		case *file != "":
			raw, err := readBody(*file)
			if err != nil {
				return err
			}
			body = raw
		case *blueprint == "":
			return usagef("missing --blueprint ID (or -f FILE.json)")
		case *name == "":
			return usagef("missing --name")
		default:
			var b domain.Blueprint
			if _, err := s.api.get(ctx, pathID("/api/blueprints", *blueprint), nil, &b); err != nil {
				return err
			}
			archives := !*noArchives
			body = domain.WorkflowSpec{
				Name: *name, Description: *description, Region: *region,
				Blueprint: &b, Tags: splitComma(*tags), CreateArchives: &archives,
			}
		}
		var id api.IDResponse
		raw, err := s.api.send(ctx, http.MethodPost, "/api/workflows", body, &id)
		if err != nil {
			return err
		}
		return printID(s, raw, id)
	}
}

// readBody reads a request body from a file, or from stdin for "-".
func readBody(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(os.Stdin, maxResponse))
	}
	return os.ReadFile(name)
}

// printID prints a new object's id alone, so that scripts can capture it.
func printID(s *session, raw []byte, id api.IDResponse) error {
	if s.json {
		return printJSON(s.stdout, raw)
	}
	_, err := fmt.Fprintln(s.stdout, id.ID)
	return err
}

func duplicateWorkflow(ctx context.Context, s *session, args []string) error {
	if err := exactArgs(args, "<id>"); err != nil {
		return err
	}
	var id api.IDResponse
	raw, err := s.api.send(ctx, http.MethodPost, pathID("/api/workflows", args[0])+"/duplicate", nil, &id)
	if err != nil {
		return err
	}
	return printID(s, raw, id)
}

func deleteWorkflow(ctx context.Context, s *session, args []string) error {
	if err := exactArgs(args, "<id>"); err != nil {
		return err
	}
	if _, err := s.api.do(ctx, http.MethodDelete, pathID("/api/workflows", args[0]), nil, nil); err != nil {
		return err
	}
	if !s.json { // the API answers 204 without a body: nothing to print as JSON
		fmt.Fprintln(s.stdout, "deleted", args[0])
	}
	return nil
}
