package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"
)

// defaultServer is where the client looks for the API when neither --server nor
// ONAIR_SERVER says otherwise: the address `onair serve` listens on by default.
const defaultServer = "http://localhost:8080"

// resource is one noun of the client, such as workflows, with its verbs.
type resource struct {
	name    string
	summary string
	verbs   []verb
}

// verb is one action on a resource. setup declares the verb's own flags on fs and
// returns what runs once they are parsed, with the positional arguments.
type verb struct {
	name     string
	synopsis string // what follows "onair <resource> <verb>"
	summary  string
	setup    func(fs *flag.FlagSet) runFunc
	// globals are the global flags the verb takes; nil means all of them.
	globals []string
	// anonymous verbs send no credentials and so never read the login, which
	// lets login and logout replace one that is damaged.
	anonymous bool
}

type runFunc func(ctx context.Context, s *session, args []string) error

// session is what a verb works with: the API client, the output format and the
// writers.
type session struct {
	api    *client
	json   bool
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// globals are the flags that every verb accepts, before or after it.
type globals struct {
	server string
	apiKey string
	output string
}

// globalFlags are the flags of every verb. Each takes a value, which findVerb
// skips to find the verb in arguments such as "--server URL list".
var globalFlags = map[string]bool{"server": true, "api-key": true, "o": true}

func resources() []resource {
	return []resource{blueprintsResource(), workflowsResource(), channelsResource(), inputsResource(), apiKeysResource()}
}

// usageError is a mistake on the command line: it exits 2 with the usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// errReported means the command already told the user what failed; it exits 1.
var errReported = errors.New("reported")

// runClient runs "onair <resource> <verb> ..." against the API and returns the
// exit code: 0 on success, 1 when the request failed, 2 for bad usage.
func runClient(name string, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	var res *resource
	for _, r := range resources() {
		if r.name == name {
			res = &r
			break
		}
	}
	if res == nil {
		fmt.Fprintf(stderr, "onair: unknown command %q\n\n%s", name, usage)
		return 2
	}
	verbName, rest, help := findVerb(args)
	switch {
	case help:
		fmt.Fprint(stdout, res.usage())
		return 0
	case verbName == "":
		fmt.Fprintf(stderr, "onair %s: which verb?\n\n%s", res.name, res.usage())
		return 2
	}
	var v *verb
	for i := range res.verbs {
		if res.verbs[i].name == verbName {
			v = &res.verbs[i]
		}
	}
	if v == nil {
		fmt.Fprintf(stderr, "onair %s: unknown verb %q\n\n%s", res.name, verbName, res.usage())
		return 2
	}
	return runVerb("onair "+res.name+" "+v.name, v, rest, stdout, stderr, getenv)
}

// runVerb parses a verb's flags, makes its client and runs it. cmd is how the
// verb is called, as in "onair workflows list".
func runVerb(cmd string, v *verb, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	g := globals{output: "table"}
	run := v.setup(fs)
	g.register(fs, getenv, v.globals)
	positional, err := parseInterspersed(fs, args)
	verbUsage := func(w io.Writer) {
		fmt.Fprintf(w, "usage: %s\n\n%s\n", strings.TrimSpace(cmd+" "+v.synopsis), v.summary)
		printFlags(w, fs)
	}
	if errors.Is(err, flag.ErrHelp) {
		verbUsage(stdout)
		return 0
	}
	if err == nil && g.output != "table" && g.output != "json" {
		err = fmt.Errorf("-o must be table or json, got %q", g.output)
	}
	var c *client
	if err == nil {
		c, err = newClient(g.server, g.apiKey)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n\n", cmd, err)
		verbUsage(stderr)
		return 2
	}
	if g.apiKey == "" && !v.anonymous {
		if err := c.useLogin(getenv, stderr); err != nil {
			fmt.Fprintf(stderr, "onair: %v\n", err)
			return 1
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err = run(ctx, &session{api: c, json: g.output == "json", stdout: stdout, stderr: stderr, getenv: getenv}, positional)
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %v\n\n", cmd, err)
		verbUsage(stderr)
		return 2
	case errors.Is(err, errReported):
		return 1
	}
	fmt.Fprintf(stderr, "onair: %v\n", err)
	return 1
}

// register declares the global flags in only, or all of them when only is nil.
func (g *globals) register(fs *flag.FlagSet, getenv func(string) string, only []string) {
	want := func(name string) bool { return only == nil || slices.Contains(only, name) }
	server := getenv("ONAIR_SERVER")
	if server == "" {
		server = defaultServer
	}
	if want("server") {
		fs.StringVar(&g.server, "server", server, "the onair server's base `URL` (env ONAIR_SERVER)")
	} else {
		g.server = server
	}
	if want("api-key") {
		fs.StringVar(&g.apiKey, "api-key", getenv("ONAIR_API_KEY"),
			"`KEY` sent as the x-api-key header (env ONAIR_API_KEY); without one, the login of \"onair login\" is used")
	}
	if want("o") {
		fs.StringVar(&g.output, "o", "table", "output `format`: table or json (the server's answer, indented)")
	}
}

// findVerb picks the verb out of a resource's arguments, skipping the global flags
// that may come before it, and returns the other arguments in order. help is true
// when -h or --help comes before any verb.
func findVerb(args []string) (name string, rest []string, help bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				return args[i+1], append(append([]string{}, args[:i]...), args[i+2:]...), false
			}
			return "", args, false
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			return a, append(append([]string{}, args[:i]...), args[i+1:]...), false
		}
		flagName := strings.TrimLeft(a, "-")
		if flagName == "h" || flagName == "help" {
			return "", nil, true
		}
		if globalFlags[flagName] && i+1 < len(args) {
			i++ // its value
		}
	}
	return "", args, false
}

