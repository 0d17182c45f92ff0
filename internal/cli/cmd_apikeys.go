package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"

	"onair/internal/api"
	"onair/internal/domain"
)

func apiKeysResource() resource {
	return resource{
		name: "api-keys",
		summary: "An API key is a server-to-server credential of your organization, sent as the x-api-key header\n" +
			"(--api-key or ONAIR_API_KEY here). It has full access within the organization until it is disabled or deleted.",
		verbs: []verb{
			{name: "create", synopsis: "--name NAME", summary: "issue a key; prints its id and its value, which is shown only this once",
				setup: setupCreateAPIKey},
			{name: "list", summary: "list the organization's keys, without their values",
				setup: func(*flag.FlagSet) runFunc { return listAPIKeys }},
			{name: "disable", synopsis: "<id>", summary: "refuse the key from the next request on, keeping it to enable again",
				setup: func(*flag.FlagSet) runFunc { return enableAPIKey(false) }},
			{name: "enable", synopsis: "<id>", summary: "accept a disabled key again",
				setup: func(*flag.FlagSet) runFunc { return enableAPIKey(true) }},
			{name: "delete", synopsis: "<id>", summary: "revoke a key for good",
				setup: func(*flag.FlagSet) runFunc { return deleteAPIKey }},
		},
	}
}

func setupCreateAPIKey(fs *flag.FlagSet) runFunc {
	name := fs.String("name", "", "a label for the key, such as the system that will use it")
	return func(ctx context.Context, s *session, args []string) error {
		if err := exactArgs(args); err != nil {
			return err
		}
		if *name == "" {
			return usagef("missing --name")
		}
		var k api.APIKeyCreated
		raw, err := s.api.send(ctx, http.MethodPost, "/api/api-keys", api.NewAPIKey{Name: *name}, &k)
		if err != nil {
			return err
		}
		if s.json {
			return printJSON(s.stdout, raw)
		}
		return printNewKey(s.stdout, k.ID, k.Name, k.Value, nil)
	}
}

// printNewKey shows a key that was just made, with its value, and says that
// the value cannot be shown again. extra adds lines before the value.
func printNewKey(w io.Writer, id, name, value string, extra func(*details)) error {
	d := newDetails(w)
	d.add("id", id)
	d.add("name", name)
	if extra != nil {
		extra(d)
	}
	d.add("value", value)
	if err := d.flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "The value is shown only this once: onair keeps only its hash. Send it as the x-api-key header (--api-key or ONAIR_API_KEY).")
	return err
}

func listAPIKeys(ctx context.Context, s *session, args []string) error {
	if err := exactArgs(args); err != nil {
		return err
	}
	var list api.APIKeyList
	raw, err := s.api.get(ctx, "/api/api-keys", nil, &list)
	if err != nil {
		return err
	}
	if s.json {
		return printJSON(s.stdout, raw)
	}
	if len(list.Items) == 0 {
		fmt.Fprintln(s.stdout, "no API keys")
		return nil
	}
	t := newTable(s.stdout, "ID", "NAME", "ENABLED", "CREATED")
	for _, k := range list.Items {
		t.row(k.ID, k.Name, yesNo(k.Enabled), fmtTime(k.Created))
	}
	return t.flush()
}

func enableAPIKey(enabled bool) runFunc {
	return func(ctx context.Context, s *session, args []string) error {
		if err := exactArgs(args, "<id>"); err != nil {
			return err
		}
		var k domain.APIKey
		raw, err := s.api.send(ctx, http.MethodPut, pathID("/api/api-keys", args[0]), api.APIKeyChange{Enabled: &enabled}, &k)
		if err != nil {
			return err
		}
		if s.json {
			return printJSON(s.stdout, raw)
		}
		done := "disabled"
		if k.Enabled {
			done = "enabled"
		}
		_, err = fmt.Fprintln(s.stdout, done, k.ID)
		return err
	}
}

func deleteAPIKey(ctx context.Context, s *session, args []string) error {
	if err := exactArgs(args, "<id>"); err != nil {
		return err
	}
	if _, err := s.api.do(ctx, http.MethodDelete, pathID("/api/api-keys", args[0]), nil, nil); err != nil {
		return err
	}
	if !s.json { // the API answers 204 without a body: nothing to print as JSON
		fmt.Fprintln(s.stdout, "deleted", args[0])
	}
	return nil
}
