package s3server

import "syscall"

// procAttr has the kernel kill versitygw when the test binary dies, even by
// a test timeout that runs no cleanup, so that none is left on its port.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
