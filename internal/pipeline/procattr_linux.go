package pipeline

import "syscall"

// procAttr puts ffmpeg in its own process group, and has the kernel kill it
// when onair dies, however it dies.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
