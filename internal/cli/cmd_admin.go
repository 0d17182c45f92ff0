package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"onair/internal/auth"
	"onair/internal/config"
	"onair/internal/domain"
	"onair/internal/store"
)

// The admin commands are for the operator of a server: they open its store
// directly, with the configuration `onair serve` reads, so that they work
// before anyone has a credential (the first organization, user and key) and
// without the server running. SQLite lets them run beside the server too.

// adminVerb is one admin command.
type adminVerb struct {
	name     string
	synopsis string
	summary  string
	setup    func(fs *flag.FlagSet) adminFunc
}

type adminFunc func(ctx context.Context, a *adminSession) error

// adminSession is what an admin command works with: the store, opened on
// first use so that bad flags never create a database, and the output.
type adminSession struct {
	open   func(ctx context.Context) (store.Store, error)
	stdout io.Writer
	now    func() time.Time
	newID  func() string
}

// storeFlags are the flags of `onair serve` that decide which store the admin
// commands open; config.Load reads them with the file and ONAIR_* variables.
var storeFlags = map[string]bool{"config": true, "data": true, "database": true}

func adminVerbs() []adminVerb {
	return []adminVerb{
		{name: "create-org", synopsis: "--name NAME [--id ID]",
			summary: "create an organization; prints its id", setup: setupCreateOrg},
		{name: "create-user", synopsis: "--org ID --email EMAIL --password P|--password-stdin --role admin|editor|viewer [--server-admin]",
			summary: "create a user who logs in with onair login", setup: setupCreateUser},
		{name: "create-api-key", synopsis: "--org ID --name NAME [--server-admin]",
			summary: "issue an API key; prints its value, which is shown only this once", setup: setupCreateKey},
	}
}

func adminUsage() string {
	var b strings.Builder
	b.WriteString(`usage: onair admin <verb> [flags]

Operator commands: they work on the server's store directly, with the settings
of onair serve (--config, --data, --database and ONAIR_* variables), whether or
not the server runs. A server admin may also manage organizations.

Verbs:
`)
	for _, v := range adminVerbs() {
		fmt.Fprintf(&b, "  %-15s %s\n  %-15s   onair admin %s %s\n", v.name, v.summary, "", v.name, v.synopsis)
	}
	b.WriteString("\nRun \"onair admin <verb> -h\" for a verb's flags.\n")
	return b.String()
}

// runAdmin runs "onair admin <verb> ..." and returns the exit code: 0 on
// success, 1 when the store refused, 2 for bad usage.
func runAdmin(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "onair admin: which verb?\n\n%s", adminUsage())
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, adminUsage())
		return 0
	}
	var v *adminVerb
	for _, av := range adminVerbs() {
		if av.name == args[0] {
			v = &av
			break
		}
	}
	if v == nil {
		fmt.Fprintf(stderr, "onair admin: unknown verb %q\n\n%s", args[0], adminUsage())
		return 2
	}

	cmd := "onair admin " + v.name
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := v.setup(fs)
	fs.String("config", "", "the server's YAML configuration `file` (env ONAIR_CONFIG)")
	fs.String("data", "", "the server's data `directory` (env ONAIR_DATA; default ./data)")
	fs.String("database", "", "`URL`: sqlite://PATH or postgres://…; SQLite in the data directory when empty (env ONAIR_DATABASE)")
	verbUsage := func(w io.Writer) {
		fmt.Fprintf(w, "usage: %s %s\n\n%s\n", cmd, v.synopsis, v.summary)
		printFlagGroups(w, fs, storeFlags, "Store flags, as for onair serve")
	}
	positional, err := parseInterspersed(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		verbUsage(stdout)
		return 0
	}
	if err == nil {
		err = exactArgs(positional)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n\n", cmd, err)
		verbUsage(stderr)
		return 2
	}

	// Only the store flags that were given go to config.Load, so that the
	// file and the environment fill in the rest as they do for serve.
	var cfgArgs []string
	fs.Visit(func(f *flag.Flag) {
		if storeFlags[f.Name] {
			cfgArgs = append(cfgArgs, "--"+f.Name, f.Value.String())
		}
	})
	var st store.Store
	a := &adminSession{stdout: stdout, now: time.Now, newID: uuid.NewString}
	a.open = func(ctx context.Context) (store.Store, error) {
		if st != nil {
			return st, nil
		}
		cfg, err := config.Load(cfgArgs, getenv, io.Discard)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if st, err = store.Open(ctx, cfg.Database); err != nil {
			return nil, err
		}
		return st, nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err = run(ctx, a)
	if st != nil {
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %v\n\n", cmd, err)
		verbUsage(stderr)
		return 2
	}
	fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
	return 1
}

