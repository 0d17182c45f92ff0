//go:build !linux

package pipeline

import "syscall"

// procAttr puts ffmpeg in its own process group. Only Linux can have the
// kernel kill it when onair dies.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
