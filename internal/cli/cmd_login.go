package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"onair/internal/api"
)

// expirySkew renews an idToken this long before it expires, so that it does
// not expire on its way to the server or on a server whose clock runs ahead.
const expirySkew = 30 * time.Second

// reloginHint is what to do when the login is gone for good.
const reloginHint = `Run "onair login --email EMAIL" again, or pass --api-key (env ONAIR_API_KEY).`

func loginVerb() verb {
	return verb{
		name: "login", synopsis: "--email EMAIL [--password P | --password-stdin] [--server URL]",
		summary: "log in to the server; later commands without --api-key send this login's idToken and renew it as needed.\n" +
			"The password may also come from ONAIR_PASSWORD. The login is kept, readable by you alone, in\n" +
			"$ONAIR_CREDENTIALS, or onair/credentials.json in $XDG_CONFIG_HOME (default ~/.config).",
		setup: setupLogin, globals: []string{"server"}, anonymous: true,
	}
}

func logoutVerb() verb {
	return verb{
		name: "logout", summary: "forget the login that onair login kept",
		setup: func(*flag.FlagSet) runFunc { return logout }, globals: []string{}, anonymous: true,
	}
}

func setupLogin(fs *flag.FlagSet) runFunc {
	email := fs.String("email", "", "the `EMAIL` you log in with")
	password := fs.String("password", "", "the `password`; other users of this machine may see it in the process list, so prefer --password-stdin or ONAIR_PASSWORD")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	return func(ctx context.Context, s *session, args []string) error {
		if err := exactArgs(args); err != nil {
			return err
		}
		if *email == "" {
			return usagef("missing --email")
		}
		pw, err := readPassword(*password, *fromStdin, s.getenv("ONAIR_PASSWORD"))
		if err != nil {
			return err
		}
		path, err := credentialsPath(s.getenv)
		if err != nil {
			return err
		}
		var res api.AuthResult
		err = s.api.public(ctx, "/api/auth/authorize", api.Credentials{Email: *email, Password: pw}, &res)
		var ae *apiError
		if errors.As(err, &ae) && (ae.code == http.StatusUnauthorized || ae.code == http.StatusTooManyRequests) {
			fmt.Fprintf(s.stderr, "onair login: %s\n", ae.body.Message)
			return errReported
		}
		if err != nil {
			return err
		}
		creds, err := credentialsFrom(s.api.base, res, time.Now())
		if err != nil {
			return err
		}
		if err := saveCredentials(path, creds); err != nil {
			return err
		}
		fmt.Fprintf(s.stdout, "logged in as %s to %s\n", *email, s.api.base)
		return nil
	}
}

// readPassword takes the password from --password, stdin or ONAIR_PASSWORD,
// in that order; it is an error to give both flags or none of the three.
func readPassword(flagValue string, fromStdin bool, env string) (string, error) {
	switch {
	case flagValue != "" && fromStdin:
		return "", usagef("give either --password or --password-stdin, not both")
	case flagValue != "":
		return flagValue, nil
	case fromStdin:
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from stdin: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return "", usagef("--password-stdin read no password")
		}
		return line, nil
	case env != "":
		return env, nil
	}
	return "", usagef("missing --password, --password-stdin or ONAIR_PASSWORD")
}

// credentialsFrom turns the answer of a login or a refresh into what is kept.
func credentialsFrom(server string, res api.AuthResult, now time.Time) (credentials, error) {
	if !res.Status || res.Data == nil || res.Data.IdToken == "" || res.Data.RefreshToken == "" {
		return credentials{}, fmt.Errorf("%s answered no idToken; is --server an onair server of the same version?", server)
	}
	return credentials{
		Server:       server,
		IDToken:      res.Data.IdToken,
		RefreshToken: res.Data.RefreshToken,
		Expires:      now.Add(time.Duration(res.Data.ExpiresIn) * time.Second).UTC(),
	}, nil
}

func logout(_ context.Context, s *session, args []string) error {
	if err := exactArgs(args); err != nil {
		return err
	}
	path, err := credentialsPath(s.getenv)
	if err != nil {
		return err
	}
	switch err := os.Remove(path); {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintln(s.stdout, "not logged in")
	case err != nil:
		return fmt.Errorf("forget the login: %w", err)
	default:
		fmt.Fprintln(s.stdout, "logged out")
	}
	return nil
}

// login is the idToken that `onair login` kept, which the client sends as
// Authorization: Bearer and renews with the refresh token.
type login struct {
	path string
	now  func() time.Time
	warn io.Writer // told when a renewed login cannot be kept

	// mu serializes renewals: each refresh token works once, so two requests
	// that find the idToken expired must not both spend it.
	mu    sync.Mutex
	creds credentials
}

// useLogin makes the client send the kept login when it is for this client's
// server. Having no login, or no place to keep one, is not an error.
func (c *client) useLogin(getenv func(string) string, warn io.Writer) error {
	path, err := credentialsPath(getenv)
	if err != nil {
		return nil
	}
	creds, err := loadCredentials(path)
	if err != nil || creds == nil {
		return err
	}
	if creds.Server != c.base {
		c.otherLogin = creds.Server
		return nil
	}
	c.login = &login{path: path, now: time.Now, warn: warn, creds: *creds}
	return nil
}

// token returns the idToken to send, renewed first when it has expired or is
// about to; refreshed says it was renewed.
func (l *login) token(ctx context.Context, c *client) (token string, refreshed bool, err error) {
	l.mu.Lock()
	cur := l.creds
	l.mu.Unlock()
	if l.now().Add(expirySkew).Before(cur.Expires) {
		return cur.IDToken, false, nil
	}
	token, err = l.refresh(ctx, c, cur.IDToken)
	return token, true, err
}

// refresh replaces the idToken stale with a new one and keeps the new pair.
// When another request has replaced stale already, its token is returned.
func (l *login) refresh(ctx context.Context, c *client, stale string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.creds.IDToken != stale {
		return l.creds.IDToken, nil
	}
	var res api.AuthResult
	err := c.public(ctx, "/api/auth/refresh", api.RefreshRequest{RefreshToken: l.creds.RefreshToken}, &res)
	var ae *apiError
	if errors.As(err, &ae) && ae.code == http.StatusUnauthorized {
		ae.hint = reloginHint
	}
	if err != nil {
		return "", err
	}
	creds, err := credentialsFrom(c.base, res, l.now())
	if err != nil {
		return "", err
	}
	l.creds = creds
	// The old refresh token is spent: a login that cannot be kept now is lost
	// after this command, which the user had better hear of now.
	if err := saveCredentials(l.path, creds); err != nil {
		fmt.Fprintf(l.warn, "onair: warning: %v; the next command will need \"onair login\" again\n", err)
	}
	return creds.IDToken, nil
}
