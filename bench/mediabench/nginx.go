package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"onair/bench/internal/benchkit"
)

// checkNginx tells how to get nginx-rtmp when it is missing.
func checkNginx(o options) error {
	for _, f := range []string{o.nginx, o.nginxModule} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("nginx-rtmp is needed for P3 and scale: %w; bench/run.sh installs it (apt-get install libnginx-mod-rtmp)", err)
		}
	}
	return nil
}

// nginxConf is nginx-rtmp as its users run it for HLS: one worker, live with
// HLS on, each stream in a directory of its own, the segment length onair's
// passthrough blueprint has, and a playlist long enough to list every
// segment of a benchmark run.
const nginxConf = `load_module %[1]s;
daemon off;
master_process on;
worker_processes 1;
%[2]s
pid %[3]s/nginx.pid;
error_log %[3]s/error.log warn;
events { worker_connections 4096; }
rtmp {
    server {
        listen %[4]s;
        application live {
            live on;
            hls on;
            hls_path %[3]s/hls;
            hls_nested on;
            hls_fragment %[5]ds;
            hls_playlist_length 3600s;
        }
    }
}
`

// nginxServer is an nginx-rtmp started on a free port with a generated
// configuration in its own directory.
type nginxServer struct {
	dir, addr string
	cmd       *exec.Cmd
}

func startNginx(o options, dir string, segment int) (*nginxServer, error) {
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return nil, err
	}
	n := &nginxServer{dir: dir, addr: addr}
	if err := os.MkdirAll(filepath.Join(dir, "hls"), 0o755); err != nil {
		return nil, err
	}
	// As root, nginx gives its worker to nobody, who could not write here.
	user := ""
	if os.Geteuid() == 0 {
		user = "user root root;"
	}
	conf := filepath.Join(dir, "nginx.conf")
	body := fmt.Sprintf(nginxConf, o.nginxModule, user, dir, addr, segment)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return nil, err
	}
	n.cmd = exec.Command(o.nginx, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	var stderr strings.Builder
	n.cmd.Stderr = &stderr
	if err := n.cmd.Start(); err != nil {
		return nil, err
	}
	if err := benchkit.WaitListening(addr, 5*time.Second); err != nil {
		n.stop()
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return nil, fmt.Errorf("nginx: %w: %s %s", err, strings.TrimSpace(stderr.String()), log)
	}
	return n, nil
}

func (n *nginxServer) pid() int { return n.cmd.Process.Pid }

func (n *nginxServer) url(key string) string { return "rtmp://" + n.addr + "/live/" + key }

func (n *nginxServer) playlist(key string) string {
	return filepath.Join(n.dir, "hls", key, "index.m3u8")
}

// stop ends nginx at once (SIGTERM to the master, which ends its workers).
func (n *nginxServer) stop() {
	n.cmd.Process.Signal(syscall.SIGTERM)
	n.cmd.Wait()
}
