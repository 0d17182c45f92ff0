package cli

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"onair/internal/api"
)

func channelsResource() resource {
	return resource{
		name:    "channels",
		summary: "A channel is a workflow's run: start and stop it, and see its status, endpoints and archives.",
		verbs: []verb{
			{name: "start", synopsis: "<workflowId>...", summary: "start READY workflows; exits 1 if any was refused",
				setup: func(*flag.FlagSet) runFunc { return changeChannels(http.MethodPost, "start") }},
			{name: "stop", synopsis: "<workflowId>...", summary: "stop starting or running workflows; exits 1 if any was refused",
				setup: func(*flag.FlagSet) runFunc { return changeChannels(http.MethodDelete, "stop") }},
			{name: "list", synopsis: "[--workflow ID] [--limit N] [--next CURSOR]", summary: "list channel runs, newest first",
				setup: setupListChannels},
			{name: "get", synopsis: "<workflowId>", summary: "show a workflow's current run: status, times, endpoints, archives",
				setup: func(*flag.FlagSet) runFunc { return getChannel }},
		},
	}
}

// changeChannels starts or stops the named workflows in one request. The API
// accepts each on its own, so some may be refused while others go ahead.
func changeChannels(method, action string) runFunc {
	return func(ctx context.Context, s *session, args []string) error {
		if len(args) == 0 {
			return usagef("missing <workflowId>")
		}
		var res api.ChannelsResult
		raw, err := s.api.send(ctx, method, "/api/channels", api.WorkflowIDs{Workflows: args}, &res)
		if err != nil {
			return err
		}
		if s.json {
			err = printJSON(s.stdout, raw)
		} else {
			for _, it := range res.Items {
				fmt.Fprintf(s.stdout, "%s requested: %s\n", action, it.WorkflowID)
			}
			for _, f := range res.Failed {
				fmt.Fprintf(s.stderr, "onair: cannot %s %s: %s\n", action, f.WorkflowID, f.Message)
			}
		}
		if err == nil && len(res.Failed) > 0 {
			err = errReported
		}
		return err
	}
}

func setupListChannels(fs *flag.FlagSet) runFunc {
	workflow := fs.String("workflow", "", "only this workflow's runs")
	page := pagingFlags(fs)
	return func(ctx context.Context, s *session, args []string) error {
		if err := exactArgs(args); err != nil {
			return err
		}
		q := url.Values{}
		setQuery(q, "workflowId", *workflow)
		page.set(q)
		var list api.ChannelList
		if done, err := getList(ctx, s, "/api/channels", q, &list); done || err != nil {
			return err
		}
		if len(list.Items) == 0 {
			fmt.Fprintln(s.stdout, "no channel runs")
			return nil
		}
		t := newTable(s.stdout, "WORKFLOW", "RUN", "STATUS", "STARTED", "STOPPED")
		for _, c := range list.Items {
			t.row(c.ID, c.RunID, string(c.Status), fmtTimePtr(c.StartedDateTime), fmtTimePtr(c.StoppedDateTime))
		}
		if err := t.flush(); err != nil {
			return err
		}
		moreHint(s.stdout, list.Next)
		return nil
	}
}

func getChannel(ctx context.Context, s *session, args []string) error {
	var c api.ChannelInfo
	if done, err := getOne(ctx, s, args, "/api/channels", "<workflowId>", &c); done || err != nil {
		return err
	}
	d := newDetails(s.stdout)
	d.add("workflow", c.ID)
	d.add("name", c.Name)
	d.add("region", c.Region)
	d.add("status", string(c.Status))
	if c.Cause != "" {
		d.add("cause", c.Cause)
	}
	if c.RunID == "" {
		d.add("run", "never started")
		return d.flush()
	}
	d.add("run", c.RunID)
	d.add("start requested", fmtTimePtr(c.StartRequestedDateTime))
	d.add("started", fmtTimePtr(c.StartedDateTime))
	d.add("stop requested", fmtTimePtr(c.StopRequestedDateTime))
	d.add("stopped", fmtTimePtr(c.StoppedDateTime))
	for i, in := range c.Endpoints.Input {
		for j, u := range in.Endpoints {
			d.add(inputLabel(i, len(c.Endpoints.Input), j, len(in.Endpoints)), u)
		}
	}
	for _, o := range c.Endpoints.Output {
		d.add("playback "+o.Type, o.URL)
	}
	if len(c.Endpoints.Input) == 0 && c.Status.Active() {
		d.add("ingest", "not allocated yet")
	}
	if len(c.Archives) == 0 {
		d.add("archives", "none")
	}
	for _, a := range c.Archives {
		desc := fmt.Sprintf("%s, %s", fmtBytes(a.FileSize), fmtSeconds(a.Duration))
		if a.DownloadURL != "" {
			desc += ", " + a.DownloadURL
		} else if a.PlaylistURL != "" {
			desc += ", " + a.PlaylistURL
		}
		d.add("archive "+a.ID, desc)
	}
	return d.flush()
}

// inputLabel names an ingest URL: "ingest" for a single-pipeline channel,
// "ingest main" and "ingest backup" for a STANDARD one.
func inputLabel(input, inputs, endpoint, endpoints int) string {
	label := "ingest"
	if inputs > 1 {
		label += " " + strconv.Itoa(input+1)
	}
	switch {
	case endpoints == 2 && endpoint == 0:
		label += " main"
	case endpoints == 2 && endpoint == 1:
		label += " backup"
	case endpoints > 2:
		label += " " + strconv.Itoa(endpoint+1)
	}
	return label
}