// parseInterspersed parses flags wherever they appear among the positional
// arguments, as in "get ID -o json"; everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if len(left) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(left); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, left...), nil
		}
		positional = append(positional, left[0])
		args = left[1:]
	}
}

// printFlags lists a verb's own flags, then the global ones, one a line.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	printFlagGroups(w, fs, globalFlags, "Global flags")
}

// printFlagGroups lists the flags of fs, one a line: the verb's own, then
// those in group under its title.
func printFlagGroups(w io.Writer, fs *flag.FlagSet, group map[string]bool, title string) {
	var own, grouped strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		b := &own
		if group[f.Name] {
			b = &grouped
		}
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		name, usage := flag.UnquoteUsage(f)
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			usage += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(b, "  %s\t%s\n", strings.TrimSpace(dash+f.Name+" "+name), usage)
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if own.Len() > 0 {
		fmt.Fprintf(tw, "\nFlags:\n%s", own.String())
	}
	if grouped.Len() > 0 {
		fmt.Fprintf(tw, "\n%s:\n%s", title, grouped.String())
	}
	tw.Flush()
}

func (r resource) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: onair %s <verb> [flags]\n\n%s\n\nVerbs:\n", r.name, r.summary)
	for _, v := range r.verbs {
		fmt.Fprintf(&b, "  %-10s %s\n", v.name, v.summary)
		if v.synopsis != "" {
			fmt.Fprintf(&b, "  %-10s   onair %s %s %s\n", "", r.name, v.name, v.synopsis)
		}
	}
	fmt.Fprintf(&b, `
Global flags, before or after the verb:
  --server URL     the onair server (env ONAIR_SERVER, default %s)
  --api-key KEY    sent as the x-api-key header (env ONAIR_API_KEY); without one,
                   the login of "onair login" is used
  -o table|json    output format; json prints the server's answer

Run "onair %s <verb> -h" for a verb's flags.
`, defaultServer, r.name)
	return b.String()
}

// exactArgs checks a verb's positional arguments.
func exactArgs(args []string, names ...string) error {
	if len(args) < len(names) {
		return usagef("missing %s", strings.Join(names[len(args):], " "))
	}
	if len(args) > len(names) {
		return usagef("unexpected argument %q", args[len(names)])
	}
	return nil
}

// splitComma splits a comma-separated flag value, dropping empty items.
func splitComma(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
