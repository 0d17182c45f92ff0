// Package davserver runs Apache httpd from Debian (apache2, with mod_dav,
// mod_dav_fs and mod_auth_digest) as a WebDAV target with Digest users: the
// kind of HTTP ingest onair's HLS push uploads to (Akamai MSL4 takes PUTs
// behind Digest authentication the same way).
package davserver

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"onair/internal/testutil/localnet"
)

// Debian's paths.
const (
	httpd   = "/usr/sbin/apache2"
	modules = "/usr/lib/apache2/modules"
)

// Realm is the Digest realm of the server's users.
const Realm = "onair-test"

// Available says how to get Apache when it is missing.
func Available() error {
	for _, f := range []string{httpd, filepath.Join(modules, "mod_dav_fs.so"), filepath.Join(modules, "mod_auth_digest.so")} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("apache2 with mod_dav is needed: %w (apt-get install apache2)", err)
		}
	}
	return nil
}

// Server is a running httpd. Root is the directory WebDAV writes into,
// which is served at the URL's root.
type Server struct {
	Dir, Root, Addr string
	*localnet.Daemon
}

const conf = `ServerRoot %[1]q
LoadModule mpm_event_module %[2]s/mod_mpm_event.so
LoadModule authn_core_module %[2]s/mod_authn_core.so
LoadModule authn_file_module %[2]s/mod_authn_file.so
LoadModule authz_core_module %[2]s/mod_authz_core.so
LoadModule authz_user_module %[2]s/mod_authz_user.so
LoadModule auth_digest_module %[2]s/mod_auth_digest.so
LoadModule dav_module %[2]s/mod_dav.so
LoadModule dav_fs_module %[2]s/mod_dav_fs.so
%[3]s
ServerName localhost
Listen %[4]s
PidFile %[1]s/httpd.pid
ErrorLog %[1]s/error.log
LogLevel warn
DavLockDB %[1]s/lock/davlock
DocumentRoot %[5]q
<Directory %[5]q>
    Dav On
    AuthType Digest
    AuthName %[6]q
    AuthDigestProvider file
    AuthUserFile %[1]s/digest.passwd
    Require valid-user
</Directory>
`

// Start starts httpd in dir with the users (name → password), on addr (a
// free loopback port when empty), and returns once it listens.
func Start(dir, addr string, users map[string]string) (*Server, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if addr == "" {
		var err error
		if addr, err = localnet.FreeAddr(); err != nil {
			return nil, err
		}
	}
	s := &Server{Dir: dir, Root: filepath.Join(dir, "www"), Addr: addr}
	// httpd's user must get through to its root: a test's temporary
	// directories are the test's user's alone.
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	for _, d := range []string{s.Root, filepath.Join(dir, "lock")} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			return nil, err
		}
		os.Chmod(d, 0o777) // httpd's user writes here
	}
	var passwd strings.Builder
	for u, p := range users {
		h := md5.Sum([]byte(u + ":" + Realm + ":" + p))
		fmt.Fprintf(&passwd, "%s:%s:%s\n", u, Realm, hex.EncodeToString(h[:]))
	}
	if err := os.WriteFile(filepath.Join(dir, "digest.passwd"), []byte(passwd.String()), 0o644); err != nil {
		return nil, err
	}
	// As root, httpd serves as another user; it refuses to serve as root.
	user := ""
	if os.Geteuid() == 0 {
		user = "User nobody\nGroup nogroup"
	}
	file := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(file, []byte(fmt.Sprintf(conf, dir, modules, user, addr, s.Root, Realm)), 0o644); err != nil {
		return nil, err
	}
	d, err := localnet.StartDaemon(exec.Command(httpd, "-f", file, "-DFOREGROUND"), addr, filepath.Join(dir, "error.log"))
	if err != nil {
		return nil, err
	}
	s.Daemon = d
	return s, nil
}

// URL is the server's root.
func (s *Server) URL() string { return "http://" + s.Addr }