// orgIDPattern is what --id accepts: it appears in logs and URLs as it is.
var orgIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

func setupCreateOrg(fs *flag.FlagSet) adminFunc {
	name := fs.String("name", "", "the organization's name")
	id := fs.String("id", "", "the organization's `ID`; a new UUID when empty")
	return func(ctx context.Context, a *adminSession) error {
		if err := domain.ValidateName("name", *name); err != nil {
			return usagef("%v", err)
		}
		if *id != "" && !orgIDPattern.MatchString(*id) {
			return usagef("--id must be 1-64 letters, digits, '-' and '_', starting with a letter or digit, got %q", *id)
		}
		o := domain.Organization{ID: *id, Name: *name, Created: a.now().UTC()}
		if o.ID == "" {
			o.ID = a.newID()
		}
		st, err := a.open(ctx)
		if err != nil {
			return err
		}
		if err := st.CreateOrganization(ctx, o); err != nil {
			return err
		}
		d := newDetails(a.stdout)
		d.add("organization", o.ID)
		d.add("name", o.Name)
		return d.flush()
	}
}

func setupCreateUser(fs *flag.FlagSet) adminFunc {
	org := fs.String("org", "", "the organization's `ID`")
	email := fs.String("email", "", "the user's `EMAIL`, which they log in with")
	password := fs.String("password", "", "the `password`, at least 8 characters; other users of this machine may see it in the process list, so prefer --password-stdin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	role := fs.String("role", "", "`ROLE` in the organization: admin, editor or viewer")
	serverAdmin := fs.Bool("server-admin", false, "may also create and list organizations")
	return func(ctx context.Context, a *adminSession) error {
		if *org == "" {
			return usagef("missing --org ID")
		}
		addr := strings.ToLower(strings.TrimSpace(*email))
		switch {
		case addr == "":
			return usagef("missing --email")
		case !strings.Contains(addr, "@") || len(addr) > 254 || strings.ContainsAny(addr, " \t\r\n"):
			return usagef("--email must be an email address, got %q", *email)
		}
		r := domain.Role(*role)
		if !r.Valid() {
			return usagef("--role must be admin, editor or viewer, got %q", *role)
		}
		if *password == "" && !*fromStdin {
			return usagef("missing --password or --password-stdin")
		}
		pw, err := readPassword(*password, *fromStdin, "")
		if err != nil {
			return err
		}
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return usagef("%v", err)
		}
		st, err := a.open(ctx)
		if err != nil {
			return err
		}
		if err := checkOrg(ctx, st, *org); err != nil {
			return err
		}
		u := domain.User{ID: a.newID(), OrgID: *org, Email: addr, PasswordHash: hash, Role: r,
			ServerAdmin: *serverAdmin, Created: a.now().UTC()}
		if err := st.CreateUser(ctx, u); err != nil {
			return err
		}
		d := newDetails(a.stdout)
		d.add("user", u.ID)
		d.add("email", u.Email)
		d.add("organization", u.OrgID)
		d.add("role", string(u.Role))
		d.add("server admin", yesNo(u.ServerAdmin))
		return d.flush()
	}
}

func setupCreateKey(fs *flag.FlagSet) adminFunc {
	org := fs.String("org", "", "the organization's `ID`")
	name := fs.String("name", "", "a label for the key, such as the system that will use it")
	serverAdmin := fs.Bool("server-admin", false, "may also create and list organizations")
	return func(ctx context.Context, a *adminSession) error {
		if *org == "" {
			return usagef("missing --org ID")
		}
		if err := domain.ValidateName("name", *name); err != nil {
			return usagef("%v", err)
		}
		st, err := a.open(ctx)
		if err != nil {
			return err
		}
		if err := checkOrg(ctx, st, *org); err != nil {
			return err
		}
		id, value := auth.NewAPIKey()
		k := domain.APIKey{ID: id, OrgID: *org, Name: *name, Enabled: true, Hash: auth.HashSecret(value),
			ServerAdmin: *serverAdmin, Created: a.now().UTC()}
		if err := st.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		return printNewKey(a.stdout, k.ID, k.Name, value, func(d *details) {
			d.add("organization", k.OrgID)
			d.add("server admin", yesNo(k.ServerAdmin))
		})
	}
}

// checkOrg says how to create an organization that does not exist.
func checkOrg(ctx context.Context, st store.Store, id string) error {
	_, err := st.GetOrganization(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("organization %q not found; create it with \"onair admin create-org --name NAME --id %s\"", id, id)
	}
	return err
}
