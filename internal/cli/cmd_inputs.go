package cli

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"onair/internal/api"
	"onair/internal/domain"
)

func inputsResource() resource {
	return resource{
		name: "inputs",
		summary: "A managed input keeps its endpoint (URL and stream key) across runs and restarts; one run at a time uses it.\n" +
			`Use it in a blueprint's settings.inputs as {"managedInput": {"id": "<id>"}} instead of createInput.`,
		verbs: []verb{
			{name: "list", synopsis: "[--region R]", summary: "list managed inputs, newest first, with their endpoints",
				setup: setupListInputs},
			{name: "create", synopsis: "--name NAME [--class SINGLE_PIPELINE|STANDARD] [--region R]",
				summary: "create a managed input; prints its id and endpoints", setup: setupCreateInput},
			{name: "delete", synopsis: "<id>", summary: "delete a managed input that no running workflow uses",
				setup: func(*flag.FlagSet) runFunc { return deleteInput }},
		},
	}
}

func setupListInputs(fs *flag.FlagSet) runFunc {
	region := fs.String("region", "", "only the inputs of this region")
	return func(ctx context.Context, s *session, args []string) error {
		if err := exactArgs(args); err != nil {
			return err
		}
		q := url.Values{}
		setQuery(q, "region", *region)
		var list api.ManagedInputList
		raw, err := s.api.get(ctx, "/api/managed-inputs", q, &list)
		if err != nil {
			return err
		}
		if s.json {
			return printJSON(s.stdout, raw)
		}
		if len(list.Items) == 0 {
			fmt.Fprintln(s.stdout, "no managed inputs")
			return nil
		}
		t := newTable(s.stdout, "ID", "NAME", "CLASS", "STATUS", "ENDPOINTS")
		for _, in := range list.Items {
			t.row(in.ID, in.Name, string(in.Class), inputStatus(in), strings.Join(in.Endpoints, " "))
		}
		return t.flush()
	}
}

// inputStatus names the workflow that holds an input in use, which is what a
// refused start or delete sends the user looking for.
func inputStatus(in api.ManagedInputInfo) string {
	if in.WorkflowID != "" {
		return in.Status + " by " + in.WorkflowID
	}
	return in.Status
}

func setupCreateInput(fs *flag.FlagSet) runFunc {
	name := fs.String("name", "", "the input's name")
	class := fs.String("class", "", "`CLASS`: SINGLE_PIPELINE (one endpoint; the default) or STANDARD (main and backup)")
	region := fs.String("region", "", "a region; the server's default when empty")
	return func(ctx context.Context, s *session, args []string) error {
		if err := exactArgs(args); err != nil {
			return err
		}
		if *name == "" {
			return usagef("missing --name")
		}
		spec := domain.ManagedInputSpec{
			Name: *name, Type: domain.InputTypeRTMPPush, Region: *region,
			Class: domain.ChannelClass(strings.ToUpper(*class)),
		}
		var in api.ManagedInputInfo
		raw, err := s.api.send(ctx, http.MethodPost, "/api/managed-inputs", spec, &in)
		if err != nil {
			return err
		}
		if s.json {
			return printJSON(s.stdout, raw)
		}
		// The endpoints are what the user creates an input for: show them at
		// once, labelled as in "channels get".
		d := newDetails(s.stdout)
		d.add("id", in.ID)
		d.add("name", in.Name)
		d.add("region", in.Region)
		d.add("class", string(in.Class))
		for i, u := range in.Endpoints {
			d.add(inputLabel(0, 1, i, len(in.Endpoints)), u)
		}
		return d.flush()
	}
}

func deleteInput(ctx context.Context, s *session, args []string) error {
	if err := exactArgs(args, "<id>"); err != nil {
		return err
	}
	if _, err := s.api.do(ctx, http.MethodDelete, pathID("/api/managed-inputs", args[0]), nil, nil); err != nil {
		return err
	}
	if !s.json { // the API answers 204 without a body: nothing to print as JSON
		fmt.Fprintln(s.stdout, "deleted", args[0])
	}
	return nil
}
