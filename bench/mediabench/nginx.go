package main

import (
	"time"

	"onair/internal/testutil/nginxrtmp"
)

// checkNginx tells how to get nginx-rtmp when it is missing.
func checkNginx(o options) error {
	return nginxrtmp.Available(nginxrtmp.Options{Nginx: o.nginx, Module: o.nginxModule})
}

// startNginx starts nginx-rtmp as its users run it for HLS (see nginxrtmp),
// in dir, with fragments of segment seconds: the length onair's passthrough
// blueprint has.
func startNginx(o options, dir string, segment int) (*nginxrtmp.Server, error) {
	return nginxrtmp.Start(dir, nginxrtmp.Options{Nginx: o.nginx, Module: o.nginxModule, Fragment: time.Duration(segment) * time.Second})
}
