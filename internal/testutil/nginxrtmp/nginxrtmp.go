// Package nginxrtmp runs nginx with Debian's RTMP module (libnginx-mod-rtmp),
// the peer onair's tests push to and its benchmarks measure against: one
// worker, live on, any stream name, and optionally HLS as its users run it.
package nginxrtmp

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"onair/internal/testutil/localnet"
)

// Debian's paths.
const (
	DefaultNginx  = "/usr/sbin/nginx"
	DefaultModule = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
)

// Options configure a server.
type Options struct {
	Nginx, Module string // DefaultNginx and DefaultModule when empty
	// Addr is where it listens; a free loopback port when empty. A server
	// started again on the address of one that stopped comes back where its
	// clients expect it.
	Addr string
	// Fragment turns HLS on with fragments this long, each stream in a
	// directory of its own under Dir/hls; 0 leaves HLS off.
	Fragment time.Duration
}

// Server is a running nginx-rtmp, configured in its own directory.
type Server struct {
	Dir, Addr string
	*localnet.Daemon
}

// Available says how to get nginx-rtmp when it is missing.
func Available(o Options) error {
	o = o.withDefaults()
	for _, f := range []string{o.Nginx, o.Module} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("nginx-rtmp is needed: %w (apt-get install nginx libnginx-mod-rtmp)", err)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Nginx == "" {
		o.Nginx = DefaultNginx
	}
	if o.Module == "" {
		o.Module = DefaultModule
	}
	return o
}

// conf is nginx-rtmp as its users run it: one worker, live, HLS as asked,
// with a playlist long enough to list every segment of a test or a
// benchmark run.
const conf = `load_module %[1]s;
daemon off;
master_process on;
worker_processes 1;
%[2]s
pid %[3]s/nginx.pid;
error_log %[3]s/error.log info;
events { worker_connections 4096; }
rtmp {
    server {
        listen %[4]s;
        application live {
            live on;
%[5]s        }
    }
}
`

const hlsConf = `            hls on;
            hls_path %[1]s/hls;
            hls_nested on;
            hls_fragment %[2]dms;
            hls_playlist_length 3600s;
`

// Start starts nginx-rtmp configured in dir, and returns once it listens.
func Start(dir string, o Options) (*Server, error) {
	o = o.withDefaults()
	if err := Available(o); err != nil {
		return nil, err
	}
	addr := o.Addr
	if addr == "" {
		var err error
		if addr, err = localnet.FreeAddr(); err != nil {
			return nil, err
		}
	}
	s := &Server{Dir: dir, Addr: addr}
	if err := os.MkdirAll(filepath.Join(dir, "hls"), 0o755); err != nil {
		return nil, err
	}
	// As root, nginx gives its worker to nobody, who could not write here.
	user := ""
	if os.Geteuid() == 0 {
		user = "user root root;"
	}
	hls := ""
	if o.Fragment > 0 {
		hls = fmt.Sprintf(hlsConf, dir, o.Fragment.Milliseconds())
	}
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(fmt.Sprintf(conf, o.Module, user, dir, addr, hls)), 0o644); err != nil {
		return nil, err
	}
	d, err := localnet.StartDaemon(exec.Command(o.Nginx, "-p", dir, "-c", file, "-e", filepath.Join(dir, "error.log")), addr, filepath.Join(dir, "error.log"))
	if err != nil {
		return nil, err
	}
	s.Daemon = d
	return s, nil
}

// URL is where a stream of this name is published and played.
func (s *Server) URL(name string) string { return "rtmp://" + s.Addr + "/live/" + name }

// Playlist is a stream's HLS playlist, with Options.Fragment set.
func (s *Server) Playlist(name string) string {
	return filepath.Join(s.Dir, "hls", name, "index.m3u8")
}
