//go:build unix

package pgtest

import (
	"os"
	"syscall"
)

// ownedBy reports whether uid owns the file.
func ownedBy(info os.FileInfo, uid int) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == uid
}
