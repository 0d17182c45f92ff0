//go:build !linux

package s3server

import "syscall"

// procAttr is empty: only Linux can have the kernel kill versitygw when the
// test binary dies.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{}
}
